"""The verifier's raw reader (issue #12): byte for byte the reference canonical form, and the same verdicts.

The property test writes events with arbitrary values (any text, JSON with floats, huge integers,
nesting, times with and without microseconds) and checks that the fast entry, wherever it gives one,
equals :func:`canonical.entry` over the ORM row — on whichever backend the suite runs.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientvault.audit import canonical, merkle, parallel, rowscan, sealing, verification
from clientvault.audit.models import AuditEvent, AuditLeaf

pytestmark = pytest.mark.django_db

# PostgreSQL text and jsonb refuse NUL; lone surrogates cannot be stored as UTF-8 anywhere.
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False, allow_infinity=False) | TEXT
)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
DOCUMENT = st.lists(JSON, max_size=4) | st.dictionaries(TEXT, JSON, max_size=4)
TIMES = st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(dt.UTC))

ROWS = st.fixed_dictionaries(
    {
        "occurred_at": TIMES,
        "actor_username": TEXT,
        "role": TEXT,
        "purpose": TEXT,
        "request_id": TEXT,
        "ip": st.sampled_from([None, "127.0.0.1", "2001:db8::1", "10.0.0.255"]),
        "channel": TEXT,
        "event_type": TEXT,
        "object_type": TEXT,
        "object_id": TEXT,
        "customer_id": st.none() | st.uuids(),
        "fields": DOCUMENT,
        "outcome": st.sampled_from(["success", "denied", "failed"]),
        "detail": DOCUMENT,
    }
)


def _raw_rows(pks: list[int]) -> dict[int, tuple[Any, ...]]:
    """The rows as ``select_sql`` reads them, through leaves made for them far above the real tree."""
    base = 10**9
    AuditLeaf.objects.bulk_create([AuditLeaf(index=base + pk, event_pk=pk, leaf_hash=bytes(32)) for pk in pks])
    with connection.cursor() as cursor:
        cursor.execute(rowscan.select_sql(connection.vendor), [base + min(pks) - 1, base + max(pks) + 1, len(pks)])
        return {row[1]: tuple(row[3:]) for row in cursor.fetchall()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(ROWS, min_size=1, max_size=6))
def test_the_fast_entry_is_byte_identical_to_the_reference(rows: list[dict[str, Any]]) -> None:
    events = AuditEvent.objects.bulk_create([AuditEvent(**row) for row in rows])
    pks = [e.pk for e in events]
    raw = _raw_rows(pks)
    for pk in pks:
        reference = rowscan.reference_entry(pk)
        fast = rowscan.fast_entry(raw[pk])
        assert fast is None or fast == reference


def test_ordinary_events_take_the_fast_path(make_events: Callable[..., list[AuditEvent]]) -> None:
    events = make_events(5)
    sealing.seal()
    with connection.cursor() as cursor:
        cursor.execute(rowscan.select_sql(connection.vendor), [-1, 5, 5])
        raw = {row[1]: tuple(row[3:]) for row in cursor.fetchall()}
    for event in events:
        assert rowscan.fast_entry(raw[event.pk]) == rowscan.reference_entry(event.pk)
    result = rowscan.check_range(0, 5)
    assert result.leaves == 5 and result.slow_rows == 0 and not result.edited and not result.missing


def test_floats_and_huge_integers_use_the_reference_encoder() -> None:
    detail = {"ratio": 1.5e-05, "big": 2**64 + 1, "neg": -(2**63) - 1, "tiny": 1e16}
    event = AuditEvent.objects.create(occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), event_type="x", fields=["a"], detail=detail)
    raw = _raw_rows([event.pk])[event.pk]
    assert rowscan.fast_entry(raw) == rowscan.reference_entry(event.pk)


def test_a_mismatch_is_rechecked_through_the_orm_before_it_is_reported(make_events: Callable[..., list[AuditEvent]]) -> None:
    make_events(3)
    sealing.seal()
    row = AuditEvent.objects.values(*canonical.EVENT_COLUMNS).get(pk=AuditLeaf.objects.get(index=1).event_pk)
    assert merkle.leaf_hash(canonical.entry(row)) == bytes(AuditLeaf.objects.get(index=1).leaf_hash)
    assert rowscan.check_range(0, 3).edited == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("sqlite"), reason="the SQLite test database is in memory")
def test_worker_processes_give_the_same_result(make_events: Callable[..., list[AuditEvent]], monkeypatch: pytest.MonkeyPatch) -> None:
    make_events(12)
    sealing.seal(batch=5)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_LEAVES", 1)
    monkeypatch.setattr(parallel, "SLICE", 4)
    pending = parallel.check_leaves_async(2)
    assert (pending.lo, pending.hi) == (0, 12)
    forked = pending.result()
    assert forked.leaves == 12 and not forked.edited and not forked.missing
    report = verification.verify(witness="")
    assert report.ok and report.leaves == 12


def test_a_uuid_stored_in_another_form_is_left_to_the_reference(make_events: Callable[..., list[AuditEvent]]) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores UUIDs as uuid")
    (event,) = make_events(1)
    raw = list(_raw_rows([event.pk])[event.pk])
    assert raw[1] == str(event.event_id)
    assert uuid.UUID(raw[1]) == event.event_id
