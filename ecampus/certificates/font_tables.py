"""The bundled fonts parsed once per process for fpdf2's subsetter, and a copy for each PDF.

fpdf2 embeds the subset of a font's glyphs that a document uses, cut out in place by
fontTools' subsetter. From a handle on the font file, fontTools first parsed its whole
character map, glyph names, widths and outlines, and on saving the subset unpacked and
recompiled every glyph kept to recompute its bounding box: three quarters of the CPU of a
Latin certificate, and the same work for every document.

Here each table is parsed once per process and each glyph compiled once. A document's copy
of the font shares what the subsetter only reads (the maps of characters and widths, the
glyph names, the compiled glyphs) and has its own of everything the subsetter changes, so
the subset, and the PDF, are byte for byte those fpdf2 makes from the file
(tests/certificates/test_pdf_scripts.py compares them for every script), whatever the
process rendered before (tests/certificates/test_font_tables.py).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph, table__g_l_y_f
from fontTools.ttLib.tables.DefaultTable import DefaultTable

#: Tables fpdf2's subsetter removes from every font it embeds (OpenType layout and math):
#: never parsed. HarfBuzz shapes from the font file itself.
DROPPED_TABLES = frozenset({"GDEF", "GPOS", "GSUB", "MATH"})
#: Tables in which the subsetter replaces parts whole rather than changing them (the widths,
#: the glyph-name format and names), so that a document's copy may share the rest.
SHALLOW_COPIED_TABLES = frozenset({"hmtx", "vmtx", "post"})


@cache
def font_tables(path: Path) -> FontTables:
    """The TrueType font at ``path``, parsed the first time a document uses it."""
    return FontTables(path)


class FontTables:
    """A TrueType font's tables, parsed once, and a copy of the font for each document."""

    def __init__(self, path: Path):
        with TTFont(path) as font:
            self.sfnt_version = font.sfntVersion
            self.glyph_order = tuple(font.getGlyphOrder())
            self.glyphs = _CompiledGlyphs(font["glyf"])
            # The glyphs are shared as compiled; the glyph locations are written per subset.
            tags = set(font.keys()) - DROPPED_TABLES - {"GlyphOrder", "glyf", "loca"}
            self.tables = {tag: _parsed(font, tag) for tag in sorted(tags)}

    def font_for_document(self) -> TTFont:
        """The font for one document, which fpdf2's subsetter cuts down in place."""
        font = TTFont(sfntVersion=self.sfnt_version, recalcTimestamp=False)
        for tag, table in self.tables.items():
            font[tag] = _copy_for_document(table)
        font["loca"] = newTable("loca")  # written from the subset's glyphs on saving
        glyf = font["glyf"] = newTable("glyf")
        glyf.glyphs = self.glyphs
        font.setGlyphOrder(list(self.glyph_order))
        return font


def _parsed(font: TTFont, tag: str) -> DefaultTable:
    """Table ``tag`` of ``font`` parsed in full. The maps that documents share through a
    shallow copy are made read-only: a document writing to one would change the next
    document's font."""
    table = font[tag]
    if hasattr(table, "ensureDecompiled"):  # parts of some tables are parsed on first use
        table.ensureDecompiled()
    if tag == "cmap":
        for subtable in table.tables:
            subtable.cmap = MappingProxyType(subtable.cmap)
    elif tag in ("hmtx", "vmtx"):
        table.metrics = MappingProxyType(table.metrics)
    return table


def _copy_for_document(table: DefaultTable) -> DefaultTable:
    """A document's own copy of a parsed table, as deep as the subsetter needs it.

    The subsetter replaces the list of character maps and each map of the list, the widths
    and the glyph names whole; any other table (headers, names, hinting programs) it may
    change in place, so each document has a deep copy of those, all small.
    """
    if table.tableTag == "cmap":
        own = copy.copy(table)
        own.tables = [copy.copy(subtable) for subtable in table.tables]
        return own
    if table.tableTag in SHALLOW_COPIED_TABLES:
        return copy.copy(table)
    return copy.deepcopy(table)


class _CompiledGlyphs(Mapping[str, Glyph]):
    """A font's glyphs by name, each compiled the first time a document uses it.

    Documents only read it: the subsetter keeps the glyphs used in a dictionary of its own.
    """

    def __init__(self, glyf: table__g_l_y_f):
        self._glyf = glyf
        self._compiled: dict[str, _CompiledGlyph] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> _CompiledGlyph:
        glyph = self._compiled.get(name)
        if glyph is None:
            # fontTools unpacks a glyph, and the glyphs it is built of, in the font's table.
            with self._lock:
                glyph = self._compiled.get(name)
                if glyph is None:
                    glyph = self._compiled[name] = _CompiledGlyph(self._glyf, name)
        return glyph

    def __contains__(self, name: object) -> bool:
        return name in self._glyf.glyphs

    def __iter__(self) -> Iterator[str]:
        return iter(self._glyf.glyphs)

    def __len__(self) -> int:
        return len(self._glyf.glyphs)


class _CompiledGlyph(Glyph):
    """A glyph as fontTools writes it into a subset, compiled once.

    Saving a font, fontTools unpacks and recompiles every glyph to recompute its bounding
    box. The bytes depend on the glyph alone, but for the numbers of a composite glyph's
    components, which follow the subset's glyph order: so a simple glyph keeps the bytes it
    compiled to, and a composite one its bounds and components, written with each subset's
    numbers. Nothing writes to it once built, so documents share it.
    """

    def __init__(self, glyf: table__g_l_y_f, name: str):
        glyph = glyf[name]
        compiled = glyph.compile(glyf, recalcBBoxes=True)  # which sets the glyph's bounds
        vars(self).update(copy.deepcopy(vars(glyph)))
        self._compiled = compiled

    def compile(self, glyfTable: table__g_l_y_f, recalcBBoxes: bool = True,  # noqa: N803
                **options) -> bytes:
        if self.isComposite():
            return super().compile(glyfTable, recalcBBoxes=False, **options)
        return self._compiled
