"""Reading cohort CSV files and writing reports: plain functions, hostile inputs included."""

from __future__ import annotations

import csv
import io

import pytest

from ecampus.institutions.csvfile import (
    EXPORT_COLUMNS,
    FileRejected,
    Problem,
    decode,
    neutralise,
    parse,
    unquote_formula,
    write_csv,
)

LANGUAGES = ("en", "es", "fr")
HEADER = "email,full_name,language,external_id\n"


def _parse(text: str, max_rows: int = 10_000):
    return parse(text, languages=LANGUAGES, max_rows=max_rows)


def _codes(parsed) -> list[tuple[str, int | None]]:
    return [(p.code, p.line) for p in parsed.problems]


def _rejected(data: bytes, choice: str = "auto") -> Problem:
    with pytest.raises(FileRejected) as caught:
        decode(data, choice)
    return caught.value.problem


# --- Encodings and what is not text ---------------------------------------------------------

def test_utf8_with_bom_is_read_without_the_bom():
    text, used = decode("\ufeffemail,full_name\nana@example.org,Ana López\n".encode())
    assert used == "utf-8"
    assert _parse(text).people[0].full_name == "Ana López"


def test_utf8_without_bom_is_read():
    text, used = decode("email,full_name\nana@example.org,Ana López\n".encode())
    assert used == "utf-8" and "López" in text


def test_windows_latin1_export_is_detected():
    data = "email;full_name\nj@example.org;Jürgen Müller – Çelik\n".encode("cp1252")
    text, used = decode(data)
    assert used == "latin-1"
    assert _parse(text).people[0].full_name == "Jürgen Müller – Çelik"


def test_latin1_can_be_chosen_explicitly():
    data = "email,full_name\nana@example.org,Ana López\n".encode("latin-1")
    text, used = decode(data, "latin-1")
    assert used == "latin-1" and "López" in text


def test_utf8_choice_refuses_latin1_bytes_with_the_line():
    data = "email,full_name\nana@example.org,Ana\nb@example.org,José\n".encode("latin-1")
    problem = _rejected(data, "utf-8")
    assert (problem.code, problem.line) == ("not_utf8", 3)


def test_mixed_encodings_are_refused_rather_than_garbled():
    data = ("email,full_name\nana@example.org,Ana López\n".encode()
            + "jose@example.org,José Pérez\n".encode("latin-1"))
    problem = _rejected(data)
    assert problem.code == "mixed_encoding"
    assert problem.line == 3 and problem.params == {"utf8_line": 2}


def test_nul_bytes_mean_not_a_text_file():
    problem = _rejected(b"email,full_name\nana@example.org,A\x00na\n")
    assert (problem.code, problem.line) == ("not_text", 2)


def test_control_characters_mean_not_a_text_file():
    assert _rejected(b"email,full_name\n\x1b[31mana@example.org,Ana\n").code == "not_text"


def test_an_xlsx_file_is_told_to_save_as_csv():
    assert _rejected(b"PK\x03\x04\x14\x00\x06\x00rest of a zip").code == "spreadsheet"


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", b"\xef\xbb\xbf\n"])
def test_empty_file_is_refused(data):
    with pytest.raises(FileRejected) as caught:
        text, _used = decode(data)
        _parse(text)
    assert caught.value.problem.code == "empty"


def test_header_only_file_says_there_is_nobody():
    parsed = _parse(HEADER)
    assert parsed.people == [] and _codes(parsed) == [("no_rows", None)]


# --- Delimiters, line endings, header ------------------------------------------------------

def test_semicolon_delimiter_is_detected():
    parsed = _parse("email;full_name;language\nana@example.org;López, Ana;es\n")
    assert parsed.people[0].full_name == "López, Ana" and parsed.people[0].language == "es"


