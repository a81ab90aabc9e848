"""Pure helpers for attempts: drawing questions, the answer form, reading it back, and review.

No Flask and no database: the service passes plain data in and stores what comes out.

The answer form never names a question, option, item or pair by its id in the key: every
field name, value and element id is an opaque token drawn for the attempt and kept in its
snapshot (`token`, `tokens`, `value_tokens`), and the server maps tokens back to ids.
Responses are always stored by the key's ids, so grading, review and item analysis never
see a token.
"""

from __future__ import annotations

import copy
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .grading import parse_number

_random = random.SystemRandom()

#: The longest numeric or short answer kept; the form's inputs say so too.
MAX_TEXT_ANSWER = 500
# Ten lowercase letters (47 bits): unguessable within an attempt, and never a number that
# could be mistaken for a position or an answer.
_TOKEN_LETTERS = string.ascii_lowercase
_TOKEN_LENGTH = 10
_POSITION = re.compile(r"[0-9]{1,6}")

# Problems with an answer, per question. The first group can be saved and shown again but
# never graded; the second cannot even be saved, as no stored response could hold it.
POSITION_MISSING = "position_missing"
POSITION_REPEATED = "position_repeated"
POSITION_UNUSED = "position_unused"
NOT_A_NUMBER = "not_a_number"
POSITION_INVALID = "position_invalid"
CONTROL_CHARACTER = "control_character"
TOO_LONG = "too_long"
_UNSTORABLE = frozenset({POSITION_INVALID, CONTROL_CHARACTER, TOO_LONG})


@dataclass(frozen=True)
class AnswerProblem:
    """Why one question's answer cannot be graded as sent: a code, with positions or a count."""

    code: str
    positions: tuple[int, ...] = ()
    count: int = 0


@dataclass
class ReadAnswers:
    """A submitted form read back by key ids, with what is wrong with it.

    `problems` are per question id; `unknown_fields` name fields, options or repeats that
    the attempt's page could not have sent.
    """

    responses: dict[str, Any]
    problems: dict[str, list[AnswerProblem]] = field(default_factory=dict)
    unknown_fields: list[str] = field(default_factory=list)

    @property
    def storable(self) -> bool:
        """Whether the responses may be saved: nothing unknown and nothing unreadable."""
        return not self.unknown_fields and not any(
            problem.code in _UNSTORABLE for found in self.problems.values() for problem in found)

    @property
    def gradable(self) -> bool:
        """Whether the attempt may be graded with these responses."""
        return self.storable and not self.problems


