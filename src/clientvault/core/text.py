"""Input hygiene shared by every way text comes in (web forms, API, imports): issue #11.

Invisible characters change what a value *is* without changing what it *looks like*: a zero-width space
inside 张三 makes a different name (and a different blind index, so search misses it), and bidirectional
controls make ``\u202e4321\u202d`` display as something other than what is stored. They are removed before
validation and before blind indexing. A NUL byte cannot be stored by PostgreSQL at all: the API refuses it
(422) instead of failing at the database (500); web forms refuse it already (Django's ProhibitNullCharactersValidator).
"""

from __future__ import annotations

import re
from typing import Any

# Zero-width (U+200B..U+200D, U+2060 word joiner, U+FEFF BOM / zero-width no-break space) and
# bidirectional controls (U+200E/U+200F marks, U+202A..U+202E embeddings/overrides, U+2066..U+2069 isolates).
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")


def clean_text(value: str) -> str:
    """``value`` without zero-width and bidirectional control characters."""
    return _INVISIBLE_RE.sub("", value)


def clean_value(value: Any) -> Any:
    """``clean_text`` applied to every string inside a value (dicts, lists) as parsed from JSON or a form."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    return value


def nul_paths(value: Any, path: str = "") -> list[str]:
    """Where a NUL character is inside a parsed value: dotted paths (``custom.note``, ``tags.0``); a key
    holding one is named by its parent path (the key itself is not echoed)."""
    if isinstance(value, str):
        return [path or "request"] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                found.append(path or "request")
                continue
            found += nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += nul_paths(item, f"{path}.{index}" if path else str(index))
    return found


def refuse_nul(value: Any) -> None:
    """Raise ValidationFailed (422) naming every place a NUL character was sent: PostgreSQL cannot store
    it, so it would otherwise fail at the database (500) on one backend and pass on the other."""
    paths = nul_paths(value)
    if paths:
        from django.utils.translation import gettext_lazy as _

        from clientvault.core.errors import ValidationFailed

        message = _("Null characters are not allowed.")
        raise ValidationFailed({p: [message] for p in dict.fromkeys(paths)})
