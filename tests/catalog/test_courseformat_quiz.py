"""Quiz questions: every answer shape, heading options, feedback, and the errors authors see."""

from __future__ import annotations

import pytest

from tests.catalog.fixtures import messages, quiz, read

# Front matter takes lines 1-4 (---, title, kind, ---); the body starts on line 5.
BODY_START = 5


def parse(tmp_path, body: str, **settings):
    """Read a course whose only module is a quiz with this body."""
    result = read(tmp_path, {"01-quiz.md": quiz(body, **settings)})
    course = result.course
    questions = list(course.modules[0].texts["en"].questions) if course else []
    return result, questions


def only(tmp_path, body: str):
    """The single question of a quiz that must have no problems."""
    result, questions = parse(tmp_path, body)
    assert messages(result) == []
    [question] = questions
    return question


def errors(tmp_path, body: str) -> list[str]:
    result, _ = parse(tmp_path, body)
    assert result.course is None
    return [f"{p.line}: {p.message}" for p in result.errors]


def test_single_choice_with_feedback_and_explanation(tmp_path):
    question = only(tmp_path, """\
        ## Which forum reviews progress? {#gcm-review}

        - [ ] The UN Security Council
        - [x] The International Migration Review Forum
          > Right: it meets every four years.
        - [ ] The World Trade Organization
          > No: trade is not its remit.

        > The Forum is the primary platform.
        """)
    assert question == {
        "id": "gcm-review", "type": "single", "position": 1, "weight": 1.0, "partial": False,
        "line": BODY_START,
        "prompt_html": "<p>Which forum reviews progress?</p>",
        "explanation_html": "<p>The Forum is the primary platform.</p>",
        "options": [
            {"id": "a", "html": "The UN Security Council", "correct": False,
             "feedback_html": None},
            {"id": "b", "html": "The International Migration Review Forum", "correct": True,
             "feedback_html": "<p>Right: it meets every four years.</p>"},
            {"id": "c", "html": "The World Trade Organization", "correct": False,
             "feedback_html": "<p>No: trade is not its remit.</p>"},
        ],
    }


def test_true_false_is_a_single_choice_with_two_options(tmp_path):
    question = only(tmp_path, "## The sky is blue. {#sky}\n\n- [x] True\n- [ ] False\n")
    assert question["type"] == "single"
    assert [o["correct"] for o in question["options"]] == [True, False]


def test_multiple_answer_with_partial(tmp_path):
    question = only(tmp_path, """\
        ## Which are durable solutions? {#durable partial}

        - [x] Voluntary repatriation
        - [X] Local integration
        - [x] Resettlement
        - [ ] Detention
        """)
    assert (question["type"], question["partial"]) == ("multiple", True)
    assert [o["id"] for o in question["options"]] == ["a", "b", "c", "d"]
    assert [o["correct"] for o in question["options"]] == [True, True, True, False]


def test_multiple_answer_is_all_or_nothing_by_default(tmp_path):
    question = only(tmp_path, "## Pick {#p}\n\n- [x] A\n- [x] B\n- [ ] C\n")
    assert (question["type"], question["partial"]) == ("multiple", False)


def test_partial_on_a_single_choice_is_a_warning_and_ignored(tmp_path):
    result, [question] = parse(tmp_path, "## Pick {#p partial}\n\n- [x] A\n- [ ] B\n")
    assert messages(result) == [
        f"demo-course/01-quiz.md:{BODY_START}: warning: 'partial' only applies to questions "
        "with two or more correct options; it is ignored here"]
    assert question["partial"] is False


@pytest.mark.parametrize(
    ("answers", "numbers"),
    [
        ("= 2018", [{"value": 2018.0, "tolerance": 0.0}]),
        ("= 3.6 ± 0.2", [{"value": 3.6, "tolerance": 0.2}]),
        ("= 3.6 +- 0.2", [{"value": 3.6, "tolerance": 0.2}]),
        ("= 3,6 ± 0,2", [{"value": 3.6, "tolerance": 0.2}]),
        ("= 3,6", [{"value": 3.6, "tolerance": 0.0}]),
        ("= -1.5", [{"value": -1.5, "tolerance": 0.0}]),
        ("= 10\n= 12 ± 1", [{"value": 10.0, "tolerance": 0.0}, {"value": 12.0, "tolerance": 1.0}]),
    ],
)
def test_numeric_answers(tmp_path, answers, numbers):
    question = only(tmp_path, f"## How many? {{#n}}\n\n{answers}\n")
    assert question["type"] == "numeric"
    assert question["numbers"] == numbers
    assert "accepted" not in question and "options" not in question


