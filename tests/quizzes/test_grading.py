"""Grading answers and attempts from plain answer keys, without Flask or a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecampus.quizzes.grading import (
    QuizResult,
    grade_attempt,
    grade_matching,
    grade_multiple,
    grade_numeric,
    grade_ordering,
    grade_question,
    grade_short,
    grade_single,
    normalise_short_answer,
    parse_number,
)


def question(qid: str, qtype: str, **fields) -> dict:
    """An answer key shaped as the course parser produces it."""
    return {
        "id": qid,
        "type": qtype,
        "position": 1,
        "weight": 1.0,
        "partial": False,
        "prompt_html": f"<p>{qid}</p>",
        "explanation_html": None,
        **fields,
    }


def option(oid: str, correct: bool = False) -> dict:
    return {"id": oid, "html": f"<p>{oid}</p>", "correct": correct, "feedback_html": None}


SINGLE = question("gcm-review", "single", options=[option("a"), option("b", True), option("c")])
MULTIPLE = question(
    "durable",
    "multiple",
    options=[option("a", True), option("b", True), option("c", True), option("d")],
)
PARTIAL = {**MULTIPLE, "partial": True}
NUMERIC = question("share", "numeric", numbers=[{"value": 3.6, "tolerance": 0.2}])
YEAR = question("year", "numeric", numbers=[{"value": 2018, "tolerance": 0}])
SHORT = question("principle", "short", accepted=["non-refoulement", "non refoulement"])
ORDERING = question(
    "stages",
    "ordering",
    items=[
        {"id": "1", "html": "Announce"},
        {"id": "2", "html": "Collect"},
        {"id": "3", "html": "Publish"},
    ],
)
MATCHING = question(
    "instruments",
    "matching",
    pairs=[
        {"id": "1", "left_html": "Palermo Protocol", "right_html": "Trafficking in persons"},
        {"id": "2", "left_html": "1951 Convention", "right_html": "Refugee status"},
        {"id": "3", "left_html": "ICRMW", "right_html": "Rights of migrant workers"},
        {"id": "4", "left_html": "Kampala Convention", "right_html": "Refugee status"},
    ],
)

MALFORMED = [None, "", 3, 3.6, True, b"b", [1], [["a"]], (None,), {"1": object()}, object()]


# --- single choice -------------------------------------------------------------------------


def test_single_correct_option_scores_one():
    assert grade_single(SINGLE, "b") == 1.0


def test_single_wrong_option_scores_zero():
    assert grade_single(SINGLE, "a") == 0.0


def test_single_unknown_option_scores_zero():
    assert grade_single(SINGLE, "z") == 0.0


@pytest.mark.parametrize("response", [None, "", ["b"], {"b": True}, 1, b"b"])
def test_single_unanswered_or_malformed_scores_zero(response):
    assert grade_single(SINGLE, response) == 0.0


# --- multiple answer -----------------------------------------------------------------------


def test_multiple_exact_set_scores_one():
    assert grade_multiple(MULTIPLE, ["c", "a", "b"]) == 1.0


def test_multiple_duplicate_ticks_count_once():
    assert grade_multiple(MULTIPLE, ["a", "b", "c", "a"]) == 1.0


@pytest.mark.parametrize("response", [["a", "b"], ["a", "b", "c", "d"], [], ["d"]])
def test_multiple_without_partial_is_all_or_nothing(response):
    assert grade_multiple(MULTIPLE, response) == 0.0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (["a", "b", "c"], 1.0),
        (["a", "b"], 2 / 3),
        (["a"], 1 / 3),
        (["a", "b", "d"], 1 / 3),
        (["a", "d"], 0.0),
        ([], 0.0),
    ],
)
def test_multiple_partial_scores_right_minus_wrong_over_correct(response, expected):
    assert grade_multiple(PARTIAL, response) == pytest.approx(expected)


def test_multiple_partial_with_more_wrong_than_right_ticks_scores_zero_not_negative():
    key = question(
        "many-wrong",
        "multiple",
        partial=True,
        options=[option("a", True), option("b", True), option("c"), option("d"), option("e")],
    )
    assert grade_multiple(key, ["a", "c", "d", "e"]) == 0.0


def test_multiple_partial_counts_unknown_option_as_wrong_tick():
    assert grade_multiple(PARTIAL, ["a", "b", "zz"]) == pytest.approx(1 / 3)


def test_multiple_accepts_a_tuple_of_ids():
    assert grade_multiple(MULTIPLE, ("a", "b", "c")) == 1.0


@pytest.mark.parametrize("response", [None, "", "abc", "a", {"a": 1}, 3, ["a", "b", 3], [["a"]]])
def test_multiple_malformed_response_scores_zero(response):
    assert grade_multiple(PARTIAL, response) == 0.0


# --- numeric -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.6", Decimal("3.6")),
        ("3,6", Decimal("3.6")),
        (" 3.6 ", Decimal("3.6")),
        ("+3.6", Decimal("3.6")),
        ("-2", Decimal("-2")),
        ("\u22122", Decimal("-2")),
        (".5", Decimal("0.5")),
        ("3.", Decimal("3")),
        ("\uff13\uff0e\uff16", Decimal("3.6")),
        ("2018", Decimal("2018")),
    ],
)
def test_parse_number_reads_what_learners_type(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "3.6.1",
        "3,6,1",
        "3.6,1",
        "abc",
        "",
        "   ",
        "+",
        "-",
        ".",
        "1e400",
        "1e3",
        "inf",
        "-Infinity",
        "nan",
        "NaN",
        "3 6",
        "0x10",
        "1_000",
        "9" * 65,
        None,
        3.6,
        ["3.6"],
    ],
)
def test_parse_number_refuses_anything_else(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text", ["3.6", "3,6", " 3.6 ", "+3.6", "3.60", "3.5", "3,7"])
def test_numeric_within_tolerance_scores_one(text):
    assert grade_numeric(NUMERIC, text) == 1.0


@pytest.mark.parametrize("text", ["3.4", "3.8", "3,4", "3,8", "3.40000", "+3.8"])
def test_numeric_exactly_at_tolerance_on_either_side_scores_one(text):
    assert grade_numeric(NUMERIC, text) == 1.0


@pytest.mark.parametrize("text", ["3.3999999", "3.8000001", "3.80000000000000000000000000001"])
def test_numeric_just_outside_tolerance_scores_zero(text):
    assert grade_numeric(NUMERIC, text) == 0.0


def test_numeric_exact_value_with_zero_tolerance_scores_one():
    assert grade_numeric(YEAR, "2018") == 1.0


def test_numeric_off_by_one_with_zero_tolerance_scores_zero():
    assert grade_numeric(YEAR, "2019") == 0.0


def test_numeric_any_listed_value_is_accepted():
    key = question(
        "either",
        "numeric",
        numbers=[{"value": 1, "tolerance": 0}, {"value": 10.5, "tolerance": 0.5}],
    )
    assert [grade_numeric(key, text) for text in ["1", "11", "5"]] == [1.0, 1.0, 0.0]


def test_numeric_negative_value_boundary_passes():
    key = question("negative", "numeric", numbers=[{"value": -0.3, "tolerance": 0.1}])
    assert [grade_numeric(key, text) for text in ["-0.2", "-0.4", "-0.41"]] == [1.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "response", ["3.6.1", "abc", "1e400", "inf", "nan", "", None, 3.6, ["3.6"]]
)
def test_numeric_unreadable_or_malformed_response_scores_zero(response):
    assert grade_numeric(NUMERIC, response) == 0.0


def test_numeric_key_value_that_is_not_finite_matches_nothing():
    key = question("broken", "numeric", numbers=[{"value": float("inf"), "tolerance": 0}])
    assert grade_numeric(key, "9" * 60) == 0.0


# --- short answer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Non   Refoulement ", "non refoulement"),
        ("Non\tRefoulement\n", "non refoulement"),
        ("NON\u00a0REFOULEMENT", "non refoulement"),
        ("\uff2e\uff4f\uff4e\uff0d\uff32\uff45\uff46", "non-ref"),
        ("\ufb01nal", "final"),
        ("Stra\u00dfe", "strasse"),
        ("Non\u2010Refoulement", "non-refoulement"),
        ("non\u2013refoulement", "non-refoulement"),
        ("Cafe\u0301", "caf\u00e9"),
        ("", ""),
    ],
)
def test_normalise_short_answer(text, expected):
    assert normalise_short_answer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "non-refoulement",
        "Non refoulement",
        "  NON   REFOULEMENT  ",
        "Non\u2010Refoulement",
        "\uff2e\uff4f\uff4e\uff0d\uff32\uff45\uff46\uff4f\uff55\uff4c\uff45\uff4d\uff45\uff4e\uff54",
    ],
)
def test_short_matches_accepted_value_ignoring_case_spaces_and_compatibility_forms(text):
    assert grade_short(SHORT, text) == 1.0


def test_short_normalises_the_accepted_values_too():
    key = question("ligature", "short", accepted=["  \ufb01SHING  Quota "])
    assert grade_short(key, "fishing quota") == 1.0


def test_short_different_answer_scores_zero():
    assert grade_short(SHORT, "asylum") == 0.0


def test_short_requires_the_whole_answer_not_a_substring():
    assert grade_short(SHORT, "refoulement") == 0.0


@pytest.mark.parametrize("response", ["", "   ", None, ["non-refoulement"], 1])
def test_short_empty_or_malformed_response_scores_zero(response):
    assert grade_short(SHORT, response) == 0.0


def test_short_empty_answer_does_not_match_a_blank_accepted_value():
    key = question("blank", "short", accepted=["  "])
    assert grade_short(key, "") == 0.0


# --- ordering ------------------------------------------------------------------------------


def test_ordering_exact_order_scores_one():
    assert grade_ordering(ORDERING, ["1", "2", "3"]) == 1.0


@pytest.mark.parametrize("response", [["2", "1", "3"], ["1", "2"], ["1", "2", "3", "3"], []])
def test_ordering_any_other_order_scores_zero(response):
    assert grade_ordering(ORDERING, response) == 0.0


@pytest.mark.parametrize("response", [None, "123", {"1": "2"}, [1, 2, 3]])
def test_ordering_malformed_response_scores_zero(response):
    assert grade_ordering(ORDERING, response) == 0.0


def test_ordering_positions_of_every_item_in_the_key_order_score_one():
    assert grade_ordering(ORDERING, {"3": 3, "1": 1, "2": 2}) == 1.0


@pytest.mark.parametrize(
    "response",
    [
        {"1": 1, "2": 1, "3": 1},  # every item "first"
        {"1": 1, "2": 2, "3": 2},
        {"1": 1, "2": 1, "3": 3},
        {"1": 2, "2": 2, "3": 2},
    ],
)
def test_ordering_never_credits_two_items_at_one_position(response):
    assert grade_ordering(ORDERING, response) == 0.0


@pytest.mark.parametrize(
    "response",
    [
        {"2": 1, "1": 2, "3": 3},
        {"1": 1, "2": 2},  # an item without a position
        {"1": 1, "2": 2, "3": 3, "4": 4},  # an item the key does not have
        {"1": "1", "2": "2", "3": "3"},  # positions are numbers, not text
        {"1": True, "2": 2, "3": 3},  # True == 1 in Python, yet it is no position
        {"1": 1.0, "2": 2.0, "3": 3.0},
        {},
    ],
)
def test_ordering_positions_other_than_the_key_score_zero(response):
    assert grade_ordering(ORDERING, response) == 0.0


def test_ordering_without_items_in_the_key_scores_zero():
    assert grade_ordering({**ORDERING, "items": []}, {}) == 0.0


# --- matching ------------------------------------------------------------------------------


def test_matching_all_pairs_right_scores_one():
    assert grade_matching(MATCHING, {"1": "1", "2": "2", "3": "3", "4": "4"}) == 1.0


def test_matching_scores_the_fraction_of_pairs_right():
    assert grade_matching(MATCHING, {"1": "1", "2": "3", "3": "2", "4": "4"}) == 0.5


def test_matching_identical_right_texts_are_interchangeable():
    assert grade_matching(MATCHING, {"1": "1", "2": "4", "3": "3", "4": "2"}) == 1.0


def test_matching_unanswered_left_items_score_zero():
    assert grade_matching(MATCHING, {"1": "1"}) == 0.25


@pytest.mark.parametrize(
    "response",
    [None, "", ["1", "2", "3", "4"], {"1": 1, "2": ["2"]}, {"1": "zz"}, {1: "1"}],
)
def test_matching_malformed_response_scores_zero(response):
    assert grade_matching(MATCHING, response) == 0.0


# --- dispatch ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "response"),
    [
        (SINGLE, "b"),
        (MULTIPLE, ["a", "b", "c"]),
        (NUMERIC, "3,6"),
        (SHORT, "Non refoulement"),
        (ORDERING, ["1", "2", "3"]),
        (ORDERING, {"1": 1, "2": 2, "3": 3}),
        (MATCHING, {"1": "1", "2": "2", "3": "3", "4": "4"}),
    ],
    ids=lambda value: value["type"] if isinstance(value, dict) and "type" in value else "",
)
def test_grade_question_uses_the_grader_for_the_type(key, response):
    assert grade_question(key, response) == 1.0


@pytest.mark.parametrize("key", [SINGLE, MULTIPLE, PARTIAL, NUMERIC, SHORT, ORDERING, MATCHING])
@pytest.mark.parametrize("response", MALFORMED, ids=repr)
def test_grade_question_never_raises_on_a_malformed_response(key, response):
    assert grade_question(key, response) == 0.0


def test_grade_question_unknown_type_raises():
    with pytest.raises(ValueError, match="essay"):
        grade_question(question("q1", "essay"), "text")


# --- attempts ------------------------------------------------------------------------------


def ten_questions() -> list[dict]:
    return [
        question(f"q{i}", "single", options=[option("a", True), option("b")]) for i in range(10)
    ]


def answers(right: int, total: int = 10) -> dict[str, str]:
    return {f"q{i}": ("a" if i < right else "b") for i in range(total)}


def test_attempt_all_right_scores_100_and_passes():
    assert grade_attempt(ten_questions(), answers(10), pass_mark=70) == QuizResult(
        score_percent=100.0, passed=True, question_scores={f"q{i}": 1.0 for i in range(10)}
    )


def test_attempt_exactly_at_the_pass_mark_passes():
    result = grade_attempt(ten_questions(), answers(7), pass_mark=70)
    assert (result.score_percent, result.passed) == (70.0, True)


def test_attempt_just_below_the_pass_mark_fails():
    result = grade_attempt(ten_questions(), answers(6), pass_mark=70)
    assert (result.score_percent, result.passed) == (60.0, False)


def test_attempt_with_float_weights_at_the_pass_mark_passes():
    keys = [{**key, "weight": 0.1} for key in ten_questions()]
    result = grade_attempt(keys, answers(7), pass_mark=70)
    assert (result.score_percent, result.passed) == (70.0, True)


def test_attempt_score_is_the_weighted_mean():
    keys = [{**SINGLE, "weight": 3.0}, {**SHORT, "weight": 1.0}]
    result = grade_attempt(keys, {"gcm-review": "b", "principle": "asylum"}, pass_mark=70)
    assert (result.score_percent, result.passed) == (75.0, True)


def test_attempt_score_counts_partial_credit_and_rounds_to_two_decimals():
    keys = [PARTIAL, SINGLE, SHORT]
    result = grade_attempt(keys, {"durable": ["a"], "gcm-review": "b"}, pass_mark=50)
    assert result.score_percent == 44.44
    assert result.question_scores == {
        "durable": pytest.approx(1 / 3),
        "gcm-review": 1.0,
        "principle": 0.0,
    }


def test_attempt_missing_response_scores_zero():
    result = grade_attempt([SINGLE, SHORT], {"gcm-review": "b"}, pass_mark=50)
    assert result.question_scores == {"gcm-review": 1.0, "principle": 0.0}


def test_attempt_ignores_responses_to_questions_not_in_the_keys():
    result = grade_attempt([SINGLE], {"gcm-review": "b", "stranger": "x"}, pass_mark=70)
    assert result.question_scores == {"gcm-review": 1.0}


def test_attempt_malformed_responses_score_zero_without_raising():
    keys = [SINGLE, MULTIPLE, NUMERIC, SHORT, ORDERING, MATCHING]
    responses = {key["id"]: ["not", "right"] for key in keys}
    responses["stages"] = "1,2,3"
    result = grade_attempt(keys, responses, pass_mark=0)
    assert result.score_percent == 0.0


def test_attempt_with_no_questions_scores_zero_and_does_not_pass():
    assert grade_attempt([], {}, pass_mark=0) == QuizResult(
        score_percent=0.0, passed=False, question_scores={}
    )


def test_attempt_with_zero_total_weight_does_not_pass():
    result = grade_attempt([{**SINGLE, "weight": 0}], {"gcm-review": "b"}, pass_mark=0)
    assert (result.score_percent, result.passed) == (0.0, False)


def test_attempt_pass_mark_zero_passes_with_any_score():
    result = grade_attempt([SINGLE], {"gcm-review": "a"}, pass_mark=0)
    assert (result.score_percent, result.passed) == (0.0, True)


def test_attempt_result_is_immutable():
    result = grade_attempt([SINGLE], {"gcm-review": "b"}, pass_mark=70)
    with pytest.raises(AttributeError):
        result.passed = False  # type: ignore[misc]
