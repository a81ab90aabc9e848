"""What is in a course folder: course and module files by name, media, and ignored files."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .model import MediaFile, ProblemLog

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COURSE_FILE_RE = re.compile(r"^course(?:\.([a-z]{2}))?\.md$")
MODULE_FILE_RE = re.compile(r"^(\d{2,})-([a-z0-9]+(?:-[a-z0-9]+)*)(?:\.([a-z]{2}))?\.md$")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
MEDIA_FOLDER = "media"
_MODULE_LIKE_RE = re.compile(r"^\d+[-_ .]?.*$")
_LANG_SUFFIX_RE = re.compile(r"^(.*)\.([A-Za-z]{2})$")


def is_markdown_name(name: str) -> bool:
    return name.lower().endswith(MARKDOWN_SUFFIXES)


def looks_like_course(folder: Path) -> bool:
    """A folder is a course if it has course.md or something that looks like a module file."""
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()]
    except OSError:
        return False
    return any(
        n == "course.md" or (is_markdown_name(n) and _MODULE_LIKE_RE.match(n)) for n in names
    )


def course_slug_problem(name: str) -> str | None:
    """Why a folder name cannot be a course slug, or None if it can."""
    if SLUG_RE.match(name) and 3 <= len(name) <= 64:
        return None
    fixed = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    hint = f" (e.g. '{fixed}')" if len(fixed) >= 3 else ""
    return (f"course folder name '{name}' is not a valid slug: use 3 to 64 lowercase letters, "
            f"digits and single hyphens{hint}")


@dataclass(frozen=True)
class ModuleFile:
    """A file named ``NN-slug.md`` or ``NN-slug.LANG.md``."""

    filename: str
    number: int
    slug: str
    language: str | None

    @property
    def base_filename(self) -> str:
        return f"{self.filename.split('-', 1)[0]}-{self.slug}.md"


@dataclass
class CourseFiles:
    """An index of one course folder, built once so link checks never touch the disk."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    escaping: set[str] = field(default_factory=set)
    course_files: dict[str | None, str] = field(default_factory=dict)
    module_files: list[ModuleFile] = field(default_factory=list)
    _media: dict[str, MediaFile] = field(default_factory=dict)

    @classmethod
    def scan(cls, root: Path, log: ProblemLog) -> CourseFiles:
        """Index every visible file; classify the top-level names and warn about near misses."""
        index = cls(root)
        real_root = os.path.realpath(root)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            prefix = "" if rel_dir == "." else rel_dir + "/"
            for d in dirnames:
                index.folders.add(prefix + d)
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath, name)
                relpath = prefix + name
                real = os.path.realpath(path)
                if os.path.commonpath([real_root, real]) != real_root:
                    index.escaping.add(relpath)
                    continue
                index.files[relpath] = path
        for relpath in sorted(index.files):
            if "/" not in relpath:
                index._classify(relpath, log)
        return index

    def _classify(self, name: str, log: ProblemLog) -> None:
        if match := COURSE_FILE_RE.match(name):
            self.course_files[match.group(1)] = name
        elif match := MODULE_FILE_RE.match(name):
            number, slug, lang = match.groups()
            self.module_files.append(ModuleFile(name, int(number), slug, lang))
        elif hint := mistyped_name_hint(name):
            log.warning(name, 1, hint)

    def media_file(self, relpath: str) -> MediaFile:
        """The served form of a file, hashed once per read."""
        if relpath not in self._media:
            path = self.files[relpath]
            digest = hashlib.sha256()
            size = 0
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
            mimetype = mimetypes.guess_type(relpath)[0] or "application/octet-stream"
            self._media[relpath] = MediaFile(relpath, digest.hexdigest(), size, mimetype, path)
        return self._media[relpath]

    def hashed_media(self) -> dict[str, MediaFile]:
        """Every file hashed so far (referenced or under media/), by path."""
        return dict(sorted(self._media.items()))

    def media_folder_files(self) -> list[str]:
        return [r for r in self.files if r.startswith(MEDIA_FOLDER + "/")]


def mistyped_name_hint(name: str) -> str | None:
    """A warning for a file that was probably meant to be course.md or a module, else None."""
    if not is_markdown_name(name):
        return None
    stem = name[: name.rfind(".")]
    lang = None
    if match := _LANG_SUFFIX_RE.match(stem):
        stem, lang = match.group(1), match.group(2).lower()
    tail = f".{lang}.md" if lang else ".md"
    if stem.lower() == "course" or name.lower().startswith("course."):
        guess = "course" + tail
        fix = f"; did you mean '{guess}'?" if stem.lower() == "course" else ""
        return (f"ignored: '{name}' looks like course.md or a translation course.LANG.md "
                f"(LANG two lowercase letters){fix}")
    match = re.match(r"^(\d+)[-_ .]*(.*)$", stem)
    if not match:
        return None
    rest = re.sub(r"[^a-z0-9]+", "-", match.group(2).lower()).strip("-")
    guess = f"{match.group(1).zfill(2)}-{rest}{tail}"
    plausible = rest and "." not in match.group(2) and MODULE_FILE_RE.match(guess)
    fix = f"; did you mean '{guess}'?" if plausible else ""
    return (f"ignored: '{name}' looks like a module but module files are named NN-slug.md "
            f"(two or more digits, a hyphen, lowercase letters, digits and single hyphens){fix}")
