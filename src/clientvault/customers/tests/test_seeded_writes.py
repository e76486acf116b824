"""Every write through its owning service, with its event (issue #11): imported follow-ups and the demo's
custom fields leave the events a user's own actions leave."""

from __future__ import annotations

import datetime as dt

import pytest

from clientvault.classification.models import FieldClassification
from clientvault.core.context import system_context
from clientvault.customers.choices import Kind
from clientvault.customers.imports import ImportRow, import_customers
from clientvault.customers.models import CustomFieldDefinition, FollowUp
from clientvault.demo import seeding
from clientvault.testing.customers import followup_text

pytestmark = pytest.mark.django_db


def test_imported_follow_ups_are_sealed_and_each_leaves_its_event(org, audit_events):
    when = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    notes = [
        {"occurred_at": when, "channel": "phone", "summary": "首次电话", "next_step": "寄资料"},
        {"occurred_at": when, "channel": "visit", "summary": "上门拜访"},
    ]
    row = ImportRow(kind=Kind.INDIVIDUAL, data={"name": "导入客户"}, owner=org["rep_bj1"], followups=notes)
    assert import_customers(ctx=system_context(channel="cli"), rows=[row]) == 1
    stored = list(FollowUp.objects.unrestricted(reason="test reads the stored rows").order_by("channel"))
    assert sorted(followup_text(f)["summary"] for f in stored) == ["上门拜访", "首次电话"]
    assert all("首次电话".encode() not in bytes(f.summary_ct) for f in stored)
    events = audit_events("followup.created")
    assert sorted(str(e.object_id) for e in events) == sorted(str(f.pk) for f in stored)
    assert {e.customer_id for e in events} == {stored[0].customer_id}
    assert sorted(e.fields for e in events) == [["next_step", "summary"], ["summary"]]


def test_the_demo_defines_its_custom_fields_through_the_service_with_their_events(org, audit_events):
    seeding._define_custom_fields(org["admin"])
    assert set(CustomFieldDefinition.objects.values_list("key", flat=True)) == {"risk_appetite", "income_band", "employees"}
    events = audit_events("customfield.created")
    assert sorted(e.object_id for e in events) == ["employees", "income_band", "risk_appetite"]
    assert {e.actor_id for e in events} == {org["admin"].pk}
    classes = dict(FieldClassification.objects.filter(key__startswith="customer.custom.").values_list("key", "jrt_class"))
    expected = {"customer.custom.risk_appetite": "C2", "customer.custom.income_band": "C2", "customer.custom.employees": "C1"}
    assert classes == expected
