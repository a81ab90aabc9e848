"""The institution's own look: set by an admin (or from the instance folder), printed on
every certificate's PDF and verify page, and named in the issuer profile."""

import io
import json
import shutil
import subprocess

import pytest
from sqlalchemy import select

from ecampus.certificates.models import IssuerLook
from ecampus.extensions import db

from .test_look_images import png, svg

EMBLEM = svg('<circle cx="32" cy="32" r="30" fill="#1b365d"/>')
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils is not installed")


def upload(client, **fields):
    """Send the look form with files, as a browser would."""
    data = {"signatory_name": "", "signatory_title": ""}
    for name, value in fields.items():
        data[name] = (io.BytesIO(value[1]), value[0]) if isinstance(value, tuple) else value
    return client.submit("/admin/certificates/look", data,
                         content_type="multipart/form-data")


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    client.sign_in(admin.email)
    return client


def stored(app) -> IssuerLook | None:
    with app.app_context():
        row = db.session.scalar(select(IssuerLook))
        if row is not None:
            db.session.expunge(row)
        return row


def test_admin_page_shows_the_form(admin_client):
    page = admin_client.get("/admin/certificates/look")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in text and 'name="csrf_token"' in text


def test_admin_sets_emblem_signatory_and_seal(app, admin_client):
    response = upload(admin_client, emblem=("emblem.svg", EMBLEM),
                      signature=("signature.png", png(400, 100)),
                      seal=("seal.png", png(200, 200)),
                      signatory_name="Amina Okafor", signatory_title="Director-General")
    assert response.status_code == 302
    row = stored(app)
    assert row.emblem == EMBLEM and row.emblem_type == "image/svg+xml"
    assert row.signature_type == row.seal_type == "image/png"
    assert (row.signatory_name, row.signatory_title) == ("Amina Okafor", "Director-General")


def test_saving_again_without_files_keeps_the_images(app, admin_client):
    upload(admin_client, emblem=("emblem.svg", EMBLEM))
    upload(admin_client, signatory_name="New Name")
    row = stored(app)
    assert row.emblem == EMBLEM and row.signatory_name == "New Name"


def test_remove_takes_an_image_away(app, admin_client):
    upload(admin_client, emblem=("emblem.svg", EMBLEM))
    upload(admin_client, remove_emblem="y")
    assert stored(app).emblem is None


def test_hostile_file_is_refused_with_a_message_and_nothing_is_kept(app, admin_client):
    response = upload(admin_client, emblem=("emblem.svg", EMBLEM),
                      seal=("seal.svg", svg("<script>alert(1)</script>")),
                      signatory_name="Amina Okafor")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "This SVG contains a “script” element" in text
    assert stored(app) is None


def test_form_without_csrf_token_changes_nothing(app, admin_client):
    response = admin_client.post("/admin/certificates/look", data={
        "signatory_name": "Intruder", "csrf_token": ""}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored(app) is None


def test_learner_cannot_change_the_look(app, client, learner):
    client.sign_in(learner.email)
    response = upload(client, signatory_name="Intruder")
    assert response.status_code == 403
    assert stored(app) is None


def test_default_certificate_has_no_look(app, earned):
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    assert "/issuer/look/" not in page and "Signed by" not in page
    profile = json.loads(app.test_client().get("/issuer").data)
    assert "image" not in profile
    assert app.test_client().get("/issuer/look/emblem").status_code == 404


def test_look_appears_on_verify_page_and_issuer_profile(app, earned, admin_client):
    upload(admin_client, emblem=("emblem.svg", EMBLEM), signature=("s.png", png(400, 100)),
           signatory_name="Amina Okafor", signatory_title="Director-General")
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    assert 'class="issuer-emblem" src="/issuer/look/emblem?v=' in page
    assert "<bdi>Amina Okafor</bdi>, <bdi>Director-General</bdi>" in page
    assert 'alt="Signature of Amina Okafor"' in page
    profile = json.loads(app.test_client().get("/issuer").data)
    assert profile["image"] == {"id": "http://localhost/issuer/look/emblem", "type": "Image"}


def test_served_svg_cannot_run_anything(app, admin_client):
    upload(admin_client, emblem=("emblem.svg", EMBLEM))
    response = app.test_client().get("/issuer/look/emblem")
    assert response.status_code == 200 and response.data == EMBLEM
    assert response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert app.test_client().get("/issuer/look/nonsense").status_code == 404


@needs_poppler
def test_look_is_printed_on_the_pdf(app, client, earned, admin_client, tmp_path):
    upload(admin_client, emblem=("emblem.png", png(120, 120)),
           signature=("s.png", png(400, 100)), seal=("seal.svg", EMBLEM),
           signatory_name="Amina Okafor", signatory_title="Director-General")
    data = client.get(f"/certificates/{earned.code}.pdf").data
    (tmp_path / "c.pdf").write_bytes(data)
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Amina Okafor" in text and "Director-General" in text
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "c.pdf")],
                            capture_output=True, text=True, check=True).stdout
    # The QR code, the emblem and the signature (the SVG seal is drawn as vectors).
    assert len([line for line in images.splitlines()[2:] if " image " in line]) == 3
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(tmp_path / "c.pdf"),
                    str(tmp_path / "with-look")], check=True)


def test_look_is_read_from_the_instance_folder(app, tmp_path):
    folder = tmp_path / "instance" / "certificate-look"
    folder.mkdir(parents=True)
    (folder / "emblem.svg").write_bytes(EMBLEM)
    (folder / "signatory.txt").write_text("Amina Okafor\nDirector-General\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["certificates", "look"])
    assert result.exit_code == 0, result.output
    assert "emblem.svg" in result.output
    row = stored(app)
    assert row.emblem == EMBLEM and row.signatory_title == "Director-General"


def test_hostile_file_in_the_instance_folder_is_refused(app, tmp_path):
    folder = tmp_path / "look"
    folder.mkdir()
    (folder / "seal.svg").write_bytes(svg('<image href="file:///etc/passwd"/>'))
    result = app.test_cli_runner().invoke(args=["certificates", "look", str(folder)])
    assert result.exit_code == 1
    assert "“image”" in result.output
    assert stored(app) is None
