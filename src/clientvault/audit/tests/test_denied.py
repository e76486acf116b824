"""Denied access is recorded (issue #11): a 404 for a missing or out-of-scope object answers exactly
as before, and leaves ``access.denied`` — bounded per actor and minute, the rest counted."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.audit import denied, tasks
from clientvault.audit.models import AuditEvent, DeniedAccessWindow
from clientvault.core import clock
from clientvault.customers.models import Customer
from clientvault.rights import portal
from clientvault.testing.actors import ctx, default_purpose, sign_in_verified
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

Events = Callable[..., list[AuditEvent]]
NAME = "王秘密"
MOBILE = "13912345678"


@pytest.fixture
def target(org: Org) -> Customer:
    return customer(org["rep_bj1"], name=NAME, mobile=MOBILE)


def signed_in(u: User) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def api(u: User) -> dict[str, str]:
    _t, secret = create_api_token(ctx=ctx(u, purpose=""), name="t", purposes=[default_purpose(u)])
    return {"Authorization": f"Bearer {secret}"}


def _no_personal_data(event: AuditEvent) -> None:
    row = json.dumps([event.object_id, event.fields, event.detail, event.actor_username], ensure_ascii=False)
    assert NAME not in row and MOBILE not in row and event.customer_id is None


def test_an_out_of_scope_customer_page_answers_404_and_is_recorded(org: Org, target: Customer, audit_events: Events) -> None:
    manager = org["manager_sh"]  # Shanghai: the Beijing customer is out of scope
    response = signed_in(manager).get(f"/customers/{target.pk}/")
    assert response.status_code == 404 and NAME not in response.content.decode()
    [event] = audit_events("access.denied")
    assert (event.actor_id, event.object_type, event.object_id, event.outcome) == (manager.pk, "customer", str(target.pk), "denied")
    assert event.detail == {"route": "customers:detail"} and event.channel == "web"
    assert event.purpose == default_purpose(manager)
    _no_personal_data(event)


def test_a_missing_customer_is_recorded_the_same_way(org: Org, audit_events: Events) -> None:
    missing = uuid.uuid4()
    assert signed_in(org["manager_sh"]).get(f"/customers/{missing}/").status_code == 404
    [event] = audit_events("access.denied")
    assert (event.object_type, event.object_id) == ("customer", str(missing))


def test_a_visible_customer_leaves_no_denial(org: Org, target: Customer, audit_events: Events) -> None:
    assert signed_in(org["rep_bj1"]).get(f"/customers/{target.pk}/").status_code == 200
    assert audit_events("access.denied") == []


def test_the_api_answers_404_as_before_and_records_it(org: Org, target: Customer, audit_events: Events) -> None:
    response = Client().get(f"/api/v1/customers/{target.pk}", headers=api(org["manager_sh"]))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    [event] = audit_events("access.denied")
    assert (event.object_id, event.detail["route"], event.channel) == (str(target.pk), "api-v1:get_customer", "api")


def test_a_malformed_id_is_recorded_without_echoing_it(org: Org, audit_events: Events) -> None:
    response = Client().get(f"/api/v1/customers/{MOBILE}", headers=api(org["manager_sh"]))
    assert response.status_code == 404
    [event] = audit_events("access.denied")
    assert event.object_type == "customer" and event.object_id == "" and event.detail["customer_id_malformed"] is True
    _no_personal_data(event)


def test_the_portal_answers_404_for_another_persons_record_and_records_it(org: Org, target: Customer, audit_events: Events) -> None:
    own = customer(org["rep_bj1"])
    client = Client()
    session = client.session
    session[portal.SUBJECT_KEY] = [str(own.pk)]
    session[portal.SEEN_KEY] = time.time()
    session.save()
    assert client.post(f"/portal/consents/{target.pk}/marketing/withdraw/").status_code == 404
    [event] = audit_events("access.denied")
    assert event.actor_id is None and event.channel == "portal" and event.role == "data_subject"
    assert (event.object_id, event.detail) == (str(target.pk), {"route": "rights:withdraw", "purpose": "marketing"})
    assert event.purpose == "rights_request"


def test_an_unmatched_address_is_not_an_object_and_is_not_recorded(org: Org, audit_events: Events) -> None:
    assert signed_in(org["manager_sh"]).get("/no-such-page/").status_code == 404
    assert audit_events("access.denied") == []


def test_a_flood_is_bounded_and_the_rest_counted_in_one_event(org: Org, target: Customer, audit_events: Events, settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE = 3
    client = signed_in(org["manager_sh"])
    start = clock.now().replace(second=5, microsecond=0)
    with clock.travel(start):
        for _ in range(10):
            assert client.get(f"/customers/{target.pk}/").status_code == 404
    assert len(audit_events("access.denied")) == 3 and audit_events("access.denied_suppressed") == []
    # No further request comes: the worker's task writes the count once the minute is over.
    with clock.travel(start + dt.timedelta(minutes=1)):
        assert tasks.flush_denied_access.call() == 1
        assert tasks.flush_denied_access.call() == 0  # written once
    [counted] = audit_events("access.denied_suppressed")
    assert counted.actor_id == org["manager_sh"].pk and counted.outcome == "denied"
    assert counted.detail["suppressed"] == 7 and counted.detail["recorded"] == 3
    assert not DeniedAccessWindow.objects.exists()


def test_the_bound_is_per_actor(org: Org, target: Customer, audit_events: Events, settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE = 1
    with clock.travel(clock.now().replace(second=5, microsecond=0)):
        for name in ("manager_sh", "rep_sh", "manager_sh"):
            signed_in(org[name]).get(f"/customers/{target.pk}/")
    assert sorted(e.actor_username for e in audit_events("access.denied")) == ["manager_sh", "rep_sh"]


def test_the_next_denied_access_flushes_a_closed_window(org: Org, target: Customer, audit_events: Events, settings: Any) -> None:
    settings.CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE = 1
    start = clock.now().replace(second=5, microsecond=0)
    with clock.travel(start):
        for _ in range(3):
            signed_in(org["manager_sh"]).get(f"/customers/{target.pk}/")
    with clock.travel(start + dt.timedelta(minutes=2)):
        signed_in(org["rep_sh"]).get(f"/customers/{target.pk}/")  # someone else, later
    [counted] = audit_events("access.denied_suppressed")
    assert counted.actor_username == "manager_sh" and counted.detail["suppressed"] == 2
    assert [e.actor_username for e in audit_events("access.denied")] == ["manager_sh", "rep_sh"]


def test_a_window_under_the_bound_is_dropped_without_an_event(org: Org, audit_events: Events) -> None:
    start = clock.now().replace(second=5, microsecond=0)
    with clock.travel(start):
        assert denied.record_denied(ctx(org["manager_sh"]), route="customers:detail") is True
    assert denied.flush(now=start + dt.timedelta(minutes=1)) == 0
    assert not DeniedAccessWindow.objects.exists() and audit_events("access.denied_suppressed") == []


# --- item 4: revealing a field that does not exist -------------------------------------------------


def test_revealing_a_field_that_does_not_exist_on_the_page_is_recorded(org: Org, target: Customer, audit_events: Events) -> None:
    response = signed_in(org["manager_bj"]).post(f"/customers/{target.pk}/reveal/custom.nonexistent/")
    assert response.status_code == 404
    [event] = audit_events("access.denied")
    assert (event.object_type, event.object_id) == ("customer", str(target.pk))
    assert event.detail == {"route": "customers:reveal", "field": "custom.nonexistent"}
    assert audit_events("customer.field_revealed") == []
    _no_personal_data(event)


def test_revealing_a_field_that_does_not_exist_over_the_api_is_recorded(org: Org, target: Customer, audit_events: Events) -> None:
    response = Client().post(
        f"/api/v1/customers/{target.pk}/reveal",
        json.dumps({"fields": ["custom.nonexistent"]}),
        content_type="application/json",
        headers=api(org["manager_bj"]),
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    [event] = audit_events("access.denied")
    assert (event.object_type, event.object_id, event.detail["route"]) == ("customer", str(target.pk), "api-v1:reveal_fields")
    assert audit_events("customer.field_revealed") == []


def test_a_nested_address_names_the_innermost_object_and_keeps_the_outer_one(org: Org, target: Customer, audit_events: Events) -> None:
    followup = uuid.uuid4()
    response = signed_in(org["manager_sh"]).post(f"/customers/{target.pk}/followups/{followup}/delete/")
    assert response.status_code == 404
    [event] = audit_events("access.denied")
    assert (event.object_type, event.object_id) == ("followup", str(followup))
    assert event.detail == {"route": "customers:followup_delete", "customer_id": str(target.pk)}


def test_the_worker_flushes_closed_windows_every_minute() -> None:
    from clientvault.core.schedule import SCHEDULE

    [entry] = [e for e in SCHEDULE if e.task_path == "clientvault.audit.tasks.flush_denied_access"]
    assert entry.every <= dt.timedelta(minutes=1)
