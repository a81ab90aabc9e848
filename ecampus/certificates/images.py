"""Checking an uploaded emblem, signature or seal before it is printed on certificates.

Pure functions over bytes: a PNG must decode as one, within size and dimension limits; an
SVG must be plain vector drawing (no scripts, entities, external references or embedded
documents), because it is drawn into every PDF and shown on public pages.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 512 * 1024
MIN_SIDE, MAX_SIDE = 32, 4000
PNG, SVG = "image/png", "image/svg+xml"
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
#: Elements a vector emblem needs; anything else (script, foreignObject, image, use of
#: another file, animation) is refused.
SVG_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line",
    "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop",
    "clipPath", "symbol", "use", "style", "metadata",
}


class ImageProblem(ValueError):
    """An upload that cannot be used; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class LookImage:
    """An accepted image: its type and bytes, and its size in pixels (or SVG units)."""

    mime: str
    data: bytes
    width: float
    height: float


@dataclass(frozen=True)
class CertificateLook:
    """What the PDF and the verify page print of the issuer's own look (plain data)."""

    emblem: LookImage | None = None
    signature: LookImage | None = None
    seal: LookImage | None = None
    signatory_name: str = ""
    signatory_title: str = ""
    version: str = field(default="", compare=False)

    @property
    def has_signatory(self) -> bool:
        """Whether the foot of the certificate carries a signatory block."""
        return bool(self.signatory_name or self.signature)


def check_image(data: bytes) -> LookImage:
    """Accept a PNG or SVG image, or raise ImageProblem saying what is wrong with it."""
    if not data:
        raise ImageProblem(_("This file is empty."))
    if len(data) > MAX_BYTES:
        raise ImageProblem(_("This file is %(size)d KB; the limit is %(limit)d KB.",
                             size=len(data) // 1024, limit=MAX_BYTES // 1024))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_png(data)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")):
        return _check_svg(data)
    raise ImageProblem(_("Choose a PNG or SVG image."))


def _check_png(data: bytes) -> LookImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG":
                    raise ImageProblem(_("Choose a PNG or SVG image."))
                width, height = image.size
                _check_side(width, height)
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, ImageProblem):
            raise
        raise ImageProblem(_("This PNG image cannot be read.")) from None
    return LookImage(PNG, data, width, height)


def _check_side(width: float, height: float) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ImageProblem(_("This image is %(width)s × %(height)s; each side must be between "
                             "%(least)d and %(most)d pixels.", width=f"{width:g}",
                             height=f"{height:g}", least=MIN_SIDE, most=MAX_SIDE))


def _check_svg(data: bytes) -> LookImage:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError):
        raise ImageProblem(_("This SVG is not a plain drawing: it has a DOCTYPE, an entity "
                             "or broken XML.")) from None
    if root.tag != f"{SVG_NS}svg":
        raise ImageProblem(_("This is not an SVG image."))
    for element in root.iter():
        _check_svg_element(element)
    width, height = _svg_size(root)
    _check_side(width, height)
    return LookImage(SVG, data, width, height)


def _check_svg_element(element: Element) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    name = tag[len(SVG_NS):] if tag.startswith(SVG_NS) else tag
    if not tag.startswith(SVG_NS) and not tag.startswith("{http://www.w3.org/1999/02/22"):
        if element.tag is not None and tag and not _is_metadata(tag):
            raise ImageProblem(_("This SVG contains a “%(name)s” element, which is not "
                                 "allowed.", name=name[:40]))
    elif tag.startswith(SVG_NS) and name not in SVG_ELEMENTS:
        raise ImageProblem(_("This SVG contains a “%(name)s” element, which is not allowed.",
                             name=name[:40]))
    for attribute, value in element.attrib.items():
        local = attribute.rsplit("}", 1)[-1].lower()
        if local.startswith("on"):
            raise ImageProblem(_("This SVG contains a script (%(name)s).", name=local[:40]))
        if (local == "href" or attribute == XLINK_HREF) and not value.startswith("#"):
            raise ImageProblem(_("This SVG refers to another file; only references inside "
                                 "the drawing are allowed."))
        if re.search(r"url\(\s*['\"]?(?!#)", value, re.I) or "javascript:" in value.lower():
            raise ImageProblem(_("This SVG refers to another file; only references inside "
                                 "the drawing are allowed."))
    if name == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)", element.text or "", re.I):
        raise ImageProblem(_("This SVG refers to another file; only references inside the "
                             "drawing are allowed."))


def _is_metadata(tag: str) -> bool:
    # RDF, Dublin Core and editor namespaces appear inside <metadata>; harmless text.
    return any(ns in tag for ns in ("purl.org/dc", "creativecommons", "inkscape", "sodipodi"))


def _svg_size(root: Element) -> tuple[float, float]:
    view_box = root.get("viewBox")
    if view_box:
        parts = re.split(r"[\s,]+", view_box.strip())
        if len(parts) == 4:
            try:
                return float(parts[2]), float(parts[3])
            except ValueError:
                pass
    try:
        return (float(re.sub(r"px$", "", root.get("width", ""))),
                float(re.sub(r"px$", "", root.get("height", ""))))
    except ValueError:
        raise ImageProblem(_("An SVG needs a viewBox or a width and height in pixels.")
                           ) from None
