"""The forms that make API tokens; each carries a CSRF token through Flask-WTF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lifetimes():
    return [(30, _l("30 days")), (90, _l("90 days")), (365, _l("One year")),
            (0, _l("Never (revoke it when it is no longer needed)"))]


class TokenForm(FlaskForm):
    """A personal token: it reads its owner's own learning, nothing else."""

    name = StringField(_l("Name of the token"), validators=[DataRequired(), Length(max=100)],
                       filters=[_strip])
    #: One of tokens.LIFETIMES; anything else is "not a valid choice".
    days = SelectField(_l("Expires after"), coerce=int, default=90, choices=_lifetimes)


class InstitutionTokenForm(TokenForm):
    enrol = BooleanField(_l("May also change cohorts, their courses and members"))


class SiteTokenForm(InstitutionTokenForm):
    admin = BooleanField(_l("May also revoke certificates"))
