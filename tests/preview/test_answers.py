"""The preview's answer key and model answers, graded by the real grader."""

from __future__ import annotations

import pytest

from ecampus.preview.answers import answer_html, grade_samples, model_answer
from ecampus.quizzes.grading import grade_question

KEYS = [
    {"id": "a", "type": "single", "options": [{"id": "x", "html": "No", "correct": False},
                                              {"id": "y", "html": "<em>Yes</em>",
                                               "correct": True}]},
    {"id": "b", "type": "multiple", "options": [{"id": "x", "html": "1", "correct": True},
                                                {"id": "y", "html": "2", "correct": True}]},
    {"id": "c", "type": "numeric", "numbers": [{"value": "3.5", "tolerance": "0.1"}]},
    {"id": "d", "type": "short", "accepted": ["<Geneva>"]},
    {"id": "e", "type": "ordering", "items": [{"id": "1", "html": "first"},
                                              {"id": "2", "html": "second"}]},
    {"id": "f", "type": "matching", "pairs": [{"id": "1", "left_html": "A", "right_html": "a"},
                                              {"id": "2", "left_html": "B", "right_html": "b"}]},
]


@pytest.mark.parametrize("key", KEYS, ids=[k["type"] for k in KEYS])
def test_model_answer_scores_full_marks(key):
    assert grade_question(key, model_answer(key)) == 1.0


def test_samples_grade_full_and_empty():
    grading = grade_samples(KEYS, 70)
    assert (grading.model_percent, grading.model_passed, grading.empty_percent) == (
        100.0, True, 0.0)


def test_plain_answers_are_escaped_and_published_html_kept():
    assert answer_html(KEYS[0]) == ["<em>Yes</em>"]
    assert str(answer_html(KEYS[3])[0]) == "&lt;Geneva&gt;"
