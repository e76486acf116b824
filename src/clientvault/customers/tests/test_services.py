from __future__ import annotations

import datetime as dt

import pytest

from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers import custom_fields, followups, profiles, selectors
from clientvault.customers.choices import Kind, Status
from clientvault.customers.models import Customer, FollowUp
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.customers import all_rows, customer, followup, reload
from clientvault.testing.identifiers import resident_id, uscc

pytestmark = pytest.mark.django_db


def test_rep_creates_individual_derives_birth_and_sex_and_leaves_one_event(org, audit_events):
    number = resident_id(birth=dt.date(1990, 5, 17), sex="F")
    c = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]),
        kind=Kind.INDIVIDUAL,
        data={"name": " 王  芳 ", "id_type": "resident_id", "id_number": number.lower(), "mobile": "+86 139-1234-5678"},
        tags=["VIP", "VIP", "理财"],
    )
    c = reload(c)
    assert (c.name, c.birth_date, c.sex, c.mobile) == ("王 芳", dt.date(1990, 5, 17), "F", "13912345678")
    assert c.owner == org["rep_bj1"] and c.department == org.bj_team1 and c.legal_entity == org.entity
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "理财"]
    [event, review] = audit_events()  # the record, and its entry review waiting for compliance (issue #13)
    assert review.event_type == "approval.submitted" and review.detail["change_type"] == "customers.entry_review"
    assert event.event_type == "customer.created" and event.customer_id == c.pk and event.actor == org["rep_bj1"]
    assert "id_number" in event.fields and event.role == "sales_rep" and event.channel == "web"
    assert number not in str(event.detail) and "王" not in str(event.fields)


def test_invalid_identifiers_are_rejected_with_field_errors_and_nothing_written(org, audit_events):
    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(
            ctx=ctx(org["rep_bj1"]),
            kind=Kind.INDIVIDUAL,
            data={"name": "李四", "id_type": "resident_id", "id_number": "340524198001010013", "mobile": "12345"},
        )
    assert set(exc.value.fields) == {"id_number", "mobile"}
    assert "340524198001010013" not in str(exc.value.as_dict())
    assert all_rows(Customer).count() == 0 and audit_events() == []


def test_organisation_uscc_checksum_failure_needs_explicit_acceptance(org):
    bad = uscc(5)[:-1] + ("0" if uscc(5)[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(ctx=ctx(org["rep_bj1"]), kind=Kind.ORGANISATION, data={"name": "某公司", "uscc": bad})
    assert "uscc" in exc.value.fields
    c = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]), kind=Kind.ORGANISATION, data={"name": "某公司", "uscc": bad}, accept_uscc_checksum_failure=True
    )
    assert c.uscc_needs_review is True


def test_duplicate_id_number_in_same_entity_is_refused(org):
    existing = customer(org["rep_bj2"])
    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(
            ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL, data={"name": "重复", "id_type": "resident_id", "id_number": existing.id_number}
        )
    assert "id_number" in exc.value.fields


def test_update_records_changed_field_names_and_bumps_version(org, audit_events):
    c = customer(org["rep_bj1"])
    updated = profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"mobile": "13800138000", "occupation": "教师"})
    assert updated.version == 2
    [event] = audit_events("customer.updated")
    assert event.fields == ["mobile", "occupation"]
    assert len(audit_events()) == 1


def test_noop_update_writes_nothing_but_records_the_read_it_answers_with(org, audit_events):
    c = customer(org["rep_bj1"])
    profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"name": c.name})
    assert [e.event_type for e in audit_events()] == ["customer.viewed"] and reload(c).version == 1


def test_stale_version_conflicts(org):
    c = customer(org["rep_bj1"])
    with pytest.raises(Conflict):
        profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"occupation": "x"}, expected_version=7)


def test_scope_rules_on_update(org):
    c = customer(org["rep_bj1"])
    with pytest.raises(NotFound):
        profiles.update_customer(ctx=ctx(org["rep_bj2"]), customer_id=c.pk, changes={"occupation": "x"})
    with pytest.raises(PermissionDenied):  # sees it, may not change it
        profiles.update_customer(ctx=ctx(org["risk"]), customer_id=c.pk, changes={"occupation": "x"})
    with pytest.raises(PermissionDenied):
        profiles.update_customer(ctx=ctx(org["admin"]), customer_id=c.pk, changes={"occupation": "x"})
    profiles.update_customer(ctx=ctx(org["manager_bj"]), customer_id=c.pk, changes={"occupation": "经理改"})
    with pytest.raises(NotFound):
        profiles.update_customer(ctx=ctx(org["manager_sh"]), customer_id=c.pk, changes={"occupation": "x"})


