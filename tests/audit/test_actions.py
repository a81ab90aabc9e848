"""Every action the code records has a label in words, for the pages and the filter."""

from __future__ import annotations

import re
from pathlib import Path

import ecampus
from ecampus.audit.actions import ACTION_LABELS, action_label

_RECORDED = re.compile(
    r"""\b(?:audit\.)?record(?:_change)?\(\s*["']([a-z_]+\.[a-z_]+)["']""")


def recorded_actions() -> set[str]:
    """The action names passed to `ecampus.audit.record` anywhere in the package."""
    found = set()
    for path in Path(ecampus.__file__).parent.rglob("*.py"):
        found.update(_RECORDED.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_scan_finds_the_recorded_actions():
    assert {"user.role_changed", "cohort.import_applied", "retention.purged"} <= \
        recorded_actions()


def test_every_recorded_action_has_a_label():
    missing = sorted(recorded_actions() - ACTION_LABELS.keys())
    assert not missing, f"add a label to ecampus/audit/actions.py for: {', '.join(missing)}"


def test_an_unknown_action_shows_under_its_own_name(ctx):
    assert action_label("something.new") == "something.new"
    assert action_label("user.role_changed") == "Role changed"


def test_every_label_names_an_action_the_code_records():
    stale = sorted(ACTION_LABELS.keys() - recorded_actions())
    assert not stale, f"no code records these any more: {', '.join(stale)}"
