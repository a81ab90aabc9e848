"""Front-matter values: durations, choices, course, module, quiz and certificate settings."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .frontmatter import MarkdownFile
from .model import DEFAULT_CERTIFICATE_TITLE, CertificateSettings, ProblemLog, QuizSettings

COURSE_KEYS = ("title", "summary", "language", "duration", "level", "tags", "authors",
               "enrolment", "certificate", "status")
CERTIFICATE_KEYS = ("title", "titles", "hours", "expires_after")
MODULE_KEYS = ("title", "kind", "duration", "required")
QUIZ_KEYS = ("pass_mark", "max_attempts", "time_limit", "shuffle", "pick", "grading", "review")

LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
EMAIL_RE = re.compile(r"^[^@\s,;<>\[\]]+@[^@\s,;<>\[\]]+\.[^@\s,;<>\[\].]+$")
_DURATION_RE = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?$")
_EXPIRY_RE = re.compile(r"^(?:(\d+)\s*y)?\s*(?:(\d+)\s*m)?$")
_BOOLEAN_WORDS = {"yes": True, "on": True, "no": False, "off": False}


class SettingError(ValueError):
    """A front-matter value that cannot be used; the message is shown to the author."""


def parse_duration(value: Any) -> int:
    """Minutes from ``"90m"``, ``"3h"``, ``"2h30m"`` or a whole number of minutes."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        minutes = int(value)
    else:
        match = _DURATION_RE.match(value.strip()) if isinstance(value, str) else None
        if not match or not any(match.groups()):
            raise SettingError(
                f"'{value}' is not a duration; write '90m', '3h', '2h30m' or a number of minutes"
            )
        hours, mins = (int(g) if g else 0 for g in match.groups())
        minutes = hours * 60 + mins
    if minutes <= 0:
        raise SettingError("must be longer than zero minutes")
    return minutes


def parse_expiry(value: Any) -> int:
    """Months from ``"18m"`` or ``"2y"`` (or ``"1y6m"``)."""
    match = _EXPIRY_RE.match(value.strip()) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise SettingError(f"'{value}' is not a period; write months like '18m' or years like '2y'")
    years, months = (int(g) if g else 0 for g in match.groups())
    total = years * 12 + months
    if total <= 0:
        raise SettingError("must be at least one month")
    return total


def default_hours(duration_minutes: int | None) -> float | None:
    """Certificate hours from the course duration, to the nearest half hour (at least 0.5)."""
    if duration_minutes is None:
        return None
    return max(0.5, round(duration_minutes / 30) / 2)


