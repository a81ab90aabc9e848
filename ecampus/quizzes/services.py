"""Quiz attempts: start, save, submit, time out; each owns its transaction.

Grading happens here on the server from the attempt's own snapshot of the answer key, so a
republished quiz never changes a graded attempt, and an open one finishes on its version.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from .. import events
from ..catalog.models import Module, ModuleText, ModuleVersion
from ..extensions import db
from ..learning import services as learning
from ..learning.models import Enrolment
from ..timeutil import utcnow
from . import attempts as logic
from .analysis import AttemptRow, analyse_items
from .grading import grade_attempt
from .models import GRADED, OPEN, Attempt


class QuizError(Exception):
    """A quiz action that cannot be done; the message is for the learner."""


class AttemptNotFound(QuizError):
    pass


class AttemptClosed(QuizError):
    pass


class AnswersToFix(QuizError):
    """Answers that cannot be graded (or saved) as sent; `answers` says why, per question."""

    def __init__(self, answers: logic.ReadAnswers, *, saved: bool) -> None:
        super().__init__(_("Some answers need correcting before they can be submitted."))
        self.answers = answers
        self.saved = saved


class UnansweredQuestions(QuizError):
    """Questions left blank at submit: the answers are saved and the learner asked to confirm;
    `question_ids` says which ones."""

    def __init__(self, answers: logic.ReadAnswers, question_ids: list[str]) -> None:
        super().__init__(_("Some questions are not answered yet."))
        self.answers = answers
        self.question_ids = question_ids


@dataclass(frozen=True)
class QuizStatus:
    """What the quiz page needs: settings, attempts so far, and what the learner may do."""

    settings: dict
    attempts: list[Attempt]
    open_attempt: Attempt | None
    result: tuple[float, bool] | None
    attempts_left: int | None
    passed_ever: bool


def _attempt_for(user_id: int, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        # Another learner's attempt is indistinguishable from a missing one.
        raise AttemptNotFound(_("This attempt does not exist."))
    return attempt


def _require_enrolment(user_id: int, module: Module) -> None:
    enrolment = learning.get_enrolment(user_id, module.course_id)
    if enrolment is None or not enrolment.active:
        raise QuizError(_("Enrol in the course to take its quizzes."))


def quiz_status(user_id: int, module: Module) -> QuizStatus:
    """The learner's attempts on a quiz and the result that counts, in one query."""
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user_id, Attempt.module_id == module.id)
        .order_by(Attempt.number)
    ))
    settings = module.current_version.quiz or {}
    open_attempt = next((a for a in attempts if a.is_open), None)
    graded = [(a.number, a.score, a.passed) for a in attempts if a.status == GRADED]
    max_attempts = settings.get("max_attempts")
    return QuizStatus(
        settings=settings, attempts=attempts, open_attempt=open_attempt,
        result=logic.result_for(settings.get("grading", "best"), graded),
        attempts_left=None if max_attempts is None else max(0, max_attempts - len(attempts)),
        passed_ever=any(passed for _, _, passed in graded),
    )


def start_attempt(user_id: int, module: Module, language: str) -> Attempt:
    """Start a new attempt on the quiz's current version, or return the one already open."""
    _require_enrolment(user_id, module)
    if module.kind != "quiz" or module.retired_at is not None:
        raise QuizError(_("This quiz is not available."))
    expire_overdue(user_id=user_id, module_id=module.id)
    status = quiz_status(user_id, module)
    if status.open_attempt is not None:
        return status.open_attempt
    if status.attempts_left == 0:
        raise QuizError(_("You have used all the attempts this quiz allows."))
    version = module.current_version
    settings = dict(version.quiz or {})
    text = _text(version.id, language, module.course.base_language)
    now = utcnow()
    limit = settings.get("time_limit_seconds")
    attempt = Attempt(
        user_id=user_id, module_id=module.id, version_id=version.id,
        number=len(status.attempts) + 1, language=text.language, status=OPEN,
        started_at=now, deadline=now + timedelta(seconds=limit) if limit else None,
        questions=logic.draw_questions(list(text.questions), pick=settings.get("pick"),
                                       shuffle=bool(settings.get("shuffle"))),
        settings=settings, responses={},
    )
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:
        # Two tabs pressed Start at once: the other request's attempt is the one.
        db.session.rollback()
        status = quiz_status(user_id, module)
        if status.open_attempt is None:
            raise
        return status.open_attempt
    return attempt


