"""A cumulative completions chart as plain numbers for a server-rendered SVG.

No script and no style attribute: the template draws these coordinates with SVG
presentation attributes, and the same points fill the chart's text alternative.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

WIDTH, HEIGHT = 400, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 390, 12, 160


@dataclass(frozen=True)
class Point:
    day: date
    total: int
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    """Cumulative completions at evenly spaced dates, placed in a WIDTH x HEIGHT box."""

    points: list[Point]
    maximum: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def first(self) -> Point:
        return self.points[0]

    @property
    def last(self) -> Point:
        return self.points[-1]


def sample_days(start: date, end: date, samples: int) -> list[date]:
    """Up to `samples` dates from start to end inclusive, evenly spread, without repeats."""
    span = (end - start).days
    if span <= 0:
        return [start]
    count = min(samples, span + 1)
    days = [start + timedelta(days=round(i * span / (count - 1))) for i in range(count)]
    return list(dict.fromkeys(days))


def completion_chart(completions: Iterable[date], start: date, end: date,
                     samples: int = 10) -> Chart | None:
    """How many completions there were by each sample date; None when there are none."""
    return chart_of_counts(Counter(completions), start, end, samples)


def chart_of_counts(counts: Mapping[date, int], start: date, end: date,
                    samples: int = 10) -> Chart | None:
    """The same chart from the number of completions on each day (a report's GROUP BY)."""
    days_done = sorted(day for day, count in counts.items() if count)
    if not days_done:
        return None
    cumulative = list(accumulate(counts[day] for day in days_done))
    start = min(start, days_done[0])
    end = max(end, days_done[-1])
    if start == end:  # everything on one day: show the rise from the day before
        start = end - timedelta(days=1)
    days = sample_days(start, end, samples)
    maximum = cumulative[-1]
    span = max((end - start).days, 1)
    points = []
    for day in days:
        reached = bisect_right(days_done, day)
        total = cumulative[reached - 1] if reached else 0
        x = LEFT + (RIGHT - LEFT) * (day - start).days / span
        y = BOTTOM - (BOTTOM - TOP) * total / maximum
        points.append(Point(day, total, round(x, 1), round(y, 1)))
    return Chart(points, maximum)
