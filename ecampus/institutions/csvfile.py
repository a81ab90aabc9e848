"""Reading a cohort CSV and writing a report CSV: plain functions over bytes and strings.

Every problem is a code with parameters, not a sentence, so a stored preview is shown in the
reader's language. The export's identifying columns are the import's, so a report file can
be uploaded again as it is.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from ..auth.models import normalise_email, normalise_name

IMPORT_COLUMNS = ("email", "full_name", "language", "external_id")
REQUIRED_COLUMNS = ("email", "full_name")
REPORT_COLUMNS = ("course", "progress_percent", "quiz_score", "quiz_passed", "completed_on",
                  "certificate_code", "due_on", "overdue")
EXPORT_COLUMNS = IMPORT_COLUMNS + REPORT_COLUMNS
ENCODINGS = ("auto", "utf-8", "latin-1")
MAX_EMAIL, MAX_NAME, MAX_EXTERNAL_ID = 254, 200, 100
#: A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MESSAGES = {
    "too_large": _l("The file is larger than %(limit)s. Split it into smaller files."),
    "empty": _l("The file is empty."),
    "spreadsheet": _l("This is a spreadsheet file, not CSV. In your spreadsheet, choose "
                      "'Save as' and the 'CSV UTF-8' format."),
    "not_text": _l("This line holds characters that do not belong in a text file: this does "
                   "not look like a CSV file."),
    "not_utf8": _l("This line is not valid UTF-8. Choose the Latin-1 encoding, or "
                   "'automatic', and upload the file again."),
    "mixed_encoding": _l("The file mixes encodings: line %(utf8_line)d is UTF-8 but this line "
                         "is not. Save the file again as 'CSV UTF-8' and upload it again."),
    "malformed": _l("This line cannot be read as CSV (%(reason)s)."),
    "too_many_rows": _l("The file has %(count)d rows; at most %(limit)d are accepted at once. "
                        "Split it into smaller files."),
    "no_rows": _l("The file has a first line of column names but no people under it."),
    "no_header": _l("The first line must name the columns (email, full_name, and optionally "
                    "language and external_id), but it looks like data."),
    "unknown_column_suggest": _l("Unknown column '%(column)s'; did you mean '%(suggestion)s'?"),
    "unknown_column": _l("Unknown column '%(column)s'. The columns are: %(columns)s."),
    "duplicate_column": _l("The column '%(column)s' appears twice in the first line."),
    "missing_column": _l("The required column '%(column)s' is missing from the first line."),
    "extra_values": _l("This line has more values than there are columns."),
    "missing_email": _l("The email address is missing."),
    "email_too_long": _l("The email address is longer than %(limit)d characters."),
    "invalid_email": _l("'%(value)s' is not a valid email address."),
    "duplicate": _l("%(email)s is already on line %(first)d."),
    "conflicting_duplicate": _l("%(email)s is already on line %(first)d, with different "
                                "details."),
    "missing_name": _l("The full name is missing."),
    "name_too_long": _l("The full name is longer than %(limit)d characters."),
    "unknown_language": _l("Unknown language '%(value)s'; use one of %(choices)s."),
    "external_id_too_long": _l("The external id is longer than %(limit)d characters."),
}


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file or one of its lines; `params` fill the message."""

    code: str
    line: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The problem in the reader's language, starting with its line number if any."""
        text = str(MESSAGES[self.code]) % self.params
        if self.line is None:
            return text
        return str(_l("Line %(line)d: %(problem)s", line=self.line, problem=text))

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "line": self.line, "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        return cls(data["code"], data.get("line"), data.get("params") or {})


@dataclass(frozen=True)
class Person:
    """One person to add to a cohort, as normalised from a CSV line or a form."""

    line: int | None
    email: str
    full_name: str
    language: str | None = None
    external_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedFile:
    people: list[Person]
    problems: list[Problem]
    ignored_columns: list[str] = field(default_factory=list)


