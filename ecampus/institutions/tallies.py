"""Cohort figures kept by the database, where it is SQLite.

A cohort report's figures (enrolled, started, completed, overdue, mean score, the chart) are
one GROUP BY over the members' enrolments. PostgreSQL runs it in well under the report's
budget at 100,000 learners x 5 courses; SQLite, which reads one row at a time in one
thread, needs over a second. So on SQLite, triggers keep the totals in `cohort_tallies`
and `cohort_tally_days` as enrolments, members and courses change, in the same statement
as the change, and the report reads a few dozen rows instead of every enrolment.

The triggers are exact because SQLite has one writer at a time: each sees every change
committed before it, and its own transaction's. (On PostgreSQL two transactions, one adding
a member and one enrolling that member, would each miss the other's uncommitted row; there
the report counts, and these tables stay empty.)

A trigger adds or takes away the contribution of a set of report lines (a line is a
member's enrolment in a course of the cohort): the new member's enrolments in the cohort's
courses, or every member's enrolment in a course newly assigned, each described by one
SELECT and grouped; or one enrolment, in each of its learner's cohorts that has its course,
by the tallies' keys without grouping (enrolments change most often). An update is the old
row taken away and the new one added; an enrolment's update fires only when something the
figures read has changed, not on every lesson visit. `drift` compares what is kept with a
count, for `ecampus doctor`; `rebuild` counts again.
"""

# ruff: noqa: S608 - the SQL here is built from this module's constants only; values are
# bound parameters.

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import DDL, event, text

from ..extensions import db


def _columns(alias: str) -> str:
    """The columns of a line, from an enrolment under `alias` ("started" as the report reads
    it: a module, a visit, a completion or a quiz result)."""
    return (f"{alias}.active AS active, "
            f"({alias}.modules_done > 0 OR {alias}.last_module_id IS NOT NULL "
            f"OR {alias}.completed_at IS NOT NULL OR {alias}.quiz_score IS NOT NULL) "
            f"AS started, {alias}.completed_at AS completed_at, "
            f"{alias}.quiz_score AS quiz_score, {alias}.due_on AS due_on, "
            f"{alias}.enrolled_at AS enrolled_at")


def _of_member(row: str) -> str:
    """The lines of one member: their enrolments in the cohort's courses."""
    return (f"SELECT {row}.cohort_id AS cohort_id, e.course_id AS course_id, {_columns('e')} "
            "FROM cohort_courses c JOIN enrolments e ON e.course_id = c.course_id "
            f"AND e.user_id = {row}.user_id WHERE c.cohort_id = {row}.cohort_id")


def _of_course(row: str) -> str:
    """The lines of one cohort course: every member's enrolment in it."""
    return (f"SELECT {row}.cohort_id AS cohort_id, {row}.course_id AS course_id, "
            f"{_columns('e')} FROM cohort_members m JOIN enrolments e "
            f"ON e.user_id = m.user_id AND e.course_id = {row}.course_id "
            f"WHERE m.cohort_id = {row}.cohort_id")


#: Every line of every cohort: what `rebuild` and `drift` count.
ALL_LINES = (f"SELECT m.cohort_id AS cohort_id, e.course_id AS course_id, {_columns('e')} "
             "FROM cohort_members m JOIN cohort_courses c ON c.cohort_id = m.cohort_id "
             "JOIN enrolments e ON e.user_id = m.user_id AND e.course_id = c.course_id")


def _totals(lines: str) -> str:
    return ("SELECT cohort_id, course_id, count(*) AS lines, sum(active) AS active, "
            "sum(started) AS started, count(completed_at) AS completed, "
            "count(quiz_score) AS scored, total(quiz_score) AS score_sum "
            f"FROM ({lines}) GROUP BY cohort_id, course_id")


def _days(lines: str) -> str:
    """The lines' days: enrolled on, completed on, and due on while not completed."""
    return ("SELECT cohort_id, course_id, day, sum(enrolled) AS enrolled, "
            "sum(completed) AS completed, sum(open_due) AS open_due FROM ("
            "SELECT cohort_id, course_id, date(enrolled_at) AS day, 1 AS enrolled, "
            f"0 AS completed, 0 AS open_due FROM ({lines}) "
            "UNION ALL SELECT cohort_id, course_id, date(completed_at), 0, 1, 0 "
            f"FROM ({lines}) WHERE completed_at IS NOT NULL "
            "UNION ALL SELECT cohort_id, course_id, due_on, 0, 0, 1 "
            f"FROM ({lines}) WHERE completed_at IS NULL AND due_on IS NOT NULL) "
            "GROUP BY cohort_id, course_id, day")


_COUNTS = ("lines", "active", "started", "completed", "scored", "score_sum")
_DAY_COUNTS = ("enrolled", "completed", "open_due")