def _text(version_id: int, language: str, base_language: str) -> ModuleText:
    texts = {t.language: t for t in db.session.scalars(
        select(ModuleText).where(ModuleText.version_id == version_id))}
    return texts.get(language) or texts[base_language]


def get_attempt(user_id: int, attempt_id: int) -> Attempt:
    """The learner's own attempt; one past its deadline is graded first."""
    attempt = _attempt_for(user_id, attempt_id)
    if attempt.is_open and attempt.deadline is not None and attempt.deadline <= utcnow():
        _grade(attempt, attempt.responses or {}, submitted_at=attempt.deadline)
        attempt = _attempt_for(user_id, attempt_id)
    if attempt.is_open and not logic.has_tokens(attempt.questions):
        _add_form_tokens(attempt)
    return attempt


def _add_form_tokens(attempt: Attempt) -> None:
    """Give an attempt started before form tokens existed its tokens, once.

    The tokens are drawn from a generator seeded with a secret per attempt, so requests
    that upgrade the same attempt at the same time write the same snapshot.
    """
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    seed = hmac.new(secret, f"attempt-form:{attempt.id}".encode(), hashlib.sha256).digest()
    questions = logic.with_tokens(attempt.questions, random.Random(seed))
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == OPEN)
        .values(questions=questions))
    db.session.commit()
    db.session.refresh(attempt)


def save_answers(user_id: int, attempt_id: int, form: dict) -> Attempt:
    """Store the answers so far, even incomplete ones, to finish later.

    Refused after the deadline or once submitted; AnswersToFix when the form holds something
    no stored response can keep (a position not in the list, a control character).
    """
    attempt = _open_attempt(user_id, attempt_id)
    answers = logic.read_answers(attempt.questions, form)
    if not answers.storable:
        raise AnswersToFix(answers, saved=False)
    _store(attempt, answers.responses)
    return attempt


def submit_attempt(user_id: int, attempt_id: int, form: dict, *,
                   confirm_unanswered: bool = False) -> None:
    """Grade the attempt once, whatever the number of clicks or tabs, and record the result.

    Answers that cannot be graded as sent (an ordering with a position used twice, a number
    that is not one) are saved when they can be, and AnswersToFix says what to correct.
    Questions left blank are saved too, and UnansweredQuestions asks to confirm unless
    `confirm_unanswered` says the learner already did.
    """
    attempt = _open_attempt(user_id, attempt_id)
    answers = logic.read_answers(attempt.questions, form)
    if not answers.gradable:
        if answers.storable:
            _store(attempt, answers.responses)
        raise AnswersToFix(answers, saved=answers.storable)
    blank = logic.unanswered(attempt.questions, answers.responses)
    if blank and not confirm_unanswered:
        _store(attempt, answers.responses)
        raise UnansweredQuestions(answers, blank)
    _grade(attempt, answers.responses, submitted_at=utcnow())


def _store(attempt: Attempt, responses: dict) -> None:
    changed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == OPEN)
        .values(responses=responses)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise AttemptClosed(_("This attempt is already submitted."))
    db.session.commit()


def _open_attempt(user_id: int, attempt_id: int) -> Attempt:
    attempt = get_attempt(user_id, attempt_id)
    if not attempt.is_open:
        raise AttemptClosed(_("This attempt is already submitted."))
    if attempt.deadline is not None and utcnow() > attempt.deadline:
        raise AttemptClosed(_("The time limit has passed; answers can no longer be changed."))
    return attempt


def _grade(attempt: Attempt, responses: dict, *, submitted_at) -> bool:
    """Grade and close the attempt if it is still open; False if another request did."""
    result = grade_attempt(attempt.questions, responses, attempt.settings.get("pass_mark", 70))
    graded = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == OPEN).values(
            status=GRADED, responses=responses, submitted_at=submitted_at,
            score=result.score_percent, passed=result.passed,
            question_scores=result.question_scores,
        )
    ).rowcount == 1
    if graded:
        module = db.session.get(Module, attempt.module_id)
        # The enrolment is locked before its result is computed from the attempts: another
        # quiz of the course graded at the same moment then commits first, and the result
        # counts both (each statement after the lock sees what was committed before it).
        enrolment = learning.lock_enrolment(attempt.user_id, module.course_id)
        learning.touch_enrolment(attempt.user_id, module.course_id,
                                 quiz_score=enrolment_score())
        events.emit(events.QUIZ_GRADED, {
            "user_id": attempt.user_id, "course_id": module.course_id, "module_id": module.id,
            "attempt_id": attempt.id, "score": result.score_percent, "passed": result.passed})
    if graded and result.passed:
        # One commit: the grade, the module, the course if it was the last module, and the
        # course's completion handlers (the certificate). Left the course or module retired
        # since: the pass is still recorded on the attempt.
        with contextlib.suppress(learning.LearningError):
            learning.record_completion(attempt.user_id, module, enrolment=enrolment)
    db.session.commit()
    return graded


