"""Certificate forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a public GET lookup that changes nothing

    code = StringField(_l("Certificate code"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "off", "spellcheck": "false",
                                  "autocapitalize": "characters"})


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason, shown to anyone who checks the certificate"),
                           validators=[DataRequired(), Length(max=1000)])


class ReissueForm(FlaskForm):
    pass