def change(lines: str, sign: str) -> list[str]:
    """Statements that add (`sign` "+") or take away ("-") the contribution of `lines`.

    Taking away only updates rows that exist, so removing what was never counted (a
    cohort's rows already gone with it) leaves nothing behind."""
    counts = ", ".join(f"{c} = cohort_tallies.{c} {sign} d.{c}" for c in _COUNTS)
    statements = [f"UPDATE cohort_tallies SET {counts} FROM ({_totals(lines)}) AS d "
                  "WHERE cohort_tallies.cohort_id = d.cohort_id "
                  "AND cohort_tallies.course_id = d.course_id"]
    if sign == "+":
        updates = ", ".join(f"{c} = cohort_tally_days.{c} + excluded.{c}" for c in _DAY_COUNTS)
        statements.append(
            "INSERT INTO cohort_tally_days (cohort_id, course_id, day, enrolled, completed, "
            f"open_due) SELECT * FROM ({_days(lines)}) WHERE true "
            f"ON CONFLICT (cohort_id, course_id, day) DO UPDATE SET {updates}")
    else:
        counts = ", ".join(f"{c} = cohort_tally_days.{c} - d.{c}" for c in _DAY_COUNTS)
        statements.append(
            f"UPDATE cohort_tally_days SET {counts} FROM ({_days(lines)}) AS d "
            "WHERE cohort_tally_days.cohort_id = d.cohort_id "
            "AND cohort_tally_days.course_id = d.course_id AND cohort_tally_days.day = d.day")
    return statements


def _enrolment_change(row: str, sign: str) -> list[str]:
    """`change` for one enrolment, `row` (NEW or OLD): the same counts, from the learner's
    memberships to the tallies by their keys, without grouping; the triggers of the busiest
    table run these."""
    member = f"FROM cohort_members AS m WHERE m.user_id = {row}.user_id"

    def of(table: str) -> str:
        return (f"{table}.cohort_id = m.cohort_id AND {table}.course_id = {row}.course_id")

    started = (f"({row}.modules_done > 0 OR {row}.last_module_id IS NOT NULL "
               f"OR {row}.completed_at IS NOT NULL OR {row}.quiz_score IS NOT NULL)")
    statements = [
        f"UPDATE cohort_tallies SET lines = lines {sign} 1, active = active {sign} {row}.active, "
        f"started = started {sign} {started}, "
        f"completed = completed {sign} ({row}.completed_at IS NOT NULL), "
        f"scored = scored {sign} ({row}.quiz_score IS NOT NULL), "
        f"score_sum = score_sum {sign} coalesce({row}.quiz_score, 0) "
        f"{member} AND {of('cohort_tallies')}"]
    days = [("enrolled", f"date({row}.enrolled_at)", "true"),
            ("completed", f"date({row}.completed_at)", f"{row}.completed_at IS NOT NULL"),
            ("open_due", f"{row}.due_on",
             f"{row}.completed_at IS NULL AND {row}.due_on IS NOT NULL")]
    for column, day, condition in days:
        if sign == "+":
            counts = ", ".join("1" if c == column else "0" for c in _DAY_COUNTS)
            statements.append(
                "INSERT INTO cohort_tally_days (cohort_id, course_id, day, enrolled, "
                f"completed, open_due) SELECT t.cohort_id, t.course_id, {day}, {counts} "
                f"FROM cohort_members AS m JOIN cohort_tallies AS t ON {of('t')} "
                f"WHERE m.user_id = {row}.user_id AND {condition} "
                f"ON CONFLICT (cohort_id, course_id, day) DO UPDATE SET {column} = "
                f"cohort_tally_days.{column} + 1")
        else:
            statements.append(
                f"UPDATE cohort_tally_days SET {column} = cohort_tally_days.{column} - 1 "
                f"{member} AND {of('cohort_tally_days')} AND cohort_tally_days.day = {day} "
                f"AND {condition}")
    return statements


#: What changes a line: the columns the figures read, and who and which course it is.
_LINE_CHANGED = " OR ".join(
    [f"OLD.{c} IS NOT NEW.{c}" for c in ("user_id", "course_id", "active", "completed_at",
                                          "quiz_score", "due_on", "enrolled_at")]
    + ["(OLD.modules_done > 0 OR OLD.last_module_id IS NOT NULL) IS NOT "
       "(NEW.modules_done > 0 OR NEW.last_module_id IS NOT NULL)"])


def _trigger(name: str, when: str, statements: list[str]) -> tuple[str, str]:
    body = "; ".join(statements)
    return name, f"CREATE TRIGGER {name} {when} BEGIN {body}; END"


#: (name, statement) of every trigger, in the order they are created.
TRIGGERS: list[tuple[str, str]] = [
    _trigger("enrolments_tally_insert", "AFTER INSERT ON enrolments",
             _enrolment_change("NEW", "+")),
    _trigger("enrolments_tally_update",
             f"AFTER UPDATE ON enrolments FOR EACH ROW WHEN {_LINE_CHANGED}",
             _enrolment_change("OLD", "-") + _enrolment_change("NEW", "+")),
    _trigger("enrolments_tally_delete", "AFTER DELETE ON enrolments",
             _enrolment_change("OLD", "-")),
    _trigger("cohort_members_tally_insert", "AFTER INSERT ON cohort_members",
             change(_of_member("NEW"), "+")),
    _trigger("cohort_members_tally_update",
             "AFTER UPDATE OF cohort_id, user_id ON cohort_members FOR EACH ROW "
             "WHEN OLD.cohort_id IS NOT NEW.cohort_id OR OLD.user_id IS NOT NEW.user_id",
             change(_of_member("OLD"), "-") + change(_of_member("NEW"), "+")),
    _trigger("cohort_members_tally_delete", "AFTER DELETE ON cohort_members",
             change(_of_member("OLD"), "-")),
    _trigger("cohort_courses_tally_insert", "AFTER INSERT ON cohort_courses",
             ["INSERT INTO cohort_tallies (cohort_id, course_id, lines, active, started, "
              "completed, scored, score_sum) VALUES (NEW.cohort_id, NEW.course_id, "
              "0, 0, 0, 0, 0, 0)", *change(_of_course("NEW"), "+")]),
    # Removing a cohort's course removes its tallies by the foreign keys' cascade.
]


