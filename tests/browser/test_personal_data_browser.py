"""A learner asks for a copy of their data and downloads it, in a real browser."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from ecampus.auth.models import User
from ecampus.extensions import db
from tests.browser.steps import assert_fits_width, sign_in
from tests.personal.conftest import EMAIL, NAME, history  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def test_learner_prepares_and_downloads_their_data(app, page, axe, history,  # noqa: F811
                                                  outbox):
    with app.app_context():  # English pages, so the test reads the source strings
        db.session.execute(update(User).where(User.id == history.person.id)
                           .values(language="en"))
        db.session.commit()
    page.goto("/")
    sign_in(page, EMAIL)
    page.goto("/account/profile")
    page.get_by_role("link", name="Download your data").click()
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    expect(page.get_by_text("You have no archive yet.")).to_be_visible()
    axe(page)
    assert_fits_width(page)

    page.get_by_role("button", name="Prepare my data").click()
    expect(page.get_by_text("Your data is being prepared.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Being prepared since")).to_be_visible()
    axe(page)

    mails = [path.read_text() for path in outbox.glob("*.eml")]  # the worker runs
    assert any(f"To: {EMAIL}" in mail and "/account/data" in mail for mail in mails)
    page.reload()
    link = page.get_by_role("link", name=re.compile("^Archive of "))
    expect(link).to_be_visible()
    axe(page)
    assert_fits_width(page)
    with page.expect_download() as download:
        link.click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert {"index.html", "profile.json", "attempts.json"} <= set(archive.namelist())

    # The archive's own page, opened offline, is readable and accessible too.
    page.set_content(archive.read("index.html").decode())
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text(NAME).first).to_be_visible()
    axe(page)
    assert_fits_width(page)


def test_erase_page_is_accessible_and_explains_the_consequences(page, axe, make_user):
    learner = make_user("learner")
    page.goto("/")
    sign_in(page, learner.email)
    page.goto("/account/profile")
    page.get_by_role("link", name="Erase your account").click()
    expect(page.get_by_text("cannot be undone")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe(page)
    assert_fits_width(page)
    page.get_by_label("Your password").fill("correct horse battery")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_text("Your account is erased.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Sign in")).to_be_visible()


def test_admin_erases_an_account_from_its_page(page, axe, make_user):
    learner = make_user("learner", name="Ona Erasable")
    admin = make_user("admin")
    page.goto("/")
    sign_in(page, admin.email)
    page.goto(f"/admin/users/{learner.id}")
    page.get_by_role("link", name="Erase this account and its personal data").click()
    expect(page.get_by_role("heading", name="Erase an account")).to_be_visible()
    axe(page)
    assert_fits_width(page)
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Erase this account").click()
    expect(page.get_by_text(f"Account {learner.id} is erased.")).to_be_visible()
    expect(page.get_by_role("heading", name="Erased account")).to_be_visible()
    axe(page)
