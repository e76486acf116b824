"""The portal's worker tasks write through the rights services, each write with its audit event (issue #11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.rights import services
from clientvault.rights.models import PortalCode
from clientvault.rights.tasks import purge_portal_codes, send_portal_code
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org
from clientvault.testing.senders import MemorySender

pytestmark = pytest.mark.django_db
ASKING = Context(actor=None, ip="127.0.0.1", channel="portal")


@pytest.fixture
def memory_sender(settings: Any) -> Any:
    settings.CLIENTVAULT_PORTAL_SENDER = "clientvault.testing.senders.MemorySender"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    MemorySender.outbox.clear()
    yield MemorySender.outbox
    MemorySender.outbox.clear()


def test_sending_a_code_blanks_the_message_through_the_service_with_its_event(org: Org, memory_sender: Any, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    row = services.request_code(ctx=ASKING, raw_identifier=person.id_number)
    assert send_portal_code.call(str(row.pk)) is True
    assert [m.destination for m in memory_sender] == [person.mobile]
    assert bytes(all_rows(PortalCode).get(pk=row.pk).message_ct) == b""
    [event] = audit_events("portal.code_message_cleared")
    assert event.customer_id == person.pk and event.object_id == str(row.pk)
    assert event.detail == {"sending": True} and event.channel == "task"
    assert send_portal_code.call(str(row.pk)) is False  # at most once: nothing left to take, nothing recorded
    assert len(audit_events("portal.code_message_cleared")) == 1


def test_an_expired_code_is_blanked_unsent_and_recorded(org: Org, memory_sender: Any, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    row = services.request_code(ctx=ASKING, raw_identifier=person.id_number)
    with clock.travel(clock.now() + dt.timedelta(hours=1)):
        assert send_portal_code.call(str(row.pk)) is False
    assert memory_sender == [] and bytes(all_rows(PortalCode).get(pk=row.pk).message_ct) == b""
    [event] = audit_events("portal.code_message_cleared")
    assert event.detail == {"sending": False}


def test_purging_codes_goes_through_the_service_with_its_event(org: Org, memory_sender: Any, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(clock.now() - dt.timedelta(days=2)):
        services.request_code(ctx=ASKING, raw_identifier=person.id_number)
    services.request_code(ctx=ASKING, raw_identifier=person.id_number)
    assert purge_portal_codes.call() == 1
    assert all_rows(PortalCode).count() == 1
    [event] = audit_events("portal.codes_purged")
    assert event.detail == {"deleted": 1}
    assert purge_portal_codes.call() == 0 and len(audit_events("portal.codes_purged")) == 1
