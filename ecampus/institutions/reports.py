"""Cohort reports: who finished, who is late and how they scored, and the CSV export.

A report is the same few aggregate queries whatever the cohort's size: members, courses,
progress, quiz results and certificate codes each come in one statement, and sorting,
filtering and paging happen on those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..catalog.models import Course
from ..certificates import services as certificates
from ..extensions import db
from ..learning import services as learning
from ..quizzes import services as quizzes
from . import invitations
from .chart import Chart, completion_chart
from .csvfile import write_csv
from .models import CohortCourse, CohortMember

SORTS = ("name", "email", "progress", "completed")
SHOWS = ("all", "overdue", "not_started", "completed")
PAGE_SIZE = 100


@dataclass(frozen=True)
class Options:
    """How the manager asked to see the report (from the query string)."""

    sort: str = "name"
    descending: bool = False
    show: str = "all"
    course_id: int | None = None
    page: int = 1


def parse_options(args: Mapping[str, str]) -> Options:
    """Read sort, order, filter, course and page, falling back to defaults on nonsense."""
    sort = args.get("sort", "name")
    show = args.get("show", "all")
    try:
        course_id = int(args["course"]) if args.get("course") else None
    except ValueError:
        course_id = None
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return Options(sort=sort if sort in SORTS else "name",
                   descending=args.get("order") == "desc",
                   show=show if show in SHOWS else "all", course_id=course_id, page=page)


class Line(NamedTuple):
    """One learner in one course (a tuple: a report builds tens of thousands of them)."""

    user_id: int
    email: str
    full_name: str
    language: str
    external_id: str | None
    course_id: int
    course_slug: str
    course_title: str
    enrolled: bool
    percent: int
    started: bool
    completed_at: datetime | None
    score: float | None
    passed: bool | None
    certificate: str | None
    due_on: date | None
    overdue: bool


@dataclass(frozen=True)
class Figures:
    """Summary figures over a set of lines."""

    enrolled: int
    started: int
    completed: int
    overdue: int
    mean_score: float | None

    @property
    def completion_rate(self) -> int | None:
        return round(100 * self.completed / self.enrolled) if self.enrolled else None


@dataclass
class Report:
    courses: list[tuple[int, str, date | None]]
    learners: int
    overall: Figures
    by_course: list[tuple[int, str, Figures]]
    chart: Chart | None
    lines: list[Line]
    matching: int
    options: Options
    #: The language each course's title is shown in, by course id, to mark it on the page.
    title_languages: dict[int, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // PAGE_SIZE))


@lru_cache(maxsize=4096)
def _percent(done: int, total: int) -> int:
    # Learning's own rule, asked once per distinct (done, total) rather than once per row.
    return learning.Progress(done, total).percent


def _collect(cohort_id: int, language: str, today: date
             ) -> tuple[list[tuple[int, str, date | None]], int, list[Line], list[date],
                        dict[int, str]]:
    """Every line of the cohort's report, in a fixed number of queries, and the language
    each course's title is in."""
    courses = db.session.execute(
        select(Course, CohortCourse.due_on)
        .join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort_id)
        .options(selectinload(Course.texts)).order_by(Course.slug)).all()
    # Learners only: people the cohort still waits for show nothing of their learning.
    members = db.session.execute(
        select(User.id, User.email, User.full_name, User.language, CohortMember.external_id)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id, invitations.is_learner())).all()
    titles = [(c.id, c.slug, c.text(language).title, due) for c, due in courses]
    title_languages = {c.id: c.text(language).language for c, _due in courses}
    course_ids = [c.id for c, _due in courses]
    member_ids = invitations.learner_ids(cohort_id)
    progress = learning.report_rows(course_ids, member_ids)
    results = quizzes.course_results(course_ids, member_ids)
    codes = certificates.codes_for(course_ids, member_ids)
    lines: list[Line] = []
    starts = [row.enrolled_at.date() for row in progress.values()]
    for user_id, email, full_name, user_language, external_id in members:
        for course_id, slug, title, cohort_due in titles:
            key = (user_id, course_id)
            row = progress.get(key)
            result = results.get(key)
            if row is None:
                percent, started, completed_at, due_on = 0, False, None, cohort_due
            else:
                percent = _percent(row.done, row.total)
                started, completed_at, due_on = row.started, row.completed_at, row.due_on
            lines.append(Line(
                user_id, email, full_name, user_language, external_id, course_id, slug, title,
                row is not None and row.active, percent,
                started or completed_at is not None or result is not None, completed_at,
                None if result is None else round(result[0], 1),
                None if result is None else result[1], codes.get(key), due_on,
                completed_at is None and due_on is not None and due_on < today))
    return [(i, t, d) for i, _s, t, d in titles], len(members), lines, starts, title_languages


