"""Early warnings (风险预警, issue #16): raised from signals, acknowledged and closed by risk officers.

- ``raise_warnings`` turns :class:`risk.indicators.Signal` values into ``EarlyWarning`` rows: one per fact (the
  database says so: ``earlywarning_fact_once`` on (file, kind, reference)), so a fact found again — by the next
  scan, or by a scan re-run after a crash — is not a new warning. The evidence is sealed under the customer's key
  (ARCHITECTURE.md rule 6); the audit event names the kind and severity, never a value. A CRITICAL warning places a
  forced hold (never released automatically: ``risk.holds``) and opens a review task due in N working days.
- ``acknowledge`` and ``close`` are a risk officer's (the ``risk_desk`` capability to change, and the file's
  ``credit`` change grant for the declared purpose). Their note is the person's words: it is sealed with the
  evidence (``notes``), never written to the audit trail.

The read side (the queue, one warning with its evidence) is ``risk.warning_selectors``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clientvault.access import engine
from clientvault.access.policies import CHANGE, VIEW
from clientvault.audit import recording as audit
from clientvault.calendars.arithmetic import CalendarNotCovered, add_working_days
from clientvault.core import capabilities, clock
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.text import clean_text
from clientvault.risk import holds, indicators, vault, warning_facts
from clientvault.risk.indicators import CRITICAL, SEVERITIES, IndicatorSettings, Signal
from clientvault.risk.models import CreditFile, CreditReview, EarlyWarning, ReviewKind, WarningSource, WarningStatus

log = logging.getLogger(__name__)

NOTE_LENGTH = 1000
_SYSTEM = "early warning scans every credit file (system context: no person's sight is widened)"
_LOCK = "the warning was found through the actor's sight first; this locks it by id"


def _file(ctx: Context, file_id: uuid.UUID) -> CreditFile:
    """The file, if the person may change it (out of scope == missing == 404); the system reaches every file."""
    qs = CreditFile.objects.unrestricted(reason=_SYSTEM) if ctx.actor is None else CreditFile.objects.visible_to(ctx, CHANGE)
    found = qs.filter(pk=file_id).first()
    if found is None:
        raise NotFound()
    return found


def _check(signal: Signal) -> None:
    """A signal is code's output, not a person's input: a malformed one is a programming error."""
    if not signal.kind or len(signal.kind) > 40 or signal.severity not in SEVERITIES:
        raise ValueError(f"malformed signal kind={signal.kind!r} severity={signal.severity!r}")
    if not signal.reference or len(signal.reference) > 80 or signal.source not in WarningSource.values:
        raise ValueError(f"malformed signal reference or source for kind {signal.kind!r}")


def _weekdays_after(start: dt.date, n: int) -> dt.date:
    day, added = start, 0
    while added < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


def _open_review(ctx: Context, credit_file: CreditFile, warning: EarlyWarning, cfg: IndicatorSettings) -> CreditReview:
    """A review task for a critical warning, due in N working days (the working-day calendar; where it does not
    cover the year yet, Monday to Friday — a review must not wait for the calendar, and the event says so)."""
    today = clock.today()
    try:
        due, calendar = add_working_days(today, cfg.review_due_working_days), True
    except CalendarNotCovered:
        due, calendar = _weekdays_after(today, cfg.review_due_working_days), False
    review = CreditReview(credit_file=credit_file, kind=ReviewKind.WARNING, due_on=due, warning=warning, opened_at=clock.now())
    review.save(force_insert=True)
    audit.record(
        ctx,
        "credit.warning_review_opened",
        obj=review,
        customer_id=credit_file.customer_id,
        detail={"warning": str(warning.pk), "credit_file": str(credit_file.pk), "working_day_calendar": calendar},
    )
    return review


@transaction.atomic
def raise_warnings(ctx: Context, file_id: uuid.UUID, signals: Iterable[Signal]) -> list[EarlyWarning]:
    """Raise one warning per new fact among ``signals`` (facts already warned of are skipped); returns the new ones."""
    signals = list(signals)
    for signal in signals:
        _check(signal)
    credit_file = _file(ctx, file_id)
    cfg = indicators.configured()
    known = set(EarlyWarning.objects.unrestricted(reason=_SYSTEM).filter(credit_file=credit_file).values_list("kind", "reference"))
    raised: list[EarlyWarning] = []
    for signal in signals:
        if (signal.kind, signal.reference) in known:
            continue
        known.add((signal.kind, signal.reference))
        warning = EarlyWarning(
            credit_file=credit_file,
            kind=signal.kind,
            source=signal.source,
            severity=signal.severity,
            reference=signal.reference,
            detected_at=clock.now(),
        )
        vault.seal(warning, "evidence", {"facts": signal.evidence, "notes": []}, customer_id=credit_file.customer_id)
        try:
            with transaction.atomic():
                warning.save(force_insert=True)
        except IntegrityError:  # a concurrent scan raised the same fact first (earlywarning_fact_once)
            continue
        audit.record(
            ctx,
            "credit.warning_raised",
            obj=warning,
            customer_id=credit_file.customer_id,
            fields=["evidence"],
            detail={"kind": signal.kind, "severity": signal.severity, "source": signal.source, "credit_file": str(credit_file.pk)},
        )
        if signal.severity == CRITICAL:
            holds.place_forced_hold(ctx, file_id=credit_file.pk, reason_code=signal.kind, note="", warning_id=warning.pk)
            _open_review(ctx, credit_file, warning, cfg)
        raised.append(warning)
    return raised


@dataclass
class ScanResult:
    files: int = 0
    raised: int = 0
    failed: int = 0


def scan_internal(ctx: Context) -> ScanResult:
    """The daily internal scan: each file's ledger and record signals raised in the file's own transaction, so a
    crash loses at most the file at hand, and a re-run raises only what is new (one warning per fact)."""
    cfg = indicators.configured()
    result = ScanResult()
    files = CreditFile.objects.unrestricted(reason=_SYSTEM).filter(  # PIPL-47: restricted records are stored only
        customer__erased_at__isnull=True, customer__restricted_at__isnull=True, customer__merged_into__isnull=True
    )
    for file_id in list(files.order_by("id").values_list("pk", flat=True)):
        result.files += 1
        try:
            with transaction.atomic():
                credit_file = CreditFile.objects.unrestricted(reason=_SYSTEM).get(pk=file_id)
                result.raised += len(raise_warnings(ctx, file_id, warning_facts.internal_signals(credit_file, cfg)))
        except Exception:  # one file's failure must not stop the scan; its transaction rolled back
            log.exception("early-warning scan of credit file %s failed", file_id)
            result.failed += 1
    return result


def require_desk(ctx: Context, action: str) -> None:
    engine.require_purpose(ctx)
    if not capabilities.allows(ctx.roles, capabilities.RISK_DESK, action) or not engine.can(ctx, capabilities.CREDIT, action):
        raise PermissionDenied()


def _clean_note(note: str | None, *, required: bool) -> str:
    text = clean_text(note or "").strip()
    if required and not text:
        raise ValidationFailed({"note": [str(_("Say why the warning is closed."))]})
    if len(text) > NOTE_LENGTH:
        raise ValidationFailed({"note": [str(_("The note may be at most %(limit)d characters.") % {"limit": NOTE_LENGTH})]})
    return text


def _locked(ctx: Context, warning_id: uuid.UUID) -> EarlyWarning:
    """The warning, locked, if the actor may change it: 404 out of sight, 403 seen but not changeable."""
    if not EarlyWarning.objects.visible_to(ctx, CHANGE).filter(pk=warning_id).exists():
        if EarlyWarning.objects.visible_to(ctx, VIEW).filter(pk=warning_id).exists():
            raise PermissionDenied()
        raise NotFound()
    return EarlyWarning.objects.unrestricted(reason=_LOCK).select_for_update().select_related("credit_file").get(pk=warning_id)


_FROM: dict[str, set[str]] = {
    WarningStatus.ACKNOWLEDGED: {WarningStatus.OPEN},
    WarningStatus.CLOSED: {WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED},
}


def _handle(ctx: Context, warning_id: uuid.UUID, note: str | None, *, to: str, event: str) -> EarlyWarning:
    require_desk(ctx, CHANGE)
    text = _clean_note(note, required=to == WarningStatus.CLOSED)
    warning = _locked(ctx, warning_id)
    if warning.status not in _FROM[to]:
        raise Conflict(
            _("This warning has already been handled.") if to == WarningStatus.ACKNOWLEDGED else _("This warning is already closed.")
        )
    customer_id = warning.credit_file.customer_id
    sealed_note = False
    if text:
        evidence: Any = vault.open_json(warning, "evidence", customer_id=customer_id)
        if evidence is None:  # the customer's key was destroyed: nothing personal may be written for them any more
            raise Conflict(_("This customer's data has been erased: the note cannot be kept."))
        by = ctx.actor.pk if ctx.actor else None
        evidence.setdefault("notes", []).append({"status": to, "at": clock.now().isoformat(), "by": by, "note": text})
        vault.seal(warning, "evidence", evidence, customer_id=customer_id)
        sealed_note = True
    before = warning.status
    warning.status, warning.handled_by, warning.handled_at = to, ctx.actor, clock.now()
    warning.save(update_fields=["status", "handled_by", "handled_at", "evidence_ct"])
    audit.record(
        ctx,
        event,
        obj=warning,
        customer_id=customer_id,
        fields=["evidence"] if sealed_note else [],
        detail={"kind": warning.kind, "severity": warning.severity, "from_status": before, "credit_file": str(warning.credit_file_id)},
    )
    return warning


@transaction.atomic
def acknowledge(ctx: Context, warning_id: uuid.UUID, note: str | None = "") -> EarlyWarning:
    """Acknowledge an open warning (a risk officer has seen it and is acting); the note is optional."""
    return _handle(ctx, warning_id, note, to=WarningStatus.ACKNOWLEDGED, event="credit.warning_acknowledged")


@transaction.atomic
def close(ctx: Context, warning_id: uuid.UUID, note: str | None) -> EarlyWarning:
    """Close an open or acknowledged warning, saying why (a forced hold it placed stays until released by approval)."""
    return _handle(ctx, warning_id, note, to=WarningStatus.CLOSED, event="credit.warning_closed")
