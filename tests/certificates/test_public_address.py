"""Every address a certificate carries (QR code, printed link, credential ids) is PUBLIC_URL's,
whichever host the learner downloaded it from."""

from __future__ import annotations

import json
import subprocess

import pytest
import segno

from tests.certificates.test_pdf import needs_pdfimages, needs_pdftotext, pdftotext

PUBLIC = "https://campus.example.gov"


@pytest.fixture
def public_address(app, monkeypatch):
    """PUBLIC_URL differs from the host the learner uses, from before the course is done."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)


def _download(app, client, earned, suffix: str) -> bytes:
    """The certificate as its learner downloads it through another allowed host."""
    name = app.config["SESSION_COOKIE_NAME"]
    client.set_cookie(name, client.get_cookie(name).value, domain="127.0.0.1")
    response = client.get(f"http://127.0.0.1:5000/certificates/{earned.code}{suffix}")
    assert response.status_code == 200
    assert response.request.host == "127.0.0.1:5000"
    return response.data


def test_credential_ids_use_the_public_address(app, public_address, client, earned):
    credential = json.loads(_download(app, client, earned, ".json"))
    assert credential["issuer"]["id"] == f"{PUBLIC}/issuer"
    assert credential["credentialStatus"]["statusListCredential"].startswith(PUBLIC + "/")
    assert credential["proof"]["verificationMethod"].startswith(f"{PUBLIC}/issuer")
    assert "127.0.0.1" not in json.dumps(credential)


@needs_pdftotext
def test_printed_verify_link_uses_the_public_address(app, public_address, client, earned,
                                                     tmp_path):
    text = pdftotext(_download(app, client, earned, ".pdf"), tmp_path)
    assert f"{PUBLIC}/verify/{earned.code}" in "".join(text.split()), text  # may wrap


@needs_pdfimages
def test_qr_code_encodes_the_public_verify_address(app, public_address, client, earned,
                                                   tmp_path):
    from PIL import Image

    source = tmp_path / "certificate.pdf"
    source.write_bytes(_download(app, client, earned, ".pdf"))
    subprocess.run(["pdfimages", "-png", str(source), str(tmp_path / "img")], check=True)
    [extracted] = sorted(tmp_path.glob("img-*.png"))
    image = Image.open(extracted).convert("L")
    expected = segno.make(f"{PUBLIC}/verify/{earned.code}", error="m", micro=False).matrix
    module = image.width / len(expected)
    assert [[image.getpixel((int((column + 0.5) * module), int((row + 0.5) * module))) < 128
             for column in range(len(expected))] for row in range(len(expected))] == [
        [bool(dark) for dark in modules] for modules in expected]
