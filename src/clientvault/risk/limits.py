"""Limits and payment terms (issue #16, "credit control"); the release of forced holds is ``risk/hold_release.py``.

ARCHITECTURE.md rule 12: a limit change, a lengthening of payment terms and the release of a forced hold are
decided by someone else. The services here validate the proposal and hand it to approvals as a change request
(``risk.limit``, ``risk.terms``, ``risk.hold_release``, registered in ``risk/change_types.py``); the approval rules
(data, seeded by ``risk/migrations/0004_limits_approval_rules.py``) choose the approvers by amount band. When the
last approver decides, approvals calls the ``apply_*`` functions below in its transaction: they lock the file,
compare its version (another change in between → ``Stale``), write, bump the version and record their event.

Shortening payment terms (or confirming the same days) narrows the credit given: it applies at once as a service
call of the risk officer, still recorded ``credit.terms_changed``. Audit details carry codes and ids, never an
amount or a number of days (the values stay in the rows, behind their C2 catalogue keys).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE
from clientvault.approvals import selectors as approval_selectors
from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.approvals.registry import Facts, Pending, Proposal, Stale
from clientvault.assets import credit_hooks
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, ValidationFailed
from clientvault.risk.models import ControlRule, CreditFile, CreditLimit, LimitKind, PaymentTerms

LIMIT, TERMS, HOLD_RELEASE = "risk.limit", "risk.terms", "risk.hold_release"
FILE_TARGET, HOLD_TARGET = "risk.creditfile", "risk.credithold"
MAX_AMOUNT_MINOR = 10**15  # a sanity bound (10 trillion in major units), not a policy
MAX_TERMS_DAYS = 3650
REASON_LENGTH = 500
STALE = _("The credit file changed after the request was made; make the request again.")
APPLY = "approved change request: the request is the authority (approvals checked the deciders and their scope)"


@dataclass(frozen=True)
class TermsOutcome:
    """A payment-terms change: applied at once (``terms``) or waiting for approval (``request``)."""

    terms: PaymentTerms | None = None
    request: ChangeRequest | None = None


# --- Shared -------------------------------------------------------------------------------------------------


def _file_for_change(ctx: Context, file_id: uuid.UUID) -> CreditFile:
    """The file, locked, if the person may change it (out of scope == missing == 404)."""
    found: CreditFile | None = (
        CreditFile.objects.visible_to(ctx, CHANGE).select_for_update().select_related("customer").filter(pk=file_id).first()
    )
    if found is None:
        raise NotFound()
    return found


def _locked_file(file_id: uuid.UUID | str) -> CreditFile:
    found = CreditFile.objects.unrestricted(reason=APPLY).select_for_update().filter(pk=file_id).first()
    if found is None:
        raise NotFound()
    return found


def _bump(credit_file: CreditFile) -> None:
    CreditFile.objects.unrestricted(reason=APPLY).filter(pk=credit_file.pk).update(version=F("version") + 1)
    credit_file.version += 1


def file_fingerprint(target_id: str) -> str:
    """The file's version, read under a row lock (approvals compares it before ``apply``)."""
    try:
        return str(_locked_file(uuid.UUID(str(target_id))).version)
    except (ValueError, NotFound):
        return "missing"


def facts(credit_file: CreditFile, amount_minor: int | None = None) -> Facts:
    """What the approval rules match on: the legal entity, the amount in the base currency, the file's tier."""
    return Facts(
        legal_entity_id=credit_file.legal_entity_id,
        department_id=credit_file.customer.department_id,
        amount_minor=None if amount_minor is None else _in_base(amount_minor, credit_file.currency),
        currency=credit_file.currency,
        customer_class="C2",  # credit data is JR/T 0171 C2 (RULES.md §10)
        risk=credit_file.tier,
    )


def _in_base(amount_minor: int, currency: str) -> int:
    base = str(settings.CLIENTVAULT_BASE_CURRENCY)
    if not currency or currency == base:
        return amount_minor
    from clientvault.assets import fx

    return fx.rate(currency, base, clock.today()).convert(amount_minor)


