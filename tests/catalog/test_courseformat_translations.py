"""Translations: which languages a course offers and what a translated file may change."""

from __future__ import annotations

from tests.catalog.fixtures import messages, module, quiz, read

COURSE_ES = "---\ntitle: Curso\nsummary: Resumen.\n---\nDescripción.\n"
QUIZ = """\
## Pick one {#pick}

- [x] A
- [ ] B

## Number {#number}

= 3.6 ± 0.2

## Word {#word}

= refoulement

## Order {#order}

1. One
2. Two

## Pairs {#pairs}

- A => 1
- B => 2
"""


def translated_quiz(tmp_path, translated_body: str, **settings):
    return read(tmp_path, {
        "course.es.md": COURSE_ES,
        "01-quiz.md": quiz(QUIZ),
        "01-quiz.es.md": module("Prueba", translated_body, **settings),
    })


def test_course_is_offered_in_languages_with_a_course_file(tmp_path):
    result = read(tmp_path, {
        "course.es.md": COURSE_ES,
        "course.fr.md": "---\ntitle: Cours\nsummary: Résumé.\n---\n",
        "01-a.md": module("Hello"),
        "01-a.es.md": module("Hola"),
    })
    assert result.problems == []
    course = result.course
    assert course.languages == ["en", "es", "fr"]
    assert course.texts["es"].description_html == "<p>Descripción.</p>"
    assert sorted(course.modules[0].texts) == ["en", "es"]
    assert course.modules[0].texts["es"].title == "Hola"


def test_base_language_comes_first(tmp_path):
    result = read(tmp_path, {
        "course.md": "---\ntitle: Curso\nsummary: R.\nlanguage: es\n---\n",
        "course.en.md": "---\ntitle: Course\nsummary: S.\n---\n",
        "course.de.md": "---\ntitle: Kurs\nsummary: Z.\n---\n",
    })
    assert result.course.languages == ["es", "de", "en"]


def test_translation_into_the_base_language_is_an_error(tmp_path):
    result = read(tmp_path, {"course.en.md": "---\ntitle: T\nsummary: S\n---\n"})
    assert messages(result) == [
        "demo-course/course.en.md:1: error: 'course.en.md' translates into 'en', which is "
        "already the course's language (set 'language' in course.md)"]


def test_module_translation_without_a_course_translation_is_ignored(tmp_path):
    result = read(tmp_path, {"01-a.md": module(), "01-a.fr.md": module("Bonjour")})
    assert messages(result) == [
        "demo-course/01-a.fr.md:1: warning: ignored: the course is not offered in 'fr' "
        "because course.fr.md does not exist"]
    assert list(result.course.modules[0].texts) == ["en"]


def test_translation_of_a_missing_file_is_an_error(tmp_path):
    result = read(tmp_path, {"course.es.md": COURSE_ES, "02-gone.es.md": module("Nada")})
    assert messages(result) == [
        "demo-course/02-gone.es.md:1: error: translation of a missing file '02-gone.md'"]


def test_course_translation_needs_title_and_summary(tmp_path):
    result = read(tmp_path, {"course.es.md": "---\ntitle: Curso\n---\n"})
    assert messages(result) == [
        "demo-course/course.es.md:1: error: required key 'summary' is missing"]


def test_course_translation_may_not_change_settings(tmp_path):
    course_md = "---\ntitle: T\nsummary: S\nduration: 2h\n---\n"
    result = read(tmp_path, {
        "course.md": course_md,
        "course.es.md": "---\ntitle: C\nsummary: R\nduration: 3h\nstatus: published\n---\n",
    })
    assert messages(result) == [
        "demo-course/course.es.md:4: error: 'duration' differs from course.md; a translation "
        "may only set 'title' and 'summary' (the rest comes from the original)",
        "demo-course/course.es.md:5: error: 'status' differs from course.md; a translation "
        "may only set 'title' and 'summary' (the rest comes from the original)",
    ]


def test_course_translation_naming_its_own_language_is_a_warning(tmp_path):
    result = read(tmp_path, {"course.es.md": "---\ntitle: C\nsummary: R\nlanguage: es\n---\n"})
    assert messages(result) == [
        "demo-course/course.es.md:4: warning: 'language' is given by the file name; remove it"]
    assert result.course.languages == ["en", "es"]


def test_translated_module_repeating_a_base_value_is_a_warning(tmp_path):
    result = read(tmp_path, {
        "course.es.md": COURSE_ES,
        "01-a.md": module(duration="20m"),
        "01-a.es.md": module("Uno", duration="20m"),
    })
    assert messages(result) == [
        "demo-course/01-a.es.md:3: warning: 'duration' is taken from 01-a.md; remove it from "
        "the translation"]
    assert result.course is not None


