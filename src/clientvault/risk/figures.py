"""What a credit file measures at one moment (issue #16): the figures the control rules, the early-warning
indicators and the scorecard read. A plain value object — computed from the ledger and the file by
``risk.features`` and handed to ``risk.control`` — so the rules are pure functions of it.

Amounts are integers in the minor units of the file's currency; ``None`` means "not known" (no limit, no loan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figures:
    currency: str
    as_of: dt.date
    exposure: int = 0  # outstanding loans and used lines (what the customer owes), ≥ 0
    permanent_limit: int | None = None  # the permanent limit in force, if any
    temporary_limit: int | None = None  # a temporary limit valid on ``as_of``, if any
    temporary_limit_until: dt.date | None = None
    limit_expired: bool = False  # a limit lapsed and nothing valid replaced it while exposure remains
    collateral: int = 0  # pledged amounts and collateral assets (before any haircut)
    overdue_amount: int = 0
    days_overdue: int = 0
    terms_days: int = 0
    tier: str = ""  # "high" / "medium" / "low" / "" (not scored)
    next_review_on: dt.date | None = None
    active_holds: tuple[str, ...] = ()  # reason codes of the holds in force
    forced_hold: bool = False
    missing_rates: tuple[str, ...] = field(default_factory=tuple)  # currencies left out for want of an FX rate

    @property
    def limit(self) -> int | None:
        """The granted limit: the permanent one, raised by a temporary one while it is valid."""
        if self.permanent_limit is None and self.temporary_limit is None:
            return None
        return max(self.permanent_limit or 0, self.temporary_limit or 0)

    @property
    def review_overdue(self) -> bool:
        return self.next_review_on is not None and self.next_review_on < self.as_of

    @property
    def overdue_ratio(self) -> float | None:
        return None if self.exposure <= 0 else self.overdue_amount / self.exposure
