"""Credit holds (信用冻结, issue #16): placed by a person or a critical warning (forced) or by a control rule (rule).

- A forced hold needs a reason code and the person's note (sealed under the customer's key); it is never released
  automatically: only an approved ``risk.hold_release`` change request releases it (ARCHITECTURE.md rule 12 — the
  person who placed it or asks for its release does not decide).
- A rule hold is placed by the control evaluation when its rule fires and released by the evaluation when the rule
  no longer fires (nightly, and when a payment arrives). One active rule hold per (file, rule) — the database says so.

Every placement and release bumps the file's version (a pending change request about the file becomes stale) and
records its audit event in the same transaction; the note never enters the audit trail.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CHANGE
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, ValidationFailed
from clientvault.risk import vault
from clientvault.risk.models import CreditFile, CreditHold, HoldKind, HoldStatus

MANUAL = "manual"
NOTE_LENGTH = 1000
_SYSTEM = "credit control and early warning act on every file (system context: no person's sight is widened)"


def _file_for_change(ctx: Context, file_id: uuid.UUID) -> CreditFile:
    """The file, locked, if the person may change it (out of scope == missing == 404); the system reaches every file."""
    qs = CreditFile.objects.unrestricted(reason=_SYSTEM) if ctx.actor is None else CreditFile.objects.visible_to(ctx, CHANGE)
    found = qs.select_for_update().filter(pk=file_id).first()
    if found is None:
        raise NotFound()
    return found


def _bump(credit_file: CreditFile) -> None:
    CreditFile.objects.unrestricted(reason=_SYSTEM).filter(pk=credit_file.pk).update(version=F("version") + 1)
    credit_file.version += 1


def _event(hold: CreditHold, credit_file: CreditFile, placed: bool, **detail: object) -> dict[str, Any]:
    """The audit record's arguments: codes and ids, never the note (only whether one was sealed)."""
    return {
        "obj": hold,
        "customer_id": credit_file.customer_id,
        "fields": ["note"] if placed and hold.note_ct else [],
        "detail": {"kind": hold.kind, "reason_code": hold.reason_code, "credit_file": str(credit_file.pk), **detail},
    }


@transaction.atomic
def place_forced_hold(ctx: Context, *, file_id: uuid.UUID, reason_code: str, note: str, warning_id: uuid.UUID | None = None) -> CreditHold:
    """Place a forced hold. A person must say why (``note``); a critical warning names itself (``warning_id``)."""
    reason_code = (reason_code or "").strip()
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason_code or len(reason_code) > 60:
        errors["reason_code"] = [str(_("Choose the reason for the hold."))]
    if warning_id is None and not note:
        errors["note"] = [str(_("A forced hold needs a note saying why."))]
    if len(note) > NOTE_LENGTH:
        errors["note"] = [str(_("The note may be at most %(limit)d characters.") % {"limit": NOTE_LENGTH})]
    if errors:
        raise ValidationFailed(errors)
    credit_file = _file_for_change(ctx, file_id)
    hold = CreditHold(
        credit_file=credit_file,
        kind=HoldKind.FORCED,
        reason_code=reason_code,
        warning_id=warning_id,
        placed_by=ctx.actor,
        placed_at=clock.now(),
    )
    vault.seal(hold, "note", note, customer_id=credit_file.customer_id)
    hold.save(force_insert=True)
    _bump(credit_file)
    audit.record(ctx, "credit.hold_placed", **_event(hold, credit_file, True, warning=str(warning_id) if warning_id else None))
    return hold


def ensure_rule_hold(ctx: Context, credit_file: CreditFile, rule_code: str) -> CreditHold | None:
    """The control rule's hold on the file: placed now (returned) or already in force (None). Caller's transaction."""
    if (
        CreditHold.objects.unrestricted(reason=_SYSTEM)
        .filter(credit_file=credit_file, kind=HoldKind.RULE, reason_code=rule_code, status=HoldStatus.ACTIVE)
        .exists()
    ):
        return None
    hold = CreditHold(credit_file=credit_file, kind=HoldKind.RULE, reason_code=rule_code, placed_by=ctx.actor, placed_at=clock.now())
    try:
        with transaction.atomic():
            hold.save(force_insert=True)
    except IntegrityError:  # a concurrent evaluation placed it first (credithold_one_active_rule_hold)
        return None
    _bump(credit_file)
    audit.record(ctx, "credit.hold_placed", **_event(hold, credit_file, True))
    return hold


def release_rule_holds(ctx: Context, credit_file: CreditFile, *, still_firing: set[str]) -> list[CreditHold]:
    """Release the file's rule holds whose rule no longer fires (forced holds are never touched). Caller's transaction."""
    released = []
    holds = (
        CreditHold.objects.unrestricted(reason=_SYSTEM)
        .select_for_update()
        .filter(credit_file=credit_file, kind=HoldKind.RULE, status=HoldStatus.ACTIVE)
    )
    for hold in holds.exclude(reason_code__in=sorted(still_firing)):
        hold.status, hold.released_at, hold.released_by = HoldStatus.RELEASED, clock.now(), ctx.actor
        hold.save(update_fields=["status", "released_at", "released_by"])
        audit.record(ctx, "credit.hold_released", **_event(hold, credit_file, False, automatic=True))
        released.append(hold)
    if released:
        _bump(credit_file)
    return released


def release_forced_hold(ctx: Context, *, hold_id: uuid.UUID, request_id: uuid.UUID) -> CreditHold:
    """Release a forced hold on the authority of an approved change request (``risk.hold_release`` calls this from its
    ``apply``, in the approval's transaction; the request is the authority, approvals checked the deciders)."""
    hold = (
        CreditHold.objects.unrestricted(reason="approved hold release: the change request is the authority")
        .select_for_update()
        .select_related("credit_file")
        .filter(pk=hold_id)
        .first()
    )
    if hold is None:
        raise NotFound()
    if hold.status != HoldStatus.ACTIVE:
        raise ValidationFailed({"hold": [str(_("This hold has already been released."))]})
    hold.status, hold.released_at, hold.released_by = HoldStatus.RELEASED, clock.now(), ctx.actor
    hold.release_request_id = request_id
    hold.save(update_fields=["status", "released_at", "released_by", "release_request"])
    _bump(hold.credit_file)
    audit.record(ctx, "credit.hold_released", **_event(hold, hold.credit_file, False, automatic=False, request=str(request_id)))
    return hold


def active_reason_codes(credit_file: CreditFile) -> tuple[tuple[str, ...], bool]:
    """The reason codes of the holds in force and whether one of them is forced (no personal value)."""
    rows = list(
        CreditHold.objects.unrestricted(reason=_SYSTEM)
        .filter(credit_file=credit_file, status=HoldStatus.ACTIVE)
        .values_list("reason_code", "kind")
    )
    return tuple(sorted({code for code, _kind in rows})), any(kind == HoldKind.FORCED for _code, kind in rows)