def test_translated_module_with_a_different_kind_is_an_error(tmp_path):
    result = read(tmp_path, {
        "course.es.md": COURSE_ES,
        "01-a.md": module(),
        "01-a.es.md": module("Uno", kind="quiz"),
    })
    assert messages(result) == [
        "demo-course/01-a.es.md:3: error: 'kind' differs from 01-a.md; a translation may only "
        "set 'title' (the rest comes from the original)"]


def test_translated_module_with_an_unknown_key_gets_a_suggestion(tmp_path):
    result = read(tmp_path, {
        "course.es.md": COURSE_ES, "01-a.md": module(), "01-a.es.md": module("Uno", titel="x"),
    })
    assert messages(result) == [
        "demo-course/01-a.es.md:3: error: unknown key 'titel'; did you mean 'title'?"]


def test_translated_module_without_title_falls_back_with_a_warning(tmp_path):
    result = read(tmp_path, {
        "course.es.md": COURSE_ES, "01-a.md": module("Hello"), "01-a.es.md": "Sin título.\n",
    })
    assert messages(result) == [
        "demo-course/01-a.es.md:1: warning: no title; the title of 01-a.md is shown instead"]
    assert result.course.modules[0].texts["es"].title == "Hello"


def test_translated_quiz_with_the_same_structure_is_accepted(tmp_path):
    translated = QUIZ.replace("= refoulement", "= no devolución").replace("3.6", "3,6")
    result = translated_quiz(tmp_path, translated.replace("Pick one", "Elija una"))
    assert messages(result) == []
    es = result.course.modules[0].texts["es"]
    assert es.questions[0]["prompt_html"] == "<p>Elija una</p>"
    assert es.questions[2]["accepted"] == ["no devolución"]
    assert es.questions[1]["numbers"] == [{"value": 3.6, "tolerance": 0.2}]


def test_translated_quiz_missing_and_extra_questions(tmp_path):
    translated = QUIZ.replace("{#word}", "{#palabra}")
    result = translated_quiz(tmp_path, translated)
    assert messages(result) == [
        "demo-course/01-quiz.es.md:1: error: question 'word' from 01-quiz.md is missing from "
        "this translation",
        "demo-course/01-quiz.es.md:13: error: question 'palabra' is not in 01-quiz.md",
    ]


def test_translated_quiz_structure_differences_name_the_question(tmp_path):
    translated = (QUIZ
                  .replace("- [x] A\n- [ ] B", "- [ ] A\n- [x] B")
                  .replace("= 3.6 ± 0.2", "= 3.7 ± 0.2")
                  .replace("2. Two", "2. Two\n3. Three")
                  .replace("- B => 2", "- B => 2\n- C => 3"))
    result = translated_quiz(tmp_path, translated)
    tail = " (only the text may differ from 01-quiz.md)"
    assert [p.message for p in result.problems] == [
        "question 'pick': different options are marked correct than in the original" + tail,
        "question 'number': numeric answers differ from the original" + tail,
        "question 'order': 3 items here but 2 in the original" + tail,
        "question 'pairs': 3 pairs here but 2 in the original" + tail,
    ]
    assert [p.line for p in result.problems] == [4, 9, 17, 23]


def test_translated_quiz_type_option_count_and_weight(tmp_path):
    translated = (QUIZ
                  .replace("- [x] A\n- [ ] B", "- [x] A\n- [ ] B\n- [ ] C")
                  .replace("{#number}", "{#number weight=2}")
                  .replace("= refoulement", "- [x] Sí\n- [ ] No"))
    result = translated_quiz(tmp_path, translated)
    assert [p.message.split(" (")[0] for p in result.problems] == [
        "question 'pick': 3 options here but 2 in the original",
        "question 'number': weight is 2 here but 1 in the original",
        "question 'word': type is single here but short in the original",
    ]


def test_translated_quiz_in_another_order_is_a_warning(tmp_path):
    first, rest = QUIZ.split("## Number", 1)
    result = translated_quiz(tmp_path, "## Number" + rest + "\n" + first)
    assert messages(result) == [
        "demo-course/01-quiz.es.md:1: warning: questions are in a different order than in "
        "01-quiz.md"]


def test_translated_quiz_may_not_change_quiz_settings(tmp_path):
    result = translated_quiz(tmp_path, QUIZ, pass_mark=50)
    assert [p.message for p in result.problems] == [
        "'pass_mark' differs from 01-quiz.md; a translation may only set 'title' (the rest "
        "comes from the original)"]


def test_links_in_translations_point_to_module_pages(tmp_path):
    result = read(tmp_path, {
        "course.es.md": COURSE_ES,
        "01-a.md": module(),
        "01-a.es.md": module("Uno", "[siguiente](02-b.es.md) [inicio](course.es.md)\n"),
        "02-b.md": module(),
        "02-b.es.md": module("Dos"),
    })
    assert messages(result) == []
    assert result.course.modules[0].texts["es"].body_html == (
        '<p><a href="/courses/demo-course/b/">siguiente</a> '
        '<a href="/courses/demo-course/">inicio</a></p>')