def test_crlf_line_endings_and_line_numbers():
    parsed = _parse("email,full_name\r\nana@example.org,Ana\r\n\r\nbad,Bob\r\n")
    assert [p.email for p in parsed.people] == ["ana@example.org"]
    assert _codes(parsed) == [("invalid_email", 4)]


def test_header_is_case_and_space_insensitive():
    parsed = _parse(" Email , FULL_NAME \nana@example.org,Ana\n")
    assert parsed.people[0].email == "ana@example.org" and not parsed.problems


def test_unknown_column_suggests_the_closest_name():
    parsed = _parse("e-mail,full_name\nana@example.org,Ana\n")
    assert [p.code for p in parsed.problems] == ["unknown_column_suggest", "missing_column"]
    assert parsed.problems[0].params == {"column": "e-mail", "suggestion": "email"}


def test_unknown_column_message_names_the_suggestion(ctx):
    parsed = _parse("email,name\nana@example.org,Ana\n")
    assert parsed.problems[0].message == "Unknown column 'name'; did you mean 'full_name'?"


def test_unrelated_column_lists_the_known_ones():
    parsed = _parse("email,full_name,salary\na@example.org,A,1\n")
    assert parsed.problems[0].code == "unknown_column"
    assert parsed.problems[0].params["columns"] == "email, full_name, language, external_id"


def test_missing_required_column_is_named():
    parsed = _parse("email,language\nana@example.org,es\n")
    assert [(p.code, p.params) for p in parsed.problems] == [
        ("missing_column", {"column": "full_name"})]


def test_duplicate_column_is_refused():
    assert _parse("email,full_name,email\na@example.org,A,b@example.org\n").problems[
        0].code == "duplicate_column"


def test_a_file_without_header_is_recognised():
    assert _codes(_parse("ana@example.org,Ana\n")) == [("no_header", None)]


def test_unnamed_empty_columns_from_spreadsheets_are_ignored():
    parsed = _parse("email;full_name;;\nana@example.org;Ana;;\n")
    assert parsed.people[0].email == "ana@example.org" and not parsed.problems


def test_values_beyond_the_header_are_an_error():
    assert _codes(_parse("email,full_name\nana@example.org,Ana,surprise\n")) == [
        ("extra_values", 2)]


# --- Row rules -------------------------------------------------------------------------------

def test_valid_row_is_normalised():
    person = _parse(HEADER + "  Ana.Lopez@Example.ORG , Ana   López ,ES, EMP-1 \n").people[0]
    assert (person.line, person.email, person.full_name, person.language, person.external_id) \
        == (2, "ana.lopez@example.org", "Ana López", "es", "EMP-1")


def test_optional_columns_may_be_empty_or_absent():
    person = _parse("email,full_name\nana@example.org,Ana\n").people[0]
    assert person.language is None and person.external_id is None


def test_invalid_email_is_reported_with_its_line():
    parsed = _parse(HEADER + "ana@example.org,Ana,,\nnot-an-address,Bob,,\n")
    assert _codes(parsed) == [("invalid_email", 3)]
    assert parsed.problems[0].params == {"value": "not-an-address"}


def test_duplicate_ignores_case_and_spaces():
    parsed = _parse(HEADER + "ana@example.org,Ana,,\n  ANA@Example.org ,Ana,,\n")
    assert _codes(parsed) == [("duplicate", 3)]
    assert parsed.problems[0].params == {"email": "ana@example.org", "first": 2}


def test_missing_name_and_email_are_reported():
    assert _codes(_parse(HEADER + "ana@example.org,,,\n,Bob,,\n")) == [
        ("missing_name", 2), ("missing_email", 3)]


def test_unknown_language_lists_the_choices():
    parsed = _parse(HEADER + "ana@example.org,Ana,de,\n")
    assert _codes(parsed) == [("unknown_language", 2)]
    assert parsed.problems[0].params == {"value": "de", "choices": "en, es, fr"}


def test_email_longer_than_254_characters_is_refused():
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.org"
    assert len(email) > 254
    assert _codes(_parse(HEADER + f"{email},Ana,,\n")) == [("email_too_long", 2)]


