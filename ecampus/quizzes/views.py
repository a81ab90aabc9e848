"""Quiz pages: start, answer (save or submit), result and review; no JavaScript needed."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..catalog import services as catalog
from ..catalog.models import Module
from ..catalog.panels import Panel
from ..extensions import db
from ..i18n import count as whole_number
from ..i18n import ngettext
from ..requests import id_arg
from ..security import require_valid_form, roles_required
from ..timeutil import utcnow
from . import services
from .analysis import to_csv_rows
from .attempts import (
    CONTROL_CHARACTER,
    NOT_A_NUMBER,
    POSITION_INVALID,
    POSITION_MISSING,
    POSITION_REPEATED,
    POSITION_UNUSED,
    TOO_LONG,
    AnswerProblem,
    ReadAnswers,
    public_view,
    review_allowed,
)

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes", template_folder="templates")


def _quiz_module(module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or module.kind != "quiz":
        abort(404)
    return module


def _authored_quiz_module(module_id: int) -> Module:
    """A quiz module of a course the signed-in author owns; any other is not found."""
    module = _quiz_module(module_id)
    if not catalog.can_author(current_user, module.course):
        abort(404)
    return module


def _attempt_or_404(attempt_id: int):
    try:
        return services.get_attempt(current_user.id, attempt_id)
    except services.AttemptNotFound:
        abort(404)


def _module_url(module: Module) -> str:
    return url_for("catalog.module", slug=module.course.slug, module_slug=module.slug)


@bp.route("/<int:module_id>/start", methods=["POST"])
@login_required
def start(module_id: int):
    require_valid_form()
    module = _quiz_module(module_id)
    language = request.form.get("language", "") or module.course.base_language
    try:
        attempt = services.start_attempt(current_user.id, module, language)
    except services.QuizError as error:
        flash(str(error), "error")
        return redirect(_module_url(module))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    item = _attempt_or_404(attempt_id)
    if request.method == "POST":
        require_valid_form()
        form = request.form.to_dict(flat=False)
        action = request.form.get("action")
        submitting = action in ("submit", "submit-anyway")
        try:
            if submitting:
                services.submit_attempt(current_user.id, attempt_id, form,
                                        confirm_unanswered=action == "submit-anyway")
            else:
                services.save_answers(current_user.id, attempt_id, form)
        except services.AnswersToFix as error:
            return _attempt_page(item, error.answers, saved=error.saved), 400
        except services.UnansweredQuestions as error:
            return _attempt_page(item, error.answers, unanswered=error.question_ids)
        except services.QuizError as error:
            flash(str(error), "error")
            return redirect(url_for("quizzes.result", attempt_id=attempt_id)), 303
        if submitting:
            return redirect(url_for("quizzes.result", attempt_id=attempt_id)), 303
        flash(_("Your answers are saved. You can come back and finish later."), "success")
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id)), 303
    if not item.is_open:
        return redirect(url_for("quizzes.result", attempt_id=attempt_id))
    return _attempt_page(item, ReadAnswers(responses=item.responses or {}))


def _attempt_page(item, answers: ReadAnswers, *, saved: bool = False,
                  unanswered: list[str] | None = None) -> str:
    """The answering page, with `answers` filled in and what is wrong with them, if anything;
    with `unanswered`, it names the questions left blank and asks to confirm submitting."""
    questions = []
    for number, question in enumerate(item.questions, start=1):
        problems = answers.problems.get(question["id"], [])
        view = public_view(question, answers.responses.get(question["id"]), problems)
        view["number"] = number
        view["unanswered"] = question["id"] in (unanswered or ())
        view["errors"] = [_problem_message(p) for p in problems]
        questions.append(view)
    return render_template(
        "quizzes/attempt.html", attempt=item, module=item.module, questions=questions,
        unknown_fields=bool(answers.unknown_fields), saved=saved,
        confirm_unanswered=bool(unanswered),
        has_errors=bool(answers.unknown_fields or answers.problems),
        seconds_left=item.seconds_left(utcnow()),
    )


def _problem_message(problem: AnswerProblem) -> str:
    positions = ", ".join(str(p) for p in problem.positions)
    count = len(problem.positions)
    if problem.code == POSITION_REPEATED:
        return ngettext("Position %(positions)s is given to more than one item.",
                        "Positions %(positions)s are each given to more than one item.",
                        count, positions=positions)
    if problem.code == POSITION_UNUSED:
        return ngettext("Position %(positions)s is not used.",
                        "Positions %(positions)s are not used.", count, positions=positions)
    if problem.code == POSITION_MISSING:
        return ngettext("%(num)s item has no position.", "%(num)s items have no position.",
                        problem.count)
    if problem.code == POSITION_INVALID:
        return _("Choose each position from the list, from 1 to %(n)d.", n=problem.count)
    if problem.code == NOT_A_NUMBER:
        return _("Write a number in plain digits, such as 3.6 or 3,6, without units.")
    if problem.code == CONTROL_CHARACTER:
        return _("This answer contains a control character that cannot be saved; it has "
                 "been removed below. Check the answer and send it again.")
    if problem.code == TOO_LONG:
        return _("This answer is longer than %(num)s characters; only the first %(num)s "
                 "are kept below.", num=whole_number(problem.count))
    return _("This answer cannot be read.")


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    item = _attempt_or_404(attempt_id)
    if item.is_open:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    status = services.quiz_status(current_user.id, item.module)
    show_review = review_allowed(item.settings.get("review", "after_submit"),
                                 passed_ever=status.passed_ever)
    return render_template("quizzes/result.html", attempt=item, module=item.module,
                           status=status, show_review=show_review)


def quiz_panel(*, page: str, course, modules, module) -> Panel | None:
    """On a quiz module's page: settings, the learner's attempts and the start button."""
    if page != "module" or module.kind != "quiz":
        return None
    row = db.session.get(Module, module.id)
    status = services.quiz_status(current_user.id, row) if current_user.is_authenticated else None
    return Panel("quizzes/_panel.html", {"status": status, "module_row": row,
                                         "settings": row.current_version.quiz or {},
                                         "can_analyse": catalog.can_author(current_user,
                                                                           course)},
                 slot="module")



@bp.route("/<int:module_id>/analysis")
@roles_required("author")
def analysis(module_id: int):
    module = _authored_quiz_module(module_id)
    try:
        version, versions, keys, stats = services.item_analysis(
            module, id_arg("version"))
    except services.QuizError:
        abort(404)
    prompts = {k["id"]: k["prompt_html"] for k in keys}
    return render_template("quizzes/analysis.html", module=module, version=version,
                           versions=versions, stats=stats, prompts=prompts)


@bp.route("/<int:module_id>/analysis.csv")
@roles_required("author")
def analysis_csv(module_id: int):
    module = _authored_quiz_module(module_id)
    try:
        version, _versions, _keys, stats = services.item_analysis(
            module, id_arg("version"))
    except services.QuizError:
        abort(404)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(to_csv_rows(stats))
    filename = f"{module.course.slug}-{module.slug}-v{version.number}-item-analysis.csv"
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
