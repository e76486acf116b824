"""External early-warning indicators (issue #16): 天眼查 / 企查查 records about organisation customers.

PIPL-23: a natural person's name is never sent to a provider — only ORGANISATION customers are looked up, and
their credit code (USCC) and name are decrypted for the call only (never stored, logged or audited as values).
Unconfigured connectors send nothing: the job records that it skipped. A provider's error is recorded for the
customer (``credit.external_check`` with the error codes) and the job goes on to the next one.

Each :class:`~risk.connectors.indicators.Indicator` becomes a :class:`~risk.indicators.Signal`: the kind and
severity as the connector decided them (severities are the connectors' settings), the reference a SHA-256 digest
of the kind and the provider's normalised case id (the same case from either provider is one fact, and the
reference is never personal); the case id itself and the summary codes go into the sealed evidence.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.core.errors import DomainError
from clientvault.crypto import keystore
from clientvault.customers import vault as customer_vault
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer
from clientvault.risk import warnings
from clientvault.risk.connectors import registry
from clientvault.risk.connectors.base import Connector
from clientvault.risk.connectors.indicators import Indicator
from clientvault.risk.indicators import Signal
from clientvault.risk.models import CreditFile

log = logging.getLogger(__name__)

_SCAN = "the external scan looks up organisation customers' credit files for every legal entity (system task)"
_LOOKUP = "the external scan decrypts an organisation's credit code and name for the provider call only (PIPL-23)"


def reference_of(indicator: Indicator) -> str:
    """The warning's reference: a digest of the kind and the provider's case id (never the id itself)."""
    return hashlib.sha256(f"{indicator.kind}|{indicator.reference}".encode()).hexdigest()


def to_signal(indicator: Indicator) -> Signal:
    return Signal(
        kind=str(indicator.kind),
        severity=str(indicator.severity),
        reference=reference_of(indicator),
        evidence={
            "provider": indicator.source,
            "case_reference": indicator.reference,
            "occurred_on": indicator.occurred_on.isoformat() if indicator.occurred_on else None,
            "summary_codes": list(indicator.summary_codes),
            "record_digest": indicator.record_digest,
        },
        source=indicator.source,
    )


@dataclass
class ScanOutcome:
    skipped: bool = False  # no connector configured: nothing was sent anywhere
    checked: int = 0
    raised: int = 0
    failed: dict[uuid.UUID, list[str]] = field(default_factory=dict)  # customer id → error codes


def _identifiers(customer_id: uuid.UUID) -> tuple[str | None, str | None] | None:
    """The organisation's credit code and name, decrypted for the call only; None for anyone else (PIPL-23)."""
    customer = (
        Customer.objects.unrestricted(reason=_LOOKUP).filter(pk=customer_id, kind=Kind.ORGANISATION, restricted_at__isnull=True).first()
    )
    if customer is None:
        return None
    try:
        values = customer_vault.unseal(customer, ("uscc", "name"))
    except keystore.KeyDestroyed:
        return None
    return (values.get("uscc") or None), (values.get("name") or None)


@transaction.atomic
def _record(ctx: Context, file_id: uuid.UUID, customer_id: uuid.UUID, signals: list[Signal], detail: dict[str, object], ok: bool) -> int:
    raised = warnings.raise_warnings(ctx, file_id, signals) if signals else []
    audit.record(
        ctx,
        "credit.external_check",
        object_type="risk.creditfile",
        object_id=str(file_id),
        customer_id=customer_id,
        fields=["uscc", "name"] if detail.get("sent") else [],
        outcome="success" if ok else "failed",
        detail={**detail, "raised": len(raised)},
    )
    return len(raised)


def check_customer(ctx: Context, file_id: uuid.UUID, customer_id: uuid.UUID, connectors: Sequence[Connector]) -> tuple[int, list[str]]:
    """Ask the providers about one organisation and raise its warnings; returns (raised, error codes)."""
    identifiers = _identifiers(customer_id)
    if identifiers is None:
        return 0, []
    uscc, name = identifiers
    try:
        outcome = registry.collect_indicators(uscc, name, connectors=connectors)
    except DomainError as exc:  # identifiers the providers cannot take (nothing was sent)
        _record(ctx, file_id, customer_id, [], {"sent": False, "error_codes": [exc.code]}, ok=False)
        return 0, [exc.code]
    codes = sorted({exc.code for exc in outcome.failures.values()})
    detail: dict[str, object] = {
        "sent": True,
        "sources": sorted(outcome.succeeded),
        "failed_sources": sorted(outcome.failures),
        "error_codes": codes,
        "indicators": len(outcome.indicators),
    }
    signals = [to_signal(i) for i in outcome.indicators]
    return _record(ctx, file_id, customer_id, signals, detail, ok=bool(outcome.succeeded)), codes


def scan(ctx: Context, *, connectors: Sequence[Connector] | None = None) -> ScanOutcome:
    """The daily external scan: every organisation's credit file, each in its own transaction."""
    clients = registry.configured_connectors() if connectors is None else list(connectors)
    if not clients:
        with transaction.atomic():
            audit.record(ctx, "credit.external_check", object_type="risk.creditfile", detail={"skipped": True, "reason": "not_configured"})
        return ScanOutcome(skipped=True)
    result = ScanOutcome()
    files = (
        CreditFile.objects.unrestricted(reason=_SCAN)
        # PIPL-47: a restricted record is stored only — not processed, so not sent anywhere either.
        .filter(
            customer__kind=Kind.ORGANISATION,
            customer__erased_at__isnull=True,
            customer__restricted_at__isnull=True,
            customer__merged_into__isnull=True,
        )
        .order_by("id")
        .values_list("pk", "customer_id")
    )
    for file_id, customer_id in list(files):
        try:
            raised, codes = check_customer(ctx, file_id, customer_id, clients)
        except Exception:  # one customer's failure must not stop the scan; its transaction rolled back
            log.exception("external check of credit file %s failed", file_id)
            raised, codes = 0, ["internal_error"]
        result.checked += 1
        result.raised += raised
        if codes:
            result.failed[customer_id] = codes
    return result