def test_short_answer_keeps_values_as_written(tmp_path):
    question = only(tmp_path, "## Name it {#name}\n\n= non-refoulement\n= Non  Refoulement \n")
    assert question["type"] == "short"
    assert question["accepted"] == ["non-refoulement", "Non  Refoulement"]


def test_short_answer_with_some_numbers_stays_short(tmp_path):
    question = only(tmp_path, "## Which year? {#y}\n\n= 2018\n= twenty eighteen\n")
    assert question["type"] == "short"
    assert question["accepted"] == ["2018", "twenty eighteen"]


def test_tolerance_on_a_short_answer_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n= about ± 2\n= 3\n") == [
        f"{BODY_START + 2}: 'about ± 2' looks like a number with a tolerance, but it is not a "
        "number; a numeric answer needs every '=' value numeric"]


def test_empty_value_line_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n= 3\n=\n") == [
        f"{BODY_START + 3}: '=' line has no value"]


def test_ordering_items_are_in_the_correct_order(tmp_path):
    question = only(tmp_path, """\
        ## Put the stages in order. {#stages}

        1. Announce the consultation
        2. Collect **contributions**
        3. Publish a summary
        """)
    assert question["type"] == "ordering"
    assert question["items"] == [
        {"id": "1", "html": "Announce the consultation"},
        {"id": "2", "html": "Collect <strong>contributions</strong>"},
        {"id": "3", "html": "Publish a summary"},
    ]


def test_matching_pairs(tmp_path):
    question = only(tmp_path, """\
        ## Match each instrument to its subject. {#match}

        - Palermo Protocol => Trafficking in persons
        - 1951 Convention => Refugee status
        - ICRMW => Rights of *migrant* workers
        """)
    assert question["type"] == "matching"
    assert question["pairs"] == [
        {"id": "1", "left_html": "Palermo Protocol", "right_html": "Trafficking in persons"},
        {"id": "2", "left_html": "1951 Convention", "right_html": "Refugee status"},
        {"id": "3", "left_html": "ICRMW", "right_html": "Rights of <em>migrant</em> workers"},
    ]


def test_matching_pair_without_a_side_is_an_error(tmp_path):
    assert errors(tmp_path, "## M {#m}\n\n- A => B\n- C =>\n") == [
        f"{BODY_START + 3}: a pair needs text on both sides of '=>'"]


def test_matching_with_a_repeated_right_side_is_an_error(tmp_path):
    assert errors(tmp_path, "## M {#m}\n\n- A => Same\n- B => same\n") == [
        f"{BODY_START + 3}: right-hand side 'same' is also used on line {BODY_START + 2}; "
        "each pair needs a distinct answer"]


def test_prompt_keeps_paragraphs_lists_images_and_tables(tmp_path):
    result = read(tmp_path, {
        "media/chart.png": b"png",
        "01-quiz.md": quiz("""\
            ## Read the *scenario* {#scenario}

            A family arrives at the border.

            - They have no documents.
            - One child is ill.

            What we know:

            1. First fact
            2. Second fact

            ![Arrivals chart](media/chart.png)

            | Year | Arrivals |
            |------|----------|
            | 2020 | 12 |

            - [x] Refer them to the asylum procedure
            - [ ] Send them back
            """),
    })
    assert messages(result) == []
    [question] = result.course.modules[0].texts["en"].questions
    prompt = question["prompt_html"]
    assert prompt.startswith("<p>Read the <em>scenario</em></p>\n<p>A family arrives")
    assert "<li>They have no documents.</li>" in prompt
    assert "<ol>\n<li>First fact</li>" in prompt
    assert 'alt="Arrivals chart"' in prompt and "/files/" in prompt
    assert "<table>" in prompt
    assert question["type"] == "single"
    assert len(question["options"]) == 2


