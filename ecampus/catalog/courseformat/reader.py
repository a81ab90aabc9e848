"""Read and check course folders: the entry points of the course format."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from .files import CourseFiles, ModuleFile, course_slug_problem, looks_like_course
from .frontmatter import MarkdownFile, read_markdown
from .model import (
    Course,
    CourseResult,
    CourseText,
    MediaFile,
    Module,
    ModuleText,
    ProblemLog,
)
from .quiz import heading_options_in_lesson, parse_quiz
from .render import Renderer, present
from .settings import (
    COURSE_KEYS,
    MODULE_KEYS,
    QUIZ_KEYS,
    CourseSettings,
    Fields,
    course_settings,
    module_settings,
    quiz_settings,
)
from .translations import check_translated_keys, check_translated_quiz

DEFAULT_BASE_URL = "/courses/{slug}/"
# Part of every content hash, so that a change in how sources are interpreted can be
# turned into new versions deliberately by bumping it.
FORMAT_VERSION = b"ecampus-course-format-1.1"
RESERVED_MODULE_SLUGS = {"files"}  # {base_url}files/ serves the course's media


def course_folders(root: Path) -> list[Path]:
    """The course folders under ``root``, sorted by name.

    A folder counts as a course if it has course.md or files that look like modules, so a
    course whose course.md is missing is reported rather than silently skipped.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"courses folder not found: {root}")
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and looks_like_course(p))


def read_courses(root: Path, *, base_url: str = DEFAULT_BASE_URL) -> list[CourseResult]:
    """Read every course folder under ``root``; one result per folder, sorted by slug."""
    return sorted((read_course(p, base_url=base_url) for p in course_folders(root)),
                  key=lambda r: r.slug)


