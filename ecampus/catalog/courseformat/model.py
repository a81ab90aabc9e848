"""Plain data produced by reading a course folder; no behaviour beyond small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

Severity = Literal["error", "warning"]

DEFAULT_CERTIFICATE_TITLE = "Certificate of Completion"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of the checker, printed as ``path:line: severity: message``."""

    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class MediaFile:
    """A file served with the course (an image or a download), addressed by its content."""

    relpath: str
    sha256: str
    size: int
    mimetype: str
    source: Path | None = field(default=None, compare=False, repr=False)

    @property
    def url_path(self) -> str:
        """Where the file is served, relative to the course's base URL."""
        return f"files/{self.sha256[:12]}/{quote(self.relpath)}"


@dataclass(frozen=True)
class CertificateSettings:
    """What the course's certificate says and how long it stays valid."""

    title: str = DEFAULT_CERTIFICATE_TITLE
    hours: float | None = None
    expires_after_months: int | None = None
    #: The title in other languages, by language code, when the author gives them.
    titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QuizSettings:
    """How a quiz module is taken and graded."""

    pass_mark: int = 70
    max_attempts: int | None = None
    time_limit_seconds: int | None = None
    shuffle: bool = False
    pick: int | None = None
    grading: Literal["best", "last"] = "best"
    review: Literal["after_submit", "after_pass", "never"] = "after_submit"


@dataclass(frozen=True)
class ModuleText:
    """A module in one language: rendered body (quiz introduction) and question dicts."""

    language: str
    title: str
    body_html: str
    questions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Module:
    """One ``NN-slug.md`` file and its translations."""

    slug: str
    number: int
    filename: str
    kind: Literal["lesson", "quiz"]
    required: bool
    duration_minutes: int | None
    texts: dict[str, ModuleText]
    quiz: QuizSettings | None
    content_hash: str

    @property
    def is_quiz(self) -> bool:
        return self.kind == "quiz"


@dataclass(frozen=True)
class CourseText:
    """The course page in one language."""

    language: str
    title: str
    summary: str
    description_html: str


@dataclass(frozen=True)
class Course:
    """A course folder that passed every check, ready to publish."""

    slug: str
    base_language: str
    duration_minutes: int | None
    level: str | None
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    enrolment: Literal["open", "invite"]
    certificate: CertificateSettings | None
    status: Literal["published", "draft"]
    texts: dict[str, CourseText]
    modules: tuple[Module, ...]
    media: dict[str, MediaFile]
    content_hash: str
    #: Lower-cased emails of the accounts that own the course (from `authors`).
    owners: tuple[str, ...] = ()
    #: The line of course.md that names them, for warnings found at publish time.
    owners_line: int = 1

    @property
    def languages(self) -> list[str]:
        """Offered languages, the base language first."""
        others = sorted(lang for lang in self.texts if lang != self.base_language)
        return [self.base_language, *others]

    def module(self, slug: str) -> Module | None:
        """The module with this slug, if the course has one."""
        return next((m for m in self.modules if m.slug == slug), None)


@dataclass(frozen=True)
class CourseResult:
    """What reading one folder gave: the course (None if any error) and every problem."""

    slug: str
    course: Course | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class ProblemLog:
    """Collects problems for one course folder, with paths relative to the courses root."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._problems: list[Problem] = []

    def path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if relpath else self.prefix

    def error(self, relpath: str, line: int, message: str) -> None:
        self._problems.append(Problem(self.path(relpath), max(line, 1), "error", message))

    def warning(self, relpath: str, line: int, message: str) -> None:
        self._problems.append(Problem(self.path(relpath), max(line, 1), "warning", message))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self._problems)

    def error_count(self) -> int:
        return sum(p.severity == "error" for p in self._problems)

    def result(self) -> list[Problem]:
        """Problems without duplicates, ordered by file then line (stable otherwise)."""
        unique = list(dict.fromkeys(self._problems))
        return sorted(unique, key=lambda p: (p.path, p.line))
