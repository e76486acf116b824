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


def has_nul(value: Any) -> bool:
    """Whether a NUL character is anywhere inside a parsed value (keys included)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False
