"""Which `lang` and `dir` attributes mark content in another language than the page's."""

from __future__ import annotations

from ecampus.contentlang import direction, lang_attributes


def test_right_to_left_languages_are_known_from_their_locale():
    assert [direction(code) for code in ("ar", "he", "fa", "ur")] == ["rtl"] * 4
    assert [direction(code) for code in ("en", "es", "fr", "pt-BR", "", "zz")] == ["ltr"] * 6


def test_arabic_on_a_left_to_right_page_gets_lang_and_dir():
    assert lang_attributes("ar", "es") == 'lang="ar" dir="rtl"'


def test_english_on_an_arabic_page_gets_dir_ltr():
    assert lang_attributes("en", "ar") == 'lang="en" dir="ltr"'


def test_same_direction_needs_only_lang():
    assert lang_attributes("fr", "es") == 'lang="fr"'
    assert lang_attributes("", "es") == ""


def test_attribute_values_are_escaped():
    assert lang_attributes('x"><script>', "en") == 'lang="x&#34;&gt;&lt;script&gt;"'
