"""Unpacking an uploaded course zip: every entry is checked before a single byte is written.

A zip is refused whole, with a message for the author, when any entry could escape the
folder (an absolute path, `..`, a link), would be ambiguous (a name given twice, a name
that is not UTF-8), or would unpack to more than the limits allow (too many files, a file
or a total too large, a compression ratio only a zip bomb has). Sizes are counted again
while unpacking, since the sizes a zip declares can lie.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _

from ..i18n import count as whole_number

_CHUNK = 64 * 1024
_UTF8_FLAG = 0x800


class ArchiveRefused(Exception):
    """The zip cannot be unpacked safely; the message says why, for the author."""


@dataclass(frozen=True)
class ZipLimits:
    """What one upload may unpack to."""

    max_files: int = 2000
    max_file_bytes: int = 20 * 1024 * 1024
    max_total_bytes: int = 100 * 1024 * 1024
    #: Uncompressed size over compressed size, beyond which a file is taken for a bomb.
    max_ratio: int = 200


def _name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_FLAG or info.filename.isascii():
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        raise ArchiveRefused(_("A file name in the zip is not UTF-8 text: rename it and "
                               "zip the folder again.")) from None


def _checked_path(name: str) -> PurePosixPath | None:
    """The entry's relative path, or None for a folder entry; raises for a dangerous one."""
    if "\\" in name or "\0" in name or any(ord(ch) < 32 for ch in name):
        raise ArchiveRefused(_("The zip holds a file name with a backslash or a control "
                               "character: %(name)s", name=name[:200]))
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveRefused(_("The zip holds an absolute path: %(name)s", name=name[:200]))
    path = PurePosixPath(name)
    if any(part in ("..", ".") for part in name.rstrip("/").split("/")):
        raise ArchiveRefused(_("The zip holds a path that leaves its folder: %(name)s",
                               name=name[:200]))
    if name.endswith("/"):
        return None
    if "" in name.split("/"):
        raise ArchiveRefused(_("The zip holds an empty path part: %(name)s", name=name[:200]))
    return path


def _kind_is_regular(info: zipfile.ZipInfo) -> bool:
    # Zips made on Windows carry no file type at all: that is a plain file too.
    return stat.S_IFMT(info.external_attr >> 16) in (0, stat.S_IFREG, stat.S_IFDIR)


def check_zip(data: bytes, limits: ZipLimits) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The files of the zip with their safe relative paths; raises ArchiveRefused if any
    entry is hostile or the whole would unpack to more than `limits`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ArchiveRefused(_("This file is not a zip archive.")) from None
    if len(infos) > limits.max_files:
        raise ArchiveRefused(_("The zip holds more than %(count)s files.",
                               count=whole_number(limits.max_files)))
    files, seen, total = [], set(), 0
    for info in infos:
        name = _name(info)
        if not _kind_is_regular(info):
            raise ArchiveRefused(_("The zip holds a link or a special file: %(name)s",
                                   name=name[:200]))
        path = _checked_path(name)
        key = name.rstrip("/").casefold()
        if key in seen:
            raise ArchiveRefused(_("The zip holds the same name twice: %(name)s",
                                   name=name[:200]))
        seen.add(key)
        if path is None:
            continue
        if info.file_size > limits.max_file_bytes:
            raise ArchiveRefused(_("%(name)s is larger than %(size)d MB.", name=name[:200],
                                   size=limits.max_file_bytes // (1024 * 1024)))
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRefused(_("The zip unpacks to more than %(size)d MB.",
                                   size=limits.max_total_bytes // (1024 * 1024)))
        if info.file_size > _CHUNK and info.file_size > limits.max_ratio * max(
                info.compress_size, 1):
            raise ArchiveRefused(_("%(name)s is compressed too much to be a course file.",
                                   name=name[:200]))
        files.append((info, path))
    return files


def extract_zip(data: bytes, destination: Path, limits: ZipLimits) -> None:
    """Unpack a checked zip into the empty folder `destination`, counting real sizes."""
    files = check_zip(data, limits)
    archive = zipfile.ZipFile(io.BytesIO(data))
    total = 0
    for info, path in files:
        target = destination.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            with archive.open(info) as source, open(target, "xb") as sink:
                while chunk := source.read(_CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if written > limits.max_file_bytes or total > limits.max_total_bytes:
                        raise ArchiveRefused(_("The zip unpacks to more than it declares."))
                    sink.write(chunk)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError,
                OSError) as error:
            if isinstance(error, FileExistsError):
                raise ArchiveRefused(_("The zip holds the same name twice: %(name)s",
                                       name=str(path)[:200])) from None
            raise ArchiveRefused(_("The zip is damaged or encrypted: %(name)s",
                                   name=str(path)[:200])) from None
