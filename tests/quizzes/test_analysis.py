"""Item analysis checked against statistics computed independently with the stdlib."""

from __future__ import annotations

import statistics

import pytest

from ecampus.quizzes.analysis import (
    CSV_HEADER,
    LOW_DISCRIMINATION,
    NEGATIVE_DISCRIMINATION,
    TOO_EASY,
    TOO_HARD,
    AttemptRow,
    analyse_items,
    flags_for,
    to_csv_rows,
)


def option(oid: str, correct: bool = False) -> dict:
    return {"id": oid, "html": oid, "correct": correct, "feedback_html": None}


KEYS = [
    {"id": "forum", "type": "single", "position": 1, "weight": 1.0, "partial": False,
     "options": [option("a", True), option("b"), option("c")]},
    {"id": "durable", "type": "multiple", "position": 2, "weight": 2.0, "partial": True,
     "options": [option("a", True), option("b", True), option("c")]},
    {"id": "principle", "type": "short", "position": 3, "weight": 1.0, "partial": False,
     "accepted": ["non-refoulement"]},
]  # fmt: skip
WEIGHTS = {key["id"]: key["weight"] for key in KEYS}

# (forum, durable, principle) scores per attempt; "principle" goes against the others.
SCORES = [
    (1.0, 1.0, 0.0),
    (1.0, 0.5, 0.0),
    (0.0, 0.5, 1.0),
    (1.0, 1.0, 1.0),
    (0.0, 0.0, 1.0),
    (1.0, 0.5, 0.0),
]
FORUM_CHOICES = ["a", "a", "b", "a", "b", "a"]
DURABLE_CHOICES = [["a", "b"], ["a"], ["b"], ["b", "a"], ["c"], ["a", "c", "b"]]


def rows_from(scores: list[tuple[float, ...]], keys: list[dict] = KEYS) -> list[AttemptRow]:
    return [
        AttemptRow(
            attempt_id=number,
            question_scores={key["id"]: s for key, s in zip(keys, line, strict=True)},
            responses={},
        )
        for number, line in enumerate(scores, start=1)
    ]


def dataset() -> list[AttemptRow]:
    rows = rows_from(SCORES)
    for row, forum, durable in zip(rows, FORUM_CHOICES, DURABLE_CHOICES, strict=True):
        row.responses.update({"forum": forum, "durable": durable, "principle": "x"})
    return rows


def column(qid: str) -> list[float]:
    index = [key["id"] for key in KEYS].index(qid)
    return [line[index] for line in SCORES]


def rest_of_test(qid: str) -> list[float]:
    """Each attempt's weighted total without this question, computed the plain way."""
    ids = [key["id"] for key in KEYS]
    return [
        sum(WEIGHTS[other] * s for other, s in zip(ids, line, strict=True) if other != qid)
        for line in SCORES
    ]


def stats_for(analysis, qid: str):
    return next(stats for stats in analysis.questions if stats.id == qid)


def test_counts_the_attempts():
    assert analyse_items(KEYS, dataset()).attempts == len(SCORES)


@pytest.mark.parametrize("qid", ["forum", "durable", "principle"])
def test_facility_is_the_mean_score(qid):
    stats = stats_for(analyse_items(KEYS, dataset()), qid)
    assert stats.n == len(SCORES)
    assert stats.facility == pytest.approx(statistics.mean(column(qid)))
    assert stats.facility_percent == pytest.approx(100 * statistics.mean(column(qid)))


@pytest.mark.parametrize("qid", ["forum", "durable", "principle"])
def test_sd_is_the_sample_standard_deviation(qid):
    stats = stats_for(analyse_items(KEYS, dataset()), qid)
    assert stats.sd == pytest.approx(statistics.stdev(column(qid)))


@pytest.mark.parametrize("qid", ["forum", "durable", "principle"])
def test_discrimination_correlates_the_question_with_the_weighted_rest_of_the_test(qid):
    stats = stats_for(analyse_items(KEYS, dataset()), qid)
    expected = statistics.correlation(column(qid), rest_of_test(qid))
    assert stats.discrimination == pytest.approx(expected)


