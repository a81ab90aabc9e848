"""Catalog search as people type it: no case, no accents, title matches first."""

from __future__ import annotations

import pytest

from tests.helpers import course_md, lesson, publish, write_course


def _course(root, slug, title, summary, language="es"):
    write_course(root, slug, {"course.md": course_md(title, summary, language=language),
                              "01-a.md": lesson("Uno")})


@pytest.fixture
def courses(app, tmp_path):
    _course(tmp_path, "compras", "Compras públicas",
            "Reglas de contratación para cada ministerio.")
    _course(tmp_path, "contratacion", "Contratación pública", "Licitaciones abiertas.")
    _course(tmp_path, "asile", "Droit d'asile", "Protéger les réfugiés.", language="fr")
    _course(tmp_path, "etre", "Être fonctionnaire", "Devoirs et droits.", language="fr")
    publish(app, tmp_path)


def _titles(client, query):
    page = client.get("/courses/", query_string={"q": query}).get_data(as_text=True)
    order = {title: page.find(title) for title in (
        "Compras públicas", "Contratación pública", "Droit d&#39;asile", "Être fonctionnaire")}
    return sorted((t for t, at in order.items() if at >= 0), key=order.get)


@pytest.mark.parametrize("query, found", [
    ("contratacion", ["Contratación pública", "Compras públicas"]),
    ("contratación", ["Contratación pública", "Compras públicas"]),
    ("CONTRATACIÓN", ["Contratación pública", "Compras públicas"]),
    ("refugies", ["Droit d&#39;asile"]),
    ("réfugiés", ["Droit d&#39;asile"]),
    ("ETRE", ["Être fonctionnaire"]),
    ("être", ["Être fonctionnaire"]),
    ("etre fonctionnaire", ["Être fonctionnaire"]),
])
def test_search_ignores_case_and_accents(client, courses, query, found):
    assert _titles(client, query) == found


def test_title_matches_come_before_summary_matches(client, courses):
    # "Compras" sorts first by address, but only its summary says "contratación".
    assert _titles(client, "contratacion")[0] == "Contratación pública"


def test_every_word_must_match(client, courses):
    assert _titles(client, "contratacion asile") == []
