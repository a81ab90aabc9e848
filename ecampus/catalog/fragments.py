"""HTML of course and lesson pages that is the same for every reader, drawn once.

A published course only changes when it is published again, which bumps its version, so
the parts of its pages that depend only on the course version, the module, the reading
language and the interface language are rendered once per worker and reused: headings,
facts, the pager and the module list. The key holds the course's version, content hash and
retirement as read from the database on this request, so a publish on any node is seen on
the next request everywhere. Nothing personal is ever drawn here: the reader's marks on the
module list are added per request (`module_list`), and panels, forms with CSRF tokens and
the header stay in the page's own template.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup

from .services import FRAGMENTS_EXTENSION, CourseSnapshot, ModuleEntry, _Snapshots

#: Fragments of a worker's app: a few per module and language, small strings.
FRAGMENT_CACHE_SIZE = 4096
PARTS = "catalog/_parts.html"


def _cache() -> _Snapshots:
    # One cache per app: tests and the live preview build several apps in one process.
    cache = current_app.extensions.get(FRAGMENTS_EXTENSION)
    if cache is None:
        cache = current_app.extensions[FRAGMENTS_EXTENSION] = _Snapshots(FRAGMENT_CACHE_SIZE)
    return cache


def course_key(course: CourseSnapshot) -> tuple:
    """What identifies one published state of a course on every node."""
    return (course.id, course.version, course.content_hash, course.retired_at)


def _cached(key: Hashable, draw: Callable[[], Any]) -> Any:
    return _cache().get((*key, str(get_locale()), request.script_root), draw)


def _macros(**context: Any):
    """The macros of catalog/_parts.html, bound to `context` and the app's usual globals."""
    template = current_app.jinja_env.get_template(PARTS)
    current_app.update_template_context(context)
    return template.make_module(context)


def lesson_parts(course: CourseSnapshot, language: str, course_text, entry: ModuleEntry,
                 text, previous: ModuleEntry | None, following: ModuleEntry | None
                 ) -> dict[str, Markup]:
    """The breadcrumb, heading and pager of a lesson page."""

    def draw() -> dict[str, Markup]:
        macros = _macros(course=course, language=language, course_text=course_text,
                         entry=entry, text=text, previous=previous, next=following)
        return {"breadcrumb": macros.breadcrumb(), "heading": macros.lesson_heading(),
                "pager": macros.pager()}

    return _cached(("lesson", *course_key(course), language, entry.slug, entry.version_id),
                   draw)


def course_parts(course: CourseSnapshot, language: str, text) -> dict[str, Markup]:
    """The heading (with the draft notice), languages and facts of a course page."""

    def draw() -> dict[str, Markup]:
        macros = _macros(course=course, language=language, text=text)
        return {"heading": macros.course_heading(), "facts": macros.course_facts()}

    return _cached(("course", *course_key(course), language), draw)


def module_list(course: CourseSnapshot, modules: list[ModuleEntry], language: str, *,
                current: str | None = None, marks: dict[int, str] | None = None) -> Markup:
    """The module list of a course, with the reader's marks and the current module.

    Each module's entry is drawn once, as a link and as the current page; a request only
    joins them, so a 200-module list costs little more than a short one.
    """

    def draw() -> tuple[dict[int, tuple[str, str]], str, str]:
        macros = _macros(course=course, language=language)
        items = {m.id: (str(macros.item(m, False)), str(macros.item(m, True)))
                 for m in modules}
        return items, str(macros.done_mark()), "</span>\n  </li>\n"

    key = ("modules", *course_key(course), language, tuple(m.version_id for m in modules))
    items, done, close = _cached(key, draw)
    marks = marks or {}
    parts = ['<ol class="module-list">\n']
    for m in modules:
        parts.append(items[m.id][m.slug == current])
        if marks.get(m.id) == "done":
            parts.append(done)
        parts.append(close)
    parts.append("</ol>\n")
    # Every part is the escaped output of catalog/_parts.html, or a literal tag.
    return Markup("".join(parts))  # noqa: S704


def course_card(course: CourseSnapshot, reading: str) -> Markup:
    """A course's card on the catalog page, read in `reading` (one of its languages)."""
    return _cached(("card", *course_key(course), reading),
                   lambda: _macros().card(course, course.text(reading)))
