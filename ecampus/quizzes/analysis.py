"""Item analysis of a quiz: how hard each question is and how well it separates learners.

The statistics follow Moodle's quiz statistics report, so authors can read them with its
guidance: https://docs.moodle.org/en/Quiz_statistics_report (meaning and thresholds) and
https://docs.moodle.org/dev/Quiz_statistics_calculations (formulas). Plain functions over
plain rows, computed in one pass with running sums so a large quiz is never held in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

# Moodle reads a facility index of 10% or less as "very difficult" (or a wrong key) and 95%
# or more as "extremely easy": either way the question tells learners apart poorly.
TOO_HARD_BELOW = 0.10
TOO_EASY_ABOVE = 0.95
# Moodle: a discrimination index under 20% is "very weak"; below 0 the question is
# "probably invalid" (strong learners do worse on it than weak ones: check the key).
LOW_DISCRIMINATION_BELOW = 0.20

TOO_HARD = "too_hard"
TOO_EASY = "too_easy"
NEGATIVE_DISCRIMINATION = "negative_discrimination"
LOW_DISCRIMINATION = "low_discrimination"

CHOICE_TYPES = frozenset({"single", "multiple"})
CSV_HEADER = [
    "position", "id", "type", "n", "facility_percent", "sd", "discrimination", "flags",
    "option_counts",
]  # fmt: skip


class AttemptRow(NamedTuple):
    """One graded attempt: its question scores in [0, 1] and the responses it stored."""

    attempt_id: int | str
    question_scores: Mapping[str, float]
    responses: Mapping[str, object]


@dataclass(frozen=True)
class QuestionStatistics:
    """One question's statistics; None where there is too little data to define one."""

    id: str
    type: str
    position: int
    n: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    option_counts: dict[str, int] | None

    @property
    def facility_percent(self) -> float | None:
        """The facility index as Moodle shows it, a percent."""
        return None if self.facility is None else self.facility * 100


@dataclass(frozen=True)
class ItemAnalysis:
    """The analysis of a quiz: the number of attempts read and one entry per question."""

    attempts: int
    questions: list[QuestionStatistics]


def analyse_items(keys: list[dict], attempts: Iterable[AttemptRow]) -> ItemAnalysis:
    """Compute facility, SD, discrimination and option counts per question in one pass.

    Each question is judged only on the attempts that drew it (question pools). Scores for
    questions not in `keys` are ignored; they belong to no version being analysed.
    """
    weights = {key["id"]: float(key.get("weight", 1)) for key in keys}
    sums = {key["id"]: _RunningSums(key) for key in keys}
    count = 0
    for row in attempts:
        count += 1
        scores = {qid: float(s) for qid, s in row.question_scores.items() if qid in weights}
        marks = {qid: weights[qid] * score for qid, score in scores.items()}
        all_marks = tuple(marks.values())
        for qid, score in scores.items():
            # fsum rounds the exact sum once, and +mark -mark cancel exactly: the rest is
            # the same float whenever the other questions scored the same, so a constant
            # rest has variance exactly 0 rather than a rounding residue of total - mark.
            rest = math.fsum((*all_marks, -marks[qid]))
            sums[qid].add(score, rest, row.responses.get(qid))
    ordered = sorted(keys, key=lambda key: key.get("position", 0))
    return ItemAnalysis(attempts=count, questions=[sums[key["id"]].result() for key in ordered])


def to_csv_rows(analysis: ItemAnalysis) -> list[list[str]]:
    """The analysis as spreadsheet rows: a header, then one row per question by position."""
    rows = [list(CSV_HEADER)]
    for stats in analysis.questions:
        counts = stats.option_counts or {}
        rows.append(
            [
                str(stats.position),
                _text_cell(stats.id),
                _text_cell(stats.type),
                str(stats.n),
                _number_cell(stats.facility_percent, 1),
                _number_cell(stats.sd, 3),
                _number_cell(stats.discrimination, 3),
                _text_cell("; ".join(stats.flags)),
                _text_cell("; ".join(f"{oid}:{n}" for oid, n in counts.items())),
            ]
        )
    return rows


def flags_for(facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    """The warnings an author should look at, from the thresholds above."""
    flags = []
    if facility is not None and facility < TOO_HARD_BELOW:
        flags.append(TOO_HARD)
    if facility is not None and facility > TOO_EASY_ABOVE:
        flags.append(TOO_EASY)
    if discrimination is not None and discrimination < 0:
        flags.append(NEGATIVE_DISCRIMINATION)
    elif discrimination is not None and discrimination < LOW_DISCRIMINATION_BELOW:
        flags.append(LOW_DISCRIMINATION)
    return tuple(flags)


@dataclass
class _RunningSums:
    """Sums of x (question score) and y (rest of the test) and their squares and product.

    Values are shifted by the first one seen: Pearson's r and the variance do not change,
    a constant column sums to exactly 0 instead of a rounding residue, and cancellation
    in sum(x^2) - sum(x)^2 / n stays small.
    """

    key: dict
    n: int = 0
    x0: float = 0.0
    y0: float = 0.0
    sx: float = 0.0
    sy: float = 0.0
    sxx: float = 0.0
    syy: float = 0.0
    sxy: float = 0.0
    option_counts: dict[str, int] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.key["type"] in CHOICE_TYPES:
            self.option_counts = {option["id"]: 0 for option in self.key.get("options", ())}

    def add(self, x: float, y: float, response: object) -> None:
        if self.n == 0:
            self.x0, self.y0 = x, y
        self.n += 1
        dx, dy = x - self.x0, y - self.y0
        self.sx += dx
        self.sy += dy
        self.sxx += dx * dx
        self.syy += dy * dy
        self.sxy += dx * dy
        if self.option_counts is not None:
            for option_id in _chosen_options(self.key["type"], response):
                if option_id in self.option_counts:
                    self.option_counts[option_id] += 1

    def result(self) -> QuestionStatistics:
        n = self.n
        facility = sd = discrimination = None
        if n:
            facility = self.x0 + self.sx / n
        if n >= 2:
            x_squares = max(0.0, self.sxx - self.sx * self.sx / n)
            y_squares = max(0.0, self.syy - self.sy * self.sy / n)
            sd = math.sqrt(x_squares / (n - 1))
            if x_squares > 0 and y_squares > 0:
                r = (self.sxy - self.sx * self.sy / n) / math.sqrt(x_squares * y_squares)
                discrimination = min(1.0, max(-1.0, r))
        return QuestionStatistics(
            id=self.key["id"],
            type=self.key["type"],
            position=self.key.get("position", 0),
            n=n,
            facility=facility,
            sd=sd,
            discrimination=discrimination,
            flags=flags_for(facility, discrimination),
            option_counts=self.option_counts,
        )


def _chosen_options(question_type: str, response: object) -> set[str]:
    """The option ids a stored choice response names; nothing for a malformed one."""
    if question_type == "single":
        return {response} if isinstance(response, str) else set()
    if isinstance(response, list | tuple | set | frozenset):
        return {option_id for option_id in response if isinstance(option_id, str)}
    return set()


def _number_cell(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _text_cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet; ids may start with "-".
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
