"""A credit file's figures and the scorecard's inputs, computed from the asset ledger and the file (issue #16).

System work, not a person's read: the control rules and the scorecard need the whole ledger of the customer
whatever the asking person sees, so the ledger and the customer record are reached through named
``unrestricted(reason=…)`` querysets (rules 4 and 11). Nothing here is shown to anyone: the figures are amounts,
days and codes; the scorecard inputs are bins' raw values that only the score's sealed record keeps by field code.

**Loan repayment schedule** (the convention ``Asset.terms`` carries for a LOAN asset; all keys optional)::

    {"installment_minor": 250000,          # the amount due at each due date, minor units of the loan's currency
     "first_due_on": "2026-02-15",         # the first due date (ISO date)
     "interval_months": 1,                 # months between due dates (default 1)
     "installments": 24,                   # how many instalments (default: until the drawn amount is due)
     "principal_minor": 6000000}           # the principal (also the amount a new-loan checkpoint checks)

Amount due by day D = installment × (number of due dates ≤ D), capped at the amount drawn. Repaid = every credit
posted to the loan asset (its balance starts at 0 and a drawdown debits it; whatever credits it is a repayment).
Overdue amount = max(0, due − repaid); days overdue = D − the oldest due date whose cumulative amount the
repayments have not reached. A loan without ``installment_minor`` and ``first_due_on`` has no schedule: nothing
is overdue on it.

**Exposure** = what the customer owes on open LOAN assets (a loan's balance is negative: −balance), converted
into the file's currency at the latest rate on or before D (``assets.fx``); a currency without a rate is listed
in ``missing_rates`` and left out — never guessed. The balances are those of now: ``on`` (today by default) dates
the schedule, the limits, the rates and the review, not a replay of the ledger.
**Collateral** = amounts pledged on any asset of the customer +
the balances of COLLATERAL assets, converted the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from django.db.models import Sum

from clientvault.assets import fx
from clientvault.assets.models import Asset, Kind, LedgerEntry, Status
from clientvault.core import clock
from clientvault.crypto import keystore
from clientvault.customers import vault as customer_vault
from clientvault.customers.models import Customer
from clientvault.risk import holds
from clientvault.risk.figures import Figures
from clientvault.risk.models import CreditFile, CreditLimit, LimitKind

_LEDGER = "credit control reads the customer's whole ledger (system work: figures, no person's sight is widened)"
_LIMITS = "credit control reads the file's limits (system work)"
_REGION = "scorecard input: the province of the customer's address, decrypted for this processing only (PIPL-6 minimum)"

# Province (as an address starts) → the scorecard's region (risk/synthetic.py REGIONS).
REGION_OF_PROVINCE: dict[str, str] = {
    **dict.fromkeys(("上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "台湾"), "华东"),
    **dict.fromkeys(("北京", "天津", "河北", "山西", "内蒙古"), "华北"),
    **dict.fromkeys(("广东", "广西", "海南", "香港", "澳门", "河南", "湖北", "湖南"), "华南"),
    **dict.fromkeys(("重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"), "西部"),
    **dict.fromkeys(("辽宁", "吉林", "黑龙江"), "东北"),
}
# GB/T 4754-2017 section → the demo scorecard's industry categories (risk/synthetic.py INDUSTRIES).
INDUSTRY_OF_SECTION: dict[str, str] = {
    "A": "农业", "B": "矿业", "C": "制造", "D": "制造", "E": "建筑", "F": "零售", "I": "科技", "M": "科技",
    **dict.fromkeys("GHJKLNOPQRST", "服务"),
}  # fmt: skip
INCOME_BANDS = ("<5k", "5k-10k", "10k-20k", "20k-50k", "50k+")
INCOME_BAND_FIELD = "income_band"  # a custom field of this key, if the institution defines one
# What the demo scorecard reads. Sensitive attributes (sex, age, nationality…) are never inputs (issue #16).
SCORECARD_FIELDS = ("utilisation", "days_overdue", "tenure_months", "income_band", "region", "industry")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has 28 days


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def due_dates(terms: Any, on: dt.date) -> list[tuple[dt.date, int]]:
    """(due date, amount) of every instalment due on or before ``on`` under the schedule convention above."""
    if not isinstance(terms, dict):
        return []
    installment = _int(terms.get("installment_minor"))
    interval = _int(terms.get("interval_months")) or 1
    count = _int(terms.get("installments"))
    try:
        first = dt.date.fromisoformat(str(terms.get("first_due_on")))
    except ValueError:
        return []
    if not installment or installment <= 0 or interval <= 0:
        return []
    out: list[tuple[dt.date, int]] = []
    day = first
    while day <= on and (count is None or len(out) < count) and len(out) < 1200:
        out.append((day, installment))
        day = add_months(first, interval * len(out))
    return out


def overdue(terms: Any, drawn: int, repaid: int, on: dt.date) -> tuple[int, int]:
    """(overdue amount, days overdue) of one loan in its own currency (see the module doc)."""
    cumulative = 0
    oldest_unpaid: dt.date | None = None
    for day, amount in due_dates(terms, on):
        cumulative = min(cumulative + amount, drawn)
        if oldest_unpaid is None and cumulative > repaid:
            oldest_unpaid = day
    owed = max(0, cumulative - repaid)
    return owed, ((on - oldest_unpaid).days if owed and oldest_unpaid else 0)


class _Converter:
    def __init__(self, to: str, on: dt.date) -> None:
        self.to, self.on = to, on
        self.missing: set[str] = set()

    def __call__(self, amount: int, currency: str) -> int:
        if currency == self.to or amount == 0:
            return amount if currency == self.to else 0
        try:
            return fx.rate(currency, self.to, self.on).convert(amount)
        except fx.NoRate:
            self.missing.add(currency)
            return 0


def _limits(credit_file: CreditFile, on: dt.date) -> tuple[int | None, int | None, dt.date | None, bool]:
    """(permanent in force, temporary valid on ``on``, its end, whether some limit lapsed by ``on``).

    A temporary limit followed the next day by one at least as high (the days a replaced limit kept after a lower one,
    or a renewal) does not end then: its end is the end of that run, so no "ends soon" warning fires early."""
    permanent: tuple[dt.date, Any, int] | None = None
    temporary: int | None = None
    until: dt.date | None = None
    lapsed = False
    rows = list(
        CreditLimit.objects.unrestricted(reason=_LIMITS)
        .filter(credit_file=credit_file, ended_at__isnull=True)
        .values_list("kind", "amount", "valid_from", "valid_until", "created_at")
    )
    for kind, amount, valid_from, valid_until, created_at in rows:
        if valid_from > on:
            continue
        if valid_until is not None and valid_until < on:
            lapsed = True
            continue
        if kind == LimitKind.PERMANENT:
            if permanent is None or (valid_from, created_at) > permanent[:2]:
                permanent = (valid_from, created_at, amount)
        elif temporary is None or amount > temporary:
            temporary, until = amount, valid_until
    while temporary is not None and until is not None:
        following = [
            v for k, a, f, v, _c in rows if k == LimitKind.TEMPORARY and v and f == until + dt.timedelta(days=1) and a >= temporary
        ]
        if not following:
            break
        until = max(following)
    return (permanent[2] if permanent else None), temporary, until, lapsed


def figures_for(credit_file: CreditFile, on: dt.date | None = None) -> Figures:
    """The file's figures on ``on`` (today by default) from the ledger, its limits and its holds."""
    day = on or clock.today()
    convert = _Converter(credit_file.currency, day)
    assets = list(
        Asset.objects.unrestricted(reason=_LEDGER)
        .filter(customer_id=credit_file.customer_id, status=Status.OPEN)
        .values_list("pk", "kind", "currency", "balance", "pledged", "terms")
    )
    loans = {pk: (currency, balance, terms) for pk, kind, currency, balance, _p, terms in assets if kind == Kind.LOAN}
    credits: dict[uuid.UUID, int] = defaultdict(int)
    debits: dict[uuid.UUID, int] = defaultdict(int)
    for asset_id, positive, total in _loan_sums(list(loans)) if loans else []:
        (credits if positive else debits)[asset_id] += total
    exposure = overdue_amount = days = collateral = 0
    for _pk, kind, currency, balance, pledged, _terms in assets:
        collateral += convert(pledged, currency)
        if kind == Kind.COLLATERAL and balance > 0:
            collateral += convert(balance, currency)
    for pk, (currency, balance, terms) in loans.items():
        exposure += convert(max(0, -balance), currency)
        owed, late = overdue(terms, drawn=-debits[pk], repaid=credits[pk], on=day)
        overdue_amount += convert(owed, currency)
        days = max(days, late)
    permanent, temporary, until, lapsed = _limits(credit_file, day)
    codes, forced = holds.active_reason_codes(credit_file)
    return Figures(
        currency=credit_file.currency,
        as_of=day,
        exposure=exposure,
        permanent_limit=permanent,
        temporary_limit=temporary,
        temporary_limit_until=until,
        limit_expired=lapsed and permanent is None and temporary is None and exposure > 0,
        collateral=collateral,
        overdue_amount=overdue_amount,
        days_overdue=days,
        terms_days=credit_file.terms_days,
        tier=credit_file.tier,
        next_review_on=credit_file.next_review_on,
        active_holds=codes,
        forced_hold=forced,
        missing_rates=tuple(sorted(convert.missing)),
    )


