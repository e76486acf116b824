"""Survivorship: which record each field of the survivor takes its value from (pure; no database).

A merge of N records (any N ≥ 2) decides field by field, by the field's rule (``SurvivorshipRule``, data):

- ``most_recent``: the record updated last among those with a value;
- ``most_trusted_source``: the record whose source ranks first in the rule's trust order (unlisted: last);
- ``most_complete``: the record with the most filled mergeable fields;
- ``non_null``: the survivor's value if it has one, else the first record (oldest first) that has one;
- ``manual``: the maker's pick for the field (default: the survivor).

A pick the maker makes for any field overrides its rule (the proposal page preselects each rule's choice;
what the maker changes is sent as a pick and recorded as ``manual`` in the merge's lineage).

Empty values never win over a value; ties go to the survivor, then to the older record. Coupled fields
follow their leader (the ID type goes with the ID number, so a number is never read under another type).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INDIVIDUAL = ("name", "id_number", "birth_date", "sex", "mobile", "email", "address", "nationality", "residency", "occupation")
ORGANISATION = ("name", "uscc", "legal_representative", "registered_address", "industry")
COMMON = ("bank_card", "status", "source", "custom_data")
FOLLOWERS = {"id_type": "id_number"}  # field -> the field whose source it follows

DEFAULTS: dict[str, tuple[str, list[str]]] = {
    "name": ("most_trusted_source", ["branch", "partner", "referral", "online", "campaign", "other"]),
    "id_number": ("non_null", []),
    "birth_date": ("non_null", []),
    "sex": ("non_null", []),
    "mobile": ("most_recent", []),
    "email": ("most_recent", []),
    "address": ("most_recent", []),
    "nationality": ("non_null", []),
    "residency": ("most_recent", []),
    "occupation": ("most_recent", []),
    "uscc": ("non_null", []),
    "legal_representative": ("most_recent", []),
    "registered_address": ("most_recent", []),
    "industry": ("non_null", []),
    "bank_card": ("most_recent", []),
    "status": ("manual", []),
    "source": ("most_trusted_source", ["branch", "partner", "referral", "online", "campaign", "other"]),
    "custom_data": ("most_complete", []),
}


def fields_for(kind: str) -> tuple[str, ...]:
    return (INDIVIDUAL if kind == "individual" else ORGANISATION) + COMMON


@dataclass(frozen=True)
class Candidate:
    """One record as the rules see it: its values (plaintext, in memory only) and non-personal facts."""

    id: uuid.UUID
    values: Mapping[str, Any]
    updated_at: dt.datetime
    created_at: dt.datetime
    source: str


@dataclass(frozen=True)
class RuleSpec:
    rule: str
    source_order: Sequence[str] = ()
    version: int = 1


def empty(value: Any) -> bool:
    return value in (None, "", {}, [])


def _completeness(c: Candidate, fields: Sequence[str]) -> int:
    return sum(0 if empty(c.values.get(f)) else 1 for f in fields)


def choose(
    field: str, spec: RuleSpec, records: Sequence[Candidate], *, survivor: uuid.UUID, pick: uuid.UUID | None, fields: Sequence[str]
) -> uuid.UUID:
    """The id of the record whose value of ``field`` the survivor takes."""
    # Base order: survivor first, then oldest first (the tie-breaker of every rule).
    ordered = sorted(records, key=lambda c: (c.id != survivor, c.created_at, str(c.id)))
    if pick is not None and pick in {c.id for c in records}:
        return pick
    if spec.rule == "manual":
        return survivor
    having = [c for c in ordered if not empty(c.values.get(field))]
    if not having:
        return survivor
    if spec.rule == "most_recent":
        latest = max(c.updated_at for c in having)
        return next(c.id for c in having if c.updated_at == latest)
    if spec.rule == "most_trusted_source":
        order = list(spec.source_order)

        def rank(c: Candidate) -> int:
            return order.index(c.source) if c.source in order else len(order)

        best = min(rank(c) for c in having)
        return next(c.id for c in having if rank(c) == best)
    if spec.rule == "most_complete":
        best_count = max(_completeness(c, fields) for c in having)
        return next(c.id for c in having if _completeness(c, fields) == best_count)
    return having[0].id  # non_null (and any unknown rule: the survivor's value first, fail safe)


def decide(
    kind: str,
    records: Sequence[Candidate],
    rules: Mapping[str, RuleSpec],
    *,
    survivor: uuid.UUID,
    picks: Mapping[str, uuid.UUID],
) -> tuple[dict[str, uuid.UUID], dict[str, Any]]:
    """Per field: the source record and the value the survivor gets."""
    fields = fields_for(kind)
    by_id = {c.id: c for c in records}
    sources: dict[str, uuid.UUID] = {}
    for field in fields:
        spec = rules.get(field) or RuleSpec(DEFAULTS.get(field, ("non_null", []))[0], DEFAULTS.get(field, ("", []))[1])
        sources[field] = choose(field, spec, records, survivor=survivor, pick=picks.get(field), fields=fields)
    for follower, leader in FOLLOWERS.items():
        if leader in sources:
            sources[follower] = sources[leader]
    values = {f: by_id[src].values.get(f) for f, src in sources.items()}
    return sources, values
