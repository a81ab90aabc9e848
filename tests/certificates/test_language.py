"""One language per certificate: the one the course was taken in, for every word it says;
and the verification page writes durations and dates exactly as the PDF does."""

from __future__ import annotations

import pytest

from ecampus.certificates import wording
from tests.certificates.conftest import certificate_of, complete
from tests.certificates.test_pdf import needs_pdftotext, pdftotext
from tests.helpers import course_md, lesson, publish, write_course

FRENCH_CRITERIA = "A terminé tous les modules obligatoires du cours et réussi ses quiz."
ENGLISH_CRITERIA = "Completed every required module of the course, passing its quizzes."


def _course(root, *, french: bool, certificate: str = "\n  hours: 3\n  expires_after: 2y"):
    files = {
        "course.md": course_md("Protection at borders", "Rights-based border management.",
                               certificate=certificate),
        "01-one.md": lesson("One"),
        "02-two.md": lesson("Two"),
    }
    if french:
        files["course.fr.md"] = course_md("Protection aux frontières",
                                          "Gestion des frontières fondée sur les droits.")
    write_course(root, "certified-course", files)


def _earn(app, client, make_user, tmp_path, *, language: str, **course):
    _course(tmp_path / "courses", **course)
    publish(app, tmp_path / "courses")
    learner = make_user(language=language)
    client.sign_in(learner.email)
    complete(client)
    return certificate_of(app, learner.id)


def _achievement(certificate) -> dict:
    return certificate.credential["credentialSubject"]["achievement"]


def test_french_learner_of_an_english_only_course_gets_it_all_in_english(
        app, client, make_user, tmp_path):
    certificate = _earn(app, client, make_user, tmp_path, language="fr", french=False)
    assert certificate.language == "en"
    assert certificate.certificate_title == "Certificate of Completion"
    achievement = _achievement(certificate)
    assert achievement["criteria"]["narrative"] == ENGLISH_CRITERIA
    assert achievement["name"] == "Protection at borders"
    assert achievement["inLanguage"] == "en"


def test_french_learner_of_a_french_course_gets_it_all_in_french(
        app, client, make_user, tmp_path):
    certificate = _earn(app, client, make_user, tmp_path, language="fr", french=True)
    assert certificate.language == "fr"
    assert certificate.certificate_title == "Certificat de réussite"
    achievement = _achievement(certificate)
    assert achievement["criteria"]["narrative"] == FRENCH_CRITERIA
    assert achievement["name"] == certificate.course_title == "Protection aux frontières"
    assert achievement["description"] == "Gestion des frontières fondée sur les droits."
    assert achievement["inLanguage"] == "fr"


def test_english_learner_of_a_french_course_gets_it_in_english(
        app, client, make_user, tmp_path):
    certificate = _earn(app, client, make_user, tmp_path, language="en", french=True)
    assert certificate.language == "en"
    assert _achievement(certificate)["criteria"]["narrative"] == ENGLISH_CRITERIA


@pytest.mark.parametrize(("language", "title"), [("fr", "Attestation de protection"),
                                                 ("en", "Protection award")])
def test_author_title_for_the_certificate_language_is_used(
        app, client, make_user, tmp_path, language, title):
    certificate = _earn(
        app, client, make_user, tmp_path, language=language, french=True,
        certificate="\n  title: Protection award\n  titles:\n"
                    "    fr: Attestation de protection")
    assert certificate.certificate_title == title


@needs_pdftotext
def test_page_and_pdf_write_duration_and_dates_the_same_way(
        app, client, make_user, tmp_path):
    certificate = _earn(app, client, make_user, tmp_path, language="fr", french=True)
    pdf_text = " ".join(pdftotext(client.get(f"/certificates/{certificate.code}.pdf").data,
                                  tmp_path).split())
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    for fact in ("3 heures", wording.format_day(certificate.issued_on, "fr"),
                 wording.format_valid_until(certificate.expires_on, "fr")):
        assert fact in pdf_text, fact
        assert fact in page, fact


def test_page_writes_hours_in_words_in_the_viewers_language(app, client, make_user, tmp_path):
    certificate = _earn(app, client, make_user, tmp_path, language="en", french=False)
    page = app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "3 hours" in page
    assert "Hours" not in page


def test_verify_page_marks_an_arabic_course_title(app, client, make_user, tmp_path):
    write_course(tmp_path / "courses", "certified-course", {
        "course.md": course_md("الحماية على الحدود", "إدارة الحدود القائمة على الحقوق.",
                               language="ar", certificate="true"),
        "01-one.md": lesson("واحد"),
        "02-two.md": lesson("اثنان"),
    })
    publish(app, tmp_path / "courses")
    learner = make_user(language="es")
    client.sign_in(learner.email)
    client.submit("/learning/courses/certified-course/enrol")
    for module in ("one", "two"):
        client.submit(f"/learning/courses/certified-course/{module}/done")
    certificate = certificate_of(app, learner.id)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert 'lang="ar" dir="rtl">الحماية على الحدود<' in page
