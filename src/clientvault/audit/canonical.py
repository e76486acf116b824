"""The exact bytes a leaf commits to, and the exact text a checkpoint signs — pure functions.

A leaf entry is the event as compact JSON (UTF-8, keys sorted, no spaces, times in UTC with
microseconds). The leaf hash is ``SHA-256(0x00 || entry)`` (RFC 6962). A checkpoint body is a few
lines of text in the spirit of transparency-log checkpoints; its Ed25519 signature covers the body's
UTF-8 bytes, and the next checkpoint names ``SHA-256(body)`` as its previous one, forming a chain.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

ENTRY_VERSION = 1
CHECKPOINT_HEADER = "clientvault audit checkpoint v1"
GENESIS = bytes(32)

# The event columns a leaf commits to, in the order ``values_list`` reads them.
EVENT_COLUMNS = (
    "id",
    "event_id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "role",
    "purpose",
    "request_id",
    "ip",
    "channel",
    "event_type",
    "object_type",
    "object_id",
    "customer_id",
    "fields",
    "outcome",
    "detail",
)


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_value(value: Any) -> Any:
    # PostgreSQL and SQLite hand JSON back already parsed; a driver that hands back text is parsed here.
    return json.loads(value) if isinstance(value, str) else value


def entry(row: Mapping[str, Any]) -> bytes:
    """The canonical bytes of one event row (a mapping with every name in ``EVENT_COLUMNS``)."""
    document = {
        "v": ENTRY_VERSION,
        "pk": int(row["id"]),
        "event_id": str(row["event_id"]),
        "occurred_at": utc(row["occurred_at"]),
        "actor_id": row["actor_id"],
        "actor_username": row["actor_username"],
        "role": row["role"],
        "purpose": row["purpose"],
        "request_id": row["request_id"],
        "ip": row["ip"] or "",
        "channel": row["channel"],
        "event_type": row["event_type"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "customer_id": str(row["customer_id"]) if row["customer_id"] else None,
        "fields": _json_value(row["fields"]),
        "outcome": row["outcome"],
        "detail": _json_value(row["detail"]),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def checkpoint_body(
    *, origin: str, tree_size: int, root: bytes, created_at: dt.datetime, previous: bytes, max_event_pk: int, key_id: str
) -> str:
    return "\n".join(
        [
            CHECKPOINT_HEADER,
            f"origin {origin}",
            f"size {tree_size}",
            f"root {base64.b64encode(root).decode()}",
            f"time {utc(created_at)}",
            f"previous {previous.hex()}",
            f"max-event {max_event_pk}",
            f"key {key_id}",
            "",
        ]
    )


def body_hash(body: str) -> bytes:
    return hashlib.sha256(body.encode("utf-8")).digest()
