"""Money as the ledger holds it: integer minor units per ISO 4217 currency (issue #13).

Amounts enter as decimal strings ("1234.56"), never floats; a string with more decimals than the currency
has, a negative or zero amount, or an unknown currency is refused with a field error in the user's language.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from clientvault.core.errors import ValidationFailed

# The currencies the institution books (ISO 4217 code → number of minor-unit digits).
CURRENCIES: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "JPY": 0,
}
# Large enough for any real holding, small enough for a signed 64-bit column after summing many.
MAX_MINOR = 10**15


def exponent(currency: str) -> int:
    """The number of minor-unit digits of ``currency``; ValidationFailed for a currency not booked here."""
    try:
        return CURRENCIES[currency]
    except KeyError:
        raise ValidationFailed({"currency": [_("Unknown currency.")]}) from None


def to_minor(amount: str | Decimal, currency: str, *, field: str = "amount") -> int:
    """``"1,234.56"`` CNY → 123456. Positive amounts only; no more decimals than the currency has."""
    digits = exponent(currency)
    text = str(amount).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_("Enter an amount such as 1234.56.")]}) from None
    if not value.is_finite():
        raise ValidationFailed({field: [_("Enter an amount such as 1234.56.")]})
    if value <= 0:
        raise ValidationFailed({field: [_("The amount must be greater than zero.")]})
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed({field: [_("Too many decimal places for this currency.")]})
    minor = int(scaled)
    if minor > MAX_MINOR:
        raise ValidationFailed({field: [_("The amount is too large.")]})
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """123456 CNY → Decimal("1234.56") (for the API: amounts travel as decimal strings)."""
    return Decimal(minor).scaleb(-CURRENCIES.get(currency, 2))


def decimal_text(minor: int, currency: str) -> str:
    """123456 CNY → "1234.56" (exactly the currency's digits)."""
    digits = CURRENCIES.get(currency, 2)
    return f"{to_decimal(minor, currency):.{digits}f}"


def format_minor(minor: int, currency: str) -> str:
    """123456 CNY → "1,234.56" (UI.md: thousands separators, never Chinese numerals)."""
    digits = CURRENCIES.get(currency, 2)
    return f"{to_decimal(minor, currency):,.{digits}f}"
