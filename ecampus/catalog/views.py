"""Catalog, course and lesson pages, and course files; stable URLs for links and QR codes."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..requests import page_arg
from ..security import roles_required
from . import fragments, services
from . import history as publish_history
from .panels import collect_panels

bp = Blueprint("catalog", __name__, url_prefix="/courses", template_folder="templates")

FILE_CACHE_SECONDS = 31_536_000
#: Raster images shown inside lessons; anything else is offered as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})


def _course_or_404(slug: str):
    try:
        return services.get_course(slug, reader=current_user)
    except services.CourseNotFound:
        abort(404)


def _language_for(course) -> str:
    """Reading language: ?lang=, else the reader's last choice for this course, else theirs."""
    remembered = session.get("course_lang", {})
    language = services.reading_language(
        course, request.args.get("lang") or remembered.get(course.slug), str(get_locale())
    )
    if request.args.get("lang") == language and remembered.get(course.slug) != language:
        session["course_lang"] = {**remembered, course.slug: language}
    return language


@bp.route("/")
def index():
    query = request.args.get("q", "").strip()[:200]
    language = request.args.get("lang", "")
    if language not in current_app.config["LANGUAGES"]:
        language = ""
    courses = services.catalog_courses(query, language, reader=current_user)
    locale = str(get_locale())
    cards = [fragments.course_card(course, services.reading_language(course, language, locale))
             for course in courses]
    return render_template("catalog/index.html", courses=courses, cards=cards, query=query,
                           language=language)


@bp.route("/<slug>/")
def course(slug: str):
    item = _course_or_404(slug)
    if item.is_retired:
        return render_template("catalog/retired.html", course=item,
                               text=item.text(str(get_locale())))
    language = _language_for(item)
    modules = services.module_entries(item, language)
    panels, marks = collect_panels(page="course", course=item, modules=modules, module=None)
    text = item.text(language)
    return render_template("catalog/course.html", course=item, text=text, language=language,
                           panels=panels, parts=fragments.course_parts(item, language, text),
                           module_list=fragments.module_list(item, modules, language,
                                                             marks=marks),
                           can_author=services.can_author(current_user, item))


#: What became of a publish attempt, and what started it, as the history page says it.
OUTCOME_LABELS = {
    publish_history.PUBLISHED: _l("Published"), publish_history.UNCHANGED: _l("Unchanged"),
    publish_history.REFUSED: _l("Refused: the checker found errors"),
    publish_history.FAILED: _l("Failed"), publish_history.RETIRED: _l("Retired"),
}
SOURCE_LABELS = {"cli": _l("Command line"), "upload": _l("Upload"), "git": _l("Git"),
                 "preview": _l("Preview")}


@bp.route("/<slug>/history")
@roles_required("author")
def history(slug: str):
    # A refused new course has records but no course yet: only admins see those.
    try:
        item = services.get_course(slug, include_drafts=True)
    except services.CourseNotFound:
        item = None
    if item is None and not current_user.has_role("admin"):
        abort(404)
    if item is not None and not services.can_author(current_user, item):
        abort(404)
    page = page_arg()
    records, total = publish_history.history(slug, page=page)
    if item is None and not total:
        abort(404)
    return render_template("catalog/history.html", course=item, slug=slug, records=records,
                           total=total, page=page, page_size=publish_history.HISTORY_PAGE_SIZE,
                           outcome_labels=OUTCOME_LABELS, source_labels=SOURCE_LABELS,
                           title=item.text(str(get_locale())).title if item else slug)


@bp.route("/<slug>/<module_slug>/")
def module(slug: str, module_slug: str):
    item = _course_or_404(slug)
    if item.is_retired:
        return render_template("catalog/retired.html", course=item,
                               text=item.text(str(get_locale())))
    language = _language_for(item)
    modules = services.module_entries(item, language)
    index = next((i for i, m in enumerate(modules) if m.slug == module_slug), None)
    if index is None:
        abort(404)
    entry = modules[index]
    text = services.module_text(entry.version_id, language, item.base_language)
    panels, marks = collect_panels(page="module", course=item, modules=modules, module=entry)
    course_text = item.text(language)
    parts = fragments.lesson_parts(
        item, language, course_text, entry, text,
        modules[index - 1] if index > 0 else None,
        modules[index + 1] if index + 1 < len(modules) else None,
    )
    return render_template(
        "catalog/module.html", course=item, course_text=course_text, language=language,
        entry=entry, text=text, panels=panels, parts=parts,
        module_list=fragments.module_list(item, modules, language, current=entry.slug,
                                          marks=marks),
    )


@bp.route("/<slug>/files/<digest>/<path:relpath>")
def course_file(slug: str, digest: str, relpath: str):
    # A file is seen by those who may read the course's lessons: a draft's by authors only,
    # a retired course's by nobody (its pages only say it is retired).
    item = _course_or_404(slug)
    if item.is_retired:
        abort(404)
    found = services.course_file(slug, digest, relpath)
    if found is None:
        abort(404)
    data, mimetype = found
    response = current_app.response_class(data, mimetype=mimetype)
    # A shared cache must not hand a draft's file to someone who may not see the draft.
    if item.is_draft:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = FILE_CACHE_SECONDS
    response.cache_control.immutable = True
    if mimetype not in INLINE_TYPES:
        response.headers["Content-Disposition"] = "attachment"
    # An author's file is never a page: no script runs in it, even an SVG opened directly.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