def clean_reason(reason: str, errors: dict[str, list[Any]]) -> str:
    text = " ".join((reason or "").split())
    if not text:
        errors["reason"] = [_("Say why the change is needed.")]
    elif len(text) > REASON_LENGTH:
        errors["reason"] = [_("The reason may be at most %(limit)d characters.") % {"limit": REASON_LENGTH}]
    return text


def existing_request(ctx: Context, target_type: str, target_id: str, field_key: str, values: Mapping[str, Any]) -> ChangeRequest | None:
    """An open request for the same target and change: the maker's own with the same values is answered again (a
    resubmitted form); anything else — other values, or someone else's request — is a 409 (withdraw it first)."""
    from clientvault.approvals import routing

    for found in approval_selectors.open_for(target_type, target_id):
        if found.field_key != field_key:
            continue
        if found.maker_id == ctx.actor_id:
            request = ChangeRequest.objects.unrestricted(reason="the maker's own open request, compared with the resubmission")
            mine = request.get(pk=found.id)
            if routing.unseal(mine, "values") == dict(values):
                return mine
        raise Conflict(approvals.ALREADY_WAITING, code="already_waiting")
    return None


def current_limit(credit_file: CreditFile) -> CreditLimit | None:
    """The permanent limit in force (not ended), or None."""
    rows = CreditLimit.objects.unrestricted(reason="the limit in force, for a caller who reached the file")
    return rows.filter(credit_file=credit_file, kind=LimitKind.PERMANENT, ended_at__isnull=True).order_by("-created_at").first()


# --- Limits ---------------------------------------------------------------------------------------------------


def _clean_limit(
    kind: str, amount_minor: Any, valid_from: dt.date | None, valid_until: dt.date | None, reason: str
) -> tuple[int, dt.date, str]:
    errors: dict[str, list[Any]] = {}
    if kind not in LimitKind.values:
        errors["kind"] = [_("Choose a permanent or a temporary limit.")]
    amount = -1
    try:
        amount = int(amount_minor)
        if isinstance(amount_minor, bool) or amount < 0 or amount > MAX_AMOUNT_MINOR:
            raise ValueError
    except (TypeError, ValueError):
        errors["amount_minor"] = [_("Enter an amount of zero or more.")]
    start = valid_from or clock.today()
    if kind == LimitKind.TEMPORARY and valid_until is None:
        errors["valid_until"] = [_("A temporary limit needs an end date.")]
    elif kind == LimitKind.PERMANENT and valid_until is not None:
        errors["valid_until"] = [_("A permanent limit has no end date.")]
    elif valid_until is not None and valid_until < start:
        errors["valid_until"] = [_("The end date cannot be before the start date.")]
    text = clean_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    return amount, start, text


def propose_limit(
    ctx: Context,
    *,
    file_id: uuid.UUID,
    kind: str,
    amount_minor: int,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    reason: str,
) -> ChangeRequest:
    """Propose a permanent limit or a temporary one: always a change request (maker ≠ checker, amount bands)."""
    amount, start, text = _clean_limit(kind, amount_minor, valid_from, valid_until, reason)
    with transaction.atomic():
        credit_file = _file_for_change(ctx, file_id)
        field_key = f"limit:{kind}"  # one open change per file and kind; the first applied makes the other stale
        values = {
            "kind": kind,
            "amount": amount,
            "currency": credit_file.currency,
            "valid_from": start.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            "version": credit_file.version,
        }
        existing = existing_request(ctx, FILE_TARGET, str(credit_file.pk), field_key, values)
        if existing is not None:
            return existing
        before = current_limit(credit_file)
        proposal = Proposal(
            change_type=LIMIT,
            target_type=FILE_TARGET,
            target_id=str(credit_file.pk),
            field_key=field_key,
            subject_id=credit_file.customer_id,
            values=values,
            before={"amount": before.amount if before else None, "currency": credit_file.currency},
            fingerprint=str(credit_file.version),
            facts=facts(credit_file, amount),
            summary=f"credit limit ({kind})",  # no amount: the summary is not masked
            fields=("creditlimit.amount",),
        )
        return approvals.submit(ctx, proposal, reason=text)


