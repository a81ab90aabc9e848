"""How the features meet: the one module that knows them all.

Lower features never import higher ones (catalog <- learning <- quizzes, certificates <-
institutions <- admin). Where a higher feature adds to a lower one's page (enrolment and a
quiz's start button on catalog pages, a certificate link on the dashboard, a section on the
admin home page), it is listed here, explicitly, so a reader finds every such extension from
one file. Nothing is registered as a side effect of importing a module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Features:
    """What each page draws from the features above it."""

    #: function(page=, course=, modules=, module=) -> Panel | list[Panel] | None, for the
    #: course and lesson pages of the catalog.
    course_panels: list = field(default_factory=list)
    #: function(user_id, entries) -> {course_id: Panel}, once per dashboard.
    dashboard_panels: list = field(default_factory=list)
    #: (endpoint, label) links on the admin home page.
    admin_links: list = field(default_factory=list)
    #: Job kind -> handler(**payload), run by `ecampus worker` (ecampus/jobs/worker.py).
    #: A job is queued with `ecampus.jobs.enqueue(kind, payload)` in the transaction of the
    #: change that needs it; handlers must be idempotent (a job may run more than once).
    #:   "mail.send"           queued by ecampus.mail.queue_mail: sends the outbox over SMTP.
    #:   "certificates.issue"  queued by a course completion whose certificate failed to
    #:       issue: certificates.services.issue_pending(user_id=, course_id=).
    #:   "learning.recompute"  queued by publishing a changed course: sets its enrolments'
    #:       quiz results again and completes those the change completed,
    #:       quizzes.services.recompute_course(course_id=).
    #:   "institutions.notices"  queued by a cohort import or addition: writes the invitations
    #:       and notices it owes, institutions.membership.send_notices(cohort_id=).
    #:   "catalog.sync"  queued by a course source's webhook or "sync now": publishes the
    #:       source's branch, sources.services.sync_source(source_id=).
    #:   "webhooks.deliver"  queued by an event (ecampus.events.emit) for each subscribed
    #:       endpoint, and by each failed attempt with the queue's backoff: posts one signed
    #:       event, webhooks.services.deliver(delivery_id=).
    #:   "personal.export"  queued by a learner's "Prepare my data": builds their archive and
    #:       mails them, personal.exports.build_export(export_id=).
    job_handlers: dict = field(default_factory=dict)
    #: `ecampus doctor` checks: function(fix: bool) -> ecampus.jobs.doctor.Finding.
    doctor_checks: list = field(default_factory=list)
    #: function(user_id=, course_id=), called by learning when an enrolment becomes complete,
    #: inside the completion's transaction and before it commits (a quiz pass: grade ->
    #: module -> course -> these). A handler that cannot finish must not raise: it records
    #: a job to finish later, so the completion still commits.
    course_completion_handlers: list = field(default_factory=list)
    #: function(events: list[ecampus.events.Event]), called by `ecampus.events.emit` inside
    #: the transaction of the change (enrolment, module or course completed, quiz graded,
    #: certificate issued or revoked), so lower features tell higher ones without importing
    #: them. A handler adds rows or jobs to that transaction; it never commits.
    event_handlers: list = field(default_factory=list)
    #: `ecampus purge`: function(now, dry_run) -> (label, count), one per kind of row a
    #: feature keeps only for a while (its period a RETENTION_*_DAYS setting). A rule deletes
    #: through `ecampus.retention.purge` (bounded batches, each committed with an audit
    #: entry of its count) and, with dry_run, only counts; labels are stable names such as
    #: "sent_mail", printed by the command and kept in the audit log.
    retention_rules: list = field(default_factory=list)
    #: function(), called once in each web worker before it serves (ecampus.serving): builds
    #: what the feature would otherwise build on the first request that needs it, so that
    #: it is made before the worker's long-lived objects are frozen out of garbage collection.
    warm_ups: list = field(default_factory=list)


def features() -> Features:
    """The running app's feature wiring."""
    return current_app.extensions["ecampus.features"]


