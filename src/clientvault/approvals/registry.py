"""Change types: what a change needing a second person proposes and how it is applied (issue #13).

The approvals app knows nothing of customers or assets. An owning app (customers, assets, later imports,
merges, deletions, cross-border transfers) registers a ``ChangeType`` in its ``AppConfig.ready``; the
approvals services store the proposal sealed under the subject's key, route it through the approval
rules (data), collect the decisions and, on the last approval, hand it back to ``apply`` inside one
transaction (ARCHITECTURE.md rule 12: maker ≠ checker, enforced by the rules and by the database).

The callables get a ``Pending`` — the request as the change type needs it, values already unsealed in the
worker's or the request's memory; they never log or raise with those values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from clientvault.core.context import Context


class Stale(Exception):
    """The target changed since the request was submitted: applying it would overwrite someone's work.

    ``reason`` is shown to the maker and the checkers and recorded (no personal values in it).
    """

    def __init__(self, reason: str | Promise) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass(frozen=True)
class Facts:
    """What approval rules match on; nothing personal (ids, amounts, classes, flags)."""

    legal_entity_id: uuid.UUID  # LegalEntity and Department keys are UUIDs
    department_id: uuid.UUID | None = None
    amount_minor: int | None = None  # in the currency's minor units (Decimal-free; cents for CNY)
    currency: str = ""
    customer_class: str = ""  # the highest JR/T 0171 class the change touches: "C1" / "C2" / "C3"
    core: bool = False
    risk: str = ""  # "high" / "medium" / "low" / ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "legal_entity_id": str(self.legal_entity_id),
            "department_id": str(self.department_id) if self.department_id else None,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "customer_class": self.customer_class,
            "core": self.core,
            "risk": self.risk,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Facts:
        """The facts as stored on a request (``as_dict``)."""
        department = data.get("department_id")
        return cls(
            legal_entity_id=uuid.UUID(str(data["legal_entity_id"])),
            department_id=uuid.UUID(str(department)) if department else None,
            amount_minor=data.get("amount_minor"),
            currency=str(data.get("currency") or ""),
            customer_class=str(data.get("customer_class") or ""),
            core=bool(data.get("core")),
            risk=str(data.get("risk") or ""),
        )


@dataclass(frozen=True)
class Proposal:
    """What the maker proposes. ``values``/``before`` are sealed under ``subject_id``'s key when stored."""

    change_type: str
    target_type: str  # "customers.customer", "assets.asset", ...
    target_id: str
    field_key: str  # the part of the target changed; one open request per (target_type, target_id, field_key)
    subject_id: uuid.UUID  # the customer whose data key seals values and before
    values: Mapping[str, Any]  # JSON-able proposed values
    before: Mapping[str, Any]  # JSON-able current values, for the diff
    fingerprint: str  # the target's state now (e.g. its version); apply refuses when it differs
    facts: Facts
    summary: str = ""  # one non-personal line ("Change of ID number", "Transfer of CNY 50,000.00")
    fields: tuple[str, ...] = ()  # field codes touched (catalogue keys), for audit events and masking


@dataclass(frozen=True)
class Pending:
    """A request handed to its change type: decided by others, values unsealed for this call only."""

    id: uuid.UUID
    change_type: str
    target_type: str
    target_id: str
    field_key: str
    subject_id: uuid.UUID
    values: Mapping[str, Any]
    before: Mapping[str, Any]
    fingerprint: str
    facts: Facts
    maker_id: int
    fields: tuple[str, ...] = ()
    approver_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DiffRow:
    """One line of the before/after diff, already masked for the viewer (``shown_plain`` says if in clear)."""

    field: str  # field code
    label: str | Promise
    before: str
    after: str
    shown_plain: bool = False


@dataclass(frozen=True)
class ChangeType:
    """A registration. Every callable runs inside the caller's transaction.

    - ``fingerprint(target_id)``: the target's current state, read under a row lock.
    - ``apply(ctx, pending)``: lock the target, re-validate, write through the owning app's service, audit;
      raise ``Stale`` when the target changed, a ``DomainError`` when the values no longer validate.
      ``ctx`` is the last approver's; the request itself is the authority to write.
    - ``describe(ctx, pending)``: the diff rows, masked per the viewer's policy; shows personal data, so
      the approvals selector records the read event with the fields it returns.
    - ``in_scope(ctx, pending)``: may this person see the request's target (their data scope); approvers
      outside it can neither see nor decide the request.
    """

    code: str
    label: str | Promise
    fingerprint: Callable[[str], str]
    apply: Callable[[Context, Pending], None]
    describe: Callable[[Context, Pending], list[DiffRow]]
    in_scope: Callable[[Context, Pending], bool]
    link: Callable[[Pending], str] | None = None  # URL of the target's page (for the request page)
    extra: Mapping[str, Any] = field(default_factory=dict)


_TYPES: dict[str, ChangeType] = {}


def register(change_type: ChangeType) -> ChangeType:
    """Register (idempotent for the same code and object; a second, different registration is a bug)."""
    existing = _TYPES.get(change_type.code)
    if existing is not None and existing is not change_type:
        raise ValueError(f"change type {change_type.code!r} is already registered")
    _TYPES[change_type.code] = change_type
    return change_type


def get(code: str) -> ChangeType:
    """The registered change type; ``LookupError`` for an unknown code (fail closed)."""
    try:
        return _TYPES[code]
    except KeyError:
        raise LookupError(f"unknown change type {code!r}") from None


def codes() -> list[str]:
    return sorted(_TYPES)
