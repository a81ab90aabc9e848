"""Unpacking course zips: hostile archives are refused whole and nothing is written."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from ecampus.sources.archive import ArchiveRefused, ZipLimits, check_zip, extract_zip

LIMITS = ZipLimits(max_files=20, max_file_bytes=200_000, max_total_bytes=400_000, max_ratio=50)


def build_zip(entries, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name or ZipInfo, bytes) pairs, written as given, hostile names included."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        warnings.simplefilter("ignore")  # zipfile warns when a test writes a name twice
        for name, data in entries:
            zf.writestr(name, data)
    return buffer.getvalue()


def _refused(data: bytes, tmp_path: Path, words: str) -> None:
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(ArchiveRefused, match=words):
        extract_zip(data, destination, LIMITS)
    assert list(destination.iterdir()) == [], "nothing may be written"


def test_a_course_folder_is_unpacked(tmp_path):
    data = build_zip([("my-course/", b""), ("my-course/course.md", b"---\ntitle: T\n---\n"),
                      ("my-course/media/map.png", b"\x89PNG")])
    extract_zip(data, tmp_path, LIMITS)
    assert (tmp_path / "my-course" / "course.md").read_bytes() == b"---\ntitle: T\n---\n"
    assert (tmp_path / "my-course" / "media" / "map.png").is_file()


@pytest.mark.parametrize("name", ["../evil.md", "my-course/../../evil.md", "my-course/./x.md"])
def test_a_path_leaving_the_folder_is_refused(tmp_path, name):
    _refused(build_zip([("my-course/course.md", b"x"), (name, b"x")]), tmp_path,
             "leaves its folder")


@pytest.mark.parametrize("name", ["/etc/cron.d/evil", "C:/Windows/evil.md"])
def test_an_absolute_path_is_refused(tmp_path, name):
    _refused(build_zip([("my-course/course.md", b"x"), (name, b"x")]), tmp_path, "absolute")


def test_a_backslash_path_is_refused(tmp_path):
    _refused(build_zip([("my-course\\..\\evil.md", b"x")]), tmp_path, "backslash")


def test_a_symbolic_link_is_refused(tmp_path):
    link = zipfile.ZipInfo("my-course/01-passwords.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _refused(build_zip([("my-course/course.md", b"x"), (link, b"/etc/passwd")]), tmp_path,
             "link")


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path):
    _refused(build_zip([("my-course/course.md", b"0" * 150_000)]), tmp_path, "compressed too")


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    data = build_zip([("my-course/video.mp4", bytes(range(256)) * 1000)],
                     compression=zipfile.ZIP_STORED)
    _refused(data, tmp_path, "larger than")


def test_a_total_over_the_limit_is_refused(tmp_path):
    chunk = bytes(range(256)) * 700
    data = build_zip([(f"my-course/{n}.bin", chunk) for n in range(3)],
                     compression=zipfile.ZIP_STORED)
    _refused(data, tmp_path, "unpacks to more than")


def test_too_many_files_are_refused(tmp_path):
    _refused(build_zip([(f"my-course/{n}.md", b"x") for n in range(21)]), tmp_path,
             "more than 20 files")


def test_a_name_that_is_not_utf8_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("my-course/course.md", b"x")
        archive.writestr("my-course/XX.md", b"x")
    raw = buffer.getvalue().replace(b"XX.md", b"\xff\xfe.md")  # Latin-1 bytes, no UTF-8 flag
    _refused(raw, tmp_path, "not UTF-8")


def test_a_utf8_name_is_kept(tmp_path):
    extract_zip(build_zip([("my-course/media/mapa-regiões.png", b"x")]), tmp_path, LIMITS)
    assert (tmp_path / "my-course" / "media" / "mapa-regiões.png").is_file()


@pytest.mark.parametrize("second", ["my-course/course.md", "My-Course/Course.md"])
def test_a_name_given_twice_is_refused(tmp_path, second):
    data = build_zip([("my-course/course.md", b"x"), (second, b"y")])
    _refused(data, tmp_path, "same name twice")


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    _refused(b"PK\x03\x04 not really", tmp_path, "not a zip")


def test_sizes_that_lie_are_caught_while_unpacking(tmp_path):
    data = bytearray(build_zip([("my-course/a.bin", b"A" * 5000)],
                               compression=zipfile.ZIP_STORED))
    infos = check_zip(bytes(data), LIMITS)
    assert infos[0][0].file_size == 5000
    # Declare 10 bytes in the central directory: the file still holds 5,000.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(ArchiveRefused):
        extract_zip(bytes(data), destination, LIMITS)
