"""Follow-ups are personal data (issue #11): sealed under the customer's key, decided per field, erased
with the key, and read only through the selectors that decide and record the event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from clientvault.crypto import keystore
from clientvault.customers import followups, selectors, vault
from clientvault.customers.models import FollowUp
from clientvault.testing.actors import ctx, signed_in
from clientvault.testing.customers import customer, followup, followup_text
from clientvault.testing.organisation import ensure_roles, make_org

pytestmark = pytest.mark.django_db

SECRET = "客户透露：近期有大额房贷，资金紧张"


def _client(u: Any) -> Client:
    client: Client = signed_in(u)
    return client


def test_summary_and_next_step_are_stored_sealed_and_bound_to_their_row(org):
    c = customer(org["rep_bj1"])
    now = dt.datetime.now(dt.UTC)
    made = followups.create_followup(
        ctx=ctx(org["rep_bj1"]),
        customer_id=c.pk,
        data={"occurred_at": now, "channel": "phone", "summary": SECRET, "next_step": "寄送建议书"},
    )
    other = followup(c, org["rep_bj1"], summary="另一条")
    columns = {col.name for col in connection.introspection.get_table_description(connection.cursor(), FollowUp._meta.db_table)}
    assert not {"summary", "next_step"} & columns and {"summary_ct", "next_step_ct"} <= columns
    row = FollowUp.objects.unrestricted(reason="test reads the stored row").get(pk=made.pk)
    assert SECRET.encode() not in bytes(row.summary_ct) and "寄送建议书".encode() not in bytes(row.next_step_ct)
    assert followup_text(made) == {"summary": SECRET, "next_step": "寄送建议书"}
    # Bound to (model, field, customer, follow-up): a ciphertext copied onto another record does not open.
    moved = FollowUp.objects.unrestricted(reason="test reads the stored row").get(pk=other.pk)
    moved.summary_ct = row.summary_ct
    with pytest.raises(Exception):  # noqa: B017 - Tink's decryption error
        vault.unseal_followup(moved)


def test_a_rep_reads_a_core_customers_follow_up_masked_everywhere(org, audit_events):
    c = customer(org["rep_bj1"], is_core=True)
    note = followup(c, org["rep_bj1"], summary=SECRET, next_step="下周面谈")
    rep = org["rep_bj1"]
    seen = selectors.get_customer(ctx(rep), c.pk)
    [shown] = seen.visible_followups  # type: ignore[attr-defined]
    assert shown.summary != SECRET and SECRET not in str(shown.summary) and shown.field_views["summary"].decision == "masked"
    client = _client(rep)
    body = client.get(f"/api/v1/followups/{note.pk}").json()
    assert body["summary"] != SECRET and body["fields"]["summary"]["decision"] == "masked" and body["next_step"] != "下周面谈"
    listed = client.get(f"/api/v1/customers/{c.pk}/followups").json()["items"]
    assert SECRET not in str(listed)
    page = client.get(reverse("customers:detail", args=[c.pk]))
    assert page.status_code == 200 and SECRET not in page.content.decode()
    # An ordinary customer's follow-up is in clear for the same rep, and the read is recorded.
    plain = customer(rep)
    plain_note = followup(plain, rep, summary=SECRET)
    mark = len(audit_events())
    assert client.get(f"/api/v1/followups/{plain_note.pk}").json()["summary"] == SECRET
    [event] = audit_events()[mark:]
    assert event.event_type == "followup.listed" and event.fields == ["summary"]


def test_the_auditor_has_a_core_customers_follow_ups_withheld_never_decrypted(org, monkeypatch):
    c = customer(org["rep_bj1"], is_core=True)
    note = followup(c, org["rep_bj1"], summary=SECRET)
    opened: list[str] = []
    real = vault.unseal_followup

    def spy(f: Any, fields: Any = vault.FOLLOWUP_FIELDS) -> dict[str, str]:
        opened.extend(fields)
        return real(f, fields)

    monkeypatch.setattr(vault, "unseal_followup", spy)
    seen = selectors.get_followup(ctx(org["auditor"]), note.pk)
    assert seen.summary is None and seen.field_views["summary"].decision == "withheld" and opened == []


def test_a_shredded_customers_follow_ups_read_as_erased(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    followup(c, rep, summary=SECRET)
    keystore.shred_key(c.pk)
    items, total = selectors.list_followups(ctx(rep), c.pk)
    assert total == 1 and items[0].erased and items[0].summary == "" and items[0].next_step == ""
    assert audit_events("followup.listed")[-1].fields == []
    body = _client(rep).get(f"/api/v1/customers/{c.pk}/followups").json()["items"][0]
    assert body["erased"] is True and body["summary"] == ""


def test_a_follow_up_the_actor_does_not_see_in_clear_cannot_be_overwritten(org, audit_events):
    c = customer(org["rep_bj1"], is_core=True)
    note = followup(c, org["rep_bj1"], summary=SECRET)
    client = _client(org["rep_bj1"])
    mark = len(audit_events())
    response = client.patch(f"/api/v1/followups/{note.pk}", {"summary": "覆盖"}, content_type="application/json")
    assert response.status_code == 422 and "summary" in response.json()["error"]["fields"]
    assert followup_text(note)["summary"] == SECRET and audit_events()[mark:] == []


def test_a_patch_that_changes_no_follow_up_field_still_records_the_read(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    note = followup(c, rep, summary=SECRET)
    mark = len(audit_events())
    response = _client(rep).patch(f"/api/v1/followups/{note.pk}", {"summary": SECRET}, content_type="application/json")
    assert response.status_code == 200 and response.json()["summary"] == SECRET
    [event] = audit_events()[mark:]
    assert event.event_type == "followup.listed" and event.fields == ["summary"] and event.detail["unchanged"] is True


@pytest.mark.django_db(transaction=True)
def test_existing_plaintext_follow_ups_are_sealed_by_the_migration():
    before = [("customers", "0009_followup_encrypted_columns")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        ensure_roles()
        org = make_org()
        rep = org["rep_bj1"]
        assert rep.department is not None
        # The customer as that schema knows it (no columns added since); its profile does not matter here.
        c = old_apps.get_model("customers", "Customer").objects.create(
            kind="individual", owner_id=rep.pk, department_id=rep.department_id, legal_entity_id=rep.department.legal_entity_id
        )
        OldFollowUp = old_apps.get_model("customers", "FollowUp")
        old = OldFollowUp.objects.create(
            customer_id=c.pk, author_id=org["rep_bj1"].pk, occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), channel="phone",
            summary=SECRET, next_step="回电",
        )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    row = FollowUp.objects.unrestricted(reason="test reads the stored row").get(pk=old.pk)
    assert SECRET.encode() not in bytes(row.summary_ct)
    assert vault.unseal_followup(row) == {"summary": SECRET, "next_step": "回电"}


def test_under_a_consent_based_purpose_follow_ups_show_only_what_the_consent_covers(org):
    from clientvault.access.models import Policy
    from clientvault.testing.consents import consent

    rep = org["rep_bj1"]
    narrow, wide = customer(rep), customer(rep)
    consent(narrow, categories=("identity", "contact"))
    consent(wide, categories=("identity", "contact", "behaviour"))
    for c in (narrow, wide):
        followup(c, rep, summary=SECRET)
    Policy.objects.create(
        code="rep-marketing-followups",
        role="sales_rep",
        resource="followup",
        actions=["view"],
        purposes=["marketing"],
        scope=1,
        max_clear_class="C2",
    )
    marketing = ctx(rep, purpose="marketing")
    [hidden], _n = selectors.list_followups(marketing, narrow.pk)
    assert hidden.summary is None and hidden.field_views["summary"].decision == "withheld"
    [shown], _n = selectors.list_followups(marketing, wide.pk)
    assert shown.summary == SECRET
