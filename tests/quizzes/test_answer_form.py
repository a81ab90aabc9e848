"""The answer form of an attempt, without Flask: tokens, reading answers back, problems."""

from __future__ import annotations

import random

import pytest

from ecampus.quizzes.attempts import (
    CONTROL_CHARACTER,
    NOT_A_NUMBER,
    POSITION_INVALID,
    POSITION_MISSING,
    POSITION_REPEATED,
    POSITION_UNUSED,
    TOO_LONG,
    AnswerProblem,
    draw_questions,
    field_name,
    has_tokens,
    public_view,
    read_answers,
    with_tokens,
)
from ecampus.quizzes.grading import grade_attempt
from tests.quizzes.test_grading import MATCHING, MULTIPLE, NUMERIC, ORDERING, SHORT, SINGLE

KEYS = [SINGLE, MULTIPLE, NUMERIC, SHORT, ORDERING, MATCHING]


def drawn(seed: int = 1) -> list[dict]:
    return draw_questions(KEYS, pick=None, shuffle=False, rng=random.Random(seed))


def by_type(questions, kind) -> dict:
    return next(q for q in questions if q["type"] == kind)


def ordering_form(question, positions: list[str]) -> dict[str, list[str]]:
    """Positions given in the key's item order."""
    return {field_name(question, item["id"]): [value]
            for item, value in zip(question["items"], positions, strict=True)}


def test_every_field_and_value_is_a_token_unique_in_the_attempt():
    questions = drawn()
    tokens = []
    for q in questions:
        tokens += [q["token"], *q["tokens"].values(), *q.get("value_tokens", {}).values()]
    assert len(tokens) == len(set(tokens))
    ids = {"a", "b", "c", "d", "1", "2", "3", "4"} | {q["id"] for q in questions}
    assert not ids & set(tokens)
    assert all(t.isalpha() and t.islower() and len(t) == 10 for t in tokens)


def test_two_attempts_get_different_tokens():
    first, second = drawn(1), drawn(2)
    assert [q["token"] for q in first] != [q["token"] for q in second]


def test_correct_answers_through_tokens_grade_full_marks():
    questions = drawn()
    single, multiple = by_type(questions, "single"), by_type(questions, "multiple")
    ordering, matching = by_type(questions, "ordering"), by_type(questions, "matching")
    form = {
        field_name(single): [single["tokens"]["b"]],
        field_name(multiple): [multiple["tokens"][o] for o in "abc"],
        field_name(by_type(questions, "numeric")): ["3,6"],
        field_name(by_type(questions, "short")): ["Non refoulement"],
        **ordering_form(ordering, ["1", "2", "3"]),
        **{field_name(matching, p["id"]): [matching["value_tokens"][p["id"]]]
           for p in matching["pairs"]},
    }
    answers = read_answers(questions, form)
    assert answers.gradable
    assert answers.responses["gcm-review"] == "b"
    assert answers.responses["stages"] == {"1": 1, "2": 2, "3": 3}
    assert grade_attempt(questions, answers.responses, 70).score_percent == 100.0


def test_ordering_with_a_position_used_twice_names_it_and_cannot_be_graded():
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, ["1", "1", "2"]))
    assert answers.storable and not answers.gradable
    assert answers.problems["stages"] == [AnswerProblem(POSITION_REPEATED, positions=(1,)),
                                          AnswerProblem(POSITION_UNUSED, positions=(3,))]
    assert answers.responses["stages"] == {"1": 1, "2": 1, "3": 2}


def test_ordering_with_every_item_at_position_one_is_never_graded_right():
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, ["1", "1", "1"]))
    assert not answers.gradable
    assert grade_attempt([ordering], answers.responses, 70).score_percent == 0.0


def test_ordering_with_some_items_left_blank_says_how_many():
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, ["2", "", ""]))
    assert answers.storable and not answers.gradable
    assert AnswerProblem(POSITION_MISSING, count=2) in answers.problems["stages"]


def test_ordering_left_entirely_blank_is_unanswered_not_an_error():
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, ["", "", ""]))
    assert answers.gradable and answers.responses["stages"] is None


@pytest.mark.parametrize("value", ["²", "①", "٣", "0", "4", "-1", "1.0", "1e0", "99999999999999",
                                   "9" * 5000, "1\x00", "one", "+1"])
def test_ordering_position_that_is_not_one_of_the_list_cannot_be_saved(value):
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, [value, "2", "3"]))
    assert not answers.storable
    assert answers.problems["stages"][0] == AnswerProblem(POSITION_INVALID, count=3)


def test_ordering_position_with_surrounding_spaces_is_read():
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, [" 1 ", "2\t", "3"]))
    assert answers.gradable and answers.responses["stages"] == {"1": 1, "2": 2, "3": 3}


@pytest.mark.parametrize("value", ["1e309", "nan", "inf", "-inf", "3.6%", "١٢", "1" * 65])
def test_numeric_answer_that_is_not_a_plain_number_can_be_saved_but_not_graded(value):
    numeric = by_type(drawn(), "numeric")
    answers = read_answers([numeric], {field_name(numeric): [value]})
    assert answers.storable and not answers.gradable
    assert answers.problems["share"] == [AnswerProblem(NOT_A_NUMBER)]
    assert answers.responses["share"] == value


