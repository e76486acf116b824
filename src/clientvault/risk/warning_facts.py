"""The facts behind the internal indicators, read for one credit file by the daily scan (issue #16).

Only amounts, dates, field *names* and consent states are read — nothing is decrypted:

- deposit balances from the asset ledger: the running balance of each deposit account now, and its last entry's
  ``balance_after`` before the cut-off (``balance_fall_months`` ago), in the file's currency;
- exposure: what the customer owes on open loans in the file's currency (a loan's balance is negative);
- contact changes: the customer's ``customer.updated`` audit events name the fields changed (a direct edit and an
  approved change request both record it; ``customers/profiles.py``, ``customers/changes.py``);
- the last follow-up's date; the current consent for each configured purpose.

The signals from two evaluations' figures (overdue, rising utilisation) are computed where the figures are
(``risk.features`` calls ``indicators.from_figures``), not here.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Max, Sum
from django.utils import timezone

from clientvault.assets.models import Asset, Kind, LedgerEntry, Status
from clientvault.audit.models import AuditEvent
from clientvault.consents.models import Consent
from clientvault.core import clock
from clientvault.customers.models import FollowUp
from clientvault.risk import indicators as I
from clientvault.risk.indicators import IndicatorSettings, Signal
from clientvault.risk.models import CreditFile

_SCAN = "the early-warning scan reads amounts, dates, field names and consent states of every credit file (system task)"


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in range(day.day, 0, -1):  # 31 May − 3 months = 28/29 February
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def deposit_balances(customer_id: uuid.UUID, currency: str, *, cutoff: dt.datetime) -> tuple[int, int]:
    """(total before ``cutoff``, total now) of the customer's deposit accounts in ``currency``."""
    deposits = list(
        Asset.objects.unrestricted(reason=_SCAN)
        .filter(customer_id=customer_id, kind=Kind.DEPOSIT, currency=currency)
        .values_list("pk", "balance", "status")
    )
    now = sum(balance for _pk, balance, status in deposits if status == Status.OPEN)
    then = 0
    for pk, _balance, _status in deposits:
        last = (
            LedgerEntry.objects.filter(asset_id=pk, created_at__lt=cutoff).order_by("-seq").values_list("balance_after", flat=True).first()
        )
        then += last or 0
    return then, now


def loan_exposure(customer_id: uuid.UUID, currency: str) -> int:
    owed = (
        Asset.objects.unrestricted(reason=_SCAN)
        .filter(customer_id=customer_id, kind=Kind.LOAN, currency=currency, status=Status.OPEN, balance__lt=0)
        .aggregate(total=Sum("balance"))["total"]
    )
    return -int(owed or 0)


def recorded_changes(customer_id: uuid.UUID, *, since: dt.datetime) -> list[I.RecordedChange]:
    events = AuditEvent.objects.filter(event_type="customer.updated", customer_id=customer_id, occurred_at__gte=since, outcome="success")
    return [I.RecordedChange(at, tuple(fields or ())) for at, fields in events.values_list("occurred_at", "fields")]


def last_followup(customer_id: uuid.UUID) -> dt.date | None:
    at = FollowUp.objects.unrestricted(reason=_SCAN).filter(customer_id=customer_id).aggregate(last=Max("occurred_at"))["last"]
    return timezone.localdate(at) if at is not None else None


def consent_states(customer_id: uuid.UUID, purposes: tuple[str, ...]) -> list[I.ConsentState]:
    rows = Consent.objects.unrestricted(reason=_SCAN).filter(customer_id=customer_id, purpose__in=list(purposes))
    return [I.ConsentState(p, a, at) for p, a, at in rows.values_list("purpose", "action", "changed_at")]


def internal_signals(credit_file: CreditFile, cfg: IndicatorSettings, *, exposure: int | None = None) -> list[Signal]:
    """Every ledger- and record-based signal for one file today (``exposure`` from the figures when the caller has them)."""
    now, today = clock.now(), clock.today()
    customer_id, currency = credit_file.customer_id, credit_file.currency
    cutoff = timezone.make_aware(dt.datetime.combine(_months_before(today, cfg.balance_fall_months), dt.time.min))
    then, current = deposit_balances(customer_id, currency, cutoff=cutoff)
    owed = loan_exposure(customer_id, currency) if exposure is None else exposure
    found = [
        I.falling_balances(then, current, as_of=today, currency=currency, cfg=cfg),
        I.contact_changed(recorded_changes(customer_id, since=now - dt.timedelta(days=cfg.contact_change_days)), now=now, cfg=cfg),
        I.contact_decay(last_followup(customer_id), exposure=owed, as_of=today, cfg=cfg),
        *I.consent_withdrawn(consent_states(customer_id, cfg.consent_purposes), cfg),
    ]
    return [s for s in found if s is not None]
