"""Cohort reports: who finished, who is late and how they scored, and the CSV export.

The database does the work, so a report costs the same few statements for 50 learners or
100,000. A report line is one learner in one course of the cohort (a member crossed with the
cohort's courses, whether or not an enrolment row exists). The figures and the chart come
from one GROUP BY over those lines, reading the count of completed modules each enrolment
keeps (on SQLite, from the totals the database keeps as lines change: `tallies`); the
learner table is filtered, sorted and paged by the database (LIMIT/OFFSET), and
only the page's quiz results and certificate codes are looked up; the export streams the
lines from a server-side cursor, a batch at a time, so its memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Date, and_, case, func, literal, or_, select, true, type_coerce
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..catalog.models import Course
from ..certificates import services as certificates
from ..certificates.models import Certificate
from ..extensions import db
from ..learning import services as learning
from ..learning.models import Enrolment
from ..quizzes import services as quizzes
from ..requests import MAX_ID, MAX_PAGE
from ..textsearch import matches_all, query_words
from . import invitations, tallies
from .chart import Chart, chart_of_counts
from .csvfile import EXPORT_COLUMNS, neutralise
from .models import CohortCourse, CohortMember

SORTS = ("name", "email", "progress", "completed", "activity")
SHOWS = ("all", "overdue", "not_started", "completed")
PAGE_SIZE = 100
#: Lines fetched from the cursor, and written, at a time by the export.
EXPORT_BATCH = 2000
MAX_QUERY = 200
#: The key of the figures of all courses together.
ALL = 0


@dataclass(frozen=True)
class Options:
    """How the manager asked to see the report (from the query string)."""

    sort: str = "name"
    descending: bool = False
    show: str = "all"
    course_id: int | None = None
    page: int = 1
    #: Words to find in the learner's name or address (accents and case ignored).
    query: str = ""


def _whole_number(value: str | None, minimum: int, maximum: int) -> int | None:
    try:
        number = int((value or "").strip()[:20])
    except ValueError:
        return None
    return number if minimum <= number <= maximum else None


def parse_options(args: Mapping[str, str]) -> Options:
    """Read sort, order, filter, course, name search and page, falling back to defaults on
    nonsense (a page beyond the last shows no rows; it is never an error)."""
    sort = args.get("sort", "name")
    show = args.get("show", "all")
    page = _whole_number(args.get("page"), -(2**63), 2**63)
    return Options(sort=sort if sort in SORTS else "name",
                   descending=args.get("order") == "desc",
                   show=show if show in SHOWS else "all",
                   course_id=_whole_number(args.get("course"), 1, MAX_ID),
                   page=1 if page is None else min(max(page, 1), MAX_PAGE),
                   query=" ".join(args.get("q", "").split())[:MAX_QUERY])


class Line(NamedTuple):
    """One learner in one course."""

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
    last_activity: datetime | None = None


@dataclass(frozen=True)
class Figures:
    """Summary figures over a set of lines."""

    enrolled: int
    started: int
    completed: int
    overdue: int
    mean_score: float | None
    #: Lines counted (learners x courses).
    lines: int = 0

    @property
    def completion_rate(self) -> int | None:
        return round(100 * self.completed / self.enrolled) if self.enrolled else None

    def matching(self, show: str) -> int:
        """How many of these lines a filter keeps."""
        return {"all": self.lines, "overdue": self.overdue, "completed": self.completed,
                "not_started": self.lines - self.started}[show]


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


@dataclass(frozen=True)
class _Courses:
    """The cohort's courses, in the order of their titles in the reader's language."""

    rows: list[tuple[int, str, str, date | None]]  # id, slug, title, cohort due date
    languages: dict[int, str]

    @property
    def ids(self) -> list[int]:
        return [row[0] for row in self.rows]

    def order(self, column):
        """SQL: each course's place in title order, to sort lines within a learner."""
        if not self.rows:
            return literal(0)
        return case({course_id: n for n, course_id in enumerate(self.ids)}, value=column,
                    else_=len(self.rows))


def _courses(cohort_id: int, language: str) -> _Courses:
    found = db.session.execute(
        select(Course, CohortCourse.due_on)
        .join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort_id)
        .options(selectinload(Course.texts)).order_by(Course.slug)).all()
    rows = [(c.id, c.slug, c.text(language).title, due) for c, due in found]
    rows.sort(key=lambda row: (row[2].casefold(), row[1]))
    return _Courses(rows, {c.id: c.text(language).language for c, _due in found})


