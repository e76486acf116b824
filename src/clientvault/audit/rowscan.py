"""Reading sealed events raw for ``audit verify`` (issue #12): a cursor, no model instances, a C encoder.

The verifier must recompute every leaf; through the ORM that ran at 7–8k events/s, bound by building
model rows and canonicalising them in Python. Here one SQL join reads a range of leaves with their
event columns as plain tuples, and :func:`fast_entry` turns each tuple into the canonical entry with
``orjson``, byte for byte what :func:`canonical.entry` gives for the same row.

Where the fast form could differ from the reference, it is not used:

- a JSON column whose text holds a float or an integer of 19+ digits (``orjson`` formats floats and
  parses huge integers differently) is canonicalised with the ``json`` module, as the reference does;
- a value in a shape the fast path does not expect (a time not in the backend's stored form, a JSON
  column that is not an object or array, anything ``orjson`` refuses) makes :func:`fast_entry`
  return None, and the caller canonicalises that row through the ORM.

And a fast entry that does not match the sealed leaf is never the last word: the caller recomputes
that row through the ORM before it reports an edit. So the fast path can only save time, never
accept a row the reference would reject: a match means the bytes equal the sealed entry, and every
component is either copied verbatim from the stored value or produced exactly as the reference
produces it (``tests``: a property test proves byte-identity over generated rows on both backends).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, models

from clientvault.audit import canonical
from clientvault.audit.models import AuditEvent, AuditLeaf

CHUNK = 20_000
_SORT = orjson.OPT_SORT_KEYS
# A JSON float always has a digit right before its '.', 'e' or 'E'; 19 digits may exceed 64 bits.
_RISKY_JSON = re.compile(r"[0-9](?:[.eE]|[0-9]{18})")


def _columns() -> list[str]:
    """The database columns of ``EVENT_COLUMNS`` (``actor_id`` is the actor foreign key's column)."""
    fields = [AuditEvent._meta.get_field("actor" if name == "actor_id" else name) for name in canonical.EVENT_COLUMNS]
    return [str(f.column) for f in fields if isinstance(f, models.Field)]


_INVALID = "'invalid'"  # what a column in an unexpected form reads as: it can never match a sealed entry


def _sqlite_columns(cols: list[str]) -> list[str]:
    """SQLite: the canonical forms built in SQL, from the text Django stores (no converters)."""

    def uuid(c: str) -> str:
        parts = "||'-'||".join(f"substr({c},{start},{length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
        return f"CASE WHEN {c} IS NULL THEN NULL WHEN typeof({c}) = 'text' AND length({c}) = 32 THEN {parts} ELSE {_INVALID} END"

    o = cols[2]
    # ``YYYY-MM-DD HH:MM:SS[.ffffff]``: every character copied but the separator, which must be a space.
    time = (
        f"CASE WHEN typeof({o}) = 'text' AND substr({o},11,1) = ' ' AND length({o}) IN (19, 26) "
        f"THEN substr({o},1,10)||'T'||substr({o},12)||CASE WHEN length({o}) = 19 THEN '.000000' ELSE '' END||'Z' "
        f"ELSE {_INVALID} END"
    )
    return [*cols[:1], uuid(cols[1]), time, *cols[3:13], uuid(cols[13]), *cols[14:]]


def _postgresql_columns(cols: list[str]) -> list[str]:
    """PostgreSQL: the database formats the time in the canonical UTC form and UUIDs as text
    (``inet`` and ``jsonb`` already arrive as their output text)."""
    time = f"""to_char({cols[2]} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    return [*cols[:1], f"{cols[1]}::text", time, *cols[3:13], f"{cols[13]}::text", *cols[14:]]


def select_sql(vendor: str) -> str:
    """Leaves ``(after, before)`` by index with their event's columns (NULLs where the row is gone):
    ``EVENT_COLUMNS`` with the UUIDs and the time already in their canonical text."""
    qn = connection.ops.quote_name
    leaf, event = qn(AuditLeaf._meta.db_table), qn(AuditEvent._meta.db_table)
    cols = [f"e.{qn(c)}" for c in _columns()]
    cols = _postgresql_columns(cols) if vendor == "postgresql" else _sqlite_columns(cols)
    return (
        f"SELECT l.{qn('index')}, l.{qn('event_pk')}, l.{qn('leaf_hash')}, {', '.join(cols)} "  # noqa: S608 - quoted names only
        f"FROM {leaf} l LEFT JOIN {event} e ON e.{qn('id')} = l.{qn('event_pk')} "
        f"WHERE l.{qn('index')} > %s AND l.{qn('index')} < %s ORDER BY l.{qn('index')} LIMIT %s"
    )


def fast_entry(row: Sequence[Any]) -> bytes | None:
    """The canonical entry of one event as :func:`select_sql` reads it, or None where only the ORM
    reference can say."""
    (pk, event_id, occurred_at, actor_id, username, role, purpose, request_id, ip, channel, event_type) = row[:11]
    (object_type, object_id, customer_id, fields, outcome, detail) = row[11:]
    try:
        if not (isinstance(fields, str) and isinstance(detail, str)):
            return None
        risky = _RISKY_JSON.search(fields + detail)
        loads = json.loads if risky else orjson.loads
        fields_value, detail_value = loads(fields), loads(detail)
        if not isinstance(fields_value, list | dict) or not isinstance(detail_value, list | dict):
            return None  # the reference would parse a JSON string a second time: leave it to the ORM
        document = {
            "v": canonical.ENTRY_VERSION,
            "pk": pk,
            "event_id": event_id,
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "actor_username": username,
            "role": role,
            "purpose": purpose,
            "request_id": request_id,
            "ip": ip or "",
            "channel": channel,
            "event_type": event_type,
            "object_type": object_type,
            "object_id": object_id,
            "customer_id": customer_id,
            "fields": fields_value,
            "outcome": outcome,
            "detail": detail_value,
        }
        if risky:
            return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return orjson.dumps(document, option=_SORT)
    except (ValueError, TypeError, orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None


def reference_entry(pk: int) -> bytes | None:
    """The ORM's canonical entry of event ``pk`` (None if the row is gone)."""
    row = AuditEvent.objects.filter(pk=pk).values(*canonical.EVENT_COLUMNS).first()
    return canonical.entry(row) if row is not None else None


@dataclass
class RangeResult:
    """What the leaves ``[lo, hi)`` say about their events: rows that no longer hash to their leaf
    (``edited``), rows that are gone (``missing``), each as ``(leaf index, event pk)``."""

    leaves: int = 0
    edited: list[tuple[int, int]] = field(default_factory=list)
    missing: list[tuple[int, int]] = field(default_factory=list)
    slow_rows: int = 0  # rows the ORM canonicalised (odd values, or a fast mismatch re-checked)


def _rows(lo: int, hi: int) -> Iterator[list[tuple[Any, ...]]]:
    sql = select_sql(connection.vendor)
    after = lo - 1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after, hi, CHUNK])
            chunk = cursor.fetchall()
            if not chunk:
                return
            yield chunk
            after = chunk[-1][0]


def check_range(lo: int, hi: int) -> RangeResult:
    """Recompute every leaf of ``[lo, hi)`` from its event row (one process; see ``verification``)."""
    result = RangeResult()
    with no_cyclic_gc():
        _check_chunks(lo, hi, result)
    return result


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """The scan makes millions of short-lived tuples and frees them by reference counting; the
    cyclic collector would only walk the caller's heap again and again (a long pause per pass)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_chunks(lo: int, hi: int, result: RangeResult) -> None:
    sha256 = hashlib.sha256
    for chunk in _rows(lo, hi):
        result.leaves += len(chunk)
        for row in chunk:
            index, pk, stored = row[0], row[1], bytes(row[2])
            if row[3] is None:
                result.missing.append((index, pk))
                continue
            entry = fast_entry(row[3:])
            if entry is not None and sha256(b"\x00" + entry).digest() == stored:
                continue
            # Odd values, or a mismatch: the ORM reference decides.
            result.slow_rows += 1
            entry = reference_entry(pk)
            if entry is None:
                result.missing.append((index, pk))
            elif sha256(b"\x00" + entry).digest() != stored:
                result.edited.append((index, pk))
