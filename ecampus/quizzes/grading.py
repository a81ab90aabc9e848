"""Grading quiz answers: pure functions over an answer key and a learner's response.

An answer key is the JSON-serialisable dict the course parser produces for one question
(COURSE_FORMAT.md section 5); a response is what the attempt stores for it. Nothing here
touches Flask or the database, so an attempt can be regraded from its stored key and
responses alone. A malformed response scores 0 and never raises: it comes from a browser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

# A learner types a plain decimal, with a point or a comma. Exponents are refused so that
# "1e400" cannot stand for a number nobody typed on purpose.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
MAX_NUMBER_LENGTH = 64
# Room for key values and tolerances far apart in magnitude (1e20 +- 0.001) to add exactly.
_KEY_PRECISION = 200
# U+2212 MINUS SIGN is what many phone keyboards and word processors insert for "-".
_MINUS_SIGN = "\u2212"


def parse_number(text: object) -> Decimal | None:
    """Read a number as a learner types it ("3.6", "3,6", " +3.6 "); None if it is not one.

    Returned as an exact Decimal so that tolerance boundaries compare without float error.
    """
    if not isinstance(text, str):
        return None
    # NFKC turns fullwidth digits and signs ("３．６") into ASCII ones.
    text = unicodedata.normalize("NFKC", text).strip().replace(_MINUS_SIGN, "-")
    if len(text) > MAX_NUMBER_LENGTH or not _PLAIN_DECIMAL.fullmatch(text):
        return None
    return Decimal(text.replace(",", "."))


def _dash_to_hyphen(char: str) -> str:
    return "-" if char == _MINUS_SIGN or unicodedata.category(char) == "Pd" else char


def normalise_short_answer(text: str) -> str:
    """Reduce a short answer to the form that is compared: NFKC, casefolded, spaces collapsed.

    Every dash (hyphen, en dash, minus sign...) also becomes "-": "non‐refoulement" typed
    with U+2010 from a word processor means the same as "non-refoulement".
    """
    # NFKC again after casefold, as casefolding can undo NFKC (Unicode's NFKC_Casefold).
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(_dash_to_hyphen(char) for char in text)
    return " ".join(text.split())


def grade_single(key: Mapping, response: object) -> float:
    """Single choice: 1 if the chosen option is a correct one, else 0."""
    if not isinstance(response, str) or not response:
        return 0.0
    return 1.0 if response in _correct_option_ids(key) else 0.0


def grade_multiple(key: Mapping, response: object) -> float:
    """Multiple answer: all-or-nothing, or with `partial` (right - wrong) / correct, at least 0.

    A ticked id that is no option of the question counts as a wrong tick.
    """
    if not isinstance(response, list | tuple | set | frozenset):
        return 0.0
    if not all(isinstance(option_id, str) for option_id in response):
        return 0.0
    ticked = set(response)
    correct = _correct_option_ids(key)
    if not key.get("partial") or not correct:
        return 1.0 if ticked == correct else 0.0
    right = len(ticked & correct)
    wrong = len(ticked - correct)
    return max(0.0, (right - wrong) / len(correct))


def grade_numeric(key: Mapping, response: object) -> float:
    """Numeric: 1 if the number typed is within the tolerance of any accepted value, else 0."""
    number = parse_number(response)
    if number is None:
        return 0.0
    with localcontext() as context:
        context.prec = _KEY_PRECISION
        for accepted in key.get("numbers", ()):
            value = _key_decimal(accepted.get("value"))
            tolerance = _key_decimal(accepted.get("tolerance", 0))
            if value is None or tolerance is None:
                continue
            # Compare against exact bounds rather than subtracting: Decimal comparison
            # is exact, so 3.4 and 3.8 pass for 3.6 +- 0.2.
            if value - abs(tolerance) <= number <= value + abs(tolerance):
                return 1.0
    return 0.0


def grade_short(key: Mapping, response: object) -> float:
    """Short answer: 1 if the answer matches an accepted value once both are normalised."""
    if not isinstance(response, str):
        return 0.0
    answer = normalise_short_answer(response)
    if not answer:
        return 0.0
    accepted = {
        normalise_short_answer(value) for value in key.get("accepted", ()) if isinstance(value, str)
    }
    return 1.0 if answer in accepted else 0.0


def grade_ordering(key: Mapping, response: object) -> float:
    """Ordering: 1 if each item has exactly its own position in the key's order, else 0.

    The response maps each item to the position given (`{"2": 1, "1": 2}`); attempts saved
    before positions were kept hold the items in order. Two items given one position are
    never in the right order, whichever they are.
    """
    expected = [item["id"] for item in key.get("items", ())]
    if not expected:
        return 0.0
    if isinstance(response, Mapping):
        if len(response) != len(expected):
            return 0.0
        positions = [response.get(item_id) for item_id in expected]
        # bool is an int in Python; a stored True is no position.
        if not all(type(position) is int for position in positions):
            return 0.0
        return 1.0 if positions == list(range(1, len(expected) + 1)) else 0.0
    if isinstance(response, list | tuple):
        return 1.0 if list(response) == expected else 0.0
    return 0.0


def grade_matching(key: Mapping, response: object) -> float:
    """Matching: the fraction of left items given the right answer.

    Choosing another pair whose right text is identical is right too: the learner cannot
    tell two identical choices apart.
    """
    pairs = key.get("pairs", ())
    if not isinstance(response, Mapping) or not pairs:
        return 0.0
    right_text = {pair["id"]: pair["right_html"] for pair in pairs}
    matched = 0
    for pair in pairs:
        chosen = response.get(pair["id"])
        if isinstance(chosen, str) and right_text.get(chosen) == pair["right_html"]:
            matched += 1
    return matched / len(pairs)


GRADERS: dict[str, Callable[[Mapping, object], float]] = {
    "single": grade_single,
    "multiple": grade_multiple,
    "numeric": grade_numeric,
    "short": grade_short,
    "ordering": grade_ordering,
    "matching": grade_matching,
}


def grade_question(key: Mapping, response: object) -> float:
    """Score one response in [0, 1] with the grader for the key's type.

    An unknown type is a broken key, not a learner's mistake, so it raises ValueError.
    """
    grader = GRADERS.get(key.get("type"))
    if grader is None:
        raise ValueError(f"question {key.get('id')!r} has unknown type {key.get('type')!r}")
    return grader(key, response)


@dataclass(frozen=True)
class QuizResult:
    """The outcome of one attempt: weighted percent, pass or fail, and each question's score."""

    score_percent: float
    passed: bool
    question_scores: dict[str, float]