def suggest(key: str, known: Iterable[str]) -> str:
    """``unknown key 'x'`` plus the closest known key, if one is close."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}'{hint}"


@dataclass
class Fields:
    """Typed access to one file's front matter that reports bad values at their line."""

    doc: MarkdownFile
    log: ProblemLog
    prefix: str = ""

    def _key(self, key: str) -> str:
        return self.prefix + key

    def line(self, key: str) -> int:
        return self.doc.line(self._key(key))

    def error(self, key: str, message: str) -> None:
        self.log.error(self.doc.relpath, self.line(key), f"{self._key(key)}: {message}")

    def check_keys(self, meta: dict[str, Any], known: Iterable[str],
                   elsewhere: dict[str, str] | None = None) -> None:
        """Report keys that are not in ``known``; ``elsewhere`` explains keys in the wrong file."""
        known = tuple(known)
        for key in meta:
            if key in known:
                continue
            line = self.doc.line(self._key(key))
            if elsewhere and key in elsewhere:
                self.log.error(self.doc.relpath, line, f"'{key}' {elsewhere[key]}")
            else:
                self.log.error(self.doc.relpath, line, suggest(key, known))

    def text(self, key: str, meta: dict[str, Any], *, required: bool = False) -> str | None:
        value = meta.get(key)
        if value is None:
            if required:
                where = "empty" if key in meta else "missing"
                message = f"required key '{self._key(key)}' is {where}"
                self.log.error(self.doc.relpath, self.line(key) if key in meta else 1, message)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(key, "must be text")
            return None
        text = str(value).strip()
        if not text and required:
            self.error(key, "must not be empty")
            return None
        return text or None

    def names(self, key: str, meta: dict[str, Any]) -> tuple[str, ...]:
        value = meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, str | int | float) for v in value
        ):
            self.error(key, "must be a list such as [a, b]")
            return ()
        return tuple(dict.fromkeys(s for v in value if (s := str(v).strip())))

    def choice(self, key: str, meta: dict[str, Any], options: tuple[str, ...]) -> str:
        value = meta.get(key)
        if value is None:
            return options[0]
        if value not in options:
            allowed = " or ".join(f"'{o}'" for o in options)
            self.error(key, f"'{value}' is not allowed; use {allowed}")
            return options[0]
        return value

    def boolean(self, key: str, meta: dict[str, Any], default: bool) -> bool:
        value = meta.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _BOOLEAN_WORDS:
            return _BOOLEAN_WORDS[value.lower()]
        self.error(key, f"'{value}' is not true or false")
        return default

    def duration(self, key: str, meta: dict[str, Any]) -> int | None:
        value = meta.get(key)
        if value is None:
            return None
        try:
            return parse_duration(value)
        except SettingError as exc:
            self.error(key, str(exc))
            return None

    def integer(self, key: str, meta: dict[str, Any], low: int, high: int | None = None,
                *, none_words: tuple[str, ...] = ()) -> int | None:
        value = meta.get(key)
        if value is None or (isinstance(value, str) and value.strip().lower() in none_words):
            return None
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            self.error(key, f"must be a whole number {span}, not '{value}'")
            return None
        return value


@dataclass(frozen=True)
class CourseSettings:
    """The course-wide settings from course.md."""

    title: str | None
    summary: str | None
    language: str
    duration_minutes: int | None
    level: str | None
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    enrolment: str
    certificate: CertificateSettings | None
    status: str
    owners: tuple[str, ...] = ()
    owners_line: int = 1


def course_settings(doc: MarkdownFile, log: ProblemLog) -> CourseSettings:
    """Read and check course.md's front matter."""
    fields = Fields(doc, log)
    meta = doc.meta
    hint = "is a module setting; put it in a module's front matter"
    fields.check_keys(meta, COURSE_KEYS, {k: hint for k in MODULE_KEYS + QUIZ_KEYS})
    language = meta.get("language", "en")
    if not isinstance(language, str) or not LANGUAGE_RE.match(language):
        fields.error("language", f"'{language}' is not a two-letter lowercase code such as 'en'")
        language = "en"
    duration = fields.duration("duration", meta)
    authors, owners = _authors(fields, meta)
    return CourseSettings(
        title=fields.text("title", meta, required=True),
        summary=fields.text("summary", meta, required=True),
        language=language,
        duration_minutes=duration,
        level=fields.text("level", meta),
        tags=fields.names("tags", meta),
        authors=authors,
        enrolment=fields.choice("enrolment", meta, ("open", "invite")),
        certificate=_certificate(fields, meta, duration),
        status=fields.choice("status", meta, ("published", "draft")),
        owners=owners,
        owners_line=fields.line("authors") if "authors" in meta else 1,
    )