def expire_overdue(*, user_id: int | None = None, module_id: int | None = None) -> int:
    """Grade every open attempt past its deadline with what was saved; returns how many."""
    statement = select(Attempt).where(Attempt.status == OPEN, Attempt.deadline <= utcnow())
    if user_id is not None:
        statement = statement.where(Attempt.user_id == user_id)
    if module_id is not None:
        statement = statement.where(Attempt.module_id == module_id)
    count = 0
    for attempt in db.session.scalars(statement).all():
        count += _grade(attempt, attempt.responses or {}, submitted_at=attempt.deadline)
    return count



def item_analysis(module: Module, version_number: int | None = None):
    """Item analysis of one version of a quiz (the current one by default), in one pass.

    Attempts are streamed from a single query; nothing is queried per question.
    """
    versions = list(db.session.scalars(
        select(ModuleVersion).where(ModuleVersion.module_id == module.id)
        .order_by(ModuleVersion.number)))
    version = next((v for v in versions if v.number == version_number), None) \
        if version_number is not None else module.current_version
    if version is None:
        raise QuizError(_("This quiz has no such version."))
    keys = list(_text(version.id, module.course.base_language,
                      module.course.base_language).questions)
    rows = db.session.execute(
        select(Attempt.id, Attempt.question_scores, Attempt.responses)
        .where(Attempt.version_id == version.id, Attempt.status == GRADED)
        .execution_options(yield_per=1000)
    )
    analysis = analyse_items(keys, (AttemptRow(r.id, r.question_scores or {}, r.responses or {})
                                    for r in rows))
    return version, versions, keys, analysis


def course_results_query(course_ids, user_ids):
    """`course_results` as a subquery (user_id, course_id, score, passed), for a report to
    join in SQL; `course_ids` and `user_ids` may be SELECTs."""
    best = (
        select(Attempt.user_id, Module.course_id, func.max(Attempt.score).label("best"),
               func.max(case((Attempt.passed.is_(True), 1), else_=0)).label("passed"))
        .join(Module, Module.id == Attempt.module_id)
        .where(Module.course_id.in_(course_ids), Module.retired_at.is_(None),
               Attempt.status == GRADED, Attempt.user_id.in_(user_ids))
        .group_by(Attempt.user_id, Module.course_id, Attempt.module_id)
        .subquery())
    quizzes = (select(Module.course_id, func.count(Module.id).label("quizzes"))
               .where(Module.course_id.in_(course_ids), Module.kind == "quiz",
                      Module.retired_at.is_(None))
               .group_by(Module.course_id).subquery())
    taken = func.count()
    live = func.max(quizzes.c.quizzes)
    return (select(best.c.user_id, best.c.course_id,
                   (func.sum(best.c.best) / func.coalesce(live, taken)).label("score"),
                   case((and_(taken == func.coalesce(live, 0), func.min(best.c.passed) == 1),
                         1), else_=0).label("passed"))
            .outerjoin(quizzes, quizzes.c.course_id == best.c.course_id)
            .group_by(best.c.user_id, best.c.course_id).subquery("quiz_results"))


def enrolment_score():
    """SQL, correlated to an `Enrolment` row: its learner's quiz result in its course, what
    `course_results` gives for that pair (the mean over the live quizzes of the best graded
    score; NULL before any graded attempt at a live quiz). The enrolment keeps it in
    `quiz_score`: set when an attempt is graded, and by `rescore` when a republish or an
    account merge changes what it is made of."""
    module = aliased(Module)
    best = (select(func.max(Attempt.score))
            .where(Attempt.user_id == Enrolment.user_id, Attempt.module_id == module.id,
                   Attempt.status == GRADED).correlate(Enrolment, module).scalar_subquery())
    live_quizzes = func.nullif(func.count(case((module.kind == "quiz", 1))), 0)
    return (select(func.sum(best) / func.coalesce(live_quizzes, func.count(best)))
            .where(module.course_id == Enrolment.course_id, module.retired_at.is_(None))
            .correlate(Enrolment).scalar_subquery())


