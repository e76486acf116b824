"""One place to ask the time, so rules can be tested at a fixed instant (and the demo can seed history)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_at: ContextVar[dt.datetime | None] = ContextVar("clientvault_clock", default=None)


def now() -> dt.datetime:
    return _at.get() or timezone.now()


def today() -> dt.date:
    fixed = _at.get()
    return timezone.localdate(fixed) if fixed is not None else timezone.localdate()


@contextmanager
def travel(to: dt.datetime) -> Iterator[None]:
    """Read the clock as ``to`` inside the block (tests, and the demo seeding a history of past events)."""
    token = _at.set(to)
    try:
        yield
    finally:
        _at.reset(token)
