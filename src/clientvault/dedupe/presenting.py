"""What the queue and cluster pages show: labels of field codes, masked member values, pair rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.dedupe.models import DuplicateCluster
from clientvault.dedupe.selectors import Evidence

FIELD_LABELS = {
    "name": _("Name"),
    "id_number": _("ID number"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "mobile": _("Mobile"),
    "email": _("E-mail"),
    "address": _("Address"),
    "uscc": _("Unified social credit code"),
}


def labels(codes: list[str]) -> list[Any]:
    return [FIELD_LABELS.get(c, c) for c in codes]


@dataclass
class QueueRow:
    id: uuid.UUID
    probability: float
    size: int
    status: str
    status_label: Any
    agreeing: list[Any]
    last_seen: Any


def queue_row(cluster: DuplicateCluster, agreeing: list[str]) -> QueueRow:
    return QueueRow(
        cluster.pk,
        cluster.best_probability,
        cluster.size,
        cluster.status,
        cluster.get_status_display(),
        labels(agreeing),
        cluster.updated_at,
    )


@dataclass
class Cell:
    value: Any
    decision: str


def members(found: Evidence) -> list[dict[str, Any]]:
    """Per member: id, and per field the value as the policy shows it (plain, masked, or None when withheld)."""
    out = []
    for index, member in enumerate(found.members, start=1):
        views: dict[str, Any] = getattr(member, "field_views", {})
        cells = []
        for f in found.fields:
            view = views.get(f)
            decision = str(getattr(view.decision, "value", view.decision)) if view is not None else "withheld"
            cells.append(Cell(getattr(member, f, None), decision))
        out.append(
            {
                "id": member.pk,
                "number": index,
                "kind": member.get_kind_display(),
                "erased": getattr(member, "erased", False),
                "cells": cells,
            }
        )
    return out


def pairs(found: Evidence) -> list[dict[str, Any]]:
    number = {m.pk: i for i, m in enumerate(found.members, start=1)}
    return [
        {
            "left": number.get(p.left_id, "?"),
            "right": number.get(p.right_id, "?"),
            "probability": p.probability,
            "agree": labels(p.evidence.get("agree", [])),
            "partial": labels(p.evidence.get("partial", [])),
            "disagree": labels(p.evidence.get("disagree", [])),
            "missing": labels(p.evidence.get("missing", [])),
        }
        for p in found.pairs
    ]