def draw_questions(questions: list[dict], *, pick: int | None, shuffle: bool,
                   rng: random.Random = _random) -> list[dict]:
    """The attempt's questions: a random pool of `pick`, shuffled if asked, with display order.

    Each returned question is a copy of its key plus `display`, the order in which options,
    ordering items or matching choices are shown, and the form tokens of the attempt.
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
    _add_tokens(chosen, rng)
    return chosen


def has_tokens(questions: list[dict]) -> bool:
    """Whether a snapshot already carries form tokens (attempts started before them do not)."""
    return all("token" in question for question in questions)


def with_tokens(questions: list[dict], rng: random.Random) -> list[dict]:
    """An older snapshot brought to the current shape: tokens, and order shown independent of
    the key for ordering and matching. Choice order is kept, as it followed the settings.

    Given the same `rng` seed, the result is the same, so two requests upgrading one attempt
    at once agree.
    """
    upgraded = copy.deepcopy(questions)
    for question in upgraded:
        if question["type"] in ("ordering", "matching"):
            question["display"] = _display_order(question, False, rng)
    _add_tokens(upgraded, rng)
    return upgraded


def _display_order(question: dict, shuffle: bool, rng: random.Random) -> list[str]:
    kind = question["type"]
    if kind in ("single", "multiple"):
        ids = [o["id"] for o in question["options"]]
        if shuffle:
            rng.shuffle(ids)
        return ids
    # Ordering items and matching choices are always shuffled, uniformly: refusing to show
    # the correct order would itself tell the order (with two items, entirely).
    if kind == "ordering":
        ids = [i["id"] for i in question["items"]]
    elif kind == "matching":
        ids = [p["id"] for p in question["pairs"]]
    else:
        return []
    rng.shuffle(ids)
    return ids


def _add_tokens(questions: list[dict], rng: random.Random) -> None:
    used: set[str] = set()

    def token() -> str:
        while True:
            drawn = "".join(rng.choice(_TOKEN_LETTERS) for _ in range(_TOKEN_LENGTH))
            if drawn not in used:
                used.add(drawn)
                return drawn

    for question in questions:
        question["token"] = token()
        question["tokens"] = {part_id: token() for part_id in _part_ids(question)}
        if question["type"] == "matching":
            question["value_tokens"] = {p["id"]: token() for p in question["pairs"]}


def _part_ids(question: dict) -> list[str]:
    kind = question["type"]
    if kind in ("single", "multiple"):
        return [o["id"] for o in question["options"]]
    if kind == "ordering":
        return [i["id"] for i in question["items"]]
    if kind == "matching":
        return [p["id"] for p in question["pairs"]]
    return []


def field_name(question: dict, part_id: str | None = None) -> str:
    """The form field of a question, or of one ordering item or matching left-hand item."""
    if part_id is None:
        return f"q-{question['token']}"
    return f"q-{question['token']}-{question['tokens'][part_id]}"


def read_answers(questions: list[dict], form: Mapping[str, list[str]]) -> ReadAnswers:
    """Turn submitted fields into responses by key ids, with every problem found on the way.

    `form` maps field names to lists of values (a MultiDict's `to_dict(flat=False)`). A
    field, option or position that the attempt's page could not have sent, or a field sent
    twice, is recorded as unknown rather than guessed at.
    """
    expected: set[str] = set()
    answers = ReadAnswers(responses={})
    for question in questions:
        reader = _READERS.get(question["type"])
        if reader is None:
            continue
        names = [field_name(question)] if question["type"] in _SINGLE_FIELD else [
            field_name(question, part) for part in _part_ids(question)]
        expected.update(names)
        for name in names:
            if question["type"] != "multiple" and len(form.get(name, ())) > 1:
                answers.unknown_fields.append(name)
        response, problems = reader(question, form, answers.unknown_fields)
        answers.responses[question["id"]] = response
        if problems:
            answers.problems[question["id"]] = problems
    answers.unknown_fields.extend(
        name for name in form if name.startswith("q-") and name not in expected)
    answers.unknown_fields = list(dict.fromkeys(answers.unknown_fields))
    return answers


def unanswered(questions: list[dict], responses: Mapping[str, Any]) -> list[str]:
    """Ids of the questions left blank, so a learner is asked before submitting without them."""
    blank = []
    for question in questions:
        response = responses.get(question["id"])
        if response is None or (isinstance(response, str) and not response.strip()) or (
                isinstance(response, (list, dict)) and not response):
            blank.append(question["id"])
    return blank


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _read_single(question, form, unknown):
    name = field_name(question)
    value = _first(form, name)
    if not value:
        return None, []
    option = _by_token(question["tokens"]).get(value)
    if option is None:
        unknown.append(name)
    return option, []


def _read_multiple(question, form, unknown):
    name = field_name(question)
    options = _by_token(question["tokens"])
    chosen = set()
    for value in form.get(name, ()):
        if value in options:
            chosen.add(options[value])
        elif name not in unknown:
            unknown.append(name)
    return sorted(chosen), []


def _read_text(question, form, unknown):
    text = _first(form, field_name(question))
    problems = []
    if any(unicodedata.category(char) == "Cc" and char != "\t" for char in text):
        problems.append(AnswerProblem(CONTROL_CHARACTER))
        text = "".join(c for c in text if unicodedata.category(c) != "Cc" or c == "\t")
    if len(text) > MAX_TEXT_ANSWER:
        problems.append(AnswerProblem(TOO_LONG, count=MAX_TEXT_ANSWER))
        text = text[:MAX_TEXT_ANSWER]
    if question["type"] == "numeric" and text.strip() and not problems \
            and parse_number(text) is None:
        problems.append(AnswerProblem(NOT_A_NUMBER))
    return text, problems


def _read_ordering(question, form, unknown):
    items = [i["id"] for i in question["items"]]
    positions: dict[str, int] = {}
    invalid = blank = 0
    for item in items:
        value = _first(form, field_name(question, item)).strip(" \t\r\n")
        if value == "":
            blank += 1
        elif _POSITION.fullmatch(value) and 1 <= int(value) <= len(items):
            positions[item] = int(value)
        else:
            invalid += 1
    if blank == len(items):
        return None, []  # not answered at all, like any other question left blank
    problems = []
    if invalid:
        problems.append(AnswerProblem(POSITION_INVALID, count=len(items)))
    if blank:
        problems.append(AnswerProblem(POSITION_MISSING, count=blank))
    counts = Counter(positions.values())
    repeated = tuple(sorted(p for p, n in counts.items() if n > 1))
    if repeated:
        problems.append(AnswerProblem(POSITION_REPEATED, positions=repeated))
    if problems:
        unused = tuple(p for p in range(1, len(items) + 1) if p not in counts)
        if unused:
            problems.append(AnswerProblem(POSITION_UNUSED, positions=unused))
    return positions, problems


def _read_matching(question, form, unknown):
    rights = _by_token(question["value_tokens"])
    chosen: dict[str, str] = {}
    for pair in question["pairs"]:
        name = field_name(question, pair["id"])
        value = _first(form, name)
        if not value:
            continue
        if value in rights:
            chosen[pair["id"]] = rights[value]
        else:
            unknown.append(name)
    return chosen, []


def _by_token(tokens: Mapping[str, str]) -> dict[str, str]:
    return {token: part_id for part_id, token in tokens.items()}


_SINGLE_FIELD = frozenset({"single", "multiple", "numeric", "short"})
_READERS = {
    "single": _read_single, "multiple": _read_multiple, "numeric": _read_text,
    "short": _read_text, "ordering": _read_ordering, "matching": _read_matching,
}


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


def ordering_positions(response: object, items: list[str]) -> dict[str, int]:
    """Each item's position in a stored ordering response, whichever shape it was stored in."""
    if isinstance(response, Mapping):
        return {item: p for item, p in response.items() if item in items and type(p) is int}
    if isinstance(response, list | tuple):
        return {item: n for n, item in enumerate(response, start=1) if item in items}
    return {}


def public_view(question: dict, response: object = None,
                problems: Sequence[AnswerProblem] = ()) -> dict[str, Any]:
    """What the answering page may show of a question: tokens, never ids, key or feedback.

    `response` (stored by key ids) fills in the answers given so far.
    """
    kind = question["type"]
    token = question["token"]
    view: dict[str, Any] = {"type": kind, "token": token, "name": field_name(question),
                            "prompt_html": question["prompt_html"],
                            "weight": question.get("weight", 1), "invalid": bool(problems)}
    tokens = question.get("tokens", {})
    if kind in ("single", "multiple"):
        options = {o["id"]: o["html"] for o in question["options"]}
        chosen = {response} if isinstance(response, str) else (
            set(response) if isinstance(response, list) else set())
        view["options"] = [{"value": tokens[oid], "id": f"{view['name']}-{tokens[oid]}",
                            "html": options[oid], "checked": oid in chosen}
                           for oid in question["display"]]
    elif kind in ("numeric", "short"):
        view["value"] = response if isinstance(response, str) else ""
        view["max_length"] = MAX_TEXT_ANSWER
    elif kind == "ordering":
        items = {i["id"]: i["html"] for i in question["items"]}
        positions = ordering_positions(response, list(items))
        counts = Counter(positions.values())
        view["positions"] = list(range(1, len(items) + 1))
        view["items"] = []
        for iid in question["display"]:
            name = field_name(question, iid)
            position = positions.get(iid)
            view["items"].append({
                "name": name, "id": name, "html": items[iid], "position": position,
                "invalid": bool(problems) and (position is None or counts[position] > 1),
            })
    elif kind == "matching":
        rights = {p["id"]: p["right_html"] for p in question["pairs"]}
        values = question["value_tokens"]
        chosen = response if isinstance(response, Mapping) else {}
        view["lefts"] = [{"name": field_name(question, p["id"]),
                          "id": field_name(question, p["id"]), "html": p["left_html"],
                          "chosen": values.get(chosen.get(p["id"]))}
                         for p in question["pairs"]]
        view["rights"] = [(values[pid], rights[pid]) for pid in question["display"]]
    return view
