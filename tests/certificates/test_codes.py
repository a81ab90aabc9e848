import re

import pytest

from ecampus.certificates import codes
from ecampus.certificates.codes import (
    ALPHABET,
    CHECK_ALPHABET,
    InvalidCode,
    InvalidCodeKind,
    is_valid_code,
    new_code,
    normalise_code,
)

CANONICAL = re.compile(
    r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}-"
    r"[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]$"
)


def compact(code: str) -> str:
    return code.replace("-", "")


def with_symbol(code: str, position: int, symbol: str) -> str:
    symbols = list(compact(code))
    symbols[position] = symbol
    return "".join(symbols)


@pytest.fixture(scope="module")
def sample_codes() -> list[str]:
    """Enough fresh codes that every symbol should show up in every data position."""
    return [new_code() for _ in range(2000)]


def test_new_code_is_canonical_grouped_form(sample_codes):
    assert all(CANONICAL.match(code) for code in sample_codes)


def test_new_code_round_trips_through_normalise(sample_codes):
    assert all(normalise_code(code) == code for code in sample_codes)


def test_new_code_draws_65_bits_from_secrets(monkeypatch):
    requested = []

    def fake_randbits(bits):
        requested.append(bits)
        return 0

    monkeypatch.setattr(codes.secrets, "randbits", fake_randbits)
    assert new_code() == "0000-000-000-0000"
    assert requested == [65]


def test_new_code_has_at_least_60_bits_of_randomness(sample_codes):
    data = [compact(code)[:13] for code in sample_codes]
    assert len(set(sample_codes)) == len(sample_codes)
    assert len(data[0]) * 5 >= 60
    for position in range(13):
        assert {symbols[position] for symbols in data} == set(ALPHABET)


def test_new_code_check_symbol_is_a_letter_or_digit(sample_codes):
    assert {compact(code)[-1] for code in sample_codes} <= set(ALPHABET)


def test_every_single_substitution_is_detected(sample_codes):
    for code in sample_codes[:20]:
        for position in range(14):
            allowed = CHECK_ALPHABET if position == 13 else ALPHABET
            for symbol in allowed:
                if symbol == compact(code)[position]:
                    continue
                with pytest.raises(InvalidCode) as caught:
                    normalise_code(with_symbol(code, position, symbol))
                assert caught.value.kind == "checksum"


def test_every_adjacent_transposition_is_detected(sample_codes):
    for code in sample_codes[:200]:
        symbols = compact(code)
        for position in range(13):
            left, right = symbols[position], symbols[position + 1]
            if left == right:
                continue
            swapped = symbols[:position] + right + left + symbols[position + 2 :]
            assert not is_valid_code(swapped)


def test_check_symbols_beyond_the_alphabet_are_accepted():
    # The data "0000000000014" is 1 * 32 + 4 = 36, so its check symbol is "U".
    assert normalise_code("0000 0000 0001 4U") == "0000-000-000-014U"
    assert normalise_code("0000-000-000-0000") == "0000-000-000-0000"


def test_lowercase_spaces_and_hyphens_are_accepted():
    code = new_code()
    loose = "  " + " - ".join(compact(code).lower()) + " "
    assert normalise_code(loose) == code
    assert normalise_code(compact(code)) == code
    assert normalise_code(code.replace("-", "\u2013")) == code  # en dash pasted from a PDF


def test_lookalike_letters_read_as_digits():
    code = "0000-000-000-0000"
    assert normalise_code("oOoo-000-000-0000") == code
    assert normalise_code("oooo-ooo-ooo-oi4u") == "0000-000-000-014U"
    assert normalise_code("OOOO OOO OOO OL4U") == "0000-000-000-014U"


def test_wrong_length_reports_length():
    with pytest.raises(InvalidCode) as caught:
        normalise_code("ABCD-EFG-HJK-MN")
    assert caught.value.kind == InvalidCodeKind.LENGTH
    assert caught.value.typed_length == 12
    assert str(caught.value) == "a certificate code has 14 characters; you typed 12"


def test_empty_input_reports_length():
    with pytest.raises(InvalidCode) as caught:
        normalise_code("  ")
    assert caught.value.kind == "length"
    assert caught.value.typed_length == 0


@pytest.mark.parametrize("bad", ["#", "é", "?"])
def test_foreign_character_is_named(bad):
    with pytest.raises(InvalidCode) as caught:
        normalise_code(f"ABCD-E{bad}G-HJK-MNPQ")
    assert caught.value.kind == "character"
    assert caught.value.character == bad
    assert caught.value.position == 6
    assert bad in str(caught.value)


def test_check_only_symbol_in_the_data_reports_character():
    with pytest.raises(InvalidCode) as caught:
        normalise_code("ABUD-EFG-HJK-MNPQ")
    assert caught.value.kind == "character"
    assert caught.value.character == "U"
    assert caught.value.position == 3


def test_bad_character_is_reported_before_wrong_length():
    with pytest.raises(InvalidCode) as caught:
        normalise_code("AB!")
    assert caught.value.kind == "character"


def test_typing_mistake_has_a_human_message():
    code = new_code()
    position = 5
    symbol = "1" if compact(code)[position] != "1" else "2"
    with pytest.raises(InvalidCode) as caught:
        normalise_code(with_symbol(code, position, symbol))
    assert caught.value.kind == "checksum"
    assert str(caught.value) == "this code contains a typing mistake"


def test_is_valid_code():
    assert is_valid_code(new_code())
    assert not is_valid_code("not a code")
    assert not is_valid_code("")
