"""The mapping step's sample cells (issue #14): a selector over the staged file, never the database.

A few cells per mapped column help a user check the mapping, but they are personal data: each is shown as the
user's policy would show that field on the customer the row would become (owned by the batch's owner, in its
legal entity) — plain, masked, or withheld — and an unmapped column shows nothing (nobody can say what it
holds). The reveal is audited (``import.samples_viewed``, field codes only) in the same transaction.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.db import transaction

from clientvault.access import engine
from clientvault.access.policies import Decision
from clientvault.audit import recording as audit
from clientvault.classification.catalogue import MaskProfile
from clientvault.core.context import Context
from clientvault.customers import disclosure
from clientvault.intake import engine as intake_engine
from clientvault.intake.models import ImportBatch

SAMPLE_ROWS = 3
WITHHELD = None  # the template shows an em dash with "withheld" as its title


def _future_customer(batch: ImportBatch) -> Any:
    """The row facts of a customer imported by this batch: its owner's department and legal entity."""
    owner = batch.owner or batch.operator
    department = owner.department if owner is not None and owner.department_id else None
    legal_entity = batch.legal_entity_id or (department.legal_entity_id if department else None)
    return SimpleNamespace(
        pk=uuid.uuid4(),
        owner_id=owner.pk if owner else None,
        department=department,
        department_id=department.pk if department else None,
        legal_entity_id=legal_entity,
        is_core=False,
    )


def _first_rows(batch: ImportBatch) -> list[dict[str, str]]:
    """The first data rows of the staged file as header → cell text (decrypted in memory only)."""
    rows: list[dict[str, str]] = []
    for _number, cells in itertools.islice(intake_engine.data_rows(batch), SAMPLE_ROWS):
        rows.append({h: (cells[i] if i < len(cells) else "") for i, h in reversed(list(enumerate(batch.headers)))})
    return rows


def _profile(catalogue: Mapping[str, tuple[Any, ...]], code: str) -> str:
    # An unclassified field is hidden when masked (fail closed, as customers/disclosure.py).
    meta = catalogue.get(disclosure.catalogue_key(code))
    return str(meta[1]) if meta else MaskProfile.HIDDEN


@transaction.atomic
def sample_cells(ctx: Context, batch: ImportBatch, mapping: Mapping[str, str]) -> dict[str, tuple[str | None, ...]]:
    """Column → its first cells as this user may see them (None: withheld); mapped columns only."""
    mapped = {column: code for column, code in mapping.items() if code}
    if not mapped:
        return {}
    rows = _first_rows(batch)
    views = disclosure.decisions(ctx, _future_customer(batch), sorted(set(mapped.values())))
    catalogue = engine.field_classes(ctx)
    shown: dict[str, tuple[str | None, ...]] = {}
    revealed: set[str] = set()
    for column, code in mapped.items():
        view = views.get(code)
        decision = view.decision if view is not None else Decision.WITHHELD
        cells: list[str | None] = []
        for row in rows:
            value = row.get(column, "")
            out = disclosure.shown_value(decision, _profile(catalogue, code), value)
            cells.append(None if out is None else str(out))
        if decision is not Decision.WITHHELD:
            revealed.add(code)
        shown[column] = tuple(cells)
    audit.record(
        ctx,
        "import.samples_viewed",
        obj=batch,
        fields=sorted(revealed),
        detail={"rows": len(rows), "withheld": sorted(set(mapped.values()) - revealed)},
    )
    return shown