def test_manager_reassigns_within_subtree_only(org, audit_events):
    from clientvault.approvals.models import ApprovalRule

    # Without an active reassignment rule the manager's change is written at once (issue #13 routes it otherwise).
    ApprovalRule.objects.filter(change_type="customers.reassign_owner").update(active=False)
    c = customer(org["rep_bj1"])
    profiles.update_customer(ctx=ctx(org["manager_bj"]), customer_id=c.pk, changes={}, owner_id=org["rep_bj2"].pk)
    c = reload(c)
    assert c.owner == org["rep_bj2"] and c.department == org.bj_team2
    assert audit_events("customer.updated")[0].fields == ["department", "owner"]
    with pytest.raises(ValidationFailed):
        profiles.update_customer(ctx=ctx(org["manager_bj"]), customer_id=c.pk, changes={}, owner_id=org["rep_sh"].pk)
    with pytest.raises(ValidationFailed):
        profiles.update_customer(ctx=ctx(org["rep_bj2"]), customer_id=c.pk, changes={}, owner_id=org["rep_bj1"].pk)


def test_only_prospects_are_deleted(org, audit_events):
    active = customer(org["rep_bj1"], status=Status.ACTIVE)
    with pytest.raises(Conflict):
        profiles.delete_customer(ctx=ctx(org["rep_bj1"]), customer_id=active.pk)
    prospect = customer(org["rep_bj1"], status=Status.PROSPECT)
    followup(prospect, org["rep_bj1"])
    profiles.delete_customer(ctx=ctx(org["rep_bj1"]), customer_id=prospect.pk)
    assert not all_rows(Customer).filter(pk=prospect.pk).exists() and all_rows(FollowUp).count() == 0
    [event] = audit_events("customer.deleted")
    assert event.customer_id == prospect.pk and event.detail == {"followups_deleted": 1}


def test_detail_view_leaves_exactly_one_event_and_out_of_scope_is_not_found(org, audit_events):
    c = customer(org["rep_bj1"])
    followup(c, org["rep_bj1"])
    seen = selectors.get_customer(ctx(org["manager_bj"]), c.pk)
    assert len(seen.visible_followups) == 1  # type: ignore[attr-defined]
    [event] = audit_events()
    assert event.event_type == "customer.viewed" and "followup.summary" in event.fields and "id_number" in event.fields
    for outsider in ("rep_bj2", "manager_sh", "admin", "rep_other", "risk_other", "norole"):
        with pytest.raises(NotFound):
            selectors.get_customer(ctx(org[outsider]), c.pk)
    assert len(audit_events()) == 1


def test_list_event_never_holds_the_search_terms(org, audit_events):
    c = customer(org["rep_bj1"])
    page = selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(q=c.mobile))
    assert [x.pk for x in page.items] == [c.pk]
    [event] = audit_events()
    assert event.event_type == "customer.listed" and event.detail["result_count"] == 1 and event.detail["filter_keys"] == ["q"]
    assert c.mobile not in str(event.detail)


def test_search_matches_normalised_identifiers(org):
    c = customer(org["rep_bj1"])
    actor = ctx(org["rep_bj1"])
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in c.id_number[:-1]) + c.id_number[-1]
    for q in (c.id_number.lower(), full_width, f"+86 {c.mobile[:3]} {c.mobile[3:]}", c.email.upper(), f" {c.name} "):
        assert [x.pk for x in selectors.list_customers(actor, selectors.CustomerFilters(q=q)).items] == [c.pk], q
    # No partial matches: a substring index over encrypted names would leak their shared characters.
    assert selectors.list_customers(actor, selectors.CustomerFilters(q=c.name[1:])).items == []


