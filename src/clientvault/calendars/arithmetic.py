"""Working-day arithmetic on the calendar table, cached per process.

The strict functions (``is_working_day``, ``add_working_days``, ``working_days_between``) answer only for
covered years and raise ``CalendarNotCovered`` naming the years otherwise: a legal deadline is never a
silent guess (issue #15, APP-15WD). ``known_working_day`` is the lenient form (None outside the table) for
internal SLAs that may fall back to Monday–Friday.

The table is read once into a snapshot (a dict lookup per day). Another process's edit is noticed through a
cheap stamp query, made at most every ``CLIENTVAULT_CALENDAR_RECHECK_SECONDS``; this process's own edits drop
the snapshot at once and again after commit, and while a transaction holds an uncommitted calendar edit the
snapshot is rebuilt for every call instead of cached, so a rollback can never leave a phantom day behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from clientvault.calendars.models import CalendarDay, CalendarYear, DayKind
from clientvault.core.errors import DomainError

logger = logging.getLogger(__name__)
ChangeCallback = Callable[[frozenset[int]], None]


class CalendarNotCovered(DomainError):
    """The working-day calendar has no entries for a year the computation needs (fail closed)."""

    code = "calendar_not_covered"
    status = 409
    default_message = _("The working-day calendar does not cover this year yet: an administrator must enter its holidays first.")

    def __init__(self, years: Iterable[int]) -> None:
        self.years: tuple[int, ...] = tuple(sorted(set(years)))
        listed = ", ".join(str(y) for y in self.years)
        super().__init__(
            _("The working-day calendar does not cover %(years)s: an administrator must enter its holidays first.") % {"years": listed}
        )


@dataclass(frozen=True)
class Snapshot:
    covered: frozenset[int]
    # Dates whose entry in force says working (True: a make-up working day) or not (False: a holiday).
    overrides: dict[dt.date, bool]
    stamp: tuple[Any, ...]


_lock = threading.Lock()
_cached: Snapshot | None = None
_checked_at = 0.0
_dirty: set[int] = set()  # ids of the outermost atomic blocks holding an uncommitted calendar edit
_callbacks: list[ChangeCallback] = []


def _stamp() -> tuple[Any, ...]:
    days = CalendarDay.objects.aggregate(n=Count("id"), last=Max("effective_from"))
    years = CalendarYear.objects.aggregate(n=Count("year"), last=Max("changed_at"), covered=Count("year", filter=Q(covered=True)))
    return (days["n"], days["last"], years["n"], years["last"], years["covered"])


def _build() -> Snapshot:
    stamp = _stamp()
    covered = frozenset(CalendarYear.objects.filter(covered=True).values_list("year", flat=True))
    in_force: dict[dt.date, str] = {}
    for day, kind in CalendarDay.objects.order_by("day", "version").values_list("day", "kind"):
        in_force[day] = kind  # ascending versions: the last one written wins
    overrides = {day: kind == DayKind.WORKDAY for day, kind in in_force.items() if kind != DayKind.ORDINARY}
    return Snapshot(covered=covered, overrides=overrides, stamp=stamp)


def _outer_block() -> int | None:
    blocks = getattr(connection, "atomic_blocks", None)
    return id(blocks[0]) if connection.in_atomic_block and blocks else None


def _editing_here() -> bool:
    """Whether the current transaction holds an uncommitted calendar edit (or one that rolled back)."""
    if not _dirty:
        return False
    outer = _outer_block()
    if outer is None or outer not in _dirty:
        _dirty.clear()  # that transaction ended without committing our edit (its on_commit would have cleared it)
        return False
    return True


def snapshot() -> Snapshot:
    """The calendar in force, from the process cache when it is still current."""
    global _cached, _checked_at
    if _editing_here():
        return _build()
    with _lock:
        now = time.monotonic()
        if _cached is not None and now - _checked_at < settings.CLIENTVAULT_CALENDAR_RECHECK_SECONDS:
            return _cached
        if _cached is None or _stamp() != _cached.stamp:
            _cached = _build()
        _checked_at = now
        return _cached


def invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def edited(years: Iterable[int]) -> None:
    """A service wrote calendar rows in the current transaction: drop the cache now and after commit, then
    tell the ``on_change`` callbacks which years changed (after commit only; a rollback tells nobody)."""
    changed = frozenset(years)
    outer = _outer_block()
    if outer is not None:
        _dirty.add(outer)
    invalidate()

    def committed() -> None:
        _dirty.discard(outer) if outer is not None else None
        invalidate()
        _fire(changed)

    transaction.on_commit(committed)


def _fire(years: frozenset[int]) -> None:
    if not years:
        return
    for callback in list(_callbacks):
        try:
            callback(years)
        except Exception:  # a listener's failure never undoes the committed edit; it logs and the next one runs
            logger.exception("calendar on_change callback %r failed for years %s", callback, sorted(years))


def on_change(callback: ChangeCallback) -> None:
    """Call ``callback(years)`` after every committed change of the calendar, with the years whose days (or
    coverage) changed. Register once, at app ready; the callback should enqueue durable work."""
    if callback not in _callbacks:
        _callbacks.append(callback)


def remove_callback(callback: ChangeCallback) -> None:
    if callback in _callbacks:
        _callbacks.remove(callback)


def years_changed_since(moment: dt.datetime) -> frozenset[int]:
    """The years whose days or coverage changed after ``moment``: a listener that missed an ``on_change`` (its
    process died between the commit and the callback) catches up from its own last run with this."""
    days = CalendarDay.objects.filter(effective_from__gt=moment).values_list("day__year", flat=True).distinct()
    years = CalendarYear.objects.filter(changed_at__gt=moment).values_list("year", flat=True)
    return frozenset(days) | frozenset(years)


def covered_years() -> frozenset[int]:
    return snapshot().covered


def _working(snap: Snapshot, day: dt.date) -> bool:
    found = snap.overrides.get(day)
    return found if found is not None else day.weekday() < 5


def _require(snap: Snapshot, years: Iterable[int]) -> None:
    missing = set(years) - snap.covered
    if missing:
        raise CalendarNotCovered(missing)


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day in mainland China; raises CalendarNotCovered outside the table."""
    snap = snapshot()
    _require(snap, (day.year,))
    return _working(snap, day)


def known_working_day(day: dt.date) -> bool | None:
    """Lenient: the table's answer for a covered year, None for a year it does not cover."""
    snap = snapshot()
    return _working(snap, day) if day.year in snap.covered else None


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The day ``n`` working days after ``start`` (``start`` itself not counted; n = 0 is ``start``).

    Strict: every year walked through must be covered, else CalendarNotCovered names the first one missing."""
    if n < 0:
        raise ValueError("n must be >= 0")
    snap = snapshot()
    _require(snap, (start.year,))
    day, added = start, 0
    while added < n:
        day += dt.timedelta(days=1)
        if day.year not in snap.covered:
            raise CalendarNotCovered((day.year,))
        if _working(snap, day):
            added += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``),
    so that ``working_days_between(d, add_working_days(d, n)) == n``. Strict over every year in between."""
    if end <= start:
        return 0
    snap = snapshot()
    _require(snap, range(start.year, end.year + 1))
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if _working(snap, day):
            count += 1
    return count
