"""The posting core: one movement → locked assets, checked legs, entries, then their journal (issue #13).

Every service in ``assets/services.py`` (and the approval's apply) posts through ``post``; it knows nothing
of actors' sight, approvals or audit (the services do that) so the random-operations test and the benchmark
exercise exactly this code. The steps:

1. lock the involved assets in sorted id order (``SELECT … ORDER BY id FOR UPDATE``): two transfers in
   opposite directions between the same accounts queue, they never deadlock;
2. look the idempotency key up *after* the locks: a retry of a committed movement finds its journal and
   gets it back (the same movement) or a ``Conflict`` (a different one);
3. compute each entry from the locked rows and refuse what would break an invariant (domain errors); the
   database refuses the same things again (``assets/triggers.py``, the models' CHECK constraints);
4. insert the entries in one statement, then the journal (its trigger checks the sum per currency and count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from clientvault.assets.models import Asset, EntryKind, Journal, LedgerEntry, Status
from clientvault.core import clock
from clientvault.core.errors import Conflict, NotFound, ValidationFailed

LOCK_REASON = "ledger posting: the calling service checked the actor's sight of the assets"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    default_message = _("The available balance is not enough (pledged funds cannot be moved).")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = _("This request key was already used for a different movement.")


@dataclass(frozen=True)
class Leg:
    """One asset's part of a movement: its balance moves by ``amount``, its pledged part by ``pledged_delta``."""

    asset_id: uuid.UUID
    kind: str
    amount: int = 0
    pledged_delta: int = 0


