"""Uploaded emblems, signatures and seals: plain PNG and SVG drawings only."""

import io

import pytest
from PIL import Image

from ecampus.certificates.images import MAX_BYTES, PNG, SVG, ImageProblem, check_image


def png(width=200, height=100, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (20, 40, 90, 255) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def svg(body: str = '<circle cx="32" cy="32" r="30"/>',
        attrs: str = 'viewBox="0 0 64 64"') -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}>{body}</svg>'.encode()


def test_png_is_accepted_with_its_size():
    image = check_image(png(300, 120))
    assert (image.mime, image.width, image.height) == (PNG, 300, 120)


def test_svg_is_accepted_with_its_view_box_size():
    image = check_image(b'<?xml version="1.0"?>\n' + svg())
    assert (image.mime, image.width, image.height) == (SVG, 64, 64)


def test_svg_with_gradient_and_internal_reference_is_accepted():
    body = ('<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/>'
            '</linearGradient></defs><rect width="64" height="64" fill="url(#g)"/>'
            '<use href="#g"/>')
    assert check_image(svg(body)).mime == SVG


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"GIF89a" + b"\0" * 100, "PNG or SVG"),
    (b"MZ\x90\x00 an executable", "PNG or SVG"),
    (png()[:60], "cannot be read"),
    (png(10, 10), "between 32 and 4000"),
    (png(5000, 40, mode="1"), "between 32 and 4000"),
    (svg('<script>alert(1)</script>'), "“script”"),
    (svg('<foreignObject><p>x</p></foreignObject>'), "“foreignObject”"),
    (svg('<image href="https://evil.example/x.png"/>'), "“image”"),
    (svg('<circle r="3"/>', 'viewBox="0 0 64 64" onload="alert(1)"'), "script"),
    (svg('<use href="https://evil.example/sprite.svg#a"/>'), "another file"),
    (svg('<a href="javascript:alert(1)"><circle r="3"/></a>'), "“a”"),
    (svg('<rect fill="url(https://evil.example/track)"/>'), "another file"),
    (svg('<style>@import url(https://evil.example/x.css);</style>'), "another file"),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><text>&b;</text></svg>',
     "DOCTYPE"),
    (b'<?xml version="1.0"?><!DOCTYPE svg SYSTEM "file:///etc/passwd"><svg/>', "DOCTYPE"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><circle", "broken XML"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "viewBox"),
    (b'<html><svg xmlns="http://www.w3.org/2000/svg"/></html>', "PNG or SVG"),
    (svg(attrs='viewBox="0 0 100000 10"'), "between 32 and 4000"),
])
def test_hostile_or_unusable_files_are_refused_with_a_reason(data, message):
    with pytest.raises(ImageProblem, match=message):
        check_image(data)


def test_file_over_the_size_limit_is_refused_with_its_size():
    data = svg("<desc>" + "x" * MAX_BYTES + "</desc>")
    with pytest.raises(ImageProblem, match=r"\d+ KB; the limit is 512 KB"):
        check_image(data)


def test_decompression_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (4000, 4000)).save(out, "PNG")
    bomb = bytearray(out.getvalue())
    # Claim 40,000 × 40,000 pixels in the header: far past Pillow's bomb limit.
    bomb[16:24] = (40_000).to_bytes(4, "big") * 2
    with pytest.raises(ImageProblem):
        check_image(bytes(bomb))
