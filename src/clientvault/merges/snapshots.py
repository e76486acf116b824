"""The rows a merge touches, as stored: for the lineage, the fingerprint and the unmerge's checks.

Every customer row of the merge, and every child row the registered re-pointers report (``customers.lineage``),
in one list in dependency order. Comparing two such lists is comparing the stored bytes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.customers import lineage, merging

Rows = lineage.Rows


def take(ids: Sequence[uuid.UUID | str]) -> Rows:
    """Every row of these customers and of their children, exactly as stored."""
    uids = [uuid.UUID(str(i)) for i in ids]
    rows = merging.snapshot(uids)
    for repointer in lineage.registered():
        rows += repointer.snapshot(uids)
    return rows


def digest(rows: Rows) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _label(model: str) -> str:
    if model == merging.MODEL:
        return str(_("a merged record"))
    for repointer in lineage.registered():
        if model == repointer.model or model in repointer.covers:
            return repointer.label
    return model


def unrestorable(after: Rows, now: Rows, *, survivor_id: str) -> list[str]:
    """What changed since the merge in a way an unmerge would undo someone's later work (labels, no values).

    A child created after the merge is not listed: it stays with the survivor. A row the merge wrote or
    moved that is gone or differs now is listed."""
    current = {lineage.row_key(r): r for r in now}
    out: list[str] = []
    for row in after:
        key = lineage.row_key(row)
        if current.get(key) == row:
            continue
        label = str(_("the surviving record")) if key == (merging.MODEL, survivor_id) else _label(key[0])
        if label not in out:
            out.append(label)
    return out


def keys(rows: Rows) -> set[tuple[str, str]]:
    return {lineage.row_key(r) for r in rows}


def of_model(rows: Rows, models: set[str]) -> Rows:
    return [r for r in rows if r["$model"] in models]


def as_json(values: dict[str, Any]) -> dict[str, Any]:
    """Survivor values JSON-able (dates as ISO text) for the sealed proposal."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
