"""Evidence packs as files: JSON (the proof bundle with context) and CSV (one self-contained row per event).

Pure formatting of an :class:`~clientvault.audit.selectors.EvidencePack`; the selector that built the
pack has already checked the capability and recorded the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientvault.audit import registry
from clientvault.audit.canonical import utc
from clientvault.audit.models import AuditEvent
from clientvault.audit.selectors import EventRow, EvidencePack
from clientvault.core.spreadsheets import safe_cell

FORMAT_NAME = "clientvault-evidence-pack"
FORMAT_VERSION = 1
VERIFIER = "scripts/verify_audit_proof.py"
CSV_COLUMNS = (
    "event_id",
    "occurred_at_utc",
    "actor_username",
    "role",
    "purpose",
    "channel",
    "request_id",
    "ip",
    "event_type",
    "object_type",
    "object_id",
    "customer_id",
    "fields",
    "outcome",
    "detail",
    "sealed",
    "leaf_index",
    "leaf_hash",
    "audit_path",
    "tree_size",
    "entry",
    "checkpoint_body",
    "checkpoint_signature",
    "checkpoint_key_id",
    "public_key",
    "algorithm",
)
# Columns a spreadsheet shows for reading; a leading = + - @ would make it run them as a formula
# (CSV injection), so they get a quote. The proof columns (entry, hashes, body, signature) stay exact.
_READABLE = {"actor_username", "role", "purpose", "request_id", "object_type", "object_id"}


def event_document(row: EventRow) -> dict[str, Any]:
    """An event as the API and the JSON pack show it: the stored columns, its label and leaf."""
    e: AuditEvent = row.event
    try:
        label = str(registry.get(e.event_type).label)
    except LookupError:
        label = e.event_type
    return {
        "event_id": str(e.event_id),
        "occurred_at": e.occurred_at.isoformat(),
        "actor_username": e.actor_username,
        "role": e.role,
        "purpose": e.purpose,
        "channel": e.channel,
        "request_id": e.request_id,
        "ip": e.ip or "",
        "event_type": e.event_type,
        "event_label": label,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "customer_id": str(e.customer_id) if e.customer_id else None,
        "fields": list(e.fields or []),
        "outcome": e.outcome,
        "detail": e.detail or {},
        "sealed": row.sealed,
        "leaf_index": row.leaf_index,
    }


def verification_text() -> str:
    return _(
        "Check each proof with SHA-256 and Ed25519 only (RFC 6962 / RFC 9162): "
        "1. leaf = SHA-256(0x00 || entry as UTF-8 bytes); "
        "2. fold the audit path from leaf_index up to the root of a tree of tree_size leaves; "
        "3. that root and size must be the root and size lines of checkpoint.body; "
        "4. checkpoint.signature must verify over the UTF-8 bytes of checkpoint.body with the institution's "
        "Ed25519 public key, taken from a channel you trust (not only from this file). "
        "%(verifier)s does these steps: save one element of proofs together with this pack's checkpoint and "
        "tree_size as PROOF.json and run: python %(verifier)s PROOF.json PUBLIC_KEY_BASE64. "
        "Events listed under unsealed had not been sealed when the pack was made; export again later to prove them."
    ) % {"verifier": VERIFIER}


def rfc3339(moment: dt.datetime) -> str:
    """``moment`` as an RFC 3339 date-time. Before 1901 a zone answers its local mean time, whose offset has
    seconds (Shanghai: +08:05:43) that RFC 3339 cannot write: such a moment is written in UTC instead."""
    offset = moment.utcoffset()
    if offset is not None and offset.seconds % 60:
        return moment.astimezone(dt.UTC).isoformat()
    return moment.isoformat()


def filters_document(pack: EvidencePack) -> dict[str, str | None]:
    f = pack.filters
    return {
        "customer": str(f.customer_id) if f.customer_id else None,
        "from": rfc3339(f.start) if f.start else None,
        "to": rfc3339(f.end) if f.end else None,
    }


def as_json(pack: EvidencePack) -> dict[str, Any]:
    """The prove_many bundle (tree_size, checkpoint, proofs, unsealed) with who made it, when, for what."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generated_at": utc(pack.generated_at),
        "generated_by": pack.generated_by,
        "filters": filters_document(pack),
        "event_count": len(pack.rows),
        "events": [event_document(r) for r in pack.rows],
        **pack.bundle,
        "verification": verification_text(),
    }


def _cell(column: str, value: Any) -> Any:
    # Only the free-text columns: hashes and proofs must stay byte-exact for the verifier.
    return safe_cell(value) if column in _READABLE else value


def as_csv(pack: EvidencePack) -> str:
    """One row per event; each sealed row carries its entry, leaf, path and the signed checkpoint, so it
    can be checked on its own. The byte order mark lets spreadsheet programs read the UTF-8."""
    proofs = {p["event_id"]: p for p in pack.bundle.get("proofs", [])}
    checkpoint = pack.bundle.get("checkpoint") or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in pack.rows:
        e = row.event
        proof = proofs.get(str(e.event_id))
        document = event_document(row)
        values: dict[str, Any] = {
            **document,
            "occurred_at_utc": utc(e.occurred_at),
            "customer_id": document["customer_id"] or "",
            "fields": ";".join(document["fields"]),
            "detail": json.dumps(document["detail"], sort_keys=True, ensure_ascii=False),
            "sealed": "sealed" if proof else "unsealed",
            "leaf_index": "",
        }
        if proof:
            values.update(
                leaf_index=proof["leaf_index"],
                leaf_hash=proof["leaf_hash"],
                audit_path=";".join(proof["proof"]),
                tree_size=pack.bundle["tree_size"],
                entry=proof["entry"],
                checkpoint_body=checkpoint.get("body", ""),
                checkpoint_signature=checkpoint.get("signature", ""),
                checkpoint_key_id=checkpoint.get("key_id", ""),
                public_key=checkpoint.get("public_key", ""),
                algorithm=checkpoint.get("algorithm", ""),
            )
        writer.writerow([_cell(c, values.get(c, "")) for c in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()


def file_name(pack: EvidencePack) -> str:
    """``clientvault-evidence-20260105-141500.json``: the date and time it was made, in the deployment's zone."""
    return f"clientvault-evidence-{timezone.localtime(pack.generated_at):%Y%m%d-%H%M%S}.{pack.export_format}"


def response(pack: EvidencePack) -> HttpResponse:
    """The pack as a download (``Content-Disposition: attachment``), for the web page and the API alike."""
    if pack.export_format == "csv":
        result = HttpResponse(as_csv(pack), content_type="text/csv; charset=utf-8")
    else:
        body = json.dumps(as_json(pack), ensure_ascii=False, indent=1)
        result = HttpResponse(body, content_type="application/json; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="{file_name(pack)}"'
    result["Cache-Control"] = "no-store"
    return result
