"""Currencies and dated exchange rates (issue #13): conversions name the rate's date.

A rate row says 1 unit of ``currency`` is ``rate`` units of ``base``; a conversion between two currencies goes
through the institution's base currency (``CLIENTVAULT_BASE_CURRENCY``) with the latest rate on or before
the date asked for. Amounts are integers in minor units; a converted amount is rounded half-even.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clientvault.assets.models import FxRate
from clientvault.core.errors import ValidationFailed

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}
ONE = Decimal(1)


def base_currency() -> str:
    return str(getattr(settings, "CLIENTVAULT_BASE_CURRENCY", "CNY"))


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


def valid_currency(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency))


@dataclass(frozen=True)
class Rate:
    """How many units of ``to`` one unit of ``from_`` is worth, and the date of the rate(s) used (None: same currency)."""

    from_: str
    to: str
    rate: Decimal
    as_of: dt.date | None

    def convert(self, amount_minor: int) -> int:
        """``amount_minor`` of ``from_`` in minor units of ``to`` (half-even)."""
        if self.from_ == self.to:
            return amount_minor
        major = to_decimal(amount_minor, self.from_) * self.rate
        return int(major.scaleb(exponent(self.to)).quantize(ONE, rounding=ROUND_HALF_EVEN))


class NoRate(ValidationFailed):
    code = "no_exchange_rate"
    default_message = _("There is no exchange rate for this currency on or before that date.")


def _to_base(currency: str, on: dt.date) -> tuple[Decimal, dt.date | None]:
    base = base_currency()
    if currency == base:
        return ONE, None
    row = FxRate.objects.filter(currency=currency, base=base, as_of__lte=on).order_by("-as_of").values_list("rate", "as_of").first()
    if row is None:
        raise NoRate()
    return row[0], row[1]


def rate(from_: str, to: str, on: dt.date) -> Rate:
    """The rate from ``from_`` to ``to`` on ``on`` through the base currency; the older of two rates' dates is shown."""
    if from_ == to:
        return Rate(from_, to, ONE, None)
    r1, d1 = _to_base(from_, on)
    r2, d2 = _to_base(to, on)
    dates = [d for d in (d1, d2) if d is not None]
    return Rate(from_, to, (r1 / r2).quantize(Decimal("1e-10")), min(dates) if dates else None)