@pytest.mark.parametrize("kind", ["numeric", "short"])
def test_text_answer_with_a_control_character_cannot_be_saved(kind):
    question = by_type(drawn(), kind)
    answers = read_answers([question], {field_name(question): ["3\x00.6"]})
    assert not answers.storable
    assert answers.problems[question["id"]] == [AnswerProblem(CONTROL_CHARACTER)]
    assert answers.responses[question["id"]] == "3.6"  # shown again without it


def test_text_answer_longer_than_the_limit_cannot_be_saved():
    short = by_type(drawn(), "short")
    answers = read_answers([short], {field_name(short): ["x" * 501]})
    assert not answers.storable
    assert answers.problems["principle"] == [AnswerProblem(TOO_LONG, count=500)]


def test_unknown_fields_options_and_repeated_fields_are_unknown():
    questions = drawn()
    single, ordering = by_type(questions, "single"), by_type(questions, "ordering")
    matching = by_type(questions, "matching")
    item = field_name(ordering, "1")
    left = field_name(matching, "1")
    form = {
        "q-invented": ["x"],
        field_name(single): [single["tokens"]["a"], single["tokens"]["b"]],  # radio sent twice
        item: ["1", "2"],
        left: [matching["tokens"]["1"]],  # a left-hand token is no right-hand choice
        "csrf_token": ["ignored"], "action": ["submit"],
    }
    answers = read_answers(questions, form)
    assert sorted(answers.unknown_fields) == sorted(["q-invented", field_name(single), item, left])
    assert not answers.storable


def test_an_option_id_from_the_key_is_not_accepted_in_place_of_its_token():
    single = by_type(drawn(), "single")
    answers = read_answers([single], {field_name(single): ["b"]})
    assert answers.unknown_fields == [field_name(single)]


def test_public_view_fills_in_saved_answers_by_token_and_shows_no_id():
    questions = drawn()
    responses = {"gcm-review": "b", "durable": ["a", "c"], "share": "3.6",
                 "stages": {"1": 2, "2": 1, "3": 3}, "instruments": {"1": "2"}}
    views = {q["id"]: public_view(q, responses.get(q["id"])) for q in questions}
    single = by_type(questions, "single")
    assert [o["checked"] for o in views["gcm-review"]["options"]] == [
        oid == "b" for oid in single["display"]]
    assert views["gcm-review"]["options"][1]["value"] == single["tokens"]["b"]
    assert sum(o["checked"] for o in views["durable"]["options"]) == 2
    assert views["share"]["value"] == "3.6"
    ordering = by_type(questions, "ordering")
    assert {i["name"]: i["position"] for i in views["stages"]["items"]} == {
        field_name(ordering, iid): p for iid, p in responses["stages"].items()}
    matching = by_type(questions, "matching")
    assert views["instruments"]["lefts"][0]["chosen"] == matching["value_tokens"]["2"]
    assert "id" not in views["gcm-review"]


def test_public_view_reads_an_ordering_saved_as_a_list_of_items():
    ordering = by_type(drawn(), "ordering")
    view = public_view(ordering, ["3", "1", "2"])
    positions = {i["name"]: i["position"] for i in view["items"]}
    assert positions[field_name(ordering, "3")] == 1 and positions[field_name(ordering, "2")] == 3


def test_public_view_marks_the_items_that_share_a_position():
    ordering = by_type(drawn(), "ordering")
    answers = read_answers([ordering], ordering_form(ordering, ["1", "1", "2"]))
    view = public_view(ordering, answers.responses["stages"], answers.problems["stages"])
    invalid = {i["name"] for i in view["items"] if i["invalid"]}
    assert invalid == {field_name(ordering, "1"), field_name(ordering, "2")}


def test_ordering_items_are_shown_in_every_order_including_the_correct_one():
    seen = set()
    for seed in range(200):
        ordering = by_type(draw_questions([ORDERING], pick=None, shuffle=False,
                                          rng=random.Random(seed)), "ordering")
        seen.add(tuple(ordering["display"]))
    assert len(seen) == 6


def test_two_item_ordering_is_not_always_shown_reversed():
    two = {**ORDERING, "items": ORDERING["items"][:2]}
    shown = {tuple(draw_questions([two], pick=None, shuffle=False,
                                  rng=random.Random(seed))[0]["display"]) for seed in range(50)}
    assert shown == {("1", "2"), ("2", "1")}


def legacy_snapshot() -> list[dict]:
    """An attempt snapshot as it was stored before form tokens: `display` only."""
    questions = drawn()
    for question in questions:
        del question["token"], question["tokens"]
        question.pop("value_tokens", None)
    return questions


def test_an_older_snapshot_gets_tokens_and_the_same_ones_for_the_same_seed():
    old = legacy_snapshot()
    assert not has_tokens(old)
    first = with_tokens(old, random.Random(b"seed"))
    second = with_tokens(old, random.Random(b"seed"))
    assert has_tokens(first) and first == second
    assert not has_tokens(old)  # the input is left as it was
    choice = by_type(first, "single")
    assert choice["display"] == by_type(old, "single")["display"]
