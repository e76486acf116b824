"""Planting generated customers (with known duplicates and households) in the test database."""

from __future__ import annotations

import uuid
from typing import Any

from clientvault.accounts.models import User
from clientvault.testing.customers import customer
from clientvault.testing.duplicates import Generated, generate

FIELDS = ("name", "id_number", "birth_date", "sex", "mobile", "email", "address")


def plant(owner: User, n: int = 150, *, seed: int = 5) -> tuple[Generated, dict[str, uuid.UUID]]:
    """Customers for the generated rows, owned by ``owner``; returns the generated set and row id → customer id.

    Two records of one legal entity cannot share an ID number (a database constraint), so a duplicate that
    kept its ID exactly is stored without it: the scan has to find it by the other fields."""
    data = generate(n, seed=seed)
    seen: set[str] = set()
    ids: dict[str, uuid.UUID] = {}
    for row in data.rows:
        values: dict[str, Any] = {f: row[f] for f in FIELDS}
        if values["id_number"] in seen:
            values["id_number"] = ""
        if values["id_number"]:
            seen.add(values["id_number"])
        ids[row["unique_id"]] = customer(owner, **values).pk
    return data, ids


def true_pairs(data: Generated, ids: dict[str, uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    return {tuple(sorted((ids[a], ids[b]))) for a, b in data.true_pairs()}  # type: ignore[misc]


def household_pairs(data: Generated, ids: dict[str, uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    return {tuple(sorted((ids[a], ids[b]))) for h in data.households for a in h for b in h if a < b}  # type: ignore[misc]
