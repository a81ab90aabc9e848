"""The actions the audit log knows, in words: the pages' labels and the action filter.

An action recorded under a name missing here still shows, under its own name;
tests/audit/test_actions.py finds every `record("...")` in the code and asks for its label.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: action -> label, in the order the filter lists them.
ACTION_LABELS = {
    "user.role_changed": _l("Role changed"),
    "user.sessions_ended": _l("Signed out everywhere by an administrator"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.email_change_requested": _l("Email address change requested"),
    "user.email_changed": _l("Email address changed"),
    "user.merged": _l("Accounts merged"),
    "user.erased": _l("Account erased"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "webhook.created": _l("Webhook added"),
    "webhook.deleted": _l("Webhook deleted"),
    "webhook.secret_rotated": _l("Webhook secret renewed"),
    "webhook.enabled": _l("Webhook enabled"),
    "webhook.disabled": _l("Webhook disabled"),
    "webhook.test_sent": _l("Webhook test sent"),
    "webhook.redelivered": _l("Webhook delivery sent again"),
    "institution.created": _l("Institution created"),
    "institution.manager_added": _l("Manager added"),
    "institution.manager_removed": _l("Manager removed"),
    "cohort.created": _l("Cohort created"),
    "cohort.updated": _l("Cohort changed"),
    "cohort.archived": _l("Cohort archived"),
    "cohort.course_assigned": _l("Course assigned to a cohort"),
    "cohort.due_date_changed": _l("Due date changed"),
    "cohort.course_unassigned": _l("Course no longer assigned to a cohort"),
    "cohort.member_added": _l("Learner added to a cohort"),
    "cohort.member_removed": _l("Learner removed from a cohort"),
    "cohort.invitation_withdrawn": _l("Invitation withdrawn"),
    "cohort.import_applied": _l("CSV import applied"),
    "certificate.revoked": _l("Certificate revoked"),
    "certificate.reissued": _l("Certificate reissued"),
    "certificate.look_changed": _l("Certificate look changed"),
    "signing_key.rotated": _l("Signing key rotated"),
    "course.published": _l("Course published"),
    "course.retired": _l("Course retired"),
    "source.created": _l("Course source added"),
    "source.secret_renewed": _l("Course source secret renewed"),
    "retention.purged": _l("Old records purged"),
}

#: target_type -> label.
TARGET_LABELS = {
    "user": _l("Account"),
    "institution": _l("Institution"),
    "cohort": _l("Cohort"),
    "certificate": _l("Certificate"),
    "certificate_look": _l("Certificate look"),
    "signing_key": _l("Signing key"),
    "course": _l("Course"),
    "source": _l("Course source"),
    "api_token": _l("API token"),
    "webhook_endpoint": _l("Webhook"),
    "webhook_delivery": _l("Webhook delivery"),
    "table": _l("Table"),
}


def action_label(action: str) -> str:
    """The action in words, or its name when it has no label yet."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def target_label(target_type: str | None) -> str:
    """The kind of thing an entry is about, in words."""
    if not target_type:
        return ""
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type
