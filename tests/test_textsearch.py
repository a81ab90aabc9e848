"""Folding text for search: case, accents and ligatures never stop a match."""

from __future__ import annotations

import pytest

from ecampus.textsearch import fold, has_all, person_key, query_words


@pytest.mark.parametrize("text, folded", [
    ("Contratación", "contratacion"),
    ("Réfugiés", "refugies"),
    ("ÊTRE", "etre"),
    ("Straße", "strasse"),
    ("Œuvre", "oeuvre"),
    ("naïve  café", "naive cafe"),
    ("ﬁchier", "fichier"),
])
def test_fold_drops_case_accents_and_ligatures(text, folded):
    assert fold(text) == folded


def test_fold_keeps_scripts_without_latin_letters():
    assert fold("الهجرة") == "الهجرة"


def test_query_words_are_folded_and_limited():
    assert query_words("  ÉTRE  Réfugiés ") == ["etre", "refugies"]
    assert len(query_words(" ".join(["a"] * 20))) == 8


def test_has_all_needs_every_word():
    assert has_all("Droit des réfugiés", ["refugies", "droit"])
    assert not has_all("Droit des réfugiés", ["refugies", "asile"])


def test_person_key_holds_name_and_address():
    assert person_key("José Núñez", "jose@example.org") == "jose nunez jose@example.org"