def test_heading_text_that_looks_like_a_block_stays_a_paragraph(tmp_path):
    question = only(tmp_path, "## 1. Which is right? {#one}\n\n- [x] 2. This\n- [ ] - That\n")
    assert question["prompt_html"] == "<p>1. Which is right?</p>"
    assert [o["html"] for o in question["options"]] == ["2. This", "- That"]


def test_multi_line_options_and_feedback_after_a_blank_line(tmp_path):
    question = only(tmp_path, """\
        ## Q {#q}

        - [x] A long option
          that wraps.

          > Feedback after a blank line.
        - [ ] Short
        lazy continuation
        """)
    first, second = question["options"]
    assert first["html"] == "A long option\nthat wraps."
    assert first["feedback_html"] == "<p>Feedback after a blank line.</p>"
    assert second["html"] == "Short\nlazy continuation"


def test_loose_task_list_is_one_answer_list(tmp_path):
    question = only(tmp_path, "## Q {#q}\n\n- [x] A\n\n- [ ] B\n\n- [ ] C\n")
    assert len(question["options"]) == 3


def test_explanation_can_span_several_paragraphs(tmp_path):
    question = only(tmp_path, "## Q {#q}\n\n= 1\n\n> First.\n>\n> Second.\n\n> Third.\n")
    assert question["explanation_html"] == "<p>First.</p>\n<p>Second.</p>\n<p>Third.</p>"


def test_quiz_introduction_is_the_markdown_before_the_first_question(tmp_path):
    result, _ = parse(tmp_path, "Read **carefully**.\n\n## Q {#q}\n\n= 1\n")
    intro = result.course.modules[0].texts["en"].body_html
    assert intro == "<p>Read <strong>carefully</strong>.</p>"


def test_headings_inside_code_blocks_are_not_questions(tmp_path):
    result, questions = parse(tmp_path, """\
        ```
        ## not a question
        ```

        ## Real {#real}

        ```
        ## still the prompt
        ```

        = 1
        """)
    assert messages(result) == []
    assert [q["id"] for q in questions] == ["real"]
    assert "## still the prompt" in questions[0]["prompt_html"]


def test_question_lines_positions_and_weights(tmp_path):
    _, questions = parse(tmp_path, "## A {#a weight=2}\n\n= 1\n\n## B {#b weight=0.5}\n\n= 2\n")
    assert [(q["id"], q["line"], q["position"], q["weight"]) for q in questions] == [
        ("a", BODY_START, 1, 2.0), ("b", BODY_START + 4, 2, 0.5)]


def test_questions_without_ids_get_positional_ids_and_one_warning(tmp_path):
    result, questions = parse(tmp_path, "## A {#a}\n\n= 1\n\n## B\n\n= 2\n\n## C\n\n= 3\n")
    assert [q["id"] for q in questions] == ["a", "q2", "q3"]
    [warning] = result.warnings
    assert warning.line == BODY_START + 4
    assert "positional ids break attempt history when questions are reordered" in warning.message


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("## Q {#Bad_Id}", "question id 'Bad_Id' must use only lowercase letters, digits and "
                           "hyphens"),
        ("## Q {#a #b}", "question has two ids: 'a' and 'b'"),
        ("## Q {#a weight=0}", "weight '0' must be a positive number"),
        ("## Q {#a weight=-1}", "weight '-1' must be a positive number"),
        ("## Q {#a weight=lots}", "weight 'lots' must be a positive number"),
        ("## Q {#a shuffle}", "unknown question option 'shuffle'; use {#id weight=N partial}"),
        ("## {#a}", "question heading has no text; the heading is the question's prompt"),
    ],
)
def test_bad_heading_options(tmp_path, heading, message):
    assert errors(tmp_path, f"{heading}\n\n= 1\n") == [f"{BODY_START}: {message}"]


def test_duplicate_question_ids_are_errors(tmp_path):
    assert errors(tmp_path, "## A {#same}\n\n= 1\n\n## B {#same}\n\n= 2\n") == [
        f"{BODY_START + 4}: question id 'same' is already used on line {BODY_START}"]


