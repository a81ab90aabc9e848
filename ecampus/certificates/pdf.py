"""Certificate PDFs: plain data in, bytes out, so they can be rendered and tested without Flask.

One A4 landscape page: issuer, title, learner, course, duration and dates, the certificate
code and a QR code of the verification URL. Labels and dates follow the certificate's own
language, not the web request's, because the document outlives the session that made it.
Names, course titles and issuer names may be in any script: DejaVu sets Latin, Greek and
Cyrillic; bundled Noto, Nanum and Droid fonts take over, glyph by glyph, for Arabic, Hebrew,
Devanagari, Thai, Korean, Chinese and Japanese, and HarfBuzz shapes and orders them (right to
left where needed). Only the glyphs used are embedded, cut from fonts parsed once per process
(see font_tables.py). The file is PDF/A-2U, tagged with its title, language and author, so it
can be archived and read aloud.
"""

from __future__ import annotations

import copy
import io
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import segno
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import DocumentCompliance, MethodReturnValue, TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont
from PIL import Image

from ..catalogs import catalog
from .font_tables import font_tables
from .images import SVG, CertificateLook, LookImage
from .wording import babel_locale, format_valid_until

FONTS = Path(__file__).parent / "fonts"
#: Fonts tried, in order, for a character the main fonts lack: (family, style, file).
#: Droid comes before Nanum so Chinese and Japanese ideographs keep their own shapes;
#: Nanum supplies the Hangul syllables Droid lacks.
FALLBACK_FONTS = (
    ("Arabic", "B", "NotoSansArabic-Bold.ttf"),
    ("Hebrew", "B", "NotoSansHebrew-Bold.ttf"),
    ("Devanagari", "B", "NotoSansDevanagari-Bold.ttf"),
    ("Thai", "B", "NotoSansThai-Bold.ttf"),
    ("Han", "", "DroidSansFallbackFull.ttf"),
    ("Hangul", "B", "NanumSquareB.ttf"),
)

def _labels(language: str) -> dict[str, str]:
    """The certificate's printed words in `language`, from the interface's catalogs (English
    where a language has none)."""
    _ = catalog(language).gettext
    return {
        "title": _("Certificate of Completion"),
        "certify": _("This is to certify that"),
        "completed": _("has completed the course"),
        "duration": _("Duration"),
        "hours_one": _("%(n)s hour"),
        "hours_other": _("%(n)s hours"),
        "issued": _("Issued on"),
        "expires": _("Valid until"),
        "code": _("Certificate code"),
        "verify": _("Verify at"),
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
URL = _Style(("Sans", ""), 9, NAVY, smallest=6, max_lines=4)
SIGNATORY = _Style(("Sans", "B"), 10, INK, smallest=7)
SIGNATORY_TITLE = _Style(("Sans", ""), 8, MUTED, smallest=6, max_lines=2)
SEAL = 24.0  # mm, the seal's square in the top right corner
SIGNATORY_WIDTH = 66.0


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
    #: The issuer's emblem, signatory and seal; the default design has none.
    look: CertificateLook = CertificateLook()



def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """Render ``doc`` as a one-page A4 landscape PDF, ready to download or archive.

    The same document always yields the same bytes (the PDF's creation date is the issue
    date), so a certificate can be re-rendered on demand instead of stored.
    """
    language = _language(doc.language)
    labels = _labels(language)
    locale = babel_locale(language)
    title = _nfc(doc.certificate_title or labels["title"])
    learner, course, issuer = (_nfc(doc.learner_name), _nfc(doc.course_title),
                               _nfc(doc.issuer_name))

    pdf = FPDF(orientation="L", unit="mm", format="A4",
               enforce_compliance=DocumentCompliance.PDFA_2U)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    created = datetime.combine(doc.issued_on, time(), tzinfo=UTC)
    pdf.set_creation_date(created)
    pdf.set_lang(language)
    pdf.set_xmp_metadata(_xmp_metadata(title=f"{title}: {learner}", author=issuer,
                                       subject=course, keywords=doc.code,
                                       language=language, created=created))
    _add_font(pdf, "Sans", "", "DejaVuSans.ttf")
    _add_font(pdf, "Sans", "B", "DejaVuSans-Bold.ttf")
    _add_font(pdf, "Serif", "B", "DejaVuSerif-Bold.ttf")
    # Only the fallback fonts this certificate's own words need are added: fpdf2 subsets and
    # embeds every font added, and all of them would triple the render time of every
    # Latin-only certificate.
    look = doc.look
    fallbacks = _fallback_fonts_for(learner + course + issuer + title + look.signatory_name
                                    + look.signatory_title)
    for family, style, filename in fallbacks:
        _add_font(pdf, family, style, filename)
    if fallbacks:
        pdf.set_fallback_fonts([family for family, _style, _file in fallbacks],
                               exact_match=False)
    pdf.add_page()

    _draw_frame(pdf)
    # Each block has a fixed box; text shrinks and wraps inside it, so nothing can collide.
    # An emblem sits above the issuer's name, a seal in the top right corner: the heading
    # moves down and narrows to make room for them.
    heading = WIDTH - 2 * (SEAL + 4) if look.seal else WIDTH
    if look.emblem:
        _draw_image(pdf, look.emblem, PAGE_W / 2 - 25, 15, 50, 12, issuer)
    if look.seal:
        _draw_image(pdf, look.seal, RIGHT - SEAL, 16, SEAL, SEAL, issuer)
    _centred(pdf, issuer.upper(), ISSUER, top=29 if look.emblem else 20, width=heading)
    _centred(pdf, title, TITLE, top=36 if look.emblem else 34, height=22, width=heading)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.line(PAGE_W / 2 - 22, 60, PAGE_W / 2 + 22, 60)
    _centred(pdf, labels["certify"], LEAD_IN, top=66)
    _centred(pdf, learner, LEARNER, top=74, height=26)
    _centred(pdf, labels["completed"], LEAD_IN, top=103)
    _centred(pdf, course, COURSE, top=110, height=25)

    facts = []
    if doc.hours is not None:
        facts.append((labels["duration"], _hours(doc.hours, labels, locale)))
    facts.append((labels["issued"], format_date(doc.issued_on, "long", locale=locale)))
    if doc.expires_on is not None:
        facts.append((labels["expires"], format_valid_until(doc.expires_on, language)))
    column = WIDTH / 3
    left = LEFT + (WIDTH - column * len(facts)) / 2
    for index, (label, value) in enumerate(facts):
        _write(pdf, [label.upper()], LABEL, left + index * column, 139, column, "C")
        _write(pdf, [value], VALUE, left + index * column, 144.5, column, "C")

    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.2)
    pdf.line(LEFT, 160, RIGHT, 160)
    code_width = 78 if look.has_signatory else 100
    _write(pdf, [labels["code"].upper()], LABEL, LEFT, 177, code_width, "L")
    # Letter-spaced so each symbol reads on its own when the code is typed from paper.
    _write(pdf, [doc.code], CODE, LEFT, 183, code_width, "L")
    if look.has_signatory:
        _draw_signatory(pdf, look)
    _draw_qr(pdf, labels["verify"], doc.verify_url, narrow=look.has_signatory)
    return bytes(pdf.output())


