"""A learner's name, in any script and however it was typed, is stored composed and reads
the same on the verification page and in the PDF."""

import shutil
import subprocess
import unicodedata

import pytest

from tests.helpers import publish

from .conftest import certificate_of, certified_course, complete

NAMES = ["José Ñúñez", "محمد بن عبد الله", "דוד בן־גוריון", "王小明", "김민준", "สมชาย ใจดี",
         "Пётр Чайковский"]


@pytest.mark.parametrize("name", NAMES)
def test_name_typed_decomposed_is_certified_composed(app, client, learner, tmp_path, name):
    client.sign_in(learner.email)
    client.submit("/account/profile", {"full_name": unicodedata.normalize("NFD", name),
                                       "language": "en"})
    certified_course(tmp_path / "courses")
    publish(app, tmp_path / "courses")
    complete(client)
    certificate = certificate_of(app, learner.id)
    assert certificate.learner_name == name
    assert certificate.credential["credentialSubject"]["name"] == name
    page = app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert f"<bdi>{name}</bdi>" in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_pdf_download_prints_the_name_of_the_verify_page(app, client, learner, tmp_path):
    name = "محمد بن عبد الله"
    client.sign_in(learner.email)
    client.submit("/account/profile", {"full_name": name, "language": "en"})
    certified_course(tmp_path / "courses")
    publish(app, tmp_path / "courses")
    complete(client)
    code = certificate_of(app, learner.id).code
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    marks = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e"))
    assert name in [line.translate(marks).strip() for line in text.splitlines()]