def test_explicit_id_clashing_with_a_positional_one_is_an_error(tmp_path):
    found = errors(tmp_path, "## A\n\n= 1\n\n## B {#q1}\n\n= 2\n")
    assert found == [f"{BODY_START + 4}: question id 'q1' is already used on line {BODY_START}"]


def test_task_list_without_a_correct_option_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [ ] A\n- [ ] B\n") == [
        f"{BODY_START + 2}: no option is marked correct; tick the right one with '- [x]'"]


def test_choice_with_one_option_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [x] A\n") == [
        f"{BODY_START + 2}: a choice question needs at least two options"]


def test_option_without_text_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [x] A\n- [ ]\n") == [
        f"{BODY_START + 3}: option has no text"]


@pytest.mark.parametrize(
    "answers", ["Just a paragraph.", "- a plain list\n- of facts", "", "> only a quote"]
)
def test_question_without_answers_is_an_error(tmp_path, answers):
    assert errors(tmp_path, f"## Q {{#q}}\n\n{answers}\n") == [
        f"{BODY_START}: question has no recognisable answers; write a task list ('- [x]'), "
        "'= value' lines, a numbered list or '- left => right' pairs"]


def test_task_list_and_values_in_one_question_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [x] A\n- [ ] B\n\n= 3\n") == [
        f"{BODY_START + 2}: question mixes answer shapes: a task list and '= value' lines"]


def test_list_mixing_task_items_and_plain_items_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [x] A\n- B\n") == [
        f"{BODY_START + 3}: answer list mixes shapes: use either task items ('- [ ]', '- [x]') "
        "or 'left => right' pairs, not both with plain items"]


def test_list_mixing_pairs_and_plain_items_is_an_error(tmp_path):
    found = errors(tmp_path, "## Q {#q}\n\n- A => 1\n- B => 2\n- C\n")
    assert found[0].startswith(f"{BODY_START + 4}: answer list mixes shapes")


def test_text_after_the_answers_is_an_error(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [x] A\n- [ ] B\n\nAn afterthought.\n") == [
        f"{BODY_START + 5}: only a blockquote ('> ...', the explanation) may follow the answers"]


def test_ordering_needs_two_items_and_no_feedback(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n1. Only\n   > feedback\n") == [
        f"{BODY_START + 2}: an ordering question needs at least 2 items",
        f"{BODY_START + 3}: feedback ('> ...' under an item) is only possible for the options "
        "of a choice question",
    ]


def test_quiz_without_questions_is_an_error(tmp_path):
    assert errors(tmp_path, "Only an introduction.\n") == [
        f"{BODY_START}: quiz has no questions; start each question with a '## ' heading"]


def test_pick_cannot_exceed_the_number_of_questions(tmp_path):
    result, _ = parse(tmp_path, "## A {#a}\n\n= 1\n", pick=2)
    assert [p.message for p in result.errors] == [
        "pick: must be a whole number from 1 to 1, not '2'"]


def test_link_in_an_option_to_a_missing_file_is_reported_at_the_option(tmp_path):
    assert errors(tmp_path, "## Q {#q}\n\n- [x] See [notes](media/notes.pdf)\n- [ ] B\n") == [
        f"{BODY_START + 2}: link 'media/notes.pdf' points to a missing file"]


def test_reference_links_defined_at_the_end_work_in_any_question(tmp_path):
    question = only(tmp_path, """\
        ## Read [the compact][gcm] {#q}

        - [x] Done [reading][gcm]
        - [ ] Not yet

        [gcm]: https://example.org/gcm
        """)
    assert 'href="https://example.org/gcm"' in question["prompt_html"]
    assert 'href="https://example.org/gcm"' in question["options"][0]["html"]


def test_option_ids_continue_past_z(tmp_path):
    options = "\n".join(f"- [{'x' if i == 0 else ' '}] Option {i}" for i in range(28))
    question = only(tmp_path, f"## Many {{#many}}\n\n{options}\n")
    assert [o["id"] for o in question["options"]][-3:] == ["z", "aa", "ab"]
