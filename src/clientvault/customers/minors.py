"""Who is a child (PIPL-31): a fact about the customer, kept coarse on the customer row (``minor_until``).

Pure functions of plain values. ``customers`` computes the stored date when a profile is saved; consent
rules (``consents.rules``, which re-exports these) decide what a child's consent needs.
"""

from __future__ import annotations

import datetime as dt

CHILD_AGE = 14  # PIPL-31 (Art. 28/31): under 14 is a child; configurable as CLIENTVAULT_CONSENT_CHILD_AGE


def birthday(born: dt.date, years: int) -> dt.date:
    """The date ``years`` after ``born``; someone born on 29 February has their birthday on 1 March."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 3, 1)


def minor_until(born: dt.date | None, today: dt.date, child_age: int = CHILD_AGE) -> dt.date | None:
    """PIPL-31: the day a child reaches ``child_age`` while that is still ahead; None for adults and unknown dates."""
    if born is None:
        return None
    coming_of_age = birthday(born, child_age)
    return coming_of_age if coming_of_age > today else None


def stored_minor_until(born: dt.date | None, today: dt.date, child_age: int = CHILD_AGE) -> dt.date | None:
    """What the customer row keeps in clear for enforcement: the first day of the month after the child's
    14th birthday. Coarse on purpose — the exact date would be the birth date in clear (rule 6) — and it
    errs on the protective side: guardian consent is asked for up to a month longer, never shorter."""
    exact = minor_until(born, today, child_age)
    if exact is None:
        return None
    return dt.date(exact.year + (exact.month == 12), exact.month % 12 + 1, 1)


def is_minor(minor_until_date: dt.date | None, today: dt.date) -> bool:
    return minor_until_date is not None and minor_until_date > today
