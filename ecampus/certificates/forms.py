"""Certificate forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
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


class LookForm(FlaskForm):
    """The issuer's own look; an image left empty keeps the one already set."""

    emblem = FileField(_l("Emblem (PNG or SVG)"), render_kw={"accept": "image/png,image/svg+xml"})
    remove_emblem = BooleanField(_l("Remove the emblem"))
    signatory_name = StringField(_l("Signatory's name"), validators=[Length(max=200)],
                                 render_kw={"autocomplete": "off"})
    signatory_title = StringField(_l("Signatory's title"), validators=[Length(max=200)],
                                  render_kw={"autocomplete": "off"})
    signature = FileField(_l("Signature (PNG or SVG)"),
                          render_kw={"accept": "image/png,image/svg+xml"})
    remove_signature = BooleanField(_l("Remove the signature"))
    seal = FileField(_l("Seal (PNG or SVG, optional)"),
                     render_kw={"accept": "image/png,image/svg+xml"})
    remove_seal = BooleanField(_l("Remove the seal"))
