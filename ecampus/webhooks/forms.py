"""The form that registers a webhook endpoint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .. import events

#: The events an endpoint may subscribe to, as the managers read them.
EVENT_LABELS = {
    events.ENROLLED: _l("A learner is enrolled in a course"),
    events.MODULE_COMPLETED: _l("A learner completes a module"),
    events.QUIZ_GRADED: _l("A quiz attempt is graded"),
    events.COURSE_COMPLETED: _l("A learner completes a course"),
    events.CERTIFICATE_ISSUED: _l("A certificate is issued"),
    events.CERTIFICATE_REVOKED: _l("A certificate is revoked"),
}


class EndpointForm(FlaskForm):
    url = StringField(_l("Address"), validators=[
        DataRequired(message=_l("Give the address that receives the events.")),
        Length(max=2000)])
    events = SelectMultipleField(
        _l("Events"), choices=[SelectChoice(value, label) for value, label in EVENT_LABELS.items()],
        validators=[DataRequired(message=_l("Choose at least one event."))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    description = StringField(_l("Description (optional)"),
                              validators=[Optional(), Length(max=200)])
