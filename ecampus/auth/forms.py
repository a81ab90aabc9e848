"""Account forms; every form carries a CSRF token through Flask-WTF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..i18n import interface_languages
from .services import MIN_PASSWORD_LENGTH


def language_choices() -> list[SelectChoice]:
    """The configured interface languages, each named in itself and marked with its lang."""
    return [SelectChoice(code, name, render_kw={"lang": code})
            for code, name in interface_languages().items()]


def _password(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=256,
                   message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm(label, field="password"):
    return PasswordField(
        label,
        validators=[DataRequired(), EqualTo(field, message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


def email_field(label=None, autocomplete: str = "email") -> EmailField:
    """An address field: required, at most 254 characters, trimmed, checked for its form."""
    return EmailField(
        label or _l("Email address"),
        validators=[DataRequired(), Length(max=254),
                    Email(message=_l("Enter an email address like name@example.org."),
                          check_deliverability=False)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"autocomplete": autocomplete},
    )


def _full_name():
    return StringField(
        _l("Full name, as it should appear on certificates"),
        validators=[DataRequired(), Length(max=200)],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
        render_kw={"autocomplete": "name"},
    )


class SignupForm(FlaskForm):
    email = email_field()
    full_name = _full_name()
    password = _password(_l("Password (at least 10 characters)"))
    confirm = _confirm(_l("Repeat the password"))
    language = SelectField(_l("Preferred language"), choices=language_choices)


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))


class ProfileForm(FlaskForm):
    full_name = _full_name()
    language = SelectField(_l("Preferred language"), choices=language_choices)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    password = _password(_l("New password (at least 10 characters)"))
    confirm = _confirm(_l("Repeat the new password"))


class ResetRequestForm(FlaskForm):
    email = email_field()


class SetPasswordForm(FlaskForm):
    password = _password(_l("New password (at least 10 characters)"))
    confirm = _confirm(_l("Repeat the new password"))


class ConfirmSignupForm(FlaskForm):
    """Only a button: a mail scanner opening the link must not create the account."""


class ConfirmEmailForm(FlaskForm):
    """Only a button: a mail scanner opening the link must not change the address."""


class ChangeEmailForm(FlaskForm):
    email = email_field(_l("New email address"))
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
