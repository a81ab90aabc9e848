"""The report's learner table is searched, sorted and paged by the database, and its CSV
export streams; figures and row counts stay those of the whole cohort."""

from __future__ import annotations

from sqlalchemy import update

from ecampus.extensions import db
from ecampus.institutions import reports
from ecampus.learning.models import Enrolment
from ecampus.timeutil import utcnow
from tests.institutions.test_reports import _export, _report, _rows


def test_name_search_ignores_accents_and_case(manager_client, reported):  # noqa: F811
    cohort, _ids, _people = reported
    page = _report(manager_client, cohort, "?q=BR%C3%9ANO")
    assert {r[0] for r in _rows(page)} == {"Bruno"}
    assert "2 rows" in page and "3 learners" in page


def test_name_search_combines_with_the_status_filter(manager_client, reported):  # noqa: F811
    cohort, _ids, _people = reported
    rows = _rows(_report(manager_client, cohort, "?q=carla&show=not_started"))
    assert {(r[0], r[2]) for r in rows} == {("Carla", "Migration basics"),
                                            ("Carla", "Quiz course")}


def test_search_finding_nobody_says_so(manager_client, reported):  # noqa: F811
    page = _report(manager_client, reported[0], "?q=zzz")
    assert "No learner matches." in page and "0 rows" in page


def test_pages_keep_the_search_and_sort(manager_client, reported):  # noqa: F811
    page = _report(manager_client, reported[0], "?q=ana&sort=progress&order=desc")
    assert 'name="q" type="search" value="ana"' in page
    assert "q=ana" in page[page.index("Learners by course, page"):]


def test_sorting_by_last_activity_puts_recent_first_and_never_visited_last(
        app, manager_client, reported):  # noqa: F811
    cohort, ids, people = reported
    with app.app_context():
        db.session.execute(update(Enrolment).values(last_visited_at=None))
        db.session.execute(update(Enrolment).where(
            Enrolment.user_id == people["Carla"].id,
            Enrolment.course_id == ids["quiz-course"]).values(last_visited_at=utcnow()))
        db.session.commit()
    rows = _rows(_report(manager_client, cohort, "?sort=activity&order=desc"))
    assert (rows[0][0], rows[0][2]) == ("Carla", "Quiz course") and rows[0][9] != "—"
    assert all(r[9] == "—" for r in rows[1:])
    ascending = _rows(_report(manager_client, cohort, "?sort=activity"))
    assert (ascending[0][0], ascending[0][2]) == ("Carla", "Quiz course")


def test_a_page_past_the_end_is_empty_not_an_error(manager_client, reported):  # noqa: F811
    for page in ("?page=7", "?page=100000000"):
        assert "No learner matches." in _report(manager_client, reported[0], page)


def test_a_course_of_another_cohort_gives_no_rows(manager_client, reported):  # noqa: F811
    cohort, ids, _people = reported
    page = _report(manager_client, cohort, "?course=2147483647")
    assert "No learner matches." in page and "0 rows" in page


def test_export_is_streamed_and_follows_the_search(manager_client, reported):  # noqa: F811
    cohort, _ids, _people = reported
    response = manager_client.get(f"/institutions/cohorts/{cohort}/report.csv?q=ana")
    assert response.is_streamed
    assert {r["email"] for r in _export(manager_client, cohort, "?q=ana")} == {
        "ana@example.org"}


def test_export_writes_in_batches(app, manager_client, reported, monkeypatch):  # noqa: F811
    cohort, _ids, _people = reported
    monkeypatch.setattr(reports, "EXPORT_BATCH", 2)
    with app.test_request_context():
        pieces = list(reports.export_csv(cohort, reports.Options(), language="en",
                                         today=utcnow().date()))
    assert len(pieces) == 4  # header and 2 lines, 2 + 2 lines, the rest (empty)
    assert sum(piece.count("\n") for piece in pieces) == 7


def test_options_fall_back_on_nonsense():
    options = reports.parse_options({"sort": "x", "show": "y", "course": "99999999999",
                                     "page": "-4", "q": "  a   b " + "c" * 500})
    assert (options.sort, options.show, options.course_id, options.page) == ("name", "all",
                                                                             None, 1)
    assert options.query.startswith("a b c") and len(options.query) == reports.MAX_QUERY


def test_a_learner_without_an_enrolment_row_still_counts(app, manager_client,
                                                         reported):  # noqa: F811
    """Summary: enrolled, started, completed, rate, mean score, overdue for Migration basics
    (due yesterday) once Carla's enrolment row is gone: she is a line, not enrolled, late."""
    import re

    from sqlalchemy import delete

    cohort, ids, people = reported
    with app.app_context():
        db.session.execute(delete(Enrolment).where(
            Enrolment.user_id == people["Carla"].id,
            Enrolment.course_id == ids["migration-basics"]))
        db.session.commit()
    page = _report(manager_client, cohort)
    summary = page[page.index("Summary by course"):page.index("</table>")]
    row = re.search(r"Migration basics</th>(.*?)</tr>", summary).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["2", "2", "1", "50%", "—", "2"]
    status = {(r[0], r[2]): r[8] for r in _rows(page)}
    assert status[("Carla", "Migration basics")] == "Overdue"
    assert "6 rows" in page