def grade_attempt(
    keys: list[dict], responses: Mapping[str, object], pass_mark: float
) -> QuizResult:
    """Grade every question of an attempt and decide pass or fail against `pass_mark` percent.

    The weighted mean is summed as exact fractions and the pass decided on the score rounded
    to 2 decimals, as shown, so 7 of 10 at pass mark 70 passes. No questions never passes.
    """
    question_scores: dict[str, float] = {}
    earned = Fraction(0)
    total_weight = Fraction(0)
    for key in keys:
        score = grade_question(key, responses.get(key["id"]))
        question_scores[key["id"]] = score
        weight = Fraction(key.get("weight", 1))
        earned += weight * Fraction(score)
        total_weight += weight
    if total_weight <= 0:
        return QuizResult(score_percent=0.0, passed=False, question_scores=question_scores)
    score_percent = round(float(earned * 100 / total_weight), 2)
    return QuizResult(
        score_percent=score_percent,
        passed=score_percent >= pass_mark,
        question_scores=question_scores,
    )


def _correct_option_ids(key: Mapping) -> set[str]:
    return {option["id"] for option in key.get("options", ()) if option.get("correct")}


def _key_decimal(value: object) -> Decimal | None:
    """A key's number as an exact Decimal; floats go through repr, so 3.6 is 3.6, not 3.5999..."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float | int):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        number = parse_number(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        return None
    return number if number is not None and number.is_finite() else None
