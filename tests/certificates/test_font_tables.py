"""Fonts are parsed once per process and shared by the certificates it renders: none of them
writes to what they share, so a certificate renders to the same bytes whatever the process
rendered before it."""

import array
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from fontTools.ttLib import TTFont

from ecampus.certificates.font_tables import FontTables, font_tables
from ecampus.certificates.pdf import FALLBACK_FONTS, FONTS, render_certificate_pdf

from .test_pdf import DOCUMENT
from .test_pdf_scripts import SAMPLES

DOCUMENTS = [replace(DOCUMENT, learner_name=name, course_title=course, issuer_name=issuer)
             for name, course, issuer in SAMPLES.values()]
DOCUMENTS.append(replace(DOCUMENT, learner_name="Li Wei 李伟 (Лі Вей) محمد"))
FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf",
              *(filename for _family, _style, filename in FALLBACK_FONTS)]


def rendered_alone(document) -> bytes:
    """``document`` rendered from fonts parsed afresh, as by a process that has rendered
    nothing before."""
    font_tables.cache_clear()
    return render_certificate_pdf(document)


def test_a_certificate_renders_the_same_bytes_alone_as_after_others():
    alone = [rendered_alone(document) for document in DOCUMENTS]
    after_others = [render_certificate_pdf(document) for document in DOCUMENTS * 2]
    assert after_others[: len(DOCUMENTS)] == alone
    assert after_others[len(DOCUMENTS) :] == alone


def plain(value):
    """``value`` as nested plain data to compare, a table or glyph all the way down."""
    if isinstance(value, TTFont):
        return "TTFont"  # the file a parsed part was read from
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, array.array | bytearray):
        return bytes(value)
    if hasattr(value, "__dict__"):
        return type(value).__name__, plain(vars(value))
    return value


def shared_state(font: FontTables, glyph_names: list[str]):
    """What documents share of ``font``: its tables and the glyphs named, compiled."""
    glyphs = {name: font.glyphs[name] for name in glyph_names}
    return plain((font.sfnt_version, font.glyph_order, font.tables, glyphs))


def test_certificates_drawn_at_once_leave_the_shared_fonts_as_parsed():
    font_tables.cache_clear()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(render_certificate_pdf, DOCUMENTS * 2))
    for filename in FONT_FILES:
        shared, parsed = font_tables(FONTS / filename), FontTables(FONTS / filename)
        used = list(shared.glyphs._compiled)
        assert used
        assert shared_state(shared, used) == shared_state(parsed, used)
