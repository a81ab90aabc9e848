"""Certificate PDFs: plain data in, bytes out, so they can be rendered and tested without Flask.

One A4 landscape page: issuer, title, learner, course, duration and dates, the certificate
code and a QR code of the verification URL. Labels and dates follow the certificate's own
language, not the web request's, because the document outlives the session that made it.
DejaVu fonts are embedded (as subsets) so any Latin, Greek or Cyrillic name renders.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import segno
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

FONTS = Path(__file__).parent / "fonts"

# Babel locale for each certificate language: en_GB gives "29 November 2026".
LOCALES = {"en": "en_GB", "es": "es", "fr": "fr"}
LABELS = {
    "en": {
        "title": "Certificate of Completion",
        "certify": "This is to certify that",
        "completed": "has completed the course",
        "duration": "Duration",
        "hours_one": "{n} hour",
        "hours_other": "{n} hours",
        "issued": "Issued on",
        "expires": "Valid until",
        "code": "Certificate code",
        "verify": "Verify at",
    },
    "es": {
        "title": "Certificado de finalización",
        "certify": "Se certifica que",
        "completed": "ha completado el curso",
        "duration": "Duración",
        "hours_one": "{n} hora",
        "hours_other": "{n} horas",
        "issued": "Fecha de emisión",
        "expires": "Válido hasta",
        "code": "Código del certificado",
        "verify": "Verificar en",
    },
    "fr": {
        "title": "Certificat de réussite",
        "certify": "Nous certifions que",
        "completed": "a terminé le cours",
        "duration": "Durée",
        "hours_one": "{n} heure",
        "hours_other": "{n} heures",
        "issued": "Délivré le",
        "expires": "Valable jusqu’au",
        "code": "Code du certificat",
        "verify": "Vérifier sur",
    },
}

NAVY = (27, 54, 93)
GOLD = (176, 141, 87)
INK = (38, 38, 38)
MUTED = (105, 105, 105)

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, millimetres
LEFT, RIGHT = 30.0, 267.0
WIDTH = RIGHT - LEFT
PT = 25.4 / 72  # millimetres per point
LEADING = 1.25


@dataclass(frozen=True)
class _Style:
    """How one block of text is set: it shrinks from ``size`` towards ``smallest``."""

    font: tuple[str, str]
    size: float
    colour: tuple[int, int, int]
    smallest: float | None = None
    max_lines: int = 1
    spacing: float = 0  # extra space between letters, mm


ISSUER = _Style(("Sans", "B"), 11, NAVY, smallest=7, max_lines=2, spacing=1.2)
TITLE = _Style(("Serif", "B"), 30, NAVY, smallest=18, max_lines=2)
LEAD_IN = _Style(("Sans", ""), 12, MUTED)
LEARNER = _Style(("Serif", "B"), 30, INK, smallest=10, max_lines=4)
COURSE = _Style(("Sans", "B"), 19, NAVY, smallest=10, max_lines=4)
LABEL = _Style(("Sans", ""), 8, MUTED, spacing=0.4)
VALUE = _Style(("Sans", "B"), 12, INK)
CODE = _Style(("Sans", "B"), 15, NAVY, spacing=1.6)
URL = _Style(("Sans", ""), 9, NAVY, smallest=7, max_lines=3)


@dataclass(frozen=True)
class CertificateDocument:
    """Everything printed on a certificate, already decided by the service that issues it.

    ``certificate_title`` defaults to the standard title in ``language``; a course may
    pass its own. ``language`` is one of en, es, fr (a region such as "fr-CA" is accepted).
    """

    learner_name: str
    course_title: str
    hours: float | None
    issued_on: date
    expires_on: date | None
    issuer_name: str
    code: str
    verify_url: str
    language: str = "en"
    certificate_title: str | None = None

    def __post_init__(self) -> None:
        if _language(self.language) not in LABELS:
            raise ValueError(
                f"no certificate labels for language {self.language!r}; "
                f"choose one of {', '.join(LABELS)}"
            )


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """Render ``doc`` as a one-page A4 landscape PDF, ready to download or archive.

    The same document always yields the same bytes (the PDF's creation date is the issue
    date), so a certificate can be re-rendered on demand instead of stored.
    """
    language = _language(doc.language)
    labels = LABELS[language]
    locale = LOCALES[language]
    title = doc.certificate_title or labels["title"]

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creation_date(datetime.combine(doc.issued_on, time(), tzinfo=UTC))
    pdf.set_title(f"{title}: {doc.learner_name}")
    pdf.set_author(doc.issuer_name)
    pdf.set_subject(doc.course_title)
    pdf.set_keywords(doc.code)
    pdf.set_creator("E-Campus")
    pdf.set_lang(language)
    pdf.add_font("Sans", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("Sans", "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.add_font("Serif", "B", FONTS / "DejaVuSerif-Bold.ttf")
    pdf.add_page()

    _draw_frame(pdf)
    # Each block has a fixed box; text shrinks and wraps inside it, so nothing can collide.
    _centred(pdf, doc.issuer_name.upper(), ISSUER, top=20)
    _centred(pdf, title, TITLE, top=34, height=22)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.line(PAGE_W / 2 - 22, 60, PAGE_W / 2 + 22, 60)
    _centred(pdf, labels["certify"], LEAD_IN, top=66)
    _centred(pdf, doc.learner_name, LEARNER, top=74, height=26)
    _centred(pdf, labels["completed"], LEAD_IN, top=103)
    _centred(pdf, doc.course_title, COURSE, top=110, height=25)

    facts = []
    if doc.hours is not None:
        facts.append((labels["duration"], _hours(doc.hours, labels, locale)))
    facts.append((labels["issued"], format_date(doc.issued_on, "long", locale=locale)))
    if doc.expires_on is not None:
        facts.append((labels["expires"], format_date(doc.expires_on, "long", locale=locale)))
    column = WIDTH / 3
    left = LEFT + (WIDTH - column * len(facts)) / 2
    for index, (label, value) in enumerate(facts):
        _write(pdf, [label.upper()], LABEL, left + index * column, 139, column, "C")
        _write(pdf, [value], VALUE, left + index * column, 144.5, column, "C")

    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.2)
    pdf.line(LEFT, 160, RIGHT, 160)
    _write(pdf, [labels["code"].upper()], LABEL, LEFT, 177, 100, "L")
    # Letter-spaced so each symbol reads on its own when the code is typed from paper.
    _write(pdf, [doc.code], CODE, LEFT, 183, 100, "L")
    _draw_qr(pdf, labels["verify"], doc.verify_url)
    return bytes(pdf.output())


def _language(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def _hours(hours: float, labels: dict[str, str], locale: str) -> str:
    # CLDR plural rules: French says "1,5 heure" where English says "1.5 hours".
    plural = Locale.parse(locale).plural_form(hours)
    number = format_decimal(hours, format="#,##0.##", locale=locale)
    return labels["hours_one" if plural == "one" else "hours_other"].format(n=number)


def _draw_frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_W - 16, PAGE_H - 16)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.3)
    pdf.rect(11.5, 11.5, PAGE_W - 23, PAGE_H - 23)


def _fit(pdf: FPDF, text: str, style: _Style, width: float, height: float | None) -> list[str]:
    """Set the largest size at which ``text`` fits its box; return its lines at that size."""
    size, smallest = style.size, style.smallest or style.size
    while True:
        pdf.set_font(*style.font, size=size)
        pdf.set_char_spacing(style.spacing)
        # Word wrap; a single word wider than the box is broken between characters.
        lines = pdf.multi_cell(width, text=text, dry_run=True, output=MethodReturnValue.LINES)
        fits_height = height is None or len(lines) * _line_height(pdf) <= height
        if (len(lines) <= style.max_lines and fits_height) or size <= smallest:
            break
        size = max(smallest, size - 0.5)
    if len(lines) > style.max_lines:  # too long even at the smallest size: cut, and show it
        lines = lines[: style.max_lines]
        last = lines[-1].rstrip()
        while last and pdf.get_string_width(last + "…") > width:
            last = last[:-1].rstrip()
        lines[-1] = last + "…"
    return [line.strip() for line in lines]


def _centred(pdf: FPDF, text: str, style: _Style, top: float, height: float | None = None) -> None:
    """Centre ``text`` between the side margins, vertically too if it has a box height."""
    lines = _fit(pdf, text, style, WIDTH, height)
    if height is not None:
        top += (height - len(lines) * _line_height(pdf)) / 2
    _write(pdf, lines, style, LEFT, top, WIDTH, "C", fitted=True)


def _write(
    pdf: FPDF,
    lines: list[str],
    style: _Style,
    x: float,
    top: float,
    width: float,
    align: str,
    *,
    fitted: bool = False,
) -> None:
    if not fitted:
        pdf.set_font(*style.font, size=style.size)
        pdf.set_char_spacing(style.spacing)
    pdf.set_text_color(*style.colour)
    for index, line in enumerate(lines):
        pdf.set_xy(x, top + index * _line_height(pdf))
        pdf.cell(width, _line_height(pdf), line, align=align)
    pdf.set_char_spacing(0)


def _line_height(pdf: FPDF) -> float:
    return pdf.font_size_pt * PT * LEADING


def _draw_qr(pdf: FPDF, label: str, url: str) -> None:
    size, top = 26.0, 165.0
    png = io.BytesIO()
    segno.make(url, error="m", micro=False).save(png, kind="png", scale=8, border=0)
    pdf.image(png, x=RIGHT - size, y=top, w=size, h=size)

    # Caption bottom-aligned to the left of the QR code, clear of the certificate code.
    width = 95.0
    x = RIGHT - size - 5 - width
    lines = _fit(pdf, url, URL, width, None)
    url_top = top + size - len(lines) * _line_height(pdf)
    _write(pdf, lines, URL, x, url_top, width, "R", fitted=True)
    _write(pdf, [label], LABEL, x, url_top - 5, width, "R")
