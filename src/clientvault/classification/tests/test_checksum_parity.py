"""The check arithmetic comes from python-stdnum (issue #12); these tests hold it to our earlier implementation.

The oracles below are the hand-written functions the validators used before (RULES.md §11.1 GB 11643-1999,
§11.2 GB 32100-2015, §11.3 ISO/IEC 7812-1 Luhn), kept verbatim. Thousands of seeded random inputs, including
our normalisation (full-width characters, spaces, hyphens, lower-case ``x``), must get the same answer —
the same check character, the same verdict, the same error code — from the validators now.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from clientvault.classification.validators import (
    InvalidIdentifier,
    luhn_check_digit,
    luhn_valid,
    organisation_code_check_char,
    parse_resident_id,
    resident_id_check_char,
    uscc_check_char,
    validate_bank_card,
    validate_uscc,
)

ROUNDS = 3000
DIGITS = "0123456789"

# --- The earlier implementations (oracles) ---------------------------------------------

# RULES.md §11.1 GB 11643-1999: ISO 7064 MOD 11-2, W_i = 2^(18-i) mod 11 for i = 1..17.
OLD_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
OLD_RESIDENT_ID_CHECK_CHARS = "10X98765432"
# RULES.md §11.2 GB 32100-2015: a character's value is its index; W_i = 3^(i-1) mod 31.
OLD_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
OLD_USCC_VALUES = {c: i for i, c in enumerate(OLD_USCC_CHARSET)}
OLD_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def old_resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, OLD_RESIDENT_ID_WEIGHTS, strict=True))
    return OLD_RESIDENT_ID_CHECK_CHARS[total % 11]


def old_uscc_check_char(first17: str) -> str:
    total = sum(OLD_USCC_VALUES[c] * w for c, w in zip(first17, OLD_USCC_WEIGHTS, strict=True))
    return OLD_USCC_CHARSET[(31 - total % 31) % 31]


def old_organisation_code_check_char(first8: str) -> str:
    # RULES.md §11.2 GB 11714-1997 (our own arithmetic still: python-stdnum has no module for it).
    total = sum(int(c, 36) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def old_luhn_sum(digits: str, *, double_first: bool) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if (index % 2 == 0) == double_first:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total


def old_luhn_valid(number: str) -> bool:
    return number.isascii() and number.isdigit() and old_luhn_sum(number, double_first=False) % 10 == 0


def old_luhn_check_digit(partial: str) -> str:
    return str(-old_luhn_sum(partial, double_first=True) % 10)


# --- Helpers ---------------------------------------------------------------------------------


def outcome(func: Callable[[str], object], value: str) -> object:
    """The result of ``func(value)``, or the code of the InvalidIdentifier it raised."""
    try:
        return func(value)
    except InvalidIdentifier as exc:
        return ("error", exc.code)


def disguise(rng: random.Random, value: str) -> str:
    """``value`` as people type it: some characters full-width, lower-case, separated by spaces or hyphens."""
    out = []
    for char in value:
        roll = rng.random()
        if roll < 0.15 and char.isascii() and char.isalnum():
            char = chr(ord(char) + 0xFEE0)  # the full-width form
        elif roll < 0.25:
            char = char.lower()
        out.append(char)
        if rng.random() < 0.1:
            out.append(rng.choice([" ", "-", "\u3000", "\u00a0"]))
    return "".join(out)


def test_oracle_weights_follow_the_published_formulas() -> None:
    assert [pow(2, 17 - i, 11) for i in range(17)] == list(OLD_RESIDENT_ID_WEIGHTS)
    assert [pow(3, i, 31) for i in range(17)] == list(OLD_USCC_WEIGHTS)


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("34052419800101001", "X")],
)
def test_resident_id_rules_vectors(first17: str, check: str) -> None:
    assert resident_id_check_char(first17) == old_resident_id_check_char(first17) == check


def test_resident_id_check_char_parity() -> None:
    rng = random.Random(1101)
    for _ in range(ROUNDS):
        first17 = "".join(rng.choices(DIGITS, k=17))
        assert resident_id_check_char(first17) == old_resident_id_check_char(first17), first17
    for bad in ("", "1" * 16, "1" * 18, "1101051949123100X", "１１０１０５１９４９１２３１００２", "11010519491231 02"):
        assert outcome(resident_id_check_char, bad) == ("error", "format")


def test_parse_resident_id_parity() -> None:
    """Whole numbers through our normalisation: a check failure exactly where the oracle says so."""
    rng = random.Random(3405)
    for _ in range(ROUNDS):
        birth = f"{rng.randint(1900, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first17 = rng.choice(["110105", "340524", "440305", "810000", "900000"]) + birth + "".join(rng.choices(DIGITS, k=3))
        check = old_resident_id_check_char(first17) if rng.random() < 0.5 else rng.choice(DIGITS + "X")
        typed = disguise(rng, first17 + check)
        expected = first17 + check if check == old_resident_id_check_char(first17) else ("error", "checksum")
        got = outcome(lambda value: parse_resident_id(value).number, typed)
        assert got == expected, typed


def test_uscc_check_char_parity() -> None:
    rng = random.Random(9135)
    for _ in range(ROUNDS):
        first17 = "".join(rng.choices(OLD_USCC_CHARSET, k=17))
        assert uscc_check_char(first17) == old_uscc_check_char(first17), first17
    for bad in ("", "9" * 16, "9" * 18, "91350100M000100YI", "91350100m000100Y4"):
        assert outcome(uscc_check_char, bad) == ("error", "format")


def test_validate_uscc_parity() -> None:
    rng = random.Random(9111)
    alphabet = OLD_USCC_CHARSET
    for _ in range(ROUNDS):
        first17 = "".join(rng.choices(alphabet, k=2) + rng.choices(DIGITS, k=6) + rng.choices(alphabet, k=9))
        check = old_uscc_check_char(first17) if rng.random() < 0.5 else rng.choice(alphabet)
        expected = first17 + check if check == old_uscc_check_char(first17) else ("error", "checksum")
        typed = disguise(rng, first17 + check)
        assert outcome(validate_uscc, typed) == expected, typed


def test_luhn_parity() -> None:
    rng = random.Random(6222)
    for _ in range(ROUNDS):
        number = "".join(rng.choices(DIGITS, k=rng.randint(1, 24)))
        assert luhn_valid(number) == old_luhn_valid(number), number
        assert luhn_check_digit(number) == old_luhn_check_digit(number), number
        assert luhn_valid(number + luhn_check_digit(number))
    for bad in ("", "41111111111111x1", "４１１１", "4111 1111"):
        assert not luhn_valid(bad) and not old_luhn_valid(bad)
    assert outcome(luhn_check_digit, "41x") == ("error", "format")
    assert outcome(luhn_check_digit, "") == ("error", "format")


def test_validate_bank_card_parity() -> None:
    rng = random.Random(4111)
    for _ in range(ROUNDS):
        partial = "".join(rng.choices(DIGITS, k=rng.randint(11, 18)))
        check = old_luhn_check_digit(partial) if rng.random() < 0.5 else rng.choice(DIGITS)
        number = partial + check
        expected = number if old_luhn_valid(number) else ("error", "checksum")
        typed = disguise(rng, number)
        assert outcome(validate_bank_card, typed) == expected, typed
    for card in ("4111111111111111", "6222600260001072444"):  # RULES.md §11.3 vectors
        assert validate_bank_card(card) == card and old_luhn_valid(card)
    assert outcome(validate_bank_card, "4111111111111112") == ("error", "checksum")


def test_organisation_code_check_char_parity() -> None:
    """One helper for the check character the validator, the demo and the test factories all computed."""
    rng = random.Random(6000)
    for _ in range(ROUNDS):
        first8 = "".join(rng.choices(DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=8))
        assert organisation_code_check_char(first8) == old_organisation_code_check_char(first8), first8
    assert organisation_code_check_char("60003734") == "1"  # RULES.md §11.2 vector 91110000600037341L
    for bad in ("", "6000373", "600037341", "6000373a"):
        assert outcome(organisation_code_check_char, bad) == ("error", "format")