class _Lines:
    """The FROM and the columns of a cohort's report lines, as SQL."""

    def __init__(self, cohort_id: int, today: date):
        self.cohort_id = cohort_id
        course_ids = select(CohortCourse.course_id).where(CohortCourse.cohort_id == cohort_id)
        self.totals = learning.required_totals(course_ids)
        #: Every member, invited or not: cheaper to filter by where the lines (of learners
        #: only) are joined anyway.
        self.member_ids = select(CohortMember.user_id).where(
            CohortMember.cohort_id == cohort_id)
        self.course_ids = course_ids
        e = Enrolment
        total = func.coalesce(self.totals.c.total, 0)
        self.enrolled = and_(e.id.is_not(None), e.active.is_(True))
        self.percent = case((e.id.is_(None), 0), (total == 0, 100),
                            else_=(100 * e.modules_done) // total)
        self.worked = or_(e.modules_done > 0, e.last_module_id.is_not(None),
                          e.completed_at.is_not(None))
        self.due_on = case((e.id.is_(None), CohortCourse.due_on), else_=e.due_on)
        self.overdue = and_(e.completed_at.is_(None), self.due_on.is_not(None),
                            self.due_on < today)

    def select_from(self, *columns):
        """SELECT columns FROM the lines: learners x cohort courses, enrolments if any."""
        return (select(*columns).select_from(CohortMember)
                .join(User, User.id == CohortMember.user_id)
                .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
                .outerjoin(Enrolment, and_(Enrolment.user_id == CohortMember.user_id,
                                           Enrolment.course_id == CohortCourse.course_id))
                .outerjoin(self.totals, self.totals.c.course_id == CohortCourse.course_id)
                .where(CohortMember.cohort_id == self.cohort_id, invitations.is_learner()))

    def started(self):
        """SQL: the line shows work (a module, a visit, a completion or a quiz result)."""
        return or_(self.worked, Enrolment.quiz_score.is_not(None))

    def where(self, statement, options: Options):
        """The filter of `options` (status, course, name) on a statement over the lines."""
        show = {"all": true(), "overdue": self.overdue,
                "not_started": ~self.started(),
                "completed": Enrolment.completed_at.is_not(None)}[options.show]
        statement = statement.where(show, matches_all(User.search_key,
                                                      query_words(options.query)))
        if options.course_id is not None:
            statement = statement.where(CohortCourse.course_id == options.course_id)
        return statement

    def order_by(self, statement, options: Options, courses: _Courses):
        """The order asked for; ties by name, then the course's title."""
        course_order = courses.order(CohortCourse.course_id)
        name = [User.search_key, User.id, course_order]
        if options.sort == "name":
            return statement.order_by(*(c.desc() for c in name) if options.descending
                                      else name)
        key = {"email": User.email, "progress": self.percent,
               "completed": Enrolment.completed_at,
               "activity": Enrolment.last_visited_at}[options.sort]
        key = key.desc() if options.descending else key.asc()
        if options.sort in ("completed", "activity"):
            key = key.nulls_last()  # never done is not "earliest" or "latest"
        return statement.order_by(key, *name)


def _day(value) -> date:
    """A day from a date, a datetime, or SQLite's text for either."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _figures(lines: _Lines, courses: _Courses, learners: int, today: date
             ) -> tuple[dict[int, Figures], dict[date, int], date | None]:
    """Every figure and the chart's counts. The figures are by course id, and for all
    courses together under ALL (the mean score over every scored line, not a mean of the
    courses' means).

    Where the database keeps the cohort's tallies (SQLite, see `tallies`), they are read,
    less what the members the cohort still waits for contribute (usually few, counted).
    Otherwise the learners' enrolments are counted (`_count`).

    The lines without an enrolment row (a learner added before the course was assigned and
    never enrolled) are the learners the tallies or the count did not include: not
    enrolled, not started, and overdue when the cohort's due date has passed.
    """
    if tallies.kept():
        sums, completions, first_start = _kept(lines, today)
    else:
        sums, completions, first_start = _count(
            lines, invitations.learner_ids(lines.cohort_id), today)
    for course_id, _slug, _title, due_on in courses.rows:
        totals = sums[course_id]
        missing = learners - totals[0]
        totals[0] = learners
        if due_on is not None and due_on < today:
            totals[4] += missing
    by_course = {course_id: _make_figures(*totals) for course_id, totals in sums.items()}
    everything = ([sum(column) for column in zip(*sums.values(), strict=True)]
                  or _new_totals())
    by_course[ALL] = _make_figures(*everything)
    return by_course, completions, first_start


def _new_totals() -> list:
    """Lines, enrolled, started, completed, overdue, score sum, scored."""
    return [0, 0, 0, 0, 0, 0.0, 0]


def _count(lines: _Lines, members, today: date
           ) -> tuple[dict[int, list], dict[date, int], date | None]:
    """The totals of the enrolments of `members` (a subquery of user ids) in the cohort's
    courses, by course; completions by day; the first day one of them enrolled.

    One GROUP BY (course, completion day) over the enrolments, reading what each keeps: its
    count of completed modules and its quiz result. It does not join the learners'
    accounts: the members left out (those the cohort still waits for) are left out by id.
    """
    e = Enrolment
    day = type_coerce(func.date(e.completed_at), Date)
    overdue = and_(e.completed_at.is_(None), e.due_on.is_not(None), e.due_on < today)
    statement = (
        select(e.course_id, day, func.count(), func.count(case((e.active.is_(True), 1))),
               func.count(case((lines.started(), 1))), func.count(e.completed_at),
               func.count(case((overdue, 1))), func.sum(e.quiz_score), func.count(e.quiz_score),
               func.min(e.enrolled_at))
        .where(e.course_id.in_(lines.course_ids), e.user_id.in_(members))
        .group_by(e.course_id, day))
    sums: dict[int, list] = defaultdict(_new_totals)
    completions: dict[date, int] = defaultdict(int)
    first_start: date | None = None
    for course_id, completed_on, *counts, first in db.session.execute(statement):
        totals = sums[course_id]
        for n, value in enumerate(counts):
            totals[n] += value or 0
        if completed_on is not None:
            completions[_day(completed_on)] += counts[3]
        if first is not None:
            first = _day(first)
            first_start = first if first_start is None else min(first_start, first)
    return sums, completions, first_start


def _kept(lines: _Lines, today: date
          ) -> tuple[dict[int, list], dict[date, int], date | None]:
    """`_count` of the cohort's learners, from the tallies the database keeps: every
    member's, less the members the cohort waits for."""
    kept, completions, enrolled = tallies.read(lines.cohort_id, today)
    sums: dict[int, list] = defaultdict(_new_totals, kept)
    waiting = select(CohortMember.user_id).where(
        CohortMember.cohort_id == lines.cohort_id,
        CohortMember.user_id.in_(invitations.waiting_ids(lines.cohort_id)))
    waiting_sums, waiting_completions, _first = _count(lines, waiting, today)
    for course_id, counts in waiting_sums.items():
        sums[course_id] = [have - less for have, less in zip(sums[course_id], counts,
                                                               strict=True)]
    for day, count in waiting_completions.items():
        completions[day] -= count
    e = Enrolment
    enrolled_on = type_coerce(func.date(e.enrolled_at), Date)
    for day, count in db.session.execute(
            select(enrolled_on, func.count())
            .where(e.course_id.in_(lines.course_ids), e.user_id.in_(waiting))
            .group_by(enrolled_on)):
        enrolled[_day(day)] -= count
    first_start = min((day for day, count in enrolled.items() if count > 0), default=None)
    return sums, {day: count for day, count in completions.items() if count}, first_start


def _make_figures(lines: int, enrolled: int, started: int, completed: int, overdue: int,
                  score_sum: float, scored: int) -> Figures:
    return Figures(enrolled, started, completed, overdue,
                   round(score_sum / scored, 1) if scored else None, lines)


def _learner_count(cohort_id: int) -> int:
    """The cohort's members less those it still waits for (without joining their accounts)."""
    return db.session.scalar(select(func.count())
                             .select_from(invitations.learner_ids(cohort_id).subquery()))


def _page(lines: _Lines, courses: _Courses, options: Options) -> list[Line]:
    """The page's lines, then their quiz results and certificate codes (100 at most)."""
    e = Enrolment
    statement = lines.select_from(
        User.id, User.email, User.full_name, User.language, CohortMember.external_id,
        CohortCourse.course_id, lines.enrolled, lines.percent, lines.started(),
        e.completed_at, lines.due_on, lines.overdue, e.last_visited_at)
    statement = lines.order_by(lines.where(statement, options), options, courses)
    rows = db.session.execute(statement.limit(PAGE_SIZE)
                              .offset((options.page - 1) * PAGE_SIZE)).all()
    if not rows:
        return []
    user_ids = sorted({row[0] for row in rows})
    course_ids = sorted({row[5] for row in rows})
    results = quizzes.course_results(course_ids, user_ids)
    codes = certificates.codes_for(course_ids, user_ids)
    titles = {row[0]: row for row in courses.rows}
    page = []
    for (user_id, email, full_name, language, external_id, course_id, enrolled, percent,
         started, completed_at, due_on, overdue, last_visit) in rows:
        result = results.get((user_id, course_id))
        _id, slug, title, _due = titles[course_id]
        page.append(Line(
            user_id, email, full_name, language, external_id, course_id, slug, title,
            bool(enrolled), percent, bool(started), completed_at,
            None if result is None else round(result[0], 1),
            None if result is None else result[1], codes.get((user_id, course_id)),
            due_on, bool(overdue), last_visit))
    return page


def cohort_report(cohort_id: int, options: Options, *, language: str, today: date) -> Report:
    """One page of the report, with summary figures and chart over the whole cohort."""
    courses = _courses(cohort_id, language)
    lines = _Lines(cohort_id, today)
    learners = _learner_count(cohort_id)
    by_course, completions, first_start = _figures(lines, courses, learners, today)
    empty = Figures(0, 0, 0, 0, None, 0)
    overall = by_course.pop(ALL)
    if options.query:
        matching = db.session.scalar(lines.where(lines.select_from(func.count()), options))
    elif options.course_id is not None:
        matching = by_course.get(options.course_id, empty).matching(options.show)
    else:
        matching = overall.matching(options.show)
    chart = chart_of_counts(completions, first_start or today, today)
    return Report([(i, t, d) for i, _s, t, d in courses.rows], learners, overall,
                  [(course_id, title, by_course.get(course_id, empty))
                   for course_id, _slug, title, _due in courses.rows],
                  chart, _page(lines, courses, options), matching, options, courses.languages)


def export_csv(cohort_id: int, options: Options, *, language: str, today: date
               ) -> Iterator[str]:
    """The report as CSV text, in pieces of EXPORT_BATCH lines; its first columns are the
    import's, so it can be uploaded again. Starts with a BOM (spreadsheets then read UTF-8);
    every cell is neutralised against formula injection.

    What needs the request (the courses' titles in the reader's language) is read now; the
    lines are read while the pieces are consumed, after the view has returned, from a
    connection of their own and a server-side cursor, so memory stays flat.
    """
    courses = _courses(cohort_id, language)
    lines = _Lines(cohort_id, today)
    e = Enrolment
    results = quizzes.course_results_query(lines.course_ids, lines.member_ids)
    statement = (lines.select_from(
        User.email, User.full_name, User.language, CohortMember.external_id,
        CohortCourse.course_id, lines.percent, results.c.score, results.c.passed,
        e.completed_at, Certificate.code, lines.due_on, lines.overdue)
        .outerjoin(results, and_(results.c.user_id == CohortMember.user_id,
                                 results.c.course_id == CohortCourse.course_id))
        # The current certificate of the line, by its (user, course) index: a subquery
        # restricted to the cohort would be evaluated again for every line on SQLite.
        .outerjoin(Certificate, and_(Certificate.user_id == CohortMember.user_id,
                                     Certificate.course_id == CohortCourse.course_id,
                                     Certificate.replaced_by_id.is_(None))))
    statement = lines.order_by(lines.where(statement, options), options, courses)
    return _write_csv(db.engine, statement, courses)


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _write_csv(engine, statement, courses: _Courses) -> Iterator[str]:
    """The CSV of a statement's lines, EXPORT_BATCH at a time, each line's quiz result and
    certificate code joined in by the statement itself (one query, whatever the size)."""
    slugs = {row[0]: row[1] for row in courses.rows}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    with engine.connect() as connection:
        rows = connection.execution_options(stream_results=True,
                                            max_row_buffer=EXPORT_BATCH).execute(statement)
        for batch in rows.partitions(EXPORT_BATCH):
            writer.writerows([
                neutralise(email), neutralise(full_name), neutralise(user_language),
                neutralise(external_id or ""), neutralise(slugs.get(course_id, "")),
                str(percent), "" if score is None else f"{round(score, 1):g}",
                _yes_no(passed), _day(completed_at).isoformat() if completed_at else "",
                neutralise(code or ""), _day(due_on).isoformat() if due_on else "",
                _yes_no(overdue)]
                for (email, full_name, user_language, external_id, course_id, percent, score,
                     passed, completed_at, code, due_on, overdue) in batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
