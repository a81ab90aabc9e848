"""The answer key of a quiz as an author reads it, and a model answer graded like any other.

Pure functions over the stored questions (with their keys), used by the live preview only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..quizzes.grading import grade_attempt


def model_answer(key: Mapping) -> object:
    """The response a learner who knows every answer would send for this question."""
    kind = key.get("type")
    correct = [o["id"] for o in key.get("options", ()) if o.get("correct")]
    if kind == "single":
        return correct[0] if correct else ""
    if kind == "multiple":
        return correct
    if kind == "numeric":
        numbers = key.get("numbers") or [{}]
        return str(numbers[0].get("value", ""))
    if kind == "short":
        return next(iter(key.get("accepted") or [""]))
    if kind == "ordering":
        return {item["id"]: n for n, item in enumerate(key.get("items", ()), start=1)}
    if kind == "matching":
        return {pair["id"]: pair["id"] for pair in key.get("pairs", ())}
    return None


def _published(html: str) -> Markup:
    """HTML from a published question: rendered and sanitised at publish time."""
    return Markup(html)  # noqa: S704


def answer_html(key: Mapping) -> list[Markup]:
    """The right answer of one question, as lines of HTML: the author's sanitised at publish
    time, plain values escaped."""
    kind = key.get("type")
    if kind in ("single", "multiple"):
        return [_published(o["html"]) for o in key.get("options", ()) if o.get("correct")]
    if kind == "numeric":
        return [escape(f"{n.get('value')} ± {n.get('tolerance')}" if n.get("tolerance")
                       else str(n.get("value"))) for n in key.get("numbers", ())]
    if kind == "short":
        return [escape(str(value)) for value in key.get("accepted", ())]
    if kind == "ordering":
        return [_published(item["html"]) for item in key.get("items", ())]
    if kind == "matching":
        return [_published(p["left_html"]) + " → " + _published(p["right_html"])
                for p in key.get("pairs", ())]
    return []


@dataclass(frozen=True)
class SampleGrading:
    """How the model answer and an empty answer grade, against the quiz's pass mark."""

    model_percent: float
    model_passed: bool
    empty_percent: float
    question_scores: dict[str, float]


def grade_samples(keys: list[dict], pass_mark: float) -> SampleGrading:
    """Grade the model answer and an empty one with the real grader."""
    model = grade_attempt(keys, {k["id"]: model_answer(k) for k in keys}, pass_mark)
    empty = grade_attempt(keys, {}, pass_mark)
    return SampleGrading(model.score_percent, model.passed, empty.score_percent,
                         model.question_scores)