def test_discrimination_of_the_hand_computed_forum_question():
    # forum x = 1 1 0 1 0 1, rest = 2 1 2 3 1 1: r = (1/3) / sqrt(4/3 * 10/3) = 1 / (2 sqrt 10)
    stats = stats_for(analyse_items(KEYS, dataset()), "forum")
    assert stats.discrimination == pytest.approx(1 / (2 * 10**0.5), abs=1e-12)


def test_negative_discrimination_is_flagged():
    stats = stats_for(analyse_items(KEYS, dataset()), "principle")
    assert stats.discrimination < 0
    assert NEGATIVE_DISCRIMINATION in stats.flags


def test_weak_positive_discrimination_is_flagged_low():
    stats = stats_for(analyse_items(KEYS, dataset()), "forum")
    assert 0 <= stats.discrimination < 0.2
    assert stats.flags == (LOW_DISCRIMINATION,)


def test_constant_question_has_no_discrimination_and_zero_sd():
    scores = [(0.7, 1.0, 0.0), (0.7, 0.0, 1.0), (0.7, 0.5, 1.0)]
    stats = stats_for(analyse_items(KEYS, rows_from(scores)), "forum")
    assert (stats.facility, stats.sd, stats.discrimination) == (pytest.approx(0.7), 0.0, None)


def test_constant_rest_of_test_gives_no_discrimination():
    # forum + principle is always 1.0, so durable's rest never varies; computed as
    # total - 2 * durable it would wobble in the last bit (0.9999999999999999, 1.0000000000000002).
    scores = [(0.0, 1 / 3, 1.0), (0.1, 2 / 3, 0.9), (0.5, 1.0, 0.5), (0.3, 0.0, 0.7)]
    stats = stats_for(analyse_items(KEYS, rows_from(scores)), "durable")
    assert stats.discrimination is None


def test_single_attempt_has_no_sd_or_discrimination():
    stats = stats_for(analyse_items(KEYS, rows_from([(1.0, 0.5, 0.0)])), "forum")
    assert (stats.n, stats.facility, stats.sd, stats.discrimination) == (1, 1.0, None, None)


def test_option_counts_tally_each_choice_including_options_never_chosen():
    analysis = analyse_items(KEYS, dataset())
    assert stats_for(analysis, "forum").option_counts == {"a": 4, "b": 2, "c": 0}
    assert stats_for(analysis, "durable").option_counts == {"a": 4, "b": 4, "c": 2}


def test_option_counts_ignore_malformed_responses_and_unknown_ids():
    rows = rows_from([(1.0, 1.0, 1.0)] * 4)
    for row, forum in zip(rows, ["a", ["a"], None, "zz"], strict=True):
        row.responses.update({"forum": forum, "durable": ["a", "a", 3, "zz"]})
    analysis = analyse_items(KEYS, rows)
    assert stats_for(analysis, "forum").option_counts == {"a": 1, "b": 0, "c": 0}
    assert stats_for(analysis, "durable").option_counts == {"a": 4, "b": 0, "c": 0}


def test_questions_without_options_have_no_option_counts():
    assert stats_for(analyse_items(KEYS, dataset()), "principle").option_counts is None


def test_pooled_questions_are_judged_on_the_attempts_that_drew_them():
    rows = [
        AttemptRow(1, {"forum": 1.0, "durable": 1.0}, {"forum": "a"}),
        AttemptRow(2, {"forum": 0.0, "principle": 1.0}, {"forum": "b"}),
        AttemptRow(3, {"durable": 0.5, "principle": 0.0}, {}),
        AttemptRow(4, {"forum": 1.0, "durable": 0.0}, {"forum": "c"}),
        AttemptRow(5, {"forum": 0.0, "principle": 0.0}, {"forum": "b"}),
    ]
    analysis = analyse_items(KEYS, rows)
    forum = stats_for(analysis, "forum")
    assert analysis.attempts == 5
    assert [stats.n for stats in analysis.questions] == [4, 3, 3]
    assert forum.facility == pytest.approx(0.5)
    assert forum.option_counts == {"a": 1, "b": 2, "c": 1}
    # The rest of the test is what each attempt drew besides this question.
    expected = statistics.correlation([1.0, 0.0, 1.0, 0.0], [2.0, 1.0, 0.0, 0.0])
    assert forum.discrimination == pytest.approx(expected)


