"""Cohort reports: progress, quiz results, completions, certificates, lateness and exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from ecampus.extensions import db
from ecampus.institutions.csvfile import EXPORT_COLUMNS
from ecampus.institutions.models import CohortMember
from tests.helpers import count_page_queries
from tests.institutions.conftest import (
    confirm,
    counts,
    csv_bytes,
    import_and_accept,
    import_and_confirm,
    upload,
)


def _rows(page: str) -> list[list[str]]:
    body = page[page.index("Learners by course, page"):]
    body = body[:body.index("</table>")]
    return [[" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in re.findall(
        r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]


def _report(client, cohort, query: str = "") -> str:
    response = client.get(f"/institutions/cohorts/{cohort}/report{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _export(client, cohort, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/institutions/cohorts/{cohort}/report.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_report_shows_progress_quiz_result_completion_and_certificate(manager_client, reported):
    cohort, _ids, people = reported
    rows = {(r[0], r[2]): r for r in _rows(_report(manager_client, cohort))}
    ana_quiz = rows[("Ana", "Quiz course")]
    assert ana_quiz[3] == "100%" and ana_quiz[4] == "100% · passed"
    assert ana_quiz[5] != "—" and re.fullmatch(r"[A-Z0-9-]{8,}", ana_quiz[6])
    assert ana_quiz[8] == "Completed"
    bruno = rows[("Bruno", "Migration basics")]
    assert bruno[3] == "33%" and bruno[6] == "—"
    assert rows[("Bruno", "Quiz course")][4] == "0% · not passed"
    assert rows[("Carla", "Migration basics")][3] == "0%"


def test_overdue_means_not_completed_and_past_the_due_date(manager_client, reported):
    cohort, _ids, _people = reported
    status = {(r[0], r[2]): r[8] for r in _rows(_report(manager_client, cohort))}
    assert status == {
        ("Ana", "Migration basics"): "Completed", ("Ana", "Quiz course"): "Completed",
        ("Bruno", "Migration basics"): "Overdue", ("Bruno", "Quiz course"): "In progress",
        ("Carla", "Migration basics"): "Overdue", ("Carla", "Quiz course"): "Not started"}


@pytest.mark.parametrize(("show", "expected"), [
    ("overdue", {("Bruno", "Migration basics"), ("Carla", "Migration basics")}),
    ("not_started", {("Carla", "Migration basics"), ("Carla", "Quiz course")}),
    ("completed", {("Ana", "Migration basics"), ("Ana", "Quiz course")}),
])
def test_report_filters(manager_client, reported, show, expected):
    cohort, _ids, _people = reported
    rows = _rows(_report(manager_client, cohort, f"?show={show}"))
    assert {(r[0], r[2]) for r in rows} == expected


def test_report_filters_by_course(manager_client, reported):
    cohort, ids, _people = reported
    rows = _rows(_report(manager_client, cohort, f"?course={ids['quiz-course']}"))
    assert {r[2] for r in rows} == {"Quiz course"} and len(rows) == 3


@pytest.mark.parametrize(("query", "column", "expected"), [
    ("?sort=name", 0, ["Ana", "Ana", "Bruno", "Bruno", "Carla", "Carla"]),
    ("?sort=name&order=desc", 0, ["Carla", "Carla", "Bruno", "Bruno", "Ana", "Ana"]),
    ("?sort=email&order=desc", 1, ["carla@example.org"] * 2 + ["bruno@example.org"] * 2
     + ["ana@example.org"] * 2),
    ("?sort=progress&order=desc", 3, ["100%", "100%", "33%", "0%", "0%", "0%"]),
])
def test_report_sorts_on_the_server(manager_client, reported, query, column, expected):
    cohort, _ids, _people = reported
    assert [r[column] for r in _rows(_report(manager_client, cohort, query))] == expected


def test_sorting_by_completion_date_puts_unfinished_last(manager_client, reported):
    cohort, _ids, _people = reported
    for order in ("asc", "desc"):
        rows = _rows(_report(manager_client, cohort, f"?sort=completed&order={order}"))
        assert [r[8] for r in rows[:2]] == ["Completed", "Completed"]
        assert all(r[5] == "—" for r in rows[2:])
    ascending = _rows(_report(manager_client, cohort, "?sort=completed"))
    descending = _rows(_report(manager_client, cohort, "?sort=completed&order=desc"))
    assert [r[2] for r in ascending[:2]] == [r[2] for r in reversed(descending[:2])]


def test_nonsense_options_fall_back_to_defaults(manager_client, reported):
    cohort, _ids, _people = reported
    assert len(_rows(_report(manager_client, cohort, "?sort=drop&show=x&course=y&page=-3"))) == 6


def test_summary_figures_cover_the_cohort(manager_client, reported):
    cohort, _ids, _people = reported
    page = _report(manager_client, cohort)
    summary = page[page.index("Summary by course"):page.index("</table>")]
    cells = {re.sub(r"<[^>]+>", "", row[0]).strip(): re.findall(r"<td>([^<]*)</td>", row[1])
             for row in re.findall(r"<tr>(<th scope=\"row\"[^>]*>.*?</th>)(.*?)</tr>", summary)}
    # enrolled, started, completed, completion rate, mean score, overdue
    assert cells["Migration basics"] == ["3", "2", "1", "33%", "—", "2"]
    assert cells["Quiz course"] == ["3", "2", "1", "33%", "50%", "0"]
    assert cells["All courses"] == ["6", "4", "2", "33%", "50%", "2"]
    assert "3 learners" in page


def test_chart_is_inline_svg_with_a_text_alternative(manager_client, reported):
    cohort, _ids, _people = reported
    page = _report(manager_client, cohort)
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "<polyline" in svg
    assert "Completions by date, as a table" in page
    assert "Cumulative completions by date" in page


def test_report_pages_obey_the_content_security_policy(manager_client, reported):
    cohort, _ids, _people = reported
    for url in (f"/institutions/cohorts/{cohort}/report", f"/institutions/cohorts/{cohort}",
                f"/institutions/cohorts/{cohort}/import", "/institutions/"):
        page = manager_client.get(url).get_data(as_text=True)
        assert " style=" not in page and "<script" not in page and "<style" not in page


def test_report_is_paginated_but_figures_cover_everyone(app, manager_client, institution,
                                                        make_cohort, courses):
    cohort = make_cohort(institution, course_ids=[courses["migration-basics"]])
    import_and_accept(manager_client, app, cohort, csv_bytes(
        *[f"p{n:03d}@example.org,Person {n:03d},," for n in range(101)]))
    first = _report(manager_client, cohort)
    assert len(_rows(first)) == 100 and "page 1 of 2" in first and "101 learners" in first
    second = _report(manager_client, cohort, "?page=2")
    assert [r[0] for r in _rows(second)] == ["Person 100"]


def test_report_runs_the_same_queries_for_5_or_50_learners(app, manager_client, institution,
                                                          make_cohort, courses):
    needed = []
    for size in (5, 50):
        cohort = make_cohort(institution, f"Cohort {size}", course_ids=list(courses.values()))
        import_and_accept(manager_client, app, cohort, csv_bytes(
            *[f"q{size}-{n}@example.org,Person {n},," for n in range(size)]))
        url = f"/institutions/cohorts/{cohort}/report"
        needed.append((count_page_queries(app, manager_client, url),
                       count_page_queries(app, manager_client, url + ".csv")))
    assert needed[0] == needed[1]


def test_export_starts_with_the_import_columns(manager_client, reported):
    cohort, _ids, _people = reported
    response = manager_client.get(f"/institutions/cohorts/{cohort}/report.csv")
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert tuple(header) == EXPORT_COLUMNS
    assert header[:4] == ["email", "full_name", "language", "external_id"]


def test_export_has_one_row_per_learner_and_course(manager_client, reported):
    cohort, _ids, _people = reported
    rows = {(r["email"], r["course"]): r for r in _export(manager_client, cohort)}
    assert len(rows) == 6
    ana = rows[("ana@example.org", "quiz-course")]
    assert (ana["progress_percent"], ana["quiz_score"], ana["quiz_passed"]) == ("100", "100",
                                                                                 "yes")
    assert ana["completed_on"] and ana["certificate_code"] and ana["overdue"] == "no"
    carla = rows[("carla@example.org", "migration-basics")]
    assert (carla["external_id"], carla["completed_on"], carla["overdue"]) == ("EMP-2", "",
                                                                              "yes")


def test_export_follows_the_filter(manager_client, reported):
    cohort, _ids, _people = reported
    assert {r["email"] for r in _export(manager_client, cohort, "?show=overdue")} == {
        "bruno@example.org", "carla@example.org"}


def test_exported_cells_cannot_run_as_formulas(app, manager_client, institution, make_cohort,
                                               courses):
    cohort = make_cohort(institution, course_ids=[courses["migration-basics"]])
    import_and_accept(manager_client, app, cohort, csv_bytes(
        'x@example.org,"=HYPERLINK(""http://x"",""y"")",,-5',
        "y@example.org,@SUM(A1),,+33 1 23"))
    rows = {r["email"]: r for r in _export(manager_client, cohort)}
    assert rows["x@example.org"]["full_name"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert rows["x@example.org"]["external_id"] == "'-5"
    assert rows["y@example.org"]["full_name"] == "'@SUM(A1)"
    assert rows["y@example.org"]["external_id"] == "'+33 1 23"
    for row in rows.values():
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r"))
                       for value in row.values())


def test_an_export_round_trips_as_an_import(app, manager_client, institution, make_cohort,
                                            courses):
    first = make_cohort(institution, "First", course_ids=list(courses.values()))
    import_and_accept(manager_client, app, first, csv_bytes(
        'x@example.org,"=HYPERLINK(""http://x"",""y"")",fr,-5',
        "y@example.org,Yves Ünal,es,EMP-2", "z@example.org,Zoë,,"))
    exported = manager_client.get(f"/institutions/cohorts/{first}/report.csv").get_data()
    second = make_cohort(institution, "Second")
    response = upload(manager_client, second, exported, filename="report.csv")
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 members of your institution will be added and enrolled." in page
    assert "These columns are ignored: course, progress_percent" in page
    confirm(manager_client, response.headers["Location"])

    def members(cohort_id):
        with app.app_context():
            return set(db.session.execute(select(CohortMember.user_id, CohortMember.external_id)
                                          .where(CohortMember.cohort_id == cohort_id)).all())

    assert members(second) == members(first)
    assert "-5" in {external for _user, external in members(second)}


def test_an_export_uploaded_to_its_own_cohort_changes_nothing(app, manager_client, reported):
    cohort, _ids, _people = reported
    before = counts(app)
    exported = manager_client.get(f"/institutions/cohorts/{cohort}/report.csv").get_data()
    import_and_confirm(manager_client, cohort, exported)
    after = counts(app)
    assert (after.users, after.members, after.enrolments) == (before.users, before.members,
                                                              before.enrolments)


@pytest.mark.parametrize("language", ["es", "fr"])
def test_report_figures_follow_the_managers_language(manager_client, reported, language):
    cohort, _ids, _people = reported
    manager_client.submit("/language", {"language": language, "next": "/"})
    page = _report(manager_client, cohort)
    figures = set(re.findall(r">([^<>]*%)<", page))
    assert {"0\u00a0%", "33\u00a0%", "100\u00a0%"} <= figures, figures
    assert not {"0%", "33%", "100%"} & figures
