"""A pure-Python model of the ledger, for the random-operations test: what every operation must do (its new
balances or the error it must be refused with), computed without the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ModelAsset:
    currency: str
    allow_negative: bool
    customer: bool = True
    balance: int = 0
    pledged: int = 0
    version: int = 0
    closed: bool = False


class Refused(Exception):
    """The model's verdict: the operation must be refused with this error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Ledger:
    assets: dict[object, ModelAsset] = field(default_factory=dict)
    keys: dict[str, tuple[object, ...]] = field(default_factory=dict)  # idempotency key → the movement it posted
    journals: int = 0

    def legs_ok(self, legs: list[tuple[object, int, int, bool]]) -> list[Any]:
        """Check (asset, amount, pledged_delta, closes) legs as the posting core must; the new values or Refused."""
        sums: dict[str, int] = {}
        out: list[Any] = []
        for key, amount, _delta, _closes in legs:
            a = self.assets[key]
            sums[a.currency] = sums.get(a.currency, 0) + amount
        if any(sums.values()):
            raise Refused("validation_failed")
        for key, amount, delta, closes in legs:
            a = self.assets[key]
            if a.closed:
                raise Refused("asset_closed")
            balance, pledged = a.balance + amount, a.pledged + delta
            if pledged < 0:
                raise Refused("release_exceeds_pledge")
            if delta > 0 and pledged > balance:
                raise Refused("insufficient_funds")
            if balance < 0 and not a.allow_negative:
                raise Refused("insufficient_funds")
            if pledged > 0 and pledged > balance:
                raise Refused("insufficient_funds")
            if closes and (balance or pledged):
                raise Refused("asset_not_empty")
            out.append((a, balance, pledged, closes))
        return out

    def expect(self, key: str, movement: tuple[object, ...], legs: list[tuple[object, int, int, bool]]) -> list[Any] | None:
        """What posting must do: None for a replay (nothing moves), else the new values; Refused otherwise."""
        if key in self.keys:
            if self.keys[key] != movement:
                raise Refused("idempotency_conflict")
            return None
        return self.legs_ok(legs)

    def apply(self, key: str, movement: tuple[object, ...], outcome: list[Any] | None) -> None:
        if outcome is None:
            return
        for a, balance, pledged, closes in outcome:
            a.balance, a.pledged, a.version = balance, pledged, a.version + 1
            a.closed = a.closed or closes
        self.keys[key] = movement
        self.journals += 1
