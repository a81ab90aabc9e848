"""Forms of the personal data pages; each carries a CSRF token through Flask-WTF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length


class PrepareForm(FlaskForm):
    """"Prepare my data": nothing to fill in but the CSRF token."""


class EraseOwnForm(FlaskForm):
    """A person erasing their own account: their password again, and a clear yes."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    confirm = BooleanField(
        _l("I understand that my account and my personal data will be erased for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))])


class AdminEraseForm(FlaskForm):
    """An admin erasing someone's account."""

    confirm = BooleanField(
        _l("I confirm that this account and its personal data are to be erased for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))])