def test_followup_create_and_author_rules(org, audit_events):
    c = customer(org["rep_bj1"])
    now = dt.datetime.now(dt.UTC)
    f = followups.create_followup(
        ctx=ctx(org["rep_bj1"]), customer_id=c.pk, data={"occurred_at": now, "channel": "phone", "summary": "回访"}
    )
    assert audit_events("followup.created")[0].customer_id == c.pk
    with pytest.raises(ValidationFailed):
        followups.create_followup(
            ctx=ctx(org["rep_bj1"]), customer_id=c.pk, data={"occurred_at": now + dt.timedelta(days=1), "channel": "fax", "summary": ""}
        )
    managers_note = followups.create_followup(
        ctx=ctx(org["manager_bj"]), customer_id=c.pk, data={"occurred_at": now, "channel": "visit", "summary": "拜访"}
    )
    with pytest.raises(PermissionDenied):
        followups.update_followup(ctx=ctx(org["rep_bj1"]), followup_id=managers_note.pk, changes={"summary": "改"})
    followups.update_followup(ctx=ctx(org["manager_bj"]), followup_id=f.pk, changes={"summary": "主管更正"})
    with pytest.raises(PermissionDenied):
        followups.create_followup(ctx=ctx(org["risk"]), customer_id=c.pk, data={"occurred_at": now, "channel": "phone", "summary": "x"})
    followups.delete_followup(ctx=ctx(org["rep_bj1"]), followup_id=f.pk)
    assert [e.event_type for e in audit_events()] == ["followup.created", "followup.created", "followup.updated", "followup.deleted"]


def test_custom_fields_are_validated_against_their_definition(org, audit_events):
    admin = ctx(org["admin"])
    custom_fields.define_custom_field(
        ctx=admin,
        key="risk_level",
        field_type="choice",
        data={
            "label_zh": "风险等级",
            "label_en": "Risk level",
            "required": True,
            "applies_to": "individual",
            "choices": [{"value": "low", "label_zh": "低", "label_en": "Low"}],
        },
    )
    custom_fields.define_custom_field(
        ctx=admin, key="employees", field_type="integer", data={"label_zh": "员工数", "label_en": "Employees", "applies_to": "organisation"}
    )
    rep = ctx(org["rep_bj1"])
    base = {"name": "赵六", "id_type": "resident_id", "id_number": resident_id()}
    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(ctx=rep, kind=Kind.INDIVIDUAL, data=base)
    assert "custom.risk_level" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(ctx=rep, kind=Kind.INDIVIDUAL, data=base, custom={"risk_level": "extreme", "employees": 3})
    assert set(exc.value.fields) == {"custom.risk_level", "custom.employees"}
    c = profiles.create_customer(ctx=rep, kind=Kind.INDIVIDUAL, data=base, custom={"risk_level": "low"})
    assert c.custom_data == {"risk_level": "low"}
    with pytest.raises(PermissionDenied):
        custom_fields.define_custom_field(ctx=rep, key="x", field_type="text", data={"label_zh": "x", "label_en": "x"})
    with pytest.raises(ValidationFailed):
        custom_fields.define_custom_field(ctx=admin, key="risk_level", field_type="text", data={"label_zh": "x", "label_en": "x"})
    assert [e.event_type for e in audit_events()] == [
        "customfield.created",
        "customfield.created",
        "customer.created",
        "approval.submitted",
    ]


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_transaction_is_refused(org):
    from clientvault.audit import recording as audit

    with pytest.raises(RuntimeError):
        audit.record(ctx(org["rep_bj1"]), "customer.viewed")


def test_audit_detail_refuses_personal_data(org):
    from django.db import transaction

    from clientvault.audit import recording as audit

    with transaction.atomic(), pytest.raises(ValueError):
        audit.record(ctx(org["rep_bj1"]), "customer.listed", detail={"q": "13800138000"})


def test_tampered_version_in_the_edit_form_conflicts_instead_of_crashing(org, client):
    c = customer(org["rep_bj1"])
    sign_in_verified(client, org["rep_bj1"])
    data = {"kind": "individual", "name": c.name, "status": "active", "id_type": "resident_id", "id_number": c.id_number, "version": "abc"}
    response = client.post(f"/customers/{c.pk}/edit/", data)
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    c = reload(c)
    assert c.version == 1


def test_marking_a_customer_core_is_an_audited_change(org, audit_events, client):
    c = customer(org["rep_bj1"])
    profiles.update_customer(ctx=ctx(org["manager_bj"]), customer_id=c.pk, changes={"is_core": True})
    assert reload(c).is_core is True
    assert audit_events("customer.updated")[0].fields == ["is_core"]
    sign_in_verified(client, org["rep_bj1"])
    assert 'data-testid="core"' in client.get(f"/customers/{c.pk}/").content.decode()
