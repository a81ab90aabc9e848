"""Pure helpers for attempts: drawing questions, reading a submitted form, and review.

No Flask and no database: the service passes plain data in and stores what comes out.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import Any

_random = random.SystemRandom()


class InvalidAnswer(ValueError):
    """The form names a question or option that is not in the attempt."""


def draw_questions(questions: list[dict], *, pick: int | None, shuffle: bool,
                   rng: random.Random = _random) -> list[dict]:
    """The attempt's questions: a random pool of `pick`, shuffled if asked, with display order.

    Each returned question is a copy of its key plus `display`: the order in which options,
    ordering items or matching choices are shown (ordering items are always shuffled).
    """
    chosen = [copy.deepcopy(q) for q in questions]
    if pick is not None and pick < len(chosen):
        # Keep the author's order for a drawn pool unless shuffling is on.
        indexes = sorted(rng.sample(range(len(chosen)), pick))
        chosen = [chosen[i] for i in indexes]
    if shuffle:
        rng.shuffle(chosen)
    for question in chosen:
        question["display"] = _display_order(question, shuffle, rng)
    return chosen


def _display_order(question: dict, shuffle: bool, rng: random.Random) -> list[str]:
    kind = question["type"]
    if kind in ("single", "multiple"):
        ids = [o["id"] for o in question["options"]]
        if shuffle:
            rng.shuffle(ids)
        return ids
    if kind == "ordering":
        ids = [i["id"] for i in question["items"]]
        for _ in range(5):  # an ordering shown already in order would give the answer away
            rng.shuffle(ids)
            if ids != [i["id"] for i in question["items"]] or len(ids) < 2:
                break
        return ids
    if kind == "matching":
        ids = [p["id"] for p in question["pairs"]]
        rng.shuffle(ids)
        return ids
    return []


def read_responses(questions: list[dict], form: Mapping[str, Any]) -> dict[str, Any]:
    """Turn submitted fields into stored responses, refusing anything not in the attempt.

    `form` maps field names to lists of values (a MultiDict's `to_dict(flat=False)`).
    Fields: `q-ID` (choice, number, text), `q-ID-ITEM` (ordering position, matching choice).
    """
    by_id = {q["id"]: q for q in questions}
    responses: dict[str, Any] = {}
    for name in form:
        if not name.startswith("q-"):
            continue
        if not any(name == f"q-{qid}" or name.startswith(f"q-{qid}-") for qid in by_id):
            raise InvalidAnswer(name)
    for qid, question in by_id.items():
        values = form.get(f"q-{qid}", [])
        kind = question["type"]
        if kind == "single":
            choice = values[0] if values else None
            if choice and choice not in {o["id"] for o in question["options"]}:
                raise InvalidAnswer(f"q-{qid}")
            responses[qid] = choice or None
        elif kind == "multiple":
            allowed = {o["id"] for o in question["options"]}
            if not set(values) <= allowed:
                raise InvalidAnswer(f"q-{qid}")
            responses[qid] = sorted(set(values))
        elif kind in ("numeric", "short"):
            responses[qid] = (values[0] if values else "")[:500]
        elif kind == "ordering":
            responses[qid] = _read_ordering(qid, question, form)
        elif kind == "matching":
            responses[qid] = _read_matching(qid, question, form)
    return responses


def _read_ordering(qid: str, question: dict, form: Mapping[str, Any]) -> list[str] | None:
    items = [i["id"] for i in question["items"]]
    positions: dict[str, int] = {}
    for item in items:
        value = (form.get(f"q-{qid}-{item}") or [""])[0]
        if value == "":
            continue
        if not value.isdigit() or not 1 <= int(value) <= len(items):
            raise InvalidAnswer(f"q-{qid}-{item}")
        positions[item] = int(value)
    extra = {n for n in form if n.startswith(f"q-{qid}-")} - {f"q-{qid}-{i}" for i in items}
    if extra:
        raise InvalidAnswer(sorted(extra)[0])
    if not positions:
        return None
    return sorted(positions, key=lambda item: (positions[item], items.index(item)))


def _read_matching(qid: str, question: dict, form: Mapping[str, Any]) -> dict[str, str]:
    pairs = {p["id"] for p in question["pairs"]}
    chosen: dict[str, str] = {}
    for name in form:
        if not name.startswith(f"q-{qid}-"):
            continue
        left = name[len(f"q-{qid}-"):]
        value = (form.get(name) or [""])[0]
        if left not in pairs or (value and value not in pairs):
            raise InvalidAnswer(name)
        if value:
            chosen[left] = value
    return chosen


def review_allowed(review: str, *, passed_ever: bool) -> bool:
    """Whether correct answers and feedback may be shown, per the quiz's `review` setting."""
    return review == "after_submit" or (review == "after_pass" and passed_ever)


def result_for(grading: str, graded: list[tuple[int, float, bool]]) -> tuple[float, bool] | None:
    """The quiz result from graded attempts (number, score, passed): best or last counts."""
    if not graded:
        return None
    if grading == "last":
        _, score, passed = max(graded)
        return score, passed
    _, score, passed = max(graded, key=lambda g: (g[1], g[0]))
    return score, passed


def public_view(question: dict) -> dict[str, Any]:
    """What the answering page may show of a question: no key, no feedback."""
    kind = question["type"]
    view: dict[str, Any] = {"id": question["id"], "type": kind,
                            "prompt_html": question["prompt_html"],
                            "weight": question.get("weight", 1)}
    if kind in ("single", "multiple"):
        options = {o["id"]: o["html"] for o in question["options"]}
        view["options"] = [(oid, options[oid]) for oid in question["display"]]
    elif kind == "ordering":
        items = {i["id"]: i["html"] for i in question["items"]}
        view["items"] = [(iid, items[iid]) for iid in question["display"]]
    elif kind == "matching":
        rights = {p["id"]: p["right_html"] for p in question["pairs"]}
        view["lefts"] = [(p["id"], p["left_html"]) for p in question["pairs"]]
        view["rights"] = [(pid, rights[pid]) for pid in question["display"]]
    return view
