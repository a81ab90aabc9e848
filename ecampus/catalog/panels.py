"""Panels that later features add to catalog pages without the catalog importing them.

Learning adds enrolment and progress, quizzes add the quiz start button: `ecampus.features`
lists the functions that receive the page being drawn and return a `Panel` (or None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    #: "course" (course page), "module" (lesson page, above the pager) or "module_top"
    slot: str = "course"
    #: Per-module marks for the module list, e.g. {module_id: "done"}.
    marks: dict[int, str] = field(default_factory=dict)


def collect_panels(**page: Any) -> tuple[dict[str, list[Panel]], dict[int, str]]:
    """Every feature's panel for this page grouped by slot, and their module marks merged.

    The panel functions are listed in `ecampus.features`."""
    slots: dict[str, list[Panel]] = {}
    marks: dict[int, str] = {}
    for function in current_app.extensions["ecampus.features"].course_panels:
        result = function(**page)
        for panel in (result if isinstance(result, list) else [result]):
            if panel is not None:
                slots.setdefault(panel.slot, []).append(panel)
                marks.update(panel.marks)
    return slots, marks