def register_features(app: Flask) -> None:
    """Register every blueprint and command, and wire the page extensions, in one place."""
    from .admin import bp as admin_bp
    from .api import init_api
    from .api import retention as api_retention
    from .audit.views import bp as audit_bp
    from .auth import bp as auth_bp
    from .auth import retention as auth_retention
    from .auth.cli import users_cli
    from .catalog import bp as catalog_bp
    from .catalog.cli import courses_cli
    from .catalog.publishing import RECOMPUTE_JOB
    from .certificates import bp as certificates_bp
    from .certificates import services as certificates
    from .certificates.cli import certificates_cli
    from .institutions import admin_bp as institutions_admin_bp
    from .institutions import bp as institutions_bp
    from .institutions import membership, tallies
    from .institutions import retention as institutions_retention
    from .institutions.cli import cohorts_cli
    from .jobs import bp as jobs_bp
    from .jobs import doctor
    from .jobs import retention as jobs_retention
    from .jobs.cli import doctor_command, worker_command
    from .learning import bp as learning_bp
    from .learning import services as learning
    from .learning.views import learning_panel
    from .mail import SEND_JOB, send_queued_mail
    from .main import bp as main_bp
    from .main.cli import quickstart_command
    from .personal import bp as personal_bp
    from .personal import exports as personal_exports
    from .personal import retention as personal_retention
    from .preview import bp as preview_bp
    from .preview.cli import preview_command
    from .preview.views import answer_key_panel
    from .quizzes import bp as quizzes_bp
    from .quizzes import services as quizzes
    from .quizzes.cli import quizzes_cli
    from .quizzes.views import quiz_panel
    from .retention import purge_command
    from .sources import bp as sources_bp
    from .sources import services as sources
    from .sources.cli import add_source_command, sync_command
    from .webhooks import bp as webhooks_bp
    from .webhooks import retention as webhooks_retention
    from .webhooks import services as webhooks
    from .webhooks.cli import webhooks_cli

    for blueprint in (main_bp, auth_bp, admin_bp, catalog_bp, learning_bp, quizzes_bp,
                      certificates_bp, institutions_bp, institutions_admin_bp, jobs_bp,
                      sources_bp, personal_bp, webhooks_bp, audit_bp):
        app.register_blueprint(blueprint)
    init_api(app)  # /api/v1/ with its OpenAPI document, and the API token pages
    for command in (certificates_cli, quizzes_cli, users_cli, courses_cli, cohorts_cli,
                    quickstart_command, worker_command, doctor_command, webhooks_cli,
                    purge_command):
        app.cli.add_command(command)
    for command in (sync_command, add_source_command, preview_command):
        courses_cli.add_command(command)

    # The live preview's pages exist only in an app made by ecampus.preview.services.
    preview = bool(app.config.get("PREVIEW_DIR"))
    if preview:
        app.register_blueprint(preview_bp)
    app.extensions["ecampus.features"] = Features(
        course_panels=[learning_panel, quiz_panel,
                       *([answer_key_panel] if preview else [])],
        dashboard_panels=[certificates.dashboard_panel],
        course_completion_handlers=[certificates.issue_on_completion],
        warm_ups=[certificates.warm_up],
        event_handlers=[webhooks.handle_events],
        admin_links=[("institutions_admin.admin_index", _l("Institutions and managers")),
                     ("certificates.admin_index", _l("Certificates")),
                     ("jobs.admin_index", _l("Background jobs")),
                     ("sources.admin_index", _l("Course sources")),
                     ("sources.upload", _l("Upload a course")),
                     ("audit.admin_index", _l("Audit log")),
                     ("api_pages.admin", _l("API tokens"))],
        job_handlers={
            SEND_JOB: send_queued_mail,
            certificates.ISSUE_JOB: certificates.issue_pending,
            RECOMPUTE_JOB: quizzes.recompute_course,
            membership.NOTICES_JOB: membership.send_notices,
            sources.SYNC_JOB: sources.sync_source,
            personal_exports.EXPORT_JOB: personal_exports.build_export,
            webhooks.DELIVER_JOB: webhooks.deliver,
        },
        retention_rules=[
            api_retention.purge_idempotency_keys,
            institutions_retention.purge_import_previews,
            institutions_retention.purge_expired_invitations,
            jobs_retention.purge_sent_mail,
            jobs_retention.purge_finished_jobs,
            auth_retention.purge_sessions,
            auth_retention.purge_tokens,
            auth_retention.purge_signups,
            webhooks_retention.purge_old_deliveries,
            personal_retention.purge_expired_exports,
        ],
        doctor_checks=[
            doctor.check("Enrolments that meet completion but are not complete "
                         "(user course)", learning.completions_owed,
                         learning.recompute_completions),
            doctor.check("Enrolments whose count of completed modules is wrong "
                         "(user course kept actual)", learning.modules_done_drift,
                         learning.repair_modules_done),
            doctor.check("Enrolments whose quiz result is wrong (user course kept actual)",
                         quizzes.score_drift, quizzes.repair_scores),
            doctor.check("Cohort figures kept that differ from a count (cohort course)",
                         tallies.drift, tallies.rebuild),
            doctor.check("Completions without a certificate (user course)",
                         certificates.missing_certificates,
                         certificates.issue_missing_certificates),
        ],
    )