def test_name_longer_than_200_characters_is_refused(ctx):
    parsed = _parse(HEADER + f"ana@example.org,{'A' * 201},,\n")
    assert _codes(parsed) == [("name_too_long", 2)]
    assert parsed.problems[0].message == (
        "Line 2: The full name is longer than 200 characters.")


def test_external_id_longer_than_100_characters_is_refused():
    assert _codes(_parse(HEADER + f"ana@example.org,Ana,,{'9' * 101}\n")) == [
        ("external_id_too_long", 2)]


def test_enormous_field_is_reported_not_crashed_on():
    parsed = _parse(HEADER + f"ana@example.org,\"{'A' * 200_000}\",,\n")
    assert [p.code for p in parsed.problems] == ["malformed"]


def test_every_problem_is_found_at_once():
    parsed = _parse(HEADER + "bad,Ana,,\nb@example.org,,,\nc@example.org,C,xx,\n"
                    "ok@example.org,Ok,,\nbad2@,D,,\n")
    assert _codes(parsed) == [("invalid_email", 2), ("missing_name", 3),
                              ("unknown_language", 4), ("invalid_email", 6)]


def test_quoted_newline_in_a_name_keeps_line_numbers_right():
    parsed = _parse(HEADER + 'ana@example.org,"Ana\nLópez",,\nbad,Bob,,\n')
    assert parsed.people[0].full_name == "Ana López"
    assert _codes(parsed) == [("invalid_email", 4)]


def test_more_rows_than_the_limit_are_refused():
    rows = "".join(f"p{n}@example.org,Person {n},,\n" for n in range(10_001))
    parsed = _parse(HEADER + rows)
    assert parsed.people == []
    assert [(p.code, p.params) for p in parsed.problems] == [
        ("too_many_rows", {"count": 10_001, "limit": 10_000})]


def test_rows_up_to_the_limit_are_accepted():
    rows = "".join(f"p{n}@example.org,Person {n},,\n" for n in range(50))
    assert len(_parse(HEADER + rows, max_rows=50).people) == 50


# --- Exports and the round trip --------------------------------------------------------------

@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)",
                                   "\tTab", "\rCR"])
def test_formula_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value
    assert unquote_formula(neutralise(value)) == value


@pytest.mark.parametrize("value", ["Ana", "", "'quoted", "a=b", "O'Brien"])
def test_ordinary_cells_are_left_alone(value):
    assert neutralise(value) == value and unquote_formula(value) == value


def test_write_csv_neutralises_every_cell_and_starts_with_the_import_columns():
    text = write_csv([["=HYPERLINK(\"http://x\",\"y\")", "-Ana", "en", "@1", "c", 50, "",
                       "", "", "", "", "no"]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert rows[0][:4] == ["email", "full_name", "language", "external_id"]
    assert rows[1][:4] == ["'=HYPERLINK(\"http://x\",\"y\")", "'-Ana", "en", "'@1"]


def test_export_rows_of_one_learner_per_course_import_as_one_person():
    header = ",".join(EXPORT_COLUMNS) + "\n"
    parsed = _parse(header + "ana@example.org,'-Ana,es,,course-a,100,,,,,,no\n"
                             "ana@example.org,'-Ana,es,,course-b,0,,,,,,no\n")
    assert not parsed.problems
    assert [(p.email, p.full_name) for p in parsed.people] == [("ana@example.org", "-Ana")]
    assert "course" in parsed.ignored_columns


def test_export_rows_that_disagree_about_a_person_are_refused():
    header = ",".join(EXPORT_COLUMNS) + "\n"
    parsed = _parse(header + "ana@example.org,Ana,es,,course-a,100,,,,,,no\n"
                             "ana@example.org,Anna,es,,course-b,0,,,,,,no\n")
    assert _codes(parsed) == [("conflicting_duplicate", 3)]
