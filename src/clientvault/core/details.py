"""What may go into an audit event's ``detail`` or an outbox event's payload: codes, ids, counts and flags.

Shared by ``audit`` (every event) and ``core.events`` (the outbox), so it lives in the kernel.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

# ``detail`` holds codes, ids, counts and flags — never a value typed by or about a person.
# A code starts with a letter, so phone or ID numbers (all digits) cannot pass as one.
_CODE = re.compile(r"^[a-z_][a-z0-9_.:-]{0,63}$")


def _is_code(value: object) -> bool:
    if not isinstance(value, str):
        return False
    if _CODE.match(value):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def is_code(value: object) -> bool:
    """Whether ``value`` may stand in an audit detail as a code (or an id)."""
    return _is_code(value)


def check_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in detail.items():
        if isinstance(value, bool | int | float) or value is None or _is_code(value):
            clean[key] = value
        elif isinstance(value, list | tuple) and all(_is_code(v) for v in value):
            clean[key] = list(value)
        else:
            raise ValueError(f"audit detail {key!r} is not a code, id, count or flag")
    return clean