@cache
def _font_metrics(filename: str) -> TTFFont:
    """A bundled font as fpdf2 reads it (character map, widths, descriptor), once per
    process: reading it took a third of every render. The tables fpdf2 parsed for that are
    let go: each document has its own font for the subsetter (see `_add_font`)."""
    font = TTFFont(FPDF(), FONTS / filename, "metrics", "")
    font.ttfont = None
    return font


def _add_font(pdf: FPDF, family: str, style: str, filename: str) -> None:
    """`pdf.add_font(family, style, FONTS / filename)`, from the font read once.

    What fpdf2 reads from the file and never changes is shared (character map, widths, glyph
    ids); what a document changes is its own: the font the subsetter cuts down in place (a
    copy of the font's tables parsed once, see `font_tables`), the glyphs used, the font's
    number in the document and its PDF descriptor. The same document renders to the same
    bytes as with `add_font` (tests/certificates/test_pdf_scripts.py checks it, for every
    script).
    """
    font = copy.copy(_font_metrics(filename))
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family.lower()}{style}"
    font.emphasis = TextEmphasis.coerce(style)
    font.ttfont = font_tables(FONTS / filename).font_for_document()
    font.desc = copy.copy(font.desc)
    font._hbfont = None
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@cache
def _characters(filename: str) -> frozenset[int]:
    """The code points a bundled font has a glyph for (read once per process)."""
    with TTFont(FONTS / filename, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _fallback_fonts_for(text: str) -> list[tuple[str, str, str]]:
    """The fallback fonts that draw some character of ``text`` the main fonts lack."""
    missing = {ord(c) for c in text if c.isprintable() and not c.isspace()}
    missing -= _characters("DejaVuSerif-Bold.ttf") & _characters("DejaVuSans-Bold.ttf")
    needed = []
    for family, style, filename in FALLBACK_FONTS:
        if missing & _characters(filename):
            needed.append((family, style, filename))
            missing -= _characters(filename)
    return needed


def _needs_shaping(text: str) -> bool:
    """Whether ``text`` has a script that HarfBuzz must shape and order (Hebrew onwards).

    Latin, Greek and Cyrillic are set without it, which keeps their letter spacing and
    the exact text a reader copies out; Latin and Greek extended and punctuation too.
    """
    return any(ord(c) >= 0x0590 and not 0x1E00 <= ord(c) <= 0x20CF for c in text)


def _xmp_metadata(*, title: str, author: str, subject: str, keywords: str, language: str,
                  created: datetime) -> str:
    """PDF/A metadata: the title, author, subject and language read by archives and readers.

    Dated at issue so that the same certificate always renders to the same bytes.
    """
    stamp = created.isoformat(timespec="seconds")
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
    <rdf:Description rdf:about="" xmp:CreatorTool="E-Campus" xmp:CreateDate="{stamp}"
        xmp:ModifyDate="{stamp}" xmp:MetadataDate="{stamp}" pdf:Producer="fpdf2"
        pdf:Keywords={quoteattr(keywords)}>
      <pdfaid:part>2</pdfaid:part>
      <pdfaid:conformance>U</pdfaid:conformance>
      <dc:format>application/pdf</dc:format>
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>
      <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(subject)}</rdf:li>
      </rdf:Alt></dc:description>
      <dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>"""


def _language(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def _hours(hours: float, labels: dict[str, str], locale: str) -> str:
    # CLDR plural rules: French says "1,5 heure" where English says "1.5 hours".
    plural = Locale.parse(locale).plural_form(hours)
    number = format_decimal(hours, format="#,##0.##", locale=locale)
    return labels["hours_one" if plural == "one" else "hours_other"] % {"n": number}


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
        _set_style(pdf, style, text, size)
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


def _centred(pdf: FPDF, text: str, style: _Style, top: float, height: float | None = None,
             width: float = WIDTH) -> None:
    """Centre ``text`` on the page in a box ``width`` wide, vertically too if it has a box
    height."""
    lines = _fit(pdf, text, style, width, height)
    if height is not None:
        top += (height - len(lines) * _line_height(pdf)) / 2
    _write(pdf, lines, style, (PAGE_W - width) / 2, top, width, "C", fitted=True)


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
        _set_style(pdf, style, " ".join(lines), style.size)
    pdf.set_text_color(*style.colour)
    for index, line in enumerate(lines):
        # Each line in its own graphics state: fpdf2 sets the font of a line that starts in
        # a fallback font inside that line's q/Q, and would otherwise omit it on the next.
        with pdf.local_context():
            pdf.set_xy(x, top + index * _line_height(pdf))
            pdf.cell(width, _line_height(pdf), line, align=align)
    pdf.set_char_spacing(0)
    pdf.set_text_shaping(False)


def _set_style(pdf: FPDF, style: _Style, text: str, size: float) -> None:
    """Select the block's font; shape the scripts that need it, and space letters only in
    the others (spacing would break the joins of Arabic or Devanagari)."""
    shaping = _needs_shaping(text)
    pdf.set_font(*style.font, size=size)
    pdf.set_text_shaping(shaping)
    pdf.set_char_spacing(0 if shaping else style.spacing)


def _line_height(pdf: FPDF) -> float:
    return pdf.font_size_pt * PT * LEADING


def _draw_image(pdf: FPDF, image: LookImage, x: float, y: float, width: float, height: float,
                alt: str) -> None:
    """Draw ``image`` as large as fits the box, keeping its proportions, centred in it."""
    scale = min(width / image.width, height / image.height)
    w, h = image.width * scale, image.height * scale
    data = image.data
    if image.mime == SVG and not data.lstrip().startswith((b"<?xml ", b"<svg ")):
        data = b'<?xml version="1.0"?>\n' + data.lstrip()  # how fpdf2 recognises an SVG
    pdf.image(io.BytesIO(data), x=x + (width - w) / 2, y=y + (height - h) / 2, w=w, h=h,
              alt_text=alt)


def _draw_signatory(pdf: FPDF, look: CertificateLook) -> None:
    """The signature over a rule, then the signatory's name and title, centred below the
    facts and clear of the code and the QR caption."""
    width = SIGNATORY_WIDTH
    x = (PAGE_W - width) / 2
    if look.signature:
        _draw_image(pdf, look.signature, x, 162, width, 13, look.signatory_name or "—")
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(x + 8, 176, x + width - 8, 176)
    if look.signatory_name:
        _write(pdf, _fit(pdf, look.signatory_name, SIGNATORY, width, None), SIGNATORY, x,
               177.5, width, "C", fitted=True)
    if look.signatory_title:
        _write(pdf, _fit(pdf, look.signatory_title, SIGNATORY_TITLE, width, None),
               SIGNATORY_TITLE, x, 182.5, width, "C", fitted=True)


def _draw_qr(pdf: FPDF, label: str, url: str, *, narrow: bool = False) -> None:
    size, top = 26.0, 165.0
    pdf.image(_qr_image(url), x=RIGHT - size, y=top, w=size, h=size, alt_text=f"{label} {url}")

    # Caption bottom-aligned to the left of the QR code, clear of the certificate code.
    width = 44.0 if narrow else 95.0
    x = RIGHT - size - 5 - width
    lines = _fit(pdf, url, URL, width, None)
    url_top = top + size - len(lines) * _line_height(pdf)
    _write(pdf, lines, URL, x, url_top, width, "R", fitted=True)
    _write(pdf, [label], LABEL, x, url_top - 5, width, "R")


def _qr_image(url: str) -> Image.Image:
    """The QR code of ``url`` in black and white, 8 pixels a module, without a quiet zone
    (the page's margin is one).

    Pillow scales segno's modules up: the pixels of segno's own PNG, without writing a PNG
    in Python for fpdf2 to decode again.
    """
    qr = segno.make(url, error="m", micro=False)
    width, height = qr.symbol_size(scale=1, border=0)
    modules = Image.frombytes("L", (width, height), b"".join(qr.matrix))
    image = modules.point(lambda dark: 0 if dark else 255, "1")
    return image.resize((width * 8, height * 8), Image.Resampling.NEAREST)
