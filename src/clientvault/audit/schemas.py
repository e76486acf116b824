"""API shapes of the audit trail: events, pages of events, inclusion proofs, evidence packs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from clientvault.audit.evidence import event_document
from clientvault.audit.selectors import EventPage


class AuditEventOut(Schema):
    """One audit event: who, in which role, for which purpose, did what to which object — ids and field
    names only, never personal data. ``leaf_index`` is its position in the sealed tree (null until sealed)."""

    event_id: uuid.UUID
    occurred_at: dt.datetime
    actor_username: str
    role: str
    purpose: str
    channel: Literal["web", "api", "cli", "task", "system", "portal", ""]
    request_id: str
    ip: str
    event_type: str
    event_label: str = Field(..., description="The event type's name in the caller's language")
    object_type: str
    object_id: str
    customer_id: uuid.UUID | None
    fields: list[str]
    outcome: Literal["success", "denied", "failed"]
    detail: dict[str, Any]
    sealed: bool
    leaf_index: int | None


class AuditEventPageOut(Schema):
    items: list[AuditEventOut]
    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def from_page(cls, page: EventPage) -> AuditEventPageOut:
        return cls(
            items=[AuditEventOut.model_validate(event_document(r)) for r in page.rows],
            page=page.number,
            per_page=page.per_page,
            total=page.total,
            pages=page.num_pages,
        )


class CheckpointOut(Schema):
    body: str = Field(..., description="The signed text: origin, size, root (base64), time, previous, max-event, key")
    signature: str = Field(..., description="Ed25519 signature over the body's UTF-8 bytes, base64")
    key_id: str
    public_key: str = Field(..., description="The signing public key, base64 (check it against the published one)")
    algorithm: str


class ProofEntryOut(Schema):
    event_id: str
    entry: str = Field(..., description="The event's canonical JSON: the exact bytes of its leaf")
    leaf_index: int
    leaf_hash: str = Field(..., description="SHA-256(0x00 || entry), hex")
    proof: list[str] = Field(..., description="The audit path, hex, leaf to root (RFC 9162 §2.1.3)")


class ProofOut(ProofEntryOut):
    """An inclusion proof that ``scripts/verify_audit_proof.py`` checks with SHA-256 and Ed25519 only."""

    tree_size: int
    checkpoint: CheckpointOut


class EvidenceFiltersOut(Schema):
    customer: uuid.UUID | None
    from_: dt.datetime | None = Field(None, alias="from")
    to: dt.datetime | None


class EvidencePackOut(Schema):
    """``format=json``: the events with their proofs against one signed checkpoint. ``format=csv`` gives one
    self-contained row per event instead. Both are downloads (``Content-Disposition: attachment``)."""

    # The pack's own format name (audit/evidence.py FORMAT_NAME), not the ``format`` query parameter.
    format: Literal["clientvault-evidence-pack"]
    version: int
    generated_at: dt.datetime
    generated_by: str
    filters: EvidenceFiltersOut
    event_count: int
    events: list[AuditEventOut]
    tree_size: int
    checkpoint: CheckpointOut | None
    proofs: list[ProofEntryOut]
    unsealed: list[str] = Field(..., description="Events not sealed yet when the pack was made")
    verification: str