def figures(lines: Iterable[Line]) -> Figures:
    """Enrolled, started, completed and overdue counts and the mean score, in one pass."""
    enrolled = started = completed = overdue = scored = 0
    total = 0.0
    for line in lines:
        enrolled += line.enrolled
        started += line.started
        completed += line.completed_at is not None
        overdue += line.overdue
        if line.score is not None:
            scored += 1
            total += line.score
    return Figures(enrolled, started, completed, overdue,
                   round(total / scored, 1) if scored else None)


def select_lines(lines: list[Line], options: Options) -> list[Line]:
    """The lines the filter keeps, in the order asked for."""
    keep = {
        "all": lambda line: True,
        "overdue": lambda line: line.overdue,
        "not_started": lambda line: not line.started,
        "completed": lambda line: line.completed_at is not None,
    }[options.show]
    chosen = [line for line in lines if keep(line)
              and (options.course_id is None or line.course_id == options.course_id)]
    chosen.sort(key=lambda line: (line.full_name.casefold(), line.email, line.course_title))
    if options.sort == "email":
        chosen.sort(key=lambda line: line.email, reverse=options.descending)
    elif options.sort == "progress":
        chosen.sort(key=lambda line: line.percent, reverse=options.descending)
    elif options.sort == "completed":
        # Not completed yet sorts last either way: it is not "earliest" or "latest".
        done = [line for line in chosen if line.completed_at is not None]
        done.sort(key=lambda line: line.completed_at, reverse=options.descending)
        chosen = done + [line for line in chosen if line.completed_at is None]
    elif options.descending:
        chosen.reverse()
    return chosen


def cohort_report(cohort_id: int, options: Options, *, language: str, today: date) -> Report:
    """One page of the report, with summary figures and chart over the whole cohort."""
    courses, learners, lines, starts, title_languages = _collect(cohort_id, language, today)
    grouped: dict[int, list[Line]] = {course_id: [] for course_id, _title, _due in courses}
    for line in lines:
        grouped[line.course_id].append(line)
    by_course = [(course_id, title, figures(grouped[course_id]))
                 for course_id, title, _due in courses]
    chart = completion_chart((line.completed_at.date() for line in lines if line.completed_at),
                             min(starts, default=today), today)
    chosen = select_lines(lines, options)
    first = (options.page - 1) * PAGE_SIZE
    return Report(courses, learners, figures(lines), by_course, chart,
                  chosen[first:first + PAGE_SIZE], len(chosen), options, title_languages)


def export_csv(cohort_id: int, options: Options, *, language: str, today: date) -> str:
    """The report as CSV; its first columns are the import's, so it can be uploaded again."""
    _courses, _learners, lines, _starts, _languages = _collect(cohort_id, language, today)

    def yes_no(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    return write_csv(
        (line.email, line.full_name, line.language, line.external_id or "", line.course_slug,
         line.percent, "" if line.score is None else f"{line.score:g}", yes_no(line.passed),
         line.completed_at.date().isoformat() if line.completed_at else "",
         line.certificate or "", line.due_on.isoformat() if line.due_on else "",
         yes_no(line.overdue))
        for line in select_lines(lines, options))