def apply_limit(ctx: Context, pending: Pending) -> None:
    """Write the approved limit: end the permanent limit before it, insert the new one with its approval."""
    values = pending.values
    credit_file = _locked_file(pending.target_id)
    if str(credit_file.version) != str(values.get("version")):
        raise Stale(STALE)
    now = clock.now()
    kind = str(values["kind"])
    if kind == LimitKind.PERMANENT:
        CreditLimit.objects.unrestricted(reason=APPLY).filter(
            credit_file=credit_file, kind=LimitKind.PERMANENT, ended_at__isnull=True
        ).update(ended_at=now)
    limit = CreditLimit(
        credit_file=credit_file,
        kind=kind,
        amount=int(values["amount"]),
        valid_from=dt.date.fromisoformat(str(values["valid_from"])),
        valid_until=dt.date.fromisoformat(str(values["valid_until"])) if values.get("valid_until") else None,
        approval_id=pending.id,
        created_by_id=pending.maker_id,
        created_at=now,
    )
    replaced, kept = _replace_temporaries(credit_file, limit, now) if kind == LimitKind.TEMPORARY else ([], [])
    limit.save(force_insert=True)
    _bump(credit_file)
    audit.record(
        ctx,
        "credit.limit_set",
        obj=limit,
        customer_id=credit_file.customer_id,
        fields=["amount"],
        detail={"kind": kind, "credit_file": str(credit_file.pk), "request": str(pending.id), "replaced": replaced, "kept": kept},
    )


def _replace_temporaries(credit_file: CreditFile, new: CreditLimit, now: dt.datetime) -> tuple[list[str], list[str]]:
    """A new temporary limit replaces the temporary limits in force for the days it covers (the engine takes the highest
    valid temporary limit, so an older, higher one would otherwise outlive a lower decision on those days). Each
    overlapping limit is ended (``ended_at``; the table is append-only, no validity is rewritten) and the days it still
    covered outside the new one's validity — before it, after it, or both — are kept as new rows with the old amount
    and the old approval. Returns the ids of the limits ended and of the rows that keep their other days."""
    assert new.valid_until is not None  # a temporary limit has an end (database constraint)
    overlapping = CreditLimit.objects.unrestricted(reason=APPLY).filter(
        credit_file=credit_file, kind=LimitKind.TEMPORARY, ended_at__isnull=True, valid_from__lte=new.valid_until,
        valid_until__gte=new.valid_from,
    )  # fmt: skip
    replaced: list[str] = []
    kept_ids: list[str] = []
    day = dt.timedelta(days=1)
    for old in overlapping.select_for_update().order_by("valid_from", "created_at"):
        assert old.valid_until is not None
        old.ended_at = now
        old.save(update_fields=["ended_at"])
        kept = []
        if old.valid_from < new.valid_from:
            kept.append((old.valid_from, new.valid_from - day))
        if old.valid_until > new.valid_until:
            kept.append((new.valid_until + day, old.valid_until))
        for start, until in kept:
            row = CreditLimit(
                credit_file=credit_file, kind=LimitKind.TEMPORARY, amount=old.amount, valid_from=start, valid_until=until,
                approval_id=old.approval_id, created_by_id=old.created_by_id, created_at=now,
            )  # fmt: skip
            row.save(force_insert=True)
            kept_ids.append(str(row.pk))
        replaced.append(str(old.pk))
    return replaced, kept_ids


# --- Payment terms ------------------------------------------------------------------------------------------------