def source_fingerprint(folder: Path) -> str:
    """A digest of every file in a course folder (names and bytes), read without parsing.

    Equal fingerprints mean equal sources, so a publisher can skip an unchanged course
    without reading its Markdown.
    """
    digest = hashlib.sha256(FORMAT_VERSION)
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            data = path.read_bytes()
            digest.update(f"{relative.as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def read_course(folder: Path, *, base_url: str = DEFAULT_BASE_URL) -> CourseResult:
    """Read and check one course folder; ``course`` is None if there is any error.

    Problem paths are relative to the folder's parent. Nothing is written anywhere.
    """
    return _CourseReader(Path(folder), base_url).read()


def has_errors(results: Iterable[CourseResult]) -> bool:
    """True if any result has an error (warnings alone do not block publishing)."""
    return any(p.severity == "error" for r in results for p in r.problems)


class _CourseReader:
    def __init__(self, folder: Path, base_url: str) -> None:
        self.folder = folder
        self.slug = folder.name
        self.base_url = base_url.replace("{slug}", self.slug)
        self.log = ProblemLog(self.slug)
        self.files = CourseFiles(folder)
        self.renderer: Renderer | None = None
        self.course_sources: dict[str, bytes] = {}

    def read(self) -> CourseResult:
        log = self.log
        if problem := course_slug_problem(self.slug):
            log.error("", 1, problem)
        self.files = files = CourseFiles.scan(self.folder, log)
        bases = sorted((m for m in files.module_files if m.language is None),
                       key=lambda m: (m.number, m.filename))
        base_names = {m.filename for m in bases}
        translations: dict[str, dict[str, ModuleFile]] = {}
        for module_file in files.module_files:
            if module_file.language is None:
                continue
            if module_file.base_filename in base_names:
                translations.setdefault(module_file.base_filename, {})[
                    module_file.language] = module_file
            else:
                log.error(module_file.filename, 1, "translation of a missing file "
                          f"'{module_file.base_filename}'")
        self._check_module_names(bases)
        slugs = {m.filename: m.slug for m in files.module_files
                 if m.language is None or m.base_filename in base_names}
        self.renderer = Renderer(files, self.base_url, slugs, log)

        course_doc, settings, course_texts = self._course_texts()
        language = settings.language if settings else "en"
        modules = []
        for module_file in bases:
            module = self._module(module_file, translations.get(module_file.filename, {}),
                                  language, set(course_texts))
            if module is not None:
                modules.append(module)
        media = self._media()
        problems = log.result()
        if log.has_errors or settings is None or course_doc is None:
            return CourseResult(self.slug, None, problems)
        assert settings.title is not None and settings.summary is not None
        course = Course(
            slug=self.slug, base_language=language, duration_minutes=settings.duration_minutes,
            level=settings.level, tags=settings.tags, authors=settings.authors,
            owners=settings.owners, owners_line=settings.owners_line,
            enrolment=settings.enrolment,  # type: ignore[arg-type]
            certificate=settings.certificate,
            status=settings.status,  # type: ignore[arg-type]
            texts=course_texts, modules=tuple(modules), media=media,
            content_hash=self._course_hash(modules, media),
        )
        return CourseResult(self.slug, course, problems)

    def _check_module_names(self, bases: list[ModuleFile]) -> None:
        numbers: dict[int, str] = {}
        slugs: dict[str, str] = {}
        for module_file in bases:
            name = module_file.filename
            if module_file.slug in RESERVED_MODULE_SLUGS:
                self.log.error(name, 1, f"module slug '{module_file.slug}' is reserved; "
                               "rename the file")
            if module_file.number in numbers:
                self.log.error(name, 1, f"module number {module_file.number} is also used by "
                               f"'{numbers[module_file.number]}'")
            if module_file.slug in slugs:
                self.log.error(name, 1, f"module slug '{module_file.slug}' is also used by "
                               f"'{slugs[module_file.slug]}'")
            numbers.setdefault(module_file.number, name)
            slugs.setdefault(module_file.slug, name)

    def _load(self, relpath: str) -> MarkdownFile | None:
        try:
            raw = self.files.files[relpath].read_bytes()
        except OSError as exc:
            self.log.error(relpath, 1, f"cannot read the file: {exc.strerror}")
            return None
        doc = read_markdown(relpath, raw, self.log)
        return doc if doc is not None and doc.ok else None

    def _course_texts(self) -> tuple[MarkdownFile | None, CourseSettings | None,
                                     dict[str, CourseText]]:
        log, renderer = self.log, self.renderer
        assert renderer is not None
        if None not in self.files.course_files:
            log.error("course.md", 1, "missing course.md; every course folder needs one, "
                      "with at least a title and a summary")
            return None, None, {}
        doc = self._load("course.md")
        if doc is None:
            return None, None, {}
        settings = course_settings(doc, log)
        language = settings.language
        self.course_sources[language] = doc.raw
        texts = {language: CourseText(language, settings.title or "", settings.summary or "",
                                      present(renderer.render(doc.body, doc.relpath),
                                              language))}
        for lang, name in sorted((k, v) for k, v in self.files.course_files.items() if k):
            if lang == language:
                log.error(name, 1, f"'{name}' translates into '{lang}', which is already the "
                          "course's language (set 'language' in course.md)")
                continue
            translated = self._load(name)
            if translated is None:
                continue
            check_translated_keys(translated, doc, ("title", "summary"), COURSE_KEYS, log,
                                  lang)
            fields = Fields(translated, log)
            title = fields.text("title", translated.meta, required=True)
            summary = fields.text("summary", translated.meta, required=True)
            texts[lang] = CourseText(lang, title or "", summary or "",
                                     present(renderer.render(translated.body, name), lang))
            self.course_sources[lang] = translated.raw
        return doc, settings, texts

    def _module(self, module_file: ModuleFile, translations: dict[str, ModuleFile],
                language: str, offered: set[str]) -> Module | None:
        log, renderer = self.log, self.renderer
        assert renderer is not None
        name = module_file.filename
        doc = self._load(name)
        if doc is None:
            return None
        settings = module_settings(doc, log)
        renderer.referenced = set()
        title = settings.title or ""
        sources = {language: doc.raw}
        quiz = None
        if settings.kind == "quiz":
            part = parse_quiz(doc.body, name, renderer, log)
            quiz = quiz_settings(doc, log, len(part.questions))
            base_text = ModuleText(language, title, part.intro_html, tuple(part.questions))
        else:
            if line := heading_options_in_lesson(doc.body):
                log.warning(name, line, "heading options like {#id} only apply to quiz "
                            "questions; is 'kind: quiz' missing?")
            base_text = ModuleText(language, title,
                                   present(renderer.render(doc.body, name), language, title))
        texts = {language: base_text}
        for lang, translation in sorted(translations.items()):
            tname = translation.filename
            if lang not in offered:
                log.warning(tname, 1, f"ignored: the course is not offered in '{lang}' "
                            f"because course.{lang}.md does not exist")
                continue
            tdoc = self._load(tname)
            if tdoc is None:
                continue
            check_translated_keys(tdoc, doc, ("title",), MODULE_KEYS + QUIZ_KEYS, log, lang)
            ttitle = Fields(tdoc, log).text("title", tdoc.meta)
            if ttitle is None:
                log.warning(tname, 1, f"no title; the title of {name} is shown instead")
            if quiz is not None:
                tpart = parse_quiz(tdoc.body, tname, renderer, log)
                if part.clean and tpart.clean:
                    check_translated_quiz(part.questions, tpart.questions, tname, name, log)
                texts[lang] = ModuleText(lang, ttitle or title, tpart.intro_html,
                                         tuple(tpart.questions))
            else:
                texts[lang] = ModuleText(lang, ttitle or title, present(
                    renderer.render(tdoc.body, tname), lang, ttitle or title))
            sources[lang] = tdoc.raw
        media = [self.files.media_file(r) for r in renderer.referenced]
        return Module(
            slug=module_file.slug, number=module_file.number, filename=name,
            kind=settings.kind,  # type: ignore[arg-type]
            required=settings.required, duration_minutes=settings.duration_minutes,
            texts=texts, quiz=quiz, content_hash=_content_hash(sources, media),
        )

    def _media(self) -> dict[str, MediaFile]:
        for relpath in sorted(self.files.escaping):
            if relpath.startswith("media/"):
                self.log.error(relpath, 1, "symbolic link leads outside the course folder")
        for relpath in self.files.media_folder_files():
            self.files.media_file(relpath)
        return self.files.hashed_media()

    def _course_hash(self, modules: list[Module], media: dict[str, MediaFile]) -> str:
        digest = hashlib.sha256(_content_hash(self.course_sources, media.values()).encode())
        for module in modules:
            digest.update(f"\0module:{module.filename}\0{module.content_hash}".encode())
        return digest.hexdigest()


def _content_hash(sources: dict[str, bytes], media: Iterable[MediaFile]) -> str:
    """sha256 over the sources by language, then the media they use, in a stable order."""
    digest = hashlib.sha256(FORMAT_VERSION)
    for lang in sorted(sources):
        source = sources[lang]
        digest.update(f"\0source:{lang}:{len(source)}\0".encode())
        digest.update(source)
    for item in sorted(media, key=lambda m: m.relpath):
        digest.update(f"\0media:{item.relpath}:{item.sha256}".encode())
    return digest.hexdigest()
