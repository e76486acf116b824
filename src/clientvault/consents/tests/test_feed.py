"""The consent change feed pages by feed position (``seq``), given by the sequencer to committed events in
the order they become visible — not by id, which is taken at insert (issue #11)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.services import create_api_token
from clientvault.consents import selectors as consent_selectors
from clientvault.core import clock, events
from clientvault.core.models import OutboxEvent
from clientvault.core.schedule import SCHEDULE
from clientvault.core.tasks import sequence_events
from clientvault.testing.actors import ctx
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _event(pk: int, purpose: str) -> OutboxEvent:
    """An outbox row as the publishing transaction leaves it at commit (id taken when it was inserted)."""
    return OutboxEvent.objects.create(
        id=pk, topic="consent.changed", payload={"purpose": purpose, "action": "given"}, occurred_at=clock.now()
    )


def test_an_event_with_a_lower_id_that_commits_later_still_reaches_a_cursor_past_the_higher_id(org: Org) -> None:
    reader = ctx(org["compliance"], purpose="")
    _event(900_002, "marketing")  # committed first, although its id was taken second
    first = consent_selectors.changes(reader)
    assert [e.pk for e in first] == [900_002]
    cursor = first[-1].seq
    _event(900_001, "partner_sharing")  # its transaction was still open: it commits only now
    later = consent_selectors.changes(reader, after=cursor)
    assert [e.pk for e in later] == [900_001]
    assert later[0].seq > cursor
    assert consent_selectors.changes(reader, after=later[-1].seq) == []


def test_the_api_cursor_is_the_feed_position(org: Org) -> None:
    _t, secret = create_api_token(ctx=ctx(org["compliance"], purpose=""), name="f", purposes=["compliance_review"])
    headers = {"Authorization": f"Bearer {secret}"}
    _event(800_002, "marketing")
    page = Client().get("/api/v1/consents/events?after=0", headers=headers).json()
    assert [e["id"] for e in page] == [800_002]
    _event(800_001, "partner_sharing")
    page = Client().get(f"/api/v1/consents/events?after={page[-1]['seq']}", headers=headers).json()
    assert [e["id"] for e in page] == [800_001] and json.dumps(page)


def test_the_sequencer_numbers_in_id_order_once_and_continues_after_the_last_position(org: Org) -> None:
    consent(customer(org["rep_bj1"]))  # published by the service: numbered like any other
    _event(600_003, "marketing")
    assert events.sequence() == 2
    assert events.sequence() == 0  # numbered once
    last = OutboxEvent.objects.get(pk=600_003).seq
    assert last is not None and OutboxEvent.objects.filter(topic="consent.changed").exclude(pk=600_003).get().seq == last - 1
    _event(600_002, "marketing")  # a lower id, seen last
    assert sequence_events.call() == 1
    assert OutboxEvent.objects.get(pk=600_002).seq == last + 1


def test_the_worker_schedule_runs_the_sequencer() -> None:
    assert "clientvault.core.tasks.sequence_events" in {e.task_path for e in SCHEDULE}


def test_a_small_batch_still_numbers_everything(org: Org, audit_events: Any) -> None:
    for pk in (700_003, 700_001, 700_002):
        _event(pk, "marketing")
    assert events.sequence(batch=2) == 3
    assert [r.pk for r in OutboxEvent.objects.order_by("seq")] == [700_001, 700_002, 700_003]


@pytest.mark.django_db(transaction=True)
def test_real_transactions_committing_out_of_id_order_on_postgresql(org: Org) -> None:
    """Two real transactions: the one holding the lower id commits after a reader passed the higher one."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: ids cannot commit out of order there")
    inserted, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                OutboxEvent.objects.create(topic="consent.changed", payload={"purpose": "slow"}, occurred_at=clock.now())
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(10)
    with transaction.atomic():
        fast = OutboxEvent.objects.create(topic="consent.changed", payload={"purpose": "fast"}, occurred_at=clock.now())
    reader = ctx(org["compliance"], purpose="")
    seen = consent_selectors.changes(reader)
    assert [e.payload["purpose"] for e in seen] == ["fast"] and seen[0].pk == fast.pk
    release.set()
    writer.join(10)
    later = consent_selectors.changes(reader, after=seen[-1].seq)
    assert [e.payload["purpose"] for e in later] == ["slow"] and later[0].pk < fast.pk
