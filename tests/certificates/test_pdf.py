import html
import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import segno

from ecampus.certificates.pdf import CertificateDocument, _qr_image, render_certificate_pdf

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext (poppler-utils) is not installed, so the PDF's text cannot be read back",
)
needs_pdfimages = pytest.mark.skipif(
    shutil.which("pdfimages") is None,
    reason="pdfimages (poppler-utils) is not installed, so the QR image cannot be extracted",
)

MM = 72 / 25.4  # points per millimetre
FRAME = 11.5 * MM  # the inner border; nothing may be drawn beyond it
A4_LANDSCAPE = (841.89, 595.28)

DOCUMENT = CertificateDocument(
    learner_name="José Ñúñez Çelik",
    course_title="Public Procurement Essentials",
    hours=12.5,
    issued_on=date(2026, 11, 29),
    expires_on=date(2028, 11, 29),
    issuer_name="National School of Public Administration",
    code="7K3M-Q9X-D4R-TVZ8",
    verify_url="https://ecampus.example.gov/verify/7K3M-Q9X-D4R-TVZ8",
)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    """The sample certificate, rendered once: rendering parses three fonts."""
    return render_certificate_pdf(DOCUMENT)


def pdftotext(data: bytes, tmp_path: Path, *options: str) -> str:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", *options, str(source), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def words_with_boxes(data: bytes, tmp_path: Path) -> tuple[list[tuple[float, ...]], str]:
    """Every word's (xMin, yMin, xMax, yMax) in points, plus all words joined."""
    text = pdftotext(data, tmp_path, "-bbox")
    assert text.count("<page ") == 1
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        text,
    )
    boxes = [tuple(float(value) for value in word[:4]) for word in found]
    return boxes, " ".join(html.unescape(word[4]) for word in found)


def assert_laid_out_cleanly(boxes: list[tuple[float, ...]]) -> None:
    """No word crosses the inner border and no two words overlap."""
    width, height = A4_LANDSCAPE
    for x_min, y_min, x_max, y_max in boxes:
        assert FRAME < x_min < x_max < width - FRAME
        assert FRAME < y_min < y_max < height - FRAME
    for index, (x_min, y_min, x_max, y_max) in enumerate(boxes):
        for other in boxes[index + 1 :]:
            apart = x_max <= other[0] or other[2] <= x_min or y_max <= other[1] or other[3] <= y_min
            assert apart, f"words overlap at {x_min:.0f},{y_min:.0f}"


def test_output_is_a_pdf(pdf):
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_page_is_a4_landscape(pdf):
    assert re.findall(rb"/MediaBox \[([^\]]*)\]", pdf) == [b"0 0 841.89 595.28"]
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1


def test_pdf_is_small(pdf):
    assert len(pdf) < 100_000


def test_unicode_font_is_embedded_as_subset(pdf):
    assert pdf.count(b"/FontFile2") == 3
    assert b"/Helvetica" not in pdf


@needs_pdftotext
def test_text_can_be_read_back_with_accents(pdf, tmp_path):
    text = pdftotext(pdf, tmp_path)
    for expected in [
        "National School of Public Administration".upper(),
        "Certificate of Completion",
        "José Ñúñez Çelik",
        "has completed the course",
        "Public Procurement Essentials",
        "12.5 hours",
        "29 November 2026",
        "29 November 2028",
        "7K3M-Q9X-D4R-TVZ8",
        "Verify at",
        "https://ecampus.example.gov/verify/7K3M-Q9X-D4R-TVZ8",
    ]:
        assert expected in text


def xmp_metadata(data: bytes) -> str:
    """The document's XMP metadata packet, as archives and screen readers read it."""
    result = subprocess.run(["pdfinfo", "-meta", "-"], input=data, capture_output=True,
                            check=True)
    return html.unescape(result.stdout.decode())