#: Statements that count every cohort's tallies into empty tables.
FILL = ["INSERT INTO cohort_tallies (cohort_id, course_id, lines, active, started, completed, "
        "scored, score_sum) SELECT cohort_id, course_id, 0, 0, 0, 0, 0, 0 FROM cohort_courses",
        *change(ALL_LINES, "+")]


for _name, _statement in TRIGGERS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))


def kept() -> bool:
    """Whether the database keeps the figures (SQLite) or the report counts them."""
    return db.engine.dialect.name == "sqlite"


def rebuild() -> None:
    """Count every cohort's tallies again from the enrolments (SQLite; in one transaction)."""
    if not kept():
        return
    session = db.session
    session.execute(text("DELETE FROM cohort_tally_days"))
    session.execute(text("DELETE FROM cohort_tallies"))
    for statement in FILL:
        session.execute(text(statement))
    session.commit()


def drift() -> list[tuple[int, int]]:
    """(cohort, course) whose kept tallies differ from a count of their lines (SQLite only):
    what `rebuild` repairs (and `ecampus doctor` lists)."""
    if not kept():
        return []
    session = db.session
    counted: dict[tuple, tuple] = {}
    for cohort_id, course_id, *counts in session.execute(text(
            "SELECT c.cohort_id, c.course_id, coalesce(t.lines, 0), coalesce(t.active, 0), "
            "coalesce(t.started, 0), coalesce(t.completed, 0), coalesce(t.scored, 0), "
            f"coalesce(t.score_sum, 0) FROM cohort_courses c LEFT JOIN ({_totals(ALL_LINES)}) "
            "AS t ON t.cohort_id = c.cohort_id AND t.course_id = c.course_id")):
        counted[cohort_id, course_id] = _rounded(counts)
    kept_rows = {(cohort_id, course_id): _rounded(counts)
                 for cohort_id, course_id, *counts in session.execute(text(
                     f"SELECT cohort_id, course_id, {', '.join(_COUNTS)} "
                     "FROM cohort_tallies"))}
    counted_days = _day_rows(session.execute(text(_days(ALL_LINES))))
    kept_days = _day_rows(session.execute(text(
        f"SELECT cohort_id, course_id, day, {', '.join(_DAY_COUNTS)} FROM cohort_tally_days")))
    differ = {key for key in counted.keys() | kept_rows.keys()
              if counted.get(key) != kept_rows.get(key)}
    differ |= {key for key in counted_days.keys() | kept_days.keys()
               if counted_days.get(key, {}) != kept_days.get(key, {})}
    session.rollback()
    return sorted(differ)


def _rounded(counts) -> tuple:
    *whole, score_sum = counts
    return (*whole, round(score_sum or 0, 6))


def _day_rows(rows) -> dict[tuple[int, int], dict[str, tuple]]:
    """Days by (cohort, course), leaving out days that count nothing."""
    found: dict[tuple[int, int], dict[str, tuple]] = defaultdict(dict)
    for cohort_id, course_id, day, *counts in rows:
        if any(counts):
            found[cohort_id, course_id][str(day)] = tuple(counts)
    return dict(found)


def read(cohort_id: int, today: date):
    """A cohort's kept totals: by course [lines, active, started, completed, overdue,
    score sum, scored] as the report adds them, completions by day, enrolments by day."""
    session = db.session
    sums: dict[int, list] = {}
    for course_id, lines, active, started, completed, scored, score_sum in session.execute(
            text(f"SELECT course_id, {', '.join(_COUNTS)} FROM cohort_tallies "
                 "WHERE cohort_id = :cohort"), {"cohort": cohort_id}):
        sums[course_id] = [lines, active, started, completed, 0, score_sum, scored]
    completions: dict[date, int] = defaultdict(int)
    enrolled: dict[date, int] = defaultdict(int)
    for course_id, day, enrolled_count, completed, open_due in session.execute(text(
            "SELECT course_id, day, enrolled, completed, open_due FROM cohort_tally_days "
            "WHERE cohort_id = :cohort"), {"cohort": cohort_id}):
        day = date.fromisoformat(str(day)[:10])
        completions[day] += completed
        enrolled[day] += enrolled_count
        if day < today and course_id in sums:
            sums[course_id][4] += open_due
    return sums, completions, enrolled
