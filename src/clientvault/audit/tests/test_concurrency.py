"""Sealers racing each other and writers racing the sealer (real threads, real connections)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import OperationalError, connection, transaction

from clientvault.audit import recording, sealing, verification
from clientvault.audit.models import AuditEvent, AuditLeaf, Checkpoint
from clientvault.core.context import Context, system_context

pytestmark = pytest.mark.django_db(transaction=True)
T = TypeVar("T")


def _patient(fn: Callable[[], T]) -> T:
    """The SQLite *test* database is in memory with a shared cache, whose table locks ignore the busy
    timeout a file database has (settings: IMMEDIATE, timeout 20 s); waiting here stands in for it."""
    for _ in range(2000):
        try:
            return fn()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.005)
    return fn()


def _threads(target: Callable[[], object], n: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _record(n: int) -> None:
    ctx = system_context(channel="cli")
    for i in range(n):
        _patient(functools.partial(_one, ctx, i))


def _one(ctx: Context, i: int) -> None:
    with transaction.atomic():
        recording.record(ctx, "customer.viewed", object_type="test.object", object_id=str(i))


def test_sealers_running_at_once_give_each_event_exactly_one_leaf() -> None:
    _record(120)
    assert _threads(lambda: _patient(lambda: sealing.seal(batch=7)), 3) == []
    assert AuditLeaf.objects.count() == 120 == AuditLeaf.objects.values("event_pk").distinct().count()
    assert verification.verify(witness="").ok


def test_events_written_while_the_sealer_runs_are_all_sealed() -> None:
    stop = threading.Event()

    def sealer() -> None:
        while not stop.is_set():
            _patient(lambda: sealing.seal(batch=10))
        _patient(sealing.seal)

    def sealer_thread() -> None:
        try:
            sealer()
        finally:
            connection.close()

    seal_thread = threading.Thread(target=sealer_thread)
    seal_thread.start()
    try:
        assert _threads(lambda: _record(40), 3) == []
    finally:
        stop.set()
        seal_thread.join(timeout=120)
    sealing.seal()
    assert AuditEvent.objects.count() == 120 == AuditLeaf.objects.count()
    report = verification.verify(witness="")
    assert report.ok and report.pending == 0 and Checkpoint.objects.count() >= 1
