"""A visitor switches the interface to Portuguese and learns in it: every page in Portuguese,
accessible to axe and no wider than a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width
from tests.conftest import PASSWORD
from tests.helpers import course_md, lesson, publish, write_course

pytestmark = pytest.mark.browser


@pytest.fixture
def two_lessons(app, tmp_path):
    files = {"course.md": course_md("Consular assistance", "Helping nationals abroad.",
                                    duration="1h"),
             "01-passports.md": lesson("Lost passports", "What to do.", duration="15m"),
             "02-arrests.md": lesson("Arrests", "What to do.", duration="15m")}
    write_course(tmp_path, "consular-assistance", files)
    publish(app, tmp_path)


def _checked(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    assert_fits_width(page)


def test_learning_in_portuguese(page, axe, learner, two_lessons):
    page.goto("/")
    page.get_by_role("button", name="Português").click()
    main_menu = page.get_by_role("navigation", name="Principal")
    expect(main_menu.get_by_role("link", name="Iniciar sessão")).to_be_visible()
    _checked(page)
    axe(page)

    page.goto("/courses/")
    expect(page.get_by_role("heading", level=1, name="Cursos")).to_be_visible()
    _checked(page)
    axe(page)

    page.goto("/courses/consular-assistance/")
    page.get_by_role("link", name="Inicie sessão para se inscrever").click()
    expect(page.get_by_role("heading", level=1, name="Iniciar sessão")).to_be_visible()
    _checked(page)
    axe(page)
    page.get_by_label("Endereço de email").fill(learner.email)
    page.get_by_label("Palavra-passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sessão").click()

    # The account was made in English: choosing Portuguese again makes it the account's own.
    page.get_by_role("button", name="Português").click()
    page.get_by_role("button", name="Inscrever-me neste curso").click()
    expect(page.get_by_text("Está inscrito.")).to_be_visible()
    _checked(page)
    axe(page)

    page.get_by_role("link", name="Continuar").click()
    expect(page.get_by_role("heading", level=1, name="Lost passports")).to_be_visible()
    page.get_by_role("button", name="Marcar como feito").click()
    expect(page.get_by_text("Marcado como feito.")).to_be_visible()
    _checked(page)
    axe(page)

    page.get_by_role("navigation", name="Principal").get_by_role(
        "link", name="A minha aprendizagem").click()
    expect(page.get_by_role("heading", level=1, name="A minha aprendizagem")).to_be_visible()
    _checked(page)
    axe(page)

    page.get_by_role("link", name="Perfil").click()
    expect(page.get_by_label("Língua preferida")).to_have_value("pt")
    _checked(page)
    axe(page)
