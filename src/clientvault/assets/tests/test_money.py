"""Amounts as typed by a person or sent by a client, turned into minor units (or refused with a clear error)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clientvault.assets.money import decimal_text, format_minor, to_minor
from clientvault.core.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1234.56", "CNY", 123456), ("1,234.5", "CNY", 123450), ("0.01", "USD", 1), ("100", "JPY", 100), (" 7 ", "CNY", 700)],
)
def test_amounts_become_minor_units(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "field", "message"),
    [
        ("12.345", "CNY", "amount", "Too many decimal places for this currency."),
        ("1.5", "JPY", "amount", "Too many decimal places for this currency."),
        ("abc", "CNY", "amount", "Enter an amount such as 1234.56."),
        ("NaN", "CNY", "amount", "Enter an amount such as 1234.56."),
        ("Infinity", "CNY", "amount", "Enter an amount such as 1234.56."),
        ("1e400", "CNY", "amount", "The amount is too large."),
        ("0", "CNY", "amount", "The amount must be greater than zero."),
        ("-5", "CNY", "amount", "The amount must be greater than zero."),
        ("10", "QQQ", "currency", "Unknown currency."),  # not an ISO 4217 code
        ("10", "cny", "currency", "Unknown currency."),
    ],
)
def test_bad_amounts_and_currencies_are_refused_by_field(text: str, currency: str, field: str, message: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(ValidationFailed) as caught:
            to_minor(text, currency)
        assert caught.value.as_dict() == {field: [message]}


def test_minor_units_print_with_the_currency_digits_and_separators() -> None:
    assert format_minor(123456789, "CNY") == "1,234,567.89"
    assert format_minor(-5, "CNY") == "-0.05"
    assert format_minor(1500, "JPY") == "1,500"
    assert decimal_text(123456, "CNY") == "1234.56"
    assert to_minor(Decimal("0.10"), "CNY") == 10