def _loan_sums(loan_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, bool, int]]:
    """Per loan: the sum of its credits (repayments) and of its debits (drawdowns)."""
    entries = LedgerEntry.objects.filter(asset_id__in=loan_ids)
    credit = entries.filter(amount__gt=0).values("asset_id").annotate(total=Sum("amount")).values_list("asset_id", "total")
    debit = entries.filter(amount__lt=0).values("asset_id").annotate(total=Sum("amount")).values_list("asset_id", "total")
    return [(a, True, int(t)) for a, t in credit] + [(a, False, int(t)) for a, t in debit]


def province_region(address: str) -> str | None:
    """The scorecard region of an address by its leading province name (None: not recognised)."""
    text = (address or "").strip()
    for province in sorted(REGION_OF_PROVINCE, key=len, reverse=True):
        if text.startswith(province):
            return REGION_OF_PROVINCE[province]
    return None


def _tenure_months(customer_id: uuid.UUID, since: dt.date | None, on: dt.date) -> int:
    opened = Asset.objects.unrestricted(reason=_LEDGER).filter(customer_id=customer_id).order_by("opened_on")
    first = opened.values_list("opened_on", flat=True).first()
    start = min(d for d in (first, since) if d is not None) if (first or since) else on
    return max(0, (on.year - start.year) * 12 + on.month - start.month - (1 if on.day < start.day else 0))


def scorecard_inputs(credit_file: CreditFile, figures: Figures) -> dict[str, Any]:
    """The demo scorecard's inputs for the file (None = missing: the scorecard has a missing bin for each)."""
    customer = Customer.objects.unrestricted(reason=_REGION).filter(pk=credit_file.customer_id).first()
    region = income = None
    if customer is not None:
        field = "address" if customer.is_individual else "registered_address"
        try:
            values = customer_vault.unseal(customer, [field, "custom_data"])
        except keystore.KeyDestroyed:  # erased: nothing to read
            values = {}
        region = province_region(str(values.get(field) or ""))
        custom = values.get("custom_data") or {}
        band = custom.get(INCOME_BAND_FIELD) if isinstance(custom, dict) else None
        income = band if band in INCOME_BANDS else None
    limit = figures.limit
    return {
        "utilisation": round(figures.exposure / limit, 4) if limit else None,
        "days_overdue": figures.days_overdue,
        "tenure_months": _tenure_months(
            credit_file.customer_id, customer.created_at.date() if customer is not None else None, figures.as_of
        ),
        "income_band": income,
        "region": region,
        "industry": INDUSTRY_OF_SECTION.get(customer.industry) if customer is not None else None,
    }
