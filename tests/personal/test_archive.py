"""The archive's pure parts: answers in words, and the zip itself."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from ecampus.personal.archive import answer_given, as_json, question_record, text_of, zip_files

SINGLE = {"id": "q1", "type": "single", "prompt_html": "<p>Pick <em>one</em></p>",
          "options": [{"id": "a", "html": "Apple"}, {"id": "b", "html": "<b>Pear</b>"}]}
MULTIPLE = {**SINGLE, "type": "multiple"}
ORDERING = {"id": "q3", "type": "ordering", "prompt_html": "Order",
            "items": [{"id": "1", "html": "First"}, {"id": "2", "html": "Second"}]}
MATCHING = {"id": "q4", "type": "matching", "prompt_html": "Match",
            "pairs": [{"id": "1", "left_html": "Palermo", "right_html": "Trafficking"},
                      {"id": "2", "left_html": "1951", "right_html": "Refugees"}]}


def test_course_html_becomes_plain_text():
    assert text_of("<p>Pick <em>one</em> &amp; go</p>") == "Pick one & go"


def test_a_single_choice_answer_is_the_options_words():
    assert answer_given(SINGLE, "b") == "Pear"


def test_a_multiple_choice_answer_lists_every_option_chosen():
    assert answer_given(MULTIPLE, ["a", "b"]) == ["Apple", "Pear"]


def test_an_ordering_answer_lists_items_in_the_order_given():
    assert answer_given(ORDERING, {"1": 2, "2": 1}) == ["Second", "First"]
    assert answer_given(ORDERING, ["2", "1"]) == ["Second", "First"]


def test_a_matching_answer_pairs_each_left_with_the_right_chosen():
    assert answer_given(MATCHING, {"1": "2", "2": "1"}) == ["Palermo → Refugees",
                                                           "1951 → Trafficking"]


def test_a_typed_answer_is_kept_as_typed():
    assert answer_given({"type": "short"}, "non-refoulement") == "non-refoulement"


def test_an_unanswered_question_has_no_answer():
    assert answer_given(SINGLE, None) is None
    assert answer_given(MULTIPLE, []) is None


def test_a_question_record_has_its_text_answer_and_points():
    assert question_record(SINGLE, {"q1": "a"}, {"q1": 1.0}) == {
        "question": "Pick one", "type": "single", "answer": "Apple", "points": 1.0,
        "weight": 1}
    assert question_record(SINGLE, {}, None)["points"] is None


def test_json_keeps_accents_and_writes_naive_times_as_utc():
    assert as_json({"name": "Zoë", "at": datetime(2026, 1, 2, 3, 4, 5)}) == (
        '{\n  "name": "Zoë",\n  "at": "2026-01-02T03:04:05+00:00"\n}\n').encode()


def test_zip_holds_every_file_dated_when_built():
    data = zip_files({"a.json": b"{}", "certificates/x.pdf": b"%PDF"},
                     datetime(2026, 12, 7, 10, 30))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["a.json", "certificates/x.pdf"]
    assert archive.read("certificates/x.pdf") == b"%PDF"
    assert archive.getinfo("a.json").date_time == (2026, 12, 7, 10, 30, 0)