def test_scores_for_questions_not_in_the_keys_are_ignored():
    rows = rows_from(SCORES)
    for number, row in enumerate(rows):
        row.question_scores["retired"] = float(number % 2)  # type: ignore[index]
    plain = analyse_items(KEYS, rows_from(SCORES))
    assert analyse_items(KEYS, rows) == plain


def test_attempts_are_read_once_so_a_generator_is_enough():
    analysis = analyse_items(KEYS, (row for row in dataset()))
    assert analysis == analyse_items(KEYS, dataset())


def test_questions_are_listed_by_position():
    shuffled = [KEYS[2], KEYS[0], KEYS[1]]
    analysis = analyse_items(shuffled, dataset())
    assert [stats.id for stats in analysis.questions] == ["forum", "durable", "principle"]


def test_no_attempts_gives_empty_statistics_without_flags():
    analysis = analyse_items(KEYS, [])
    forum = analysis.questions[0]
    assert analysis.attempts == 0
    assert (forum.n, forum.facility, forum.sd, forum.discrimination) == (0, None, None, None)
    assert forum.facility_percent is None
    assert forum.flags == ()
    assert forum.option_counts == {"a": 0, "b": 0, "c": 0}


def test_no_questions_gives_no_statistics():
    assert analyse_items([], dataset()).questions == []


@pytest.mark.parametrize(
    ("facility", "discrimination", "flags"),
    [
        (0.09, 0.5, (TOO_HARD,)),
        (0.10, 0.5, ()),
        (0.95, 0.5, ()),
        (0.96, 0.5, (TOO_EASY,)),
        (0.5, 0.2, ()),
        (0.5, 0.19, (LOW_DISCRIMINATION,)),
        (0.5, 0.0, (LOW_DISCRIMINATION,)),
        (0.5, -0.01, (NEGATIVE_DISCRIMINATION,)),
        (0.0, -0.3, (TOO_HARD, NEGATIVE_DISCRIMINATION)),
        (1.0, None, (TOO_EASY,)),
        (None, None, ()),
    ],
)
def test_flags_follow_the_thresholds(facility, discrimination, flags):
    assert flags_for(facility, discrimination) == flags


def test_csv_starts_with_the_header():
    assert to_csv_rows(analyse_items(KEYS, dataset()))[0] == CSV_HEADER


def test_csv_has_one_formatted_row_per_question():
    rows = to_csv_rows(analyse_items(KEYS, dataset()))
    principle = stats_for(analyse_items(KEYS, dataset()), "principle")
    assert len(rows) == 1 + len(KEYS)
    assert rows[1] == ["1", "forum", "single", "6", "66.7", "0.516", "0.158",
                       "low_discrimination", "a:4; b:2; c:0"]  # fmt: skip
    assert rows[3][:7] == ["3", "principle", "short", "6", "50.0", "0.548",
                           f"{principle.discrimination:.3f}"]  # fmt: skip
    assert rows[3][6].startswith("-")
    assert rows[3][8] == ""


def test_csv_leaves_cells_blank_when_a_statistic_is_undefined():
    rows = to_csv_rows(analyse_items(KEYS, []))
    assert rows[3] == ["3", "principle", "short", "0", "", "", "", "", ""]


def test_csv_keeps_a_spreadsheet_from_reading_an_id_as_a_formula():
    keys = [{**KEYS[2], "id": "-1-1"}]
    assert to_csv_rows(analyse_items(keys, []))[1][1] == "'-1-1"
