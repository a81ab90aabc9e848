"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from ..auth.forms import email_field

ROLE_LABELS = {
    "learner": _l("Learner"),
    "author": _l("Author"),
    "manager": _l("Manager"),
    "admin": _l("Administrator"),
}
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class RoleForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class EndSessionsForm(FlaskForm):
    """A button: sign the account out on every device (CSRF token only)."""


class DeactivateForm(FlaskForm):
    """A button: deactivate the account (CSRF token only)."""


class ReactivateForm(FlaskForm):
    """A button: let the account sign in again (CSRF token only)."""


class EmailChangeForm(FlaskForm):
    email = email_field(_l("New email address"), autocomplete="off")


class MergeForm(FlaskForm):
    """The merge as previewed: which account goes, and the digest of what was shown."""

    merged_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
    digest = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