class FileRejected(Exception):
    """The upload is not a CSV file we can read at all; nothing is stored."""

    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode(data: bytes, choice: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding used: UTF-8 (with or without BOM), else the Windows
    Latin-1 that older spreadsheets export. A file mixing both is refused, not garbled."""
    if not data.strip():
        raise FileRejected(Problem("empty"))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRejected(Problem("spreadsheet"))
    if b"\x00" in data:
        raise FileRejected(Problem("not_text", _line_of(data, data.index(b"\x00"))))
    if choice == "latin-1":
        text, used = _latin(data), "latin-1"
    else:
        try:
            text, used = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as error:
            line = _line_of(data, error.start)
            if choice == "utf-8":
                raise FileRejected(Problem("not_utf8", line)) from None
            utf8_line = _first_utf8_line(data)
            if utf8_line is not None:
                raise FileRejected(Problem("mixed_encoding", line,
                                           {"utf8_line": utf8_line})) from None
            text, used = _latin(data), "latin-1"
    control = _CONTROL.search(text)
    if control:
        raise FileRejected(Problem("not_text", text.count("\n", 0, control.start()) + 1))
    return text, used


def _latin(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _first_utf8_line(data: bytes) -> int | None:
    """The first line that holds UTF-8 beyond ASCII, if any."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return number
    return None


def unquote_formula(value: str) -> str:
    """Undo `neutralise`, so an exported file imports with its original values."""
    if len(value) > 1 and value[0] == "'" and value[1] in "".join(FORMULA_START):
        return value[1:]
    return value


def neutralise(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _header(cells: Sequence[str]) -> tuple[dict[str, int], list[Problem], list[str]]:
    names = [unquote_formula(c).strip().lstrip("\ufeff").strip().lower() for c in cells]
    problems: list[Problem] = []
    index: dict[str, int] = {}
    ignored: list[str] = []
    known = IMPORT_COLUMNS + REPORT_COLUMNS
    if any("@" in name for name in names):
        return {}, [Problem("no_header")], []
    for position, name in enumerate(names):
        if not name:
            continue  # spreadsheets add unnamed empty columns; they hold nothing for us
        if name in index or name in ignored:
            problems.append(Problem("duplicate_column", params={"column": name}))
        elif name in IMPORT_COLUMNS:
            index[name] = position
        elif name in REPORT_COLUMNS:
            ignored.append(name)
            if name == "course":
                index[name] = position
        else:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                problems.append(Problem("unknown_column_suggest",
                                        params={"column": name[:60], "suggestion": close[0]}))
            else:
                problems.append(Problem("unknown_column", params={
                    "column": name[:60], "columns": ", ".join(IMPORT_COLUMNS)}))
    for name in REQUIRED_COLUMNS:
        if name not in index:
            problems.append(Problem("missing_column", params={"column": name}))
    return index, problems, ignored


def check_person(line: int | None, email: str, full_name: str, language: str, external_id: str,
                 languages: Sequence[str]) -> tuple[Person | None, list[Problem]]:
    """Validate and normalise one person, from a CSV line or the add-a-learner form."""
    problems: list[Problem] = []
    email = email.strip()
    full_name = normalise_name(full_name)
    language = language.strip().lower()
    external_id = external_id.strip()
    if not email:
        problems.append(Problem("missing_email", line))
    elif len(email) > MAX_EMAIL:
        problems.append(Problem("email_too_long", line, {"limit": MAX_EMAIL}))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(Problem("invalid_email", line, {"value": email[:80]}))
    if not full_name:
        problems.append(Problem("missing_name", line))
    elif len(full_name) > MAX_NAME:
        problems.append(Problem("name_too_long", line, {"limit": MAX_NAME}))
    if language and language not in languages:
        problems.append(Problem("unknown_language", line,
                                {"value": language[:20], "choices": ", ".join(languages)}))
    if len(external_id) > MAX_EXTERNAL_ID:
        problems.append(Problem("external_id_too_long", line, {"limit": MAX_EXTERNAL_ID}))
    if problems:
        return None, problems
    return Person(line, normalise_email(email), full_name, language or None,
                  external_id or None), []


def parse(text: str, *, languages: Sequence[str], max_rows: int) -> ParsedFile:
    """Read people from CSV text, finding every problem at once with its line number.

    The delimiter is whichever of comma and semicolon the header uses more. A report export
    lists a learner once per course: those repeats are one person, not duplicates.
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise FileRejected(Problem("empty"))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        return ParsedFile([], [Problem("malformed", 1, {"reason": str(error)[:100]})])
    index, problems, ignored = _header(header)
    if problems:
        return ParsedFile([], problems, ignored)
    people: list[Person] = []
    seen: dict[str, tuple[int, tuple[str, str, str], set[str]]] = {}
    count, end = 0, reader.line_num
    rows = _rows(reader)
    for cells, problem in rows:
        line, end = end + 1, reader.line_num
        if problem is not None:
            problems.append(Problem("malformed", line, {"reason": problem}))
            break
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > max_rows:
            continue
        if any(cell.strip() for cell in cells[len(header):]):
            problems.append(Problem("extra_values", line))
            continue

        def cell(name: str, cells=cells) -> str:
            position = index.get(name)
            return unquote_formula(cells[position]) if (
                position is not None and position < len(cells)) else ""

        # Duplicates are judged on the address as typed, so a bad line still claims it.
        key = normalise_email(cell("email"))
        details = (" ".join(cell("full_name").split()), cell("language").strip().lower(),
                   cell("external_id").strip())
        course = cell("course").strip()
        earlier = seen.get(key) if key else None
        if earlier is not None:
            first_line, first_details, first_courses = earlier
            same = details == first_details
            if "course" in index and course not in first_courses and same:
                first_courses.add(course)  # the same learner on another course of an export
                continue
            code = "duplicate" if same else "conflicting_duplicate"
            problems.append(Problem(code, line, {"email": key[:80], "first": first_line}))
            continue
        if key:
            seen[key] = (line, details, {course})
        person, found = check_person(line, cell("email"), cell("full_name"), cell("language"),
                                     cell("external_id"), languages)
        problems.extend(found)
        if person is not None:
            people.append(person)
    if count > max_rows:
        return ParsedFile([], [Problem("too_many_rows", params={"count": count,
                                                                 "limit": max_rows})], ignored)
    if count == 0 and not problems:
        problems.append(Problem("no_rows"))
    return ParsedFile(people, problems, ignored)


def _rows(reader) -> Iterable[tuple[list[str], str | None]]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield [], str(error)[:100]
            return
        yield cells, None


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[str] = EXPORT_COLUMNS) -> str:
    """CSV text with a BOM (spreadsheets then read UTF-8), every cell neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if value is None else str(value)) for value in row])
    return buffer.getvalue()
