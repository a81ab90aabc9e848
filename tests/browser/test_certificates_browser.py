"""A learner earns a certificate and downloads it; an employer checks it on the public form."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width, sign_in
from tests.certificates.conftest import certified_course
from tests.helpers import publish

pytestmark = pytest.mark.browser

PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


@pytest.fixture
def course(app, tmp_path, monkeypatch):
    """A published course with a certificate; signing keys go to a throw-away instance."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    app.extensions.pop("ecampus.recorded_keys", None)
    certified_course(tmp_path / "courses",
                     certificate="\n  title: Certificate of Achievement\n  hours: 3\n")
    publish(app, tmp_path / "courses")
    yield
    app.extensions.pop("ecampus.recorded_keys", None)


def test_earn_download_and_verify_a_certificate(page, axe, make_user, course, tmp_path):
    learner = make_user(name="Amara Okafor")
    page.goto("/courses/certified-course/")
    sign_in(page, learner.email)
    page.goto("/courses/certified-course/")
    page.get_by_role("button", name="Enrol in this course").click()
    page.get_by_role("link", name="Continue").click()
    for title in ("One", "Two"):
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
        page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("Congratulations: you have completed this course.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    completed = page.get_by_role("listitem").filter(has_text="Protection at borders")
    expect(completed.get_by_text("Completed on")).to_be_visible()
    code = completed.get_by_text("Certificate ").inner_text().removeprefix("Certificate ").strip()
    assert len(code.replace("-", "")) >= 12, code
    assert_fits_width(page)
    axe(page)

    with page.expect_download() as info:
        completed.get_by_role("link", name="Download the PDF").click()
    download = info.value
    assert download.suggested_filename == f"certificate-{code}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    if Path(PDFTOTEXT).exists():
        text = subprocess.run([PDFTOTEXT, "-layout", str(saved), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Amara Okafor" in text
        assert "Protection at borders" in text
        assert code in text

    # An employer, not signed in, types the code as printed, in lower case.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("contentinfo").get_by_role("link", name="Verify a certificate").click()
    expect(page.get_by_role("heading", level=1, name="Verify a certificate")).to_be_visible()
    assert_fits_width(page)
    axe(page)
    page.get_by_label("Certificate code").fill(code.lower())
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", level=1, name=f"Certificate {code}")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Valid.")
    expect(page.get_by_text("Amara Okafor")).to_be_visible()
    expect(page.get_by_text("Certificate of Achievement")).to_be_visible()
    assert_fits_width(page)
    axe(page)


def test_a_mistyped_code_is_explained_next_to_the_field(page, axe):
    page.goto("/verify/")
    page.get_by_label("Certificate code").fill("7K3M-Q9X")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("Certificate code:")
    field = page.get_by_label("Certificate code")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("7K3M-Q9X")
    axe(page)


def test_admin_sets_the_certificate_look_by_keyboard(page, axe, make_user, course, tmp_path):
    from tests.certificates.test_look_images import png, svg

    admin = make_user("admin")
    emblem, hostile = tmp_path / "emblem.svg", tmp_path / "seal.svg"
    emblem.write_bytes(svg('<circle cx="32" cy="32" r="30" fill="#1b365d"/>'))
    hostile.write_bytes(svg("<script>alert(1)</script>"))
    signature = tmp_path / "signature.png"
    signature.write_bytes(png(400, 100))
    page.goto("/admin/certificates/look")
    sign_in(page, admin.email)
    page.goto("/admin/certificates/look")
    expect(page.get_by_role("heading", level=1, name="Certificate look")).to_be_visible()
    assert_fits_width(page)
    axe(page)

    page.get_by_label("Emblem (PNG or SVG)").set_input_files(str(emblem))
    page.get_by_label("Signatory's name").fill("Amina Okafor")
    page.get_by_label("Signatory's title").fill("Director-General")
    page.get_by_label("Signature (PNG or SVG)").set_input_files(str(signature))
    page.get_by_label("Seal (PNG or SVG, optional)").set_input_files(str(hostile))
    page.get_by_label("Seal (PNG or SVG, optional)").press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("“script” element")
    assert_fits_width(page)
    axe(page)

    page.get_by_label("Emblem (PNG or SVG)").set_input_files(str(emblem))
    page.get_by_label("Signature (PNG or SVG)").set_input_files(str(signature))
    page.get_by_role("button", name="Save the look").click()
    expect(page.get_by_text("Certificates now carry this look.")).to_be_visible()
    expect(page.get_by_role("img", name="Current emblem")).to_be_visible()
    expect(page.get_by_role("img", name="Current signature")).to_be_visible()
    assert_fits_width(page)
    axe(page)
