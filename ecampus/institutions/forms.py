"""Forms for institutions and cohorts; each carries a CSRF token through Flask-WTF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ..auth.forms import language_choices
from .csvfile import MAX_EMAIL, MAX_EXTERNAL_ID, MAX_NAME


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email(label=None):
    return EmailField(
        label or _l("Email address"),
        validators=[DataRequired(), Length(max=MAX_EMAIL),
                    Email(message=_l("Enter an email address like name@example.org."),
                          check_deliverability=False)],
        filters=[_strip],
    )


class InstitutionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       filters=[_strip])
    description = TextAreaField(_l("Short description"), validators=[Length(max=2000)])


class ManagerForm(FlaskForm):
    email = _email(_l("Email address of the new manager"))


class CohortForm(FlaskForm):
    name = StringField(_l("Cohort name"), validators=[DataRequired(), Length(max=200)],
                       filters=[_strip])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])


class AssignCourseForm(FlaskForm):
    course = SelectField(_l("Course"), coerce=int, validate_choice=True)
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()])


class MemberForm(FlaskForm):
    email = _email()
    full_name = StringField(_l("Full name"), validators=[Length(max=MAX_NAME)],
                            filters=[_strip])
    language = SelectField(_l("Language of a new account"), choices=lambda: [
        SelectChoice("", _l("The language you are using now")), *language_choices()], default="")
    external_id = StringField(_l("External id (optional)"),
                              validators=[Length(max=MAX_EXTERNAL_ID)], filters=[_strip])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})
    encoding = SelectField(_l("Encoding"), choices=[
        SelectChoice("auto", _l("Automatic (UTF-8, else Latin-1)")),
        SelectChoice("utf-8", "UTF-8"),
        SelectChoice("latin-1", _l("Latin-1 (older Windows spreadsheets)")),
    ], default="auto")


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token: remove, confirm."""