@needs_pdftotext
def test_metadata_names_title_issuer_course_and_language(pdf):
    meta = xmp_metadata(pdf)
    assert "Certificate of Completion: José Ñúñez Çelik</rdf:li>" in meta
    assert "<dc:creator><rdf:Seq><rdf:li>National School of Public Administration<" in meta
    assert ">Public Procurement Essentials</rdf:li>" in meta
    assert 'pdf:Keywords="7K3M-Q9X-D4R-TVZ8"' in meta
    assert "<dc:language><rdf:Bag><rdf:li>en</rdf:li>" in meta
    assert re.search(rb"/Lang \(en\)", pdf)


@needs_pdftotext
def test_metadata_follows_the_certificate_language(tmp_path):
    data = render_certificate_pdf(replace(DOCUMENT, language="fr"))
    assert "<dc:language><rdf:Bag><rdf:li>fr</rdf:li>" in xmp_metadata(data)
    assert "Certificat de réussite: José Ñúñez Çelik" in xmp_metadata(data)


def test_pdf_declares_pdf_a_2u_with_an_output_intent(pdf):
    meta = xmp_metadata(pdf)
    assert "<pdfaid:part>2</pdfaid:part>" in meta
    assert "<pdfaid:conformance>U</pdfaid:conformance>" in meta
    assert b"/OutputIntents" in pdf and b"/GTS_PDFA1" in pdf


def test_pdf_is_tagged_and_the_qr_code_has_a_text_alternative(pdf):
    assert b"/StructTreeRoot" in pdf and b"/MarkInfo" in pdf
    assert b"/Alt (Verify at https://ecampus.example.gov/verify/7K3M-Q9X-D4R-TVZ8)" in pdf


@needs_pdftotext
def test_text_reads_in_order_top_to_bottom(pdf, tmp_path):
    text = " ".join(pdftotext(pdf, tmp_path).split())
    order = ["NATIONAL SCHOOL", "Certificate of Completion", "This is to certify that",
             "José Ñúñez Çelik", "has completed the course", "Public Procurement Essentials",
             "DURATION", "12.5 hours", "CERTIFICATE CODE", "7K3M-Q9X-D4R-TVZ8", "Verify at",
             "https://ecampus.example.gov/verify/7K3M-Q9X-D4R-TVZ8"]
    positions = [text.index(phrase) for phrase in order]
    assert positions == sorted(positions)


@needs_pdfimages
def test_qr_code_encodes_the_verify_url(pdf, tmp_path):
    from PIL import Image

    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdfimages", "-png", str(source), str(tmp_path / "img")], check=True)
    [extracted] = sorted(tmp_path.glob("img-*.png"))
    image = Image.open(extracted).convert("L")
    expected = segno.make(DOCUMENT.verify_url, error="m", micro=False).matrix
    module = image.width / len(expected)
    assert image.width == image.height
    for row, modules in enumerate(expected):
        for column, dark in enumerate(modules):
            centre = (int((column + 0.5) * module), int((row + 0.5) * module))
            assert (image.getpixel(centre) < 128) == bool(dark)


@pytest.mark.parametrize("url", [DOCUMENT.verify_url, "https://e.example/v/7K3M",
                                 DOCUMENT.verify_url + "?lang=" + "fr" * 200])
def test_qr_image_has_the_pixels_of_segnos_png(url):
    from PIL import Image

    png = io.BytesIO()
    segno.make(url, error="m", micro=False).save(png, kind="png", scale=8, border=0)
    expected, image = Image.open(png), _qr_image(url)
    assert (image.mode, image.size) == (expected.mode, expected.size)
    assert image.tobytes() == expected.tobytes()


@needs_pdftotext
def test_200_character_name_wraps_inside_the_frame(tmp_path):
    name = ("Maria Fernanda de los Ángeles Ñúñez-Çelik Őrsi " * 5)[:200].strip()
    boxes, text = words_with_boxes(
        render_certificate_pdf(replace(DOCUMENT, learner_name=name)), tmp_path
    )
    assert_laid_out_cleanly(boxes)
    assert name in text


