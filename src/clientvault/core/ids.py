"""Identifiers assigned in Python, so keys exist before rows (ciphertext binds to them)."""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> uuid.UUID:
    """A time-ordered UUIDv7: indexes stay compact, and the id exists before the row is saved."""
    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
