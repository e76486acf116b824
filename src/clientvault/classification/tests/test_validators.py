"""Tests for the pure identifier validators (vectors plus hypothesis properties)."""

from __future__ import annotations

import datetime
import os
import pickle
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientvault.classification.validators import (
    InvalidIdentifier,
    convert_legacy_resident_id,
    luhn_check_digit,
    luhn_valid,
    normalize_mobile,
    parse_resident_id,
    resident_id_check_char,
    uscc_check_char,
    uscc_org_code_valid,
    validate_bank_card,
    validate_email,
    validate_mobile,
    validate_uscc,
)

TODAY = datetime.date(2025, 6, 1)
DIGITS = "0123456789"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SPANS = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
PROVINCES = [p for lo, hi in _SPANS for p in range(lo, hi + 1)] + [71, 81, 82, 83]


def chars(alphabet: str, n: int) -> st.SearchStrategy[str]:
    """Strings of exactly ``n`` characters drawn from ``alphabet``."""
    return st.text(alphabet=alphabet, min_size=n, max_size=n)


def fullwidth(value: str) -> str:
    """Full-width form of the ASCII letters and digits in ``value``."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in value)


def mutate(data: st.DataObject, value: str, pos: int, alphabet: str) -> str:
    """Replace the character at ``pos`` with a different one from ``alphabet``."""
    new = data.draw(st.sampled_from(alphabet.replace(value[pos], "")))
    return value[:pos] + new + value[pos + 1 :]


def sex_of(digit: str) -> str:
    """Expected sex for a sequence digit."""
    return "M" if int(digit) % 2 else "F"


def with_check(first17: str) -> str:
    """A resident ID with its correct check character appended."""
    return first17 + resident_id_check_char(first17)


@st.composite
def id_prefixes(draw: st.DrawFn) -> str:
    """Valid first 17 digits of a resident ID: real region, real past date."""
    born = draw(st.dates(datetime.date(1900, 1, 1), TODAY))
    province = draw(st.sampled_from(PROVINCES))
    return f"{province}{draw(chars(DIGITS, 4))}{born:%Y%m%d}{draw(chars(DIGITS, 3))}"


uscc_prefixes = st.tuples(chars(USCC_CHARS, 2), chars(DIGITS, 6), chars(USCC_CHARS, 9)).map("".join)


def raises_code(code: str, func: Callable[..., object], *args: object) -> None:
    """Assert ``func(*args)`` raises InvalidIdentifier with ``code``."""
    with pytest.raises(InvalidIdentifier) as exc:
        func(*args)
    assert exc.value.code == code, args


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [("11010519491231002X", datetime.date(1949, 12, 31), "F"),
     ("34052419800101001X", datetime.date(1980, 1, 1), "M"),
     ("11010519491231002x", datetime.date(1949, 12, 31), "F")],
)  # fmt: skip
def test_resident_id_vectors(number: str, birth: datetime.date, sex: str) -> None:
    info = parse_resident_id(number)
    assert (info.number, info.birth_date, info.sex) == (number.upper(), birth, sex)
    assert info.region_code == number[:6] and not info.is_foreign_permanent_resident
    assert number.upper() not in repr(info)


@pytest.mark.parametrize(
    ("number", "code"),
    [("340524198001010013", "checksum"), ("3405241980010100", "format"),
     ("34052419800101001Y", "format"), ("10010519491231002X", "region"),
     ("72010519491231002X", "region"), ("", "format"),
     (with_check("11010520250602123"), "birth_date"),  # future (TODAY is 2025-06-01)
     (with_check("11010519900230123"), "birth_date"),  # 30 February
     (with_check("11010518991231123"), "birth_date"),  # before 1900
     (with_check("11010519901301123"), "birth_date"),
     (with_check("11010519900000123"), "birth_date")],
)  # fmt: skip
def test_resident_id_rejections(number: str, code: str) -> None:
    raises_code(code, lambda n: parse_resident_id(n, today=TODAY), number)


def test_birth_today_and_foreign_permanent_residence_id() -> None:
    assert parse_resident_id(with_check(f"110105{TODAY:%Y%m%d}124"), today=TODAY)
    info = parse_resident_id(with_check("91184019850315003"), today=TODAY)
    assert info.is_foreign_permanent_resident and info.sex == "M"
    assert (info.birth_date, info.region_code) == (datetime.date(1985, 3, 15), "911840")


@given(id_prefixes())
def test_appending_check_char_yields_valid_id(prefix: str) -> None:
    info = parse_resident_id(with_check(prefix), today=TODAY)
    assert info.sex == sex_of(prefix[16])
    assert f"{info.birth_date:%Y%m%d}" == prefix[6:14]


@given(id_prefixes(), st.integers(0, 17), st.data())
def test_resident_id_detects_single_substitution(prefix: str, pos: int, data: st.DataObject) -> None:
    alphabet = DIGITS + "X" if pos == 17 else DIGITS
    mutated = mutate(data, with_check(prefix), pos, alphabet)
    assert resident_id_check_char(mutated[:17]) != mutated[17]  # MOD 11-2 catches it
    with pytest.raises(InvalidIdentifier):
        parse_resident_id(mutated, today=TODAY)


@given(
    st.sampled_from(PROVINCES),
    chars(DIGITS, 7),
    st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)),
)
def test_legacy_conversion_round_trip(province: int, extra: str, born: datetime.date) -> None:
    fifteen = f"{province}{extra[:4]}{born:%y%m%d}{extra[4:]}"
    converted = convert_legacy_resident_id(fifteen)
    assert converted[:6] + converted[8:17] == fifteen
    info = parse_resident_id(converted)
    assert info.birth_date == born and info.sex == sex_of(fifteen[-1])


def test_legacy_conversion_vector_and_format() -> None:
    assert convert_legacy_resident_id("110105491231002") == "11010519491231002X"
    raises_code("format", convert_legacy_resident_id, "11010549123100")


@given(id_prefixes())
def test_full_width_resident_id_normalises(prefix: str) -> None:
    number = with_check(prefix)
    head, tail = fullwidth(number[:6]), fullwidth(number[6:]).lower()
    assert parse_resident_id(f"{head}\u3000{tail} ", today=TODAY).number == number


def test_uscc_vectors_and_org_code() -> None:
    for code in [
        "91350100M000100Y43",
        "91110000600037341L",
        " 9111 0000 6000 3734 1l ",
    ]:
        assert validate_uscc(fullwidth(code)) == code.replace(" ", "").upper()
    raises_code("checksum", validate_uscc, "91350100M000100Y4A")
    for bad in ["91350100M000100Y4", "91350100M000100Y4I", "9135010AM000100Y43"]:
        raises_code("format", validate_uscc, bad)
    assert uscc_org_code_valid("91110000600037341L")
    assert uscc_org_code_valid("60003734-1") and not uscc_org_code_valid("600037342")
    pilot = "91350100123456780"  # embedded org code fails GB 11714 (should end in 8)
    pilot += uscc_check_char(pilot)
    assert not uscc_org_code_valid(pilot) and validate_uscc(pilot) == pilot


@given(uscc_prefixes, st.integers(0, 17), st.data())
def test_uscc_check_char_and_single_substitution(prefix: str, pos: int, data: st.DataObject) -> None:
    valid = prefix + uscc_check_char(prefix)
    assert validate_uscc(valid) == valid
    alphabet = DIGITS if 2 <= pos <= 7 else USCC_CHARS
    raises_code("checksum", validate_uscc, mutate(data, valid, pos, alphabet))


def test_bank_card_vectors() -> None:
    assert validate_bank_card("4111 1111-1111 1111") == "4111111111111111"
    assert validate_bank_card(fullwidth("6222600260001072444")) == "6222600260001072444"
    assert luhn_check_digit("411111111111111") == "1"
    assert not luhn_valid("41111111111111x1") and not luhn_valid("")
    raises_code("checksum", validate_bank_card, "4111111111111112")
    raises_code("format", validate_bank_card, "41111111111")
    raises_code("format", validate_bank_card, "4" * 20)


@given(st.text(DIGITS, min_size=11, max_size=18), st.data())
def test_luhn_check_digit_and_single_substitution(partial: str, data: st.DataObject) -> None:
    valid = partial + luhn_check_digit(partial)
    assert luhn_valid(valid) and validate_bank_card(valid) == valid
    mutated = mutate(data, valid, data.draw(st.integers(0, len(valid) - 1)), DIGITS)
    assert not luhn_valid(mutated)
    raises_code("checksum", validate_bank_card, mutated)


def test_mobile() -> None:
    good = ["+86 138-0013-8000", "0086 13800138000", "8613800138000"]
    for raw in [*good, "（+86）138 0013 8000", fullwidth("13800138000")]:
        assert normalize_mobile(raw) == "13800138000" == validate_mobile(raw)
    for raw in ["12800138000", "1380013800", "+1 13800138000", "86138001380", "1380a"]:
        raises_code("format", validate_mobile, raw)


def test_email() -> None:
    expected = "zhang.san+tag@mail.example.cn"
    assert validate_email(" Zhang.San+tag@Mail.Example.CN ") == expected
    assert validate_email("a@xn--fiqs8s.xn--fiqz9s") == "a@xn--fiqs8s.xn--fiqz9s"
    bad = ["", "a", "a@b", "@example.com", "a@@example.com", "a@b@example.com",
           ".a@example.com", "a..b@example.com", "a@-example.com", "a@example..com",
           "a@example.c0m", "张三@example.com", "x" * 65 + "@example.com",
           "a@" + "b" * 250 + ".com", "a b@example.com"]  # fmt: skip
    for address in bad:
        raises_code("format", validate_email, address)


@pytest.fixture(scope="module")
def render() -> Callable[[InvalidIdentifier], str]:
    """Force lazy messages; outside a project, configure untranslated settings."""
    from django.conf import settings as django_settings

    if not django_settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
        django_settings.configure(USE_I18N=False)
    return str


@pytest.mark.parametrize(
    ("func", "raw"),
    [(parse_resident_id, "340524198001010013"), (parse_resident_id, "340524 1980"),
     (parse_resident_id, "10010519491231002X"),
     (parse_resident_id, "11010519900230123X"),
     (convert_legacy_resident_id, "3405248001011"), (validate_uscc, "91350100M000"),
     (validate_uscc, "91350100M000100Y4A"), (validate_bank_card, "4111111111111112"),
     (validate_bank_card, "411111"), (validate_mobile, "+86 12800138000"),
     (validate_email, "zhang.san@example")],
)  # fmt: skip
def test_messages_never_echo_input(func: Callable[[str], object], raw: str, render: Callable[[InvalidIdentifier], str]) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        func(raw)
    text = render(exc.value)
    assert text and raw not in text and raw.lower() not in text
    assert re.search(r"\d{4}|@", text) is None
    assert exc.value.args == (exc.value.code,) and raw not in repr(exc.value)
    clone = pickle.loads(pickle.dumps(exc.value))
    assert (clone.code, render(clone)) == (exc.value.code, text)
