"""Forms for course sources and course uploads; each carries a CSRF token through Flask-WTF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SourceForm(FlaskForm):
    slug = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)],
                       filters=[_strip])
    url = StringField(_l("Repository"), validators=[DataRequired(), Length(max=1000)],
                      filters=[_strip])
    branch = StringField(_l("Branch"), default="main",
                         validators=[DataRequired(), Length(max=200)], filters=[_strip])


class UploadForm(FlaskForm):
    file = FileField(_l("Zip of the course folder"),
                     validators=[FileRequired(_l("Choose a zip file."))],
                     render_kw={"accept": ".zip,application/zip"})
