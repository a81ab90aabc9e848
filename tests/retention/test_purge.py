"""`ecampus purge`: each kind of row goes once older than its period and not before; the
purge runs in bounded batches, each recorded in the audit log by its count."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ecampus import retention
from ecampus.audit.models import AuditEntry
from ecampus.auth.models import AccountToken, SignupRequest, UserSession
from ecampus.extensions import db
from ecampus.features import features
from ecampus.institutions.models import CohortImport, CohortInvitation, CohortMember
from ecampus.jobs.models import DONE, FAILED, QUEUED, SENT, Job, MailMessage
from ecampus.timeutil import utcnow

DAY = timedelta(days=1)


def _token() -> str:
    return secrets.token_hex(32)


def _remaining(model, column) -> set:
    return set(db.session.scalars(select(column)))


def _run(label: str) -> int:
    results = dict(retention.run_rules(dry_run=False))
    return results[label]


def test_ended_and_unused_sessions_go_after_their_period(ctx, learner):
    now = utcnow()
    db.session.add_all([
        UserSession(user_id=learner.id, token_hash=_token(), user_agent="ended-old",
                    last_seen_at=now - 100 * DAY, ended_at=now - 91 * DAY),
        UserSession(user_id=learner.id, token_hash=_token(), user_agent="ended-recently",
                    last_seen_at=now - 10 * DAY, ended_at=now - 10 * DAY),
        UserSession(user_id=learner.id, token_hash=_token(), user_agent="unused-old",
                    last_seen_at=now - 91 * DAY),
        UserSession(user_id=learner.id, token_hash=_token(), user_agent="live",
                    last_seen_at=now - DAY),
    ])
    db.session.commit()
    assert _run("user_sessions") == 2
    assert _remaining(UserSession, UserSession.user_agent) == {"ended-recently", "live"}


def test_used_and_expired_account_tokens_go_after_their_period(ctx, learner):
    now = utcnow()
    rows = {"used-old": dict(used_at=now - 31 * DAY, expires_at=now + DAY),
            "expired-old": dict(expires_at=now - 31 * DAY),
            "used-recently": dict(used_at=now - 5 * DAY, expires_at=now - 5 * DAY),
            "open": dict(expires_at=now + 10 * DAY)}
    for purpose, fields in rows.items():
        db.session.add(AccountToken(user_id=learner.id, purpose=purpose[:16],
                                    token_hash=_token(), **fields))
    db.session.commit()
    assert _run("account_tokens") == 2
    assert _remaining(AccountToken, AccountToken.purpose) == {"used-recently", "open"}


def test_confirmed_and_expired_signups_go_after_their_period(ctx):
    now = utcnow()
    for name, fields in {"expired-old": dict(expires_at=now - 8 * DAY),
                         "confirmed-old": dict(expires_at=now - 6 * DAY, used_at=now - 8 * DAY),
                         "confirmed-recently": dict(expires_at=now + DAY, used_at=now - DAY),
                         "waiting": dict(expires_at=now + DAY)}.items():
        db.session.add(SignupRequest(email=f"{name}@example.org", full_name=name,
                                     password_hash="x", token_hash=_token(), **fields))
    db.session.commit()
    assert _run("signup_requests") == 2
    assert _remaining(SignupRequest, SignupRequest.full_name) == {"confirmed-recently",
                                                                  "waiting"}


def test_sent_mail_goes_after_its_period_and_unsent_mail_stays(ctx):
    now = utcnow()
    for subject, fields in {"sent-old": dict(status=SENT, sent_at=now - 31 * DAY),
                            "sent-recently": dict(status=SENT, sent_at=now - 29 * DAY),
                            "queued-old": dict(status=QUEUED, created_at=now - 90 * DAY),
                            "failed-old": dict(status=FAILED, created_at=now - 90 * DAY)
                            }.items():
        db.session.add(MailMessage(message_id=f"<{subject}@x>", recipient="a@example.org",
                                   subject=subject, body="", **fields))
    db.session.commit()
    assert _run("sent_mail") == 1
    assert _remaining(MailMessage, MailMessage.subject) == {"sent-recently", "queued-old",
                                                            "failed-old"}


def test_done_jobs_go_after_their_period_and_failed_ones_stay(ctx):
    now = utcnow()
    for kind, fields in {"done-old": dict(status=DONE, finished_at=now - 31 * DAY),
                         "done-recently": dict(status=DONE, finished_at=now - DAY),
                         "failed-old": dict(status=FAILED, finished_at=now - 90 * DAY),
                         "queued-old": dict(status=QUEUED, created_at=now - 90 * DAY)
                         }.items():
        db.session.add(Job(kind=kind, **fields))
    db.session.commit()
    assert _run("finished_jobs") == 1
    assert _remaining(Job, Job.kind) == {"done-recently", "failed-old", "queued-old"}


def test_unapplied_import_previews_go_after_their_period(ctx, cohort):
    now = utcnow()
    for name, fields in {"abandoned": dict(created_at=now - 8 * DAY),
                         "recent": dict(created_at=now - DAY),
                         "applied": dict(created_at=now - 90 * DAY,
                                         applied_at=now - 90 * DAY)}.items():
        db.session.add(CohortImport(cohort_id=cohort, filename=name, sha256="0" * 64,
                                    encoding="utf-8", **fields))
    db.session.commit()
    assert _run("csv_import_previews") == 1
    assert _remaining(CohortImport, CohortImport.filename) == {"recent", "applied"}


def test_expired_invitations_of_outsiders_go_and_waiting_members_stay(ctx, cohort,
                                                                      make_user):
    now = utcnow()
    people = {name: make_user("learner") for name in ("old", "recent", "waiting-member")}
    for name, expires in {"old": now - 31 * DAY, "recent": now - DAY,
                          "waiting-member": now - 90 * DAY}.items():
        db.session.add(CohortInvitation(cohort_id=cohort, user_id=people[name].id,
                                        full_name=name, token_hash=_token(),
                                        expires_at=expires))
    db.session.add(CohortMember(cohort_id=cohort, user_id=people["waiting-member"].id))
    db.session.commit()
    assert _run("cohort_invitations") == 1
    assert _remaining(CohortInvitation, CohortInvitation.full_name) == {"recent",
                                                                        "waiting-member"}


def test_periods_are_settings(ctx, monkeypatch):
    now = utcnow()
    db.session.add(Job(kind="done", status=DONE, finished_at=now - 3 * DAY))
    db.session.commit()
    assert _run("finished_jobs") == 0
    monkeypatch.setitem(ctx.config, "RETENTION_JOB_DAYS", 2)
    assert _run("finished_jobs") == 1


def test_a_dry_run_counts_and_deletes_nothing(ctx, runner):
    db.session.add(Job(kind="done", status=DONE, finished_at=utcnow() - 40 * DAY))
    db.session.commit()
    result = runner.invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "finished_jobs: 1 would be deleted" in result.output
    assert "sent_mail: 0 would be deleted" in result.output
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_the_command_deletes_and_says_how_many(ctx, runner):
    db.session.add(Job(kind="done", status=DONE, finished_at=utcnow() - 40 * DAY))
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "finished_jobs: 1 deleted" in result.output and "1 row(s) deleted in all." in \
        result.output
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_each_batch_is_committed_with_an_audit_entry_of_its_count(ctx, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    old = utcnow() - 40 * DAY
    db.session.add_all([Job(kind=f"done-{n}", status=DONE, finished_at=old) for n in range(5)])
    db.session.commit()
    assert _run("finished_jobs") == 5
    logged = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.target_id, e.after) for e in logged] == [
        ("retention.purged", "jobs", {"kind": "finished_jobs", "count": count})
        for count in (2, 2, 1)]
    assert all(e.actor_id is None for e in logged)


def test_nothing_to_purge_writes_no_audit_entry(ctx):
    assert sum(count for _label, count in retention.run_rules(dry_run=False)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("label", ["csv_import_previews", "sent_mail", "user_sessions",
                                   "account_tokens", "signup_requests", "finished_jobs",
                                   "cohort_invitations"])
def test_every_rule_is_registered(ctx, label):
    labels = [rule(utcnow(), True)[0] for rule in features().retention_rules]
    assert label in labels
