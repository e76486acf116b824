"""Writing a policy version (no audit here: the caller — ``services`` for a change in force at once,
``proposals.approve`` for an approved one — records the event in the same transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientvault.access.models import Policy, PolicyVersion

POLICY_FIELDS = ("role", "resource", "actions", "purposes", "scope", "max_clear_class", "masking", "description", "active")


def policy_snapshot(row: Policy) -> dict[str, Any]:
    return {f: getattr(row, f) for f in POLICY_FIELDS}


def write_created(*, code: str, cleaned: Mapping[str, Any], reason: str, changed_by: Any) -> Policy:
    row = Policy.objects.create(code=code, version=1, **cleaned)
    PolicyVersion.objects.create(code=code, version=1, snapshot=policy_snapshot(row), reason=reason[:300], changed_by=changed_by)
    return row


def write_changed(row: Policy, *, cleaned: Mapping[str, Any], reason: str, changed_by: Any) -> Policy:
    for field, value in cleaned.items():
        setattr(row, field, value)
    row.version += 1
    row.save()
    PolicyVersion.objects.create(
        code=row.code, version=row.version, snapshot=policy_snapshot(row), reason=reason[:300], changed_by=changed_by
    )
    return row
