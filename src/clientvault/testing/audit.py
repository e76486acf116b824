"""The audit trail in tests: events at chosen times, denied-access filters, and the standalone proof verifier."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from django.db import transaction

from clientvault.audit import recording, signing
from clientvault.audit.models import AuditEvent
from clientvault.core import clock
from clientvault.core.context import Context


def denials(events: Any) -> list[Any]:
    """The ``access.denied`` events among ``events``: what a refused (404) request leaves (issue #11)."""
    return [e for e in events if e.event_type == "access.denied"]


def not_denials(events: Any) -> list[Any]:
    """The events other than denied accesses: what a refused request must not leave."""
    return [e for e in events if not e.event_type.startswith("access.denied")]


SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "verify_audit_proof.py"


SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def event(
    ctx: Context,
    event_type: str = "customer.viewed",
    *,
    at: dt.datetime | None = None,
    customer_id: uuid.UUID | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    fields: Iterable[str] = ("name",),
) -> AuditEvent:
    """Record one event the way a selector does (its own transaction), at ``at`` if given."""
    with transaction.atomic(), mock.patch.object(clock, "now", return_value=at or clock.now()):
        return recording.record(
            ctx,
            event_type,
            object_type="customers.customer" if customer_id else "test.object",
            object_id=str(customer_id or "x"),
            customer_id=customer_id,
            fields=fields,
            outcome=outcome,
        )


def verifier() -> ModuleType:
    """``scripts/verify_audit_proof.py``, loaded from its file as a third party would run it."""
    spec = importlib.util.spec_from_file_location("verify_audit_proof", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trusted_public_key(document: dict[str, Any]) -> str:
    """The signing public key as the institution publishes it (from the keyset, not from the document)."""
    return base64.b64encode(signing.public_keys()[document["checkpoint"]["key_id"]]).decode()