def rescore(*, course_id: int | None = None, user_id: int | None = None) -> int:
    """Bring the kept quiz results of enrolments (of one course, one learner, or all) in line
    with their attempts, in one UPDATE, e.g. after a republish retired or added a quiz or a
    merge brought another account's attempts; the caller commits. How many changed.

    The rows are locked first, as a grade locks its enrolment: on PostgreSQL's read
    committed, an UPDATE that waited for a grade's row would otherwise write a result
    computed without that grade."""
    learning.lock_enrolments(course_id=course_id, user_id=user_id)
    actual = enrolment_score()
    statement = update(Enrolment).where(
        Enrolment.quiz_score.is_distinct_from(actual),
        learning.enrolments_where(course_id=course_id, user_id=user_id))
    return db.session.execute(statement.values(quiz_score=actual)
                              .execution_options(synchronize_session=False)).rowcount


def score_drift(course_id: int | None = None) -> list[tuple[int, int, float | None, float | None]]:
    """(user_id, course_id, kept, actual) of every enrolment whose kept quiz result differs
    from its attempts: what `repair_scores` repairs (and `ecampus doctor` lists)."""
    actual = enrolment_score()
    statement = (select(Enrolment.user_id, Enrolment.course_id, Enrolment.quiz_score, actual)
                 .where(Enrolment.quiz_score.is_distinct_from(actual),
                        learning.enrolments_where(course_id=course_id)))
    return [tuple(row) for row in db.session.execute(statement.order_by(Enrolment.id))]


def repair_scores() -> int:
    """`ecampus doctor --fix`: set every drifted quiz result again, in one commit."""
    changed = rescore()
    db.session.commit()
    return changed


def recompute_course(course_id: int) -> None:
    """RECOMPUTE_JOB, queued by publishing a changed course: its enrolments' quiz results
    (a quiz retired or added changes them), then learning's counts and completions."""
    rescore(course_id=course_id)
    db.session.commit()
    learning.recompute_completions(course_id)


def has_result(user_id, course_id):
    """SQL condition: the learner has a graded attempt at a live quiz of the course (what
    gives them a line in `course_results`); the arguments are columns of the caller's query."""
    return exists().where(Attempt.user_id == user_id, Attempt.status == GRADED,
                          Module.id == Attempt.module_id, Module.course_id == course_id,
                          Module.retired_at.is_(None))


def course_results(course_ids: list[int], user_ids) -> dict[tuple[int, int], tuple[float, bool]]:
    """Each learner's quiz result per course, in one aggregate query.

    Per quiz the best graded score counts; a course's result is the mean of its live quizzes'
    best scores, passed when every live quiz was passed. `user_ids` may be a SELECT.
    """
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Attempt.user_id, Module.course_id, Attempt.module_id,
               func.max(Attempt.score), func.max(case((Attempt.passed.is_(True), 1), else_=0)))
        .join(Module, Module.id == Attempt.module_id)
        .where(Module.course_id.in_(course_ids), Module.retired_at.is_(None),
               Attempt.status == GRADED, Attempt.user_id.in_(user_ids))
        .group_by(Attempt.user_id, Module.course_id, Attempt.module_id)
    ).all()
    quiz_counts = dict(db.session.execute(
        select(Module.course_id, func.count(Module.id))
        .where(Module.course_id.in_(course_ids), Module.kind == "quiz",
               Module.retired_at.is_(None))
        .group_by(Module.course_id)
    ).all())
    per_learner: dict[tuple[int, int], list[tuple[float, int]]] = {}
    for user_id, course_id, _module_id, best, passed in rows:
        per_learner.setdefault((user_id, course_id), []).append((best, passed))
    return {
        key: (sum(s for s, _ in scores) / quiz_counts.get(key[1], len(scores)),
              len(scores) == quiz_counts.get(key[1], 0) and all(p for _, p in scores))
        for key, scores in per_learner.items()
    }


def attempts_of(user_id: int) -> list[Attempt]:
    """Every quiz attempt of an account with its quiz and course, newest first (the
    administrators' account page)."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user_id)
        .options(selectinload(Attempt.module).selectinload(Module.course),
                 selectinload(Attempt.version))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())))
