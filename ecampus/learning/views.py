"""Enrol, leave, mark as done, continue, and the dashboard; plus panels on catalog pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..catalog import services as catalog
from ..catalog.models import Module
from ..catalog.panels import Panel
from ..extensions import db
from ..i18n import percent
from ..security import require_valid_form
from . import reader, services

bp = Blueprint("learning", __name__, url_prefix="/learning", template_folder="templates")


def _live_course(slug: str):
    try:
        course = catalog.get_course(slug, reader=current_user)
    except catalog.CourseNotFound:
        abort(404)
    if course.is_retired:
        abort(404)
    return course


@bp.route("/")
@login_required
def dashboard():
    in_progress, completed = reader.dashboard(current_user.id, str(get_locale()))
    extras: dict[int, list[Panel]] = {}
    for function in current_app.extensions["ecampus.features"].dashboard_panels:
        for course_id, panel in function(current_user.id, in_progress + completed).items():
            extras.setdefault(course_id, []).append(panel)
    return render_template("learning/dashboard.html", in_progress=in_progress,
                           completed=completed, extras=extras)


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@login_required
def enrol(slug: str):
    require_valid_form()
    course = _live_course(slug)
    try:
        services.enrol(current_user.id, course)
    except services.LearningError as error:
        flash(str(error), "error")
    else:
        flash(_("You are enrolled. Your progress is saved as you go."), "success")
    return redirect(url_for("catalog.course", slug=slug))


@bp.route("/courses/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str):
    require_valid_form()
    services.leave(current_user.id, _live_course(slug))
    flash(_("You have left the course. Your progress is kept if you come back."), "success")
    return redirect(url_for("catalog.course", slug=slug))


@bp.route("/courses/<slug>/<module_slug>/done", methods=["POST"])
@login_required
def mark_done(slug: str, module_slug: str):
    require_valid_form()
    course = _live_course(slug)
    module = db.session.scalar(db.select(Module).where(Module.course_id == course.id,
                                                       Module.slug == module_slug))
    if module is None:
        abort(404)
    user_id = current_user.id  # read before the commit expires the account
    try:
        progress = services.mark_done(user_id, module)
    except services.LearningError as error:
        flash(str(error), "error")
        return redirect(url_for("catalog.module", slug=slug, module_slug=module_slug))
    if progress.complete:
        flash(_("Congratulations: you have completed this course."), "success")
    else:
        flash(_("Marked as done. Course progress: %(percent)s.",
                percent=percent(progress.percent, 0)), "success")
    modules = catalog.module_entries(course, course.base_language)
    done = services.completed_module_ids(user_id, course.id)
    following = services.continue_slug(modules, done, None)
    if following:
        return redirect(url_for("catalog.module", slug=slug, module_slug=following))
    return redirect(url_for("catalog.course", slug=slug))


@bp.route("/courses/<slug>/continue")
@login_required
def continue_course(slug: str):
    course = _live_course(slug)
    enrolment = services.get_enrolment(current_user.id, course.id)
    modules = catalog.module_entries(course, course.base_language)
    done = services.completed_module_ids(current_user.id, course.id)
    target = services.continue_slug(modules, done, enrolment.last_module_id if enrolment else None)
    if target is None:
        return redirect(url_for("catalog.course", slug=slug))
    return redirect(url_for("catalog.module", slug=slug, module_slug=target))


def learning_panel(*, page: str, course, modules, module) -> Panel | None:
    """Enrolment and progress on the course page; 'mark as done' on lesson pages."""
    if not current_user.is_authenticated:
        return Panel("learning/_anonymous.html", slot="course") if page == "course" else None
    state = reader.reader_state(current_user.id, course.id)
    enrolment, enrolled, done = state.enrolment, state.enrolled, state.done
    marks = dict.fromkeys(done, "done")
    required = [m for m in modules if m.required]
    progress = services.Progress(sum(m.id in done for m in required), len(required),
                                 enrolment.completed_at if enrolment else None)
    if page == "course":
        target = (services.continue_slug(modules, done, enrolment.last_module_id)
                  if enrolled else None)
        return Panel("learning/_course_panel.html", {
            "enrolment": enrolment, "enrolled": enrolled, "progress": progress,
            "continue_slug": target,
        }, slot="course", marks=marks)
    if enrolled and enrolment.last_module_id != module.id:
        services.record_visit(current_user.id, course.id, module.id)
    return Panel("learning/_module_panel.html", {
        "enrolled": enrolled, "done": module.id in done, "progress": progress,
    }, slot="module", marks=marks)