def split_authors(names: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """Authors shown by name, owning accounts given by email, and the malformed emails.

    Anything with an ``@`` is meant as an account's email; the rest are names shown on the
    course page. Emails are never shown there: they only give the accounts a say.
    """
    shown, owners, malformed = [], [], []
    for name in names:
        if "@" not in name:
            shown.append(name)
        elif EMAIL_RE.match(name):
            owners.append(name.lower())
        else:
            malformed.append(name)
    return tuple(shown), tuple(dict.fromkeys(owners)), malformed


def _authors(fields: Fields, meta: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    shown, owners, malformed = split_authors(fields.names("authors", meta))
    for name in malformed:
        fields.error("authors", f"'{name}' is not an email address such as author@example.org")
    return shown, owners


def _certificate(fields: Fields, meta: dict[str, Any], duration: int | None
                 ) -> CertificateSettings | None:
    value = meta.get("certificate", True)
    hours = default_hours(duration)
    if value is None or value is True:
        return CertificateSettings(DEFAULT_CERTIFICATE_TITLE, hours, None)
    if value is False:
        return None
    if not isinstance(value, dict):
        fields.error("certificate", "must be true, false or a mapping with title, hours, "
                     "expires_after")
        return None
    sub = Fields(fields.doc, fields.log, prefix="certificate.")
    sub.check_keys(value, CERTIFICATE_KEYS)
    title = sub.text("title", value) or DEFAULT_CERTIFICATE_TITLE
    raw_hours = value.get("hours")
    if raw_hours is not None:
        if isinstance(raw_hours, bool) or not isinstance(raw_hours, int | float) or raw_hours <= 0:
            sub.error("hours", f"must be a positive number, not '{raw_hours}'")
        else:
            hours = float(raw_hours)
    expires = None
    raw_expiry = value.get("expires_after")
    if raw_expiry is not None and raw_expiry != "never":
        try:
            expires = parse_expiry(raw_expiry)
        except SettingError as exc:
            sub.error("expires_after", str(exc))
    return CertificateSettings(title, hours, expires, _certificate_titles(sub, value))


def _certificate_titles(sub: Fields, value: dict[str, Any]) -> dict[str, str]:
    """`titles:`, the certificate's wording per language (``es: Certificado de ...``)."""
    raw = value.get("titles")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
            isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language)
            and isinstance(title, str) and title.strip() for language, title in raw.items()):
        sub.error("titles", "must map two-letter language codes to titles, one a line, "
                            "e.g. 'es: Certificado de finalización'")
        return {}
    return {language: title.strip() for language, title in raw.items()}


@dataclass(frozen=True)
class ModuleSettings:
    """The settings a module's base file declares."""

    title: str | None
    kind: str
    duration_minutes: int | None
    required: bool
    quiz_values: dict[str, Any]


def module_settings(doc: MarkdownFile, log: ProblemLog) -> ModuleSettings:
    """Read and check a module's front matter; quiz keys are kept for ``quiz_settings``."""
    fields = Fields(doc, log)
    meta = doc.meta
    hint = "is a course setting; put it in course.md"
    fields.check_keys(meta, MODULE_KEYS + QUIZ_KEYS,
                      {k: hint for k in COURSE_KEYS if k not in MODULE_KEYS})
    kind = fields.choice("kind", meta, ("lesson", "quiz"))
    quiz_values = {k: meta[k] for k in QUIZ_KEYS if k in meta}
    if kind != "quiz":
        for key in quiz_values:
            fields.error(key, "is a quiz setting, but this module is a lesson (add 'kind: quiz')")
    return ModuleSettings(
        title=fields.text("title", meta, required=True),
        kind=kind,
        duration_minutes=fields.duration("duration", meta),
        required=fields.boolean("required", meta, True),
        quiz_values=quiz_values,
    )


def quiz_settings(doc: MarkdownFile, log: ProblemLog, question_count: int) -> QuizSettings:
    """Read and check a quiz's settings; ``pick`` is checked against the question count."""
    fields = Fields(doc, log)
    meta = doc.meta
    pass_mark = fields.integer("pass_mark", meta, 0, 100)
    time_limit = fields.duration("time_limit", meta)
    pick = fields.integer("pick", meta, 1, max(question_count, 1))
    return QuizSettings(
        pass_mark=70 if pass_mark is None else pass_mark,
        max_attempts=fields.integer("max_attempts", meta, 1, none_words=("unlimited",)),
        time_limit_seconds=None if time_limit is None else time_limit * 60,
        shuffle=fields.boolean("shuffle", meta, False),
        pick=pick,
        grading=fields.choice("grading", meta, ("best", "last")),  # type: ignore[arg-type]
        review=fields.choice("review", meta,  # type: ignore[arg-type]
                             ("after_submit", "after_pass", "never")),
    )