@pytest.mark.parametrize("letter", ["W", "Ж"])
@needs_pdftotext
def test_200_wide_letters_without_spaces_stay_inside_the_frame(tmp_path, letter):
    name = letter * 200
    boxes, text = words_with_boxes(
        render_certificate_pdf(replace(DOCUMENT, learner_name=name)), tmp_path
    )
    assert_laid_out_cleanly(boxes)
    assert text.replace(" ", "").count(letter) == 200


@needs_pdftotext
def test_overlong_texts_are_cut_with_an_ellipsis_inside_the_frame(tmp_path):
    long = replace(
        DOCUMENT,
        course_title="Governance " * 100,
        issuer_name="Ministry of Administrative Affairs " * 10,
        certificate_title="Certificate of Advanced Professional Achievement " * 5,
        verify_url="https://ecampus.example.gov/verify/" + "x" * 150,
    )
    boxes, text = words_with_boxes(render_certificate_pdf(long), tmp_path)
    assert_laid_out_cleanly(boxes)
    assert "Governance…" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Certificate of Completion", "12.5 hours", "29 November 2026", "Valid until"]),
        ("es", ["Certificado de finalización", "12,5 horas", "29 de noviembre de 2026"]),
        ("fr", ["Certificat de réussite", "12,5 heures", "29 novembre 2026", "Délivré le"]),
    ],
)
@needs_pdftotext
def test_labels_dates_and_numbers_follow_the_certificate_language(tmp_path, language, expected):
    boxes, text = words_with_boxes(
        render_certificate_pdf(replace(DOCUMENT, language=language)), tmp_path
    )
    assert_laid_out_cleanly(boxes)
    for phrase in expected:
        assert phrase.upper() in text.upper()


@pytest.mark.parametrize(
    ("language", "hours", "expected"),
    [("en", 1, "1 hour"), ("en", 1.5, "1.5 hours"), ("fr", 1.5, "1,5 heure"), ("es", 1, "1 hora")],
)
@needs_pdftotext
def test_hours_use_the_language_plural_rules(tmp_path, language, hours, expected):
    doc = replace(DOCUMENT, language=language, hours=hours)
    text = pdftotext(render_certificate_pdf(doc), tmp_path)
    assert re.search(rf"(?<!\S){re.escape(expected)}(?!\S)", text)


@needs_pdftotext
def test_missing_hours_and_expiry_are_left_out(tmp_path):
    text = pdftotext(
        render_certificate_pdf(replace(DOCUMENT, hours=None, expires_on=None)), tmp_path
    )
    assert "DURATION" not in text
    assert "VALID UNTIL" not in text
    assert "29 November 2026" in text


@needs_pdftotext
def test_course_certificate_title_replaces_the_default(tmp_path):
    doc = replace(DOCUMENT, certificate_title="Diploma in Public Ethics", language="fr")
    text = pdftotext(render_certificate_pdf(doc), tmp_path)
    assert "Diploma in Public Ethics" in text
    assert "Certificat de réussite" not in text


def test_region_is_ignored_in_the_language():
    assert render_certificate_pdf(replace(DOCUMENT, language="fr-CA")) == render_certificate_pdf(
        replace(DOCUMENT, language="fr")
    )


@needs_pdftotext
def test_labels_come_from_the_catalogs_and_english_where_there_is_none(tmp_path):
    portuguese = pdftotext(render_certificate_pdf(replace(DOCUMENT, language="pt")), tmp_path)
    assert "Certifica-se que" in portuguese and "concluiu o curso" in portuguese
    german = pdftotext(render_certificate_pdf(replace(DOCUMENT, language="de")), tmp_path)
    assert "This is to certify that" in german


def test_same_document_gives_the_same_bytes(pdf):
    assert render_certificate_pdf(DOCUMENT) == pdf