def _write_terms(ctx: Context, credit_file: CreditFile, days: int, *, request_id: uuid.UUID | None, maker_id: int | None) -> PaymentTerms:
    before = credit_file.terms_days
    terms = PaymentTerms(
        credit_file=credit_file,
        days=days,
        valid_from=clock.today(),
        approval_id=request_id,
        created_by_id=maker_id,
        created_at=clock.now(),
    )
    terms.save(force_insert=True)
    CreditFile.objects.unrestricted(reason=APPLY).filter(pk=credit_file.pk).update(terms_days=days, version=F("version") + 1)
    credit_file.terms_days, credit_file.version = days, credit_file.version + 1
    direction = "longer" if days > before else "shorter" if days < before else "same"
    audit.record(
        ctx,
        "credit.terms_changed",
        obj=terms,
        customer_id=credit_file.customer_id,
        fields=["days"],
        detail={"direction": direction, "credit_file": str(credit_file.pk), "request": str(request_id) if request_id else None},
    )
    return terms


def _check_terms(credit_file: CreditFile, days: int) -> None:
    """Refuse longer terms a blocking control rule forbids at the terms-change checkpoint (``CreditBlocked``, 409, the
    fired rule codes): a hold in force, terms beyond the tier's maximum. Nothing is proposed then."""
    from clientvault.assets.credit_hooks import CreditBlocked
    from clientvault.risk import control, features

    figures = features.figures_for(credit_file, clock.today())
    rules = list(ControlRule.objects.filter(active=True))
    outcome = control.evaluate(figures, rules, control.TERMS_CHANGE, proposed=days)
    if outcome.blocked:
        raise CreditBlocked(outcome.blocks, checkpoint=control.TERMS_CHANGE, customer_id=credit_file.customer_id)


@credit_hooks.records_refusal  # a refusal at the terms-change checkpoint leaves credit.checkpoint_blocked
def change_terms(ctx: Context, *, file_id: uuid.UUID, days: int, reason: str) -> TermsOutcome:
    """Change the payment terms (账期): shorter or equal applies at once; longer waits for approval."""
    errors: dict[str, list[Any]] = {}
    try:
        number = int(days)
        if isinstance(days, bool) or number < 0 or number > MAX_TERMS_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        number = -1
        errors["days"] = [_("Enter a number of days from 0 to %(limit)d.") % {"limit": MAX_TERMS_DAYS}]
    text = clean_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        credit_file = _file_for_change(ctx, file_id)
        if number <= credit_file.terms_days:
            assert ctx.actor is not None  # _file_for_change reached the file: a person with a policy
            return TermsOutcome(terms=_write_terms(ctx, credit_file, number, request_id=None, maker_id=ctx.actor_id))
        _check_terms(credit_file, number)  # the control rules acting at a payment-terms change (hold, tier maximum)
        field_key = "terms"
        values = {"days": number, "version": credit_file.version}
        existing = existing_request(ctx, FILE_TARGET, str(credit_file.pk), field_key, values)
        if existing is not None:
            return TermsOutcome(request=existing)
        proposal = Proposal(
            change_type=TERMS,
            target_type=FILE_TARGET,
            target_id=str(credit_file.pk),
            field_key=field_key,
            subject_id=credit_file.customer_id,
            values=values,
            before={"days": credit_file.terms_days},
            fingerprint=str(credit_file.version),
            facts=facts(credit_file),
            summary="payment terms lengthened",
            fields=("paymentterms.days",),
        )
        return TermsOutcome(request=approvals.submit(ctx, proposal, reason=text))


def apply_terms(ctx: Context, pending: Pending) -> None:
    """Write the approved lengthening of the payment terms."""
    credit_file = _locked_file(pending.target_id)
    if str(credit_file.version) != str(pending.values.get("version")):
        raise Stale(STALE)
    _write_terms(ctx, credit_file, int(pending.values["days"]), request_id=pending.id, maker_id=pending.maker_id)


# --- What the forms need (no personal value) ---------------------------------------------------------------------------


def file_currency(ctx: Context, file_id: uuid.UUID) -> str:
    """The currency of a file the person may change (404 otherwise): the limit form's unit."""
    found: str | None = CreditFile.objects.visible_to(ctx, CHANGE).filter(pk=file_id).values_list("currency", flat=True).first()
    if found is None:
        raise NotFound()
    return found