@dataclass(frozen=True)
class Movement:
    kind: str  # JournalKind
    legs: tuple[Leg, ...]
    rate: Decimal | None = None
    rate_date: dt.date | None = None
    extra: tuple[tuple[str, str], ...] = ()  # what else identifies the request (e.g. the new terms' hash)

    def fingerprint(self) -> str:
        """The movement's identity for idempotency: same key + same fingerprint = the same request."""
        doc = {
            "kind": self.kind,
            "legs": [[str(leg.asset_id), leg.kind, leg.amount, leg.pledged_delta] for leg in self.legs],
            "rate": str(self.rate) if self.rate is not None else None,
            "rate_date": self.rate_date.isoformat() if self.rate_date else None,
            "extra": [list(x) for x in self.extra],
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Posting:
    journal: Journal
    entries: list[LedgerEntry]
    assets: dict[uuid.UUID, Asset]
    replayed: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def lock(asset_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Asset]:
    """Lock the assets in sorted id order (the one order every posting uses: no deadlock); NotFound if any is missing."""
    ids = sorted(set(asset_ids))
    rows = list(Asset.objects.unrestricted(reason=LOCK_REASON).select_for_update().filter(pk__in=ids).order_by("pk"))
    found = {a.pk: a for a in rows}
    if len(found) != len(ids):
        raise NotFound()
    return found


def replay_of(idempotency_key: str, fingerprint: str) -> Journal | None:
    """The journal a committed request with this key wrote; a different movement under the key is refused."""
    journal = Journal.objects.filter(idempotency_key=idempotency_key).first()
    if journal is None:
        return None
    if journal.fingerprint != fingerprint:
        raise IdempotencyConflict()
    return journal


def check_leg(asset: Asset, leg: Leg) -> tuple[int, int]:
    """The balance and pledged amount after ``leg``, or the domain error the database would also raise."""
    if asset.status != Status.OPEN:
        raise Conflict(_("The asset is closed."), code="asset_closed")
    balance = asset.balance + leg.amount
    pledged = asset.pledged + leg.pledged_delta
    if pledged < 0:
        raise Conflict(_("More would be released than is pledged."), code="release_exceeds_pledge")
    if leg.pledged_delta > 0 and pledged > balance:
        raise InsufficientFunds(_("Only the available balance can be pledged."))
    if balance < 0 and not asset.allow_negative:
        raise InsufficientFunds()
    if pledged > 0 and pledged > balance:
        raise InsufficientFunds()
    if leg.kind == EntryKind.CLOSE and (balance != 0 or pledged != 0):
        raise Conflict(_("Only an empty asset with nothing pledged can be closed."), code="asset_not_empty")
    return balance, pledged


def _check_sums(movement: Movement, assets: Mapping[uuid.UUID, Asset]) -> None:
    sums: dict[str, int] = {}
    seen: set[uuid.UUID] = set()
    for leg in movement.legs:
        if leg.asset_id in seen:
            raise ValidationFailed({"legs": [_("A movement moves each asset once.")]})
        seen.add(leg.asset_id)
        currency = assets[leg.asset_id].currency
        sums[currency] = sums.get(currency, 0) + leg.amount
    if any(sums.values()):
        raise ValidationFailed({"legs": [_("A movement must balance in every currency.")]})


def post(
    movement: Movement,
    *,
    idempotency_key: str,
    operator_id: int | None,
    purpose: str,
    approval_id: uuid.UUID | None = None,
    locked: Mapping[uuid.UUID, Asset] | None = None,
    now: dt.datetime | None = None,
    fingerprint: str | None = None,
    replay_checked: bool = False,
) -> Posting:
    """Post ``movement`` in the caller's transaction (see the module doc). ``locked``: assets the caller
    already locked with ``lock`` (their in-memory values are moved along with the database rows);
    ``fingerprint``: the request's identity when it is not the legs (an opening); ``replay_checked``: the caller
    already looked the key up under the same locks."""
    if not movement.legs:
        raise ValidationFailed({"legs": [_("A movement needs at least one line.")]})
    if not idempotency_key or len(idempotency_key) > 100:
        raise ValidationFailed({"idempotency_key": [_("Give a request key of 1 to 100 characters.")]})
    ids = {leg.asset_id for leg in movement.legs}
    assets = dict(locked) if locked is not None and ids <= set(locked) else lock(ids)
    fingerprint = fingerprint or movement.fingerprint()
    previous = None if replay_checked else replay_of(idempotency_key, fingerprint)
    if previous is not None:
        return Posting(previous, list(previous.entries.order_by("id")), assets, replayed=True)
    _check_sums(movement, assets)
    when = now or clock.now()
    journal = Journal(
        kind=movement.kind,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        operator_id=operator_id,
        purpose=purpose,
        approval_id=approval_id,
        entry_count=len(movement.legs),
        rate=movement.rate,
        rate_date=movement.rate_date,
        created_at=when,
    )
    entries: list[LedgerEntry] = []
    after: list[tuple[Asset, int, int]] = []
    for leg in movement.legs:
        asset = assets[leg.asset_id]
        balance, pledged = check_leg(asset, leg)
        entries.append(
            LedgerEntry(
                journal_id=journal.pk,
                asset_id=asset.pk,
                seq=asset.version + 1,
                kind=leg.kind,
                amount=leg.amount,
                pledged_delta=leg.pledged_delta,
                balance_before=asset.balance,
                balance_after=balance,
                pledged_before=asset.pledged,
                pledged_after=pledged,
                currency=asset.currency,
                operator_id=operator_id,
                purpose=purpose,
                approval_id=approval_id,
                created_at=when,
            )
        )
        after.append((asset, balance, pledged))
    LedgerEntry.objects.bulk_create(entries)
    journal.save(force_insert=True)
    for asset, balance, pledged in after:  # the trigger moved the rows; keep the locked objects in step
        asset.balance, asset.pledged, asset.version = balance, pledged, asset.version + 1
        if any(leg.asset_id == asset.pk and leg.kind == EntryKind.CLOSE for leg in movement.legs):
            asset.status = Status.CLOSED
    return Posting(journal, entries, assets)


def rebuild_balances(asset_ids: Sequence[uuid.UUID] | None = None) -> dict[uuid.UUID, tuple[int, int, int]]:
    """Replay the entries: asset id → (balance, pledged, version) from the ledger alone.

    Raises ``ValueError`` when an asset's chain is broken (a gap in seq, or an entry whose balance_before
    is not the previous balance_after) — which the triggers make impossible.
    """
    entries = LedgerEntry.objects.order_by("asset_id", "seq")
    if asset_ids is not None:
        entries = entries.filter(asset_id__in=list(asset_ids))
    out: dict[uuid.UUID, tuple[int, int, int]] = {}
    for asset_id, seq, amount, delta, before, pledged_before in entries.values_list(
        "asset_id", "seq", "amount", "pledged_delta", "balance_before", "pledged_before"
    ).iterator(chunk_size=5000):
        balance, pledged, version = out.get(asset_id, (0, 0, 0))
        if seq != version + 1 or before != balance or pledged_before != pledged:
            raise ValueError(f"ledger chain broken at asset {asset_id} seq {seq}")
        out[asset_id] = (balance + amount, pledged + delta, seq)
    return out
