"""A course whose quiz has every question type, published through the real code."""

from __future__ import annotations

import pytest

from ecampus.quizzes.attempts import field_name
from tests.helpers import course_md, lesson, publish, write_course

QUIZ = """\
---
title: Check your knowledge
kind: quiz
{settings}
---
Answer every question.

## Which forum reviews the Global Compact for Migration? {{#forum}}

- [ ] The UN Security Council
  > No: peace and security.
- [x] The International Migration Review Forum
  > Right: every four years.
- [ ] The World Trade Organization

> The Forum is the follow-up platform.

## Which are durable solutions for refugees? {{#durable partial}}

- [x] Voluntary repatriation
- [x] Local integration
- [x] Resettlement
- [ ] Detention

## In which year was the Compact adopted? {{#year weight=2}}

= 2018

## What share of the world population were migrants in 2020, in percent? {{#share}}

= 3.6 ± 0.2

## Name the principle that forbids returning a refugee to persecution. {{#principle}}

= non-refoulement
= non refoulement

## Put the stages of a consultation in order. {{#stages}}

1. Announce the consultation
2. Collect contributions
3. Publish a summary

## Match each instrument to its subject. {{#instruments}}

- Palermo Protocol => Trafficking in persons
- 1951 Convention => Refugee status
- ICRMW => Rights of migrant workers
"""

def field(question, part_id=None) -> str:
    """The form field the attempt's page uses for a question, item or left-hand item."""
    return field_name(question, part_id)


def option_value(question, option_id) -> str:
    """The value the attempt's page sends for a choice option or a matching right-hand item."""
    tokens = question["value_tokens"] if question["type"] == "matching" else question["tokens"]
    return tokens[option_id]


def correct_form(attempt_questions) -> dict[str, list[str]]:
    """Form fields that answer every question of an attempt of QUIZ correctly."""
    form: dict[str, list[str]] = {}
    for q in attempt_questions:
        name = field(q)
        if q["type"] in ("single", "multiple"):
            form[name] = [option_value(q, o["id"]) for o in q["options"] if o["correct"]]
        elif q["type"] == "numeric":
            form[name] = [f"{q['numbers'][0]['value']:g}"]
        elif q["type"] == "short":
            form[name] = [q["accepted"][0]]
        elif q["type"] == "ordering":
            for position, item in enumerate(q["items"], start=1):
                form[field(q, item["id"])] = [str(position)]
        elif q["type"] == "matching":
            for pair in q["pairs"]:
                form[field(q, pair["id"])] = [option_value(q, pair["id"])]
    return form


def wrong_form(attempt_questions) -> dict[str, list[str]]:
    """Form fields that answer the choice, numeric and short questions wrongly."""
    form: dict[str, list[str]] = {}
    for q in attempt_questions:
        if q["type"] in ("single", "multiple"):
            wrong = next(o["id"] for o in q["options"] if not o["correct"])
            form[field(q)] = [option_value(q, wrong)]
        elif q["type"] in ("numeric", "short"):
            form[field(q)] = ["1"]
    return form


#: The account that owns the quiz course (its front matter names it among the authors).
QUIZ_AUTHOR = "quiz.author@example.org"


def write_quiz_course(root, settings: str = "", slug: str = "quiz-course"):
    write_course(root, slug, {
        "course.md": course_md("Quiz course", "With a quiz.",
                               authors=f"[Quiz Unit, {QUIZ_AUTHOR}]"),
        "01-reading.md": lesson("Reading", "Read this."),
        "02-check.md": QUIZ.format(settings=settings),
    })


@pytest.fixture
def quiz_course(app, tmp_path):
    """Publishes the quiz course; call it with settings to republish differently."""
    def make(settings: str = "", slug: str = "quiz-course"):
        write_quiz_course(tmp_path, settings, slug)
        publish(app, tmp_path)
        return tmp_path

    return make


@pytest.fixture
def enrolled(app, client, learner, quiz_course):
    """A signed-in learner enrolled in the default quiz course."""
    quiz_course()
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")
    return client
