"""Changes a second person decides (issue #13): sensitive fields, lowering protection, reassignment, and
the review of a new customer — submitted instead of written, applied on approval, stale or refused → failed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clientvault.approvals import registry, services
from clientvault.approvals.models import ChangeRequest
from clientvault.core import roles as R
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.customers import changes, profiles, protection
from clientvault.customers.choices import Kind, ReviewStatus
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows, customer, reload
from clientvault.testing.identifiers import bank_card, resident_id
from clientvault.testing.organisation import Org, second_officer, user

pytestmark = pytest.mark.django_db


def _request(request_id: Any) -> ChangeRequest:
    return ChangeRequest.objects.unrestricted(reason="test reads the request").get(pk=request_id)


def _sees(u: Any, c: Any) -> bool:
    return Customer.objects.visible_to(ctx(u)).filter(pk=c.pk).exists()


def _new_number() -> str:
    return resident_id(birth=dt.date(1985, 3, 9), sex="M")


def test_the_catalogue_decides_which_fields_need_approval(org: Org) -> None:
    from clientvault.classification.models import FieldClassification

    keys = changes.sensitive_keys()
    assert {"customer.id_number", "customer.bank_card"} <= keys  # PIPL-sensitive in the seeded catalogue
    assert "customer.mobile" not in keys and "customer.name" not in keys
    FieldClassification.objects.filter(key="customer.occupation").update(jrt_class="C3")  # compliance reclassifies
    assert "customer.occupation" in changes.sensitive_keys()
    direct, proposed = changes.split(["name", "id_number", "birth_date", "sex", "occupation"])
    assert direct == ["name"] and proposed == ["id_number", "birth_date", "sex", "occupation"]


def _individual(rep: Any, **fields: Any) -> Any:
    """A customer born 1990-01-01, female: a new number (1985, male) changes the derived fields too."""
    return customer(rep, id_number=resident_id(birth=dt.date(1990, 1, 1), sex="F"), birth_date=dt.date(1990, 1, 1), sex="F", **fields)


def test_a_reps_change_of_an_id_number_becomes_a_request_and_nothing_is_written(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = _individual(rep)
    number = _new_number()
    out = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": number})
    [request] = out.change_requests
    row = _request(request.pk)
    assert (row.change_type, row.status, row.maker_id) == (changes.SENSITIVE_FIELD, "submitted", rep.pk)
    assert row.fingerprint == "1" and row.fields == ["customer.birth_date", "customer.id_number", "customer.sex"]
    after = reload(c)
    assert (after.id_number, after.version, after.birth_date) == (c.id_number, 1, c.birth_date)
    assert [e.event_type for e in audit_events()] == ["approval.submitted"]
    assert number not in str(audit_events()[0].detail)


def test_compliance_approves_and_the_change_is_applied_with_the_request_named(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = _individual(rep)
    number = _new_number()
    [request] = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": number}).change_requests
    services.approve(ctx(org["compliance"]), request.pk)
    assert _request(request.pk).status == "applied"
    after = reload(c)
    assert (after.id_number, after.birth_date, after.sex, after.version) == (number, dt.date(1985, 3, 9), "M", 2)
    [updated] = audit_events("customer.updated")
    assert updated.actor == org["compliance"] and updated.customer_id == c.pk
    assert updated.detail["change_request"] == str(request.pk) and updated.detail["version"] == 2
    assert set(updated.fields) == {"id_number", "birth_date", "sex"}
    assert [e.event_type for e in audit_events() if e.event_type.startswith("approval.")][-1] == "approval.applied"


def test_non_sensitive_fields_of_the_same_edit_are_written_at_once(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, occupation="教师")
    out = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": _new_number(), "occupation": "医生"})
    [request] = out.change_requests
    after = reload(c)
    assert (after.occupation, after.id_number, after.version) == ("医生", c.id_number, 2)
    assert _request(request.pk).fingerprint == "2"  # submitted against the record as the edit left it
    [updated] = audit_events("customer.updated")
    assert updated.fields == ["occupation"]


def test_a_stale_request_fails_and_nothing_is_written(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, occupation="教师")
    [request] = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": _new_number()}).change_requests
    profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"occupation": "医生"})  # edited meanwhile
    services.approve(ctx(org["compliance"]), request.pk)
    row = _request(request.pk)
    assert row.status == "failed" and row.failure_reason
    after = reload(c)
    assert (after.id_number, after.occupation, after.version) == (c.id_number, "医生", 2)
    assert len(audit_events("customer.updated")) == 1 and len(audit_events("approval.failed")) == 1


def test_a_value_no_longer_valid_at_apply_fails_the_request(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep)
    number = _new_number()
    [request] = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": number}).change_requests
    # Someone else registered that ID number meanwhile (in the same legal entity).
    other = customer(org["rep_bj2"], id_number=number, birth_date=dt.date(1985, 3, 9), sex="M")
    services.approve(ctx(org["compliance"]), request.pk)
    assert _request(request.pk).status == "failed"
    assert reload(c).id_number == c.id_number and reload(other).id_number == number


def test_a_rep_cannot_approve_their_own_request_nor_can_another_rep(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep)
    [request] = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"bank_card": bank_card()}).change_requests
    with pytest.raises(PermissionDenied):
        services.approve(ctx(rep), request.pk)
    with pytest.raises(NotFound):
        services.approve(ctx(org["rep_bj2"]), request.pk)
    assert _request(request.pk).status == "submitted" and reload(c).bank_card == ""


def test_a_second_open_request_on_the_same_fields_is_refused_and_the_edit_rolls_back(org: Org) -> None:
    from clientvault.core.errors import Conflict

    rep = org["rep_bj1"]
    c = customer(rep, occupation="教师")
    profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": _new_number()})
    with pytest.raises(Conflict):
        profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"bank_card": bank_card(), "occupation": "医生"})
    assert reload(c).occupation == "教师"  # nothing half-written


def test_lowering_protection_is_proposed_by_a_manager_and_approved_by_compliance(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"], is_core=True)
    [request] = profiles.update_customer(ctx=ctx(org["manager_bj"]), customer_id=c.pk, changes={"is_core": False}).change_requests
    assert _request(request.pk).change_type == changes.LOWER_PROTECTION and reload(c).is_core is True
    services.approve(ctx(org["compliance"]), request.pk)
    assert reload(c).is_core is False
    [event] = audit_events("customer.protection_lowered")
    assert event.detail["change_request"] == str(request.pk) and event.actor == org["compliance"]


def test_a_rep_still_cannot_lower_protection(org: Org) -> None:
    c = customer(org["rep_bj1"], is_core=True)
    with pytest.raises(PermissionDenied):
        profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=c.pk, changes={"is_core": False})
    assert reload(c).is_core is True


def test_compliance_proposing_to_clear_core_needs_a_second_compliance_officer(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"], is_core=True)
    request = protection.clear_core(ctx=ctx(org["compliance"]), customer_id=c.pk)
    with pytest.raises(PermissionDenied):
        services.approve(ctx(org["compliance"]), request.pk)  # maker ≠ checker
    assert reload(c).is_core is True and audit_events("customer.protection_lowered") == []
    services.approve(ctx(second_officer(org)), request.pk)
    assert reload(c).is_core is False and len(audit_events("customer.protection_lowered")) == 1


def test_reassignment_is_decided_by_a_manager_of_the_new_departments_subtree_only(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    manager = org["manager_bj"]
    [request] = profiles.update_customer(ctx=ctx(manager), customer_id=c.pk, changes={}, owner_id=org["rep_bj2"].pk).change_requests
    assert reload(c).owner == org["rep_bj1"]
    with pytest.raises(PermissionDenied):
        services.approve(ctx(manager), request.pk)  # the maker
    with pytest.raises(NotFound):
        services.approve(ctx(org["manager_sh"]), request.pk)  # another branch: out of scope
    with pytest.raises((NotFound, PermissionDenied)):
        services.approve(ctx(org["compliance"]), request.pk)  # not a role the rule names
    head = user("manager_hq", R.SALES_MANAGER, org.hq)
    services.approve(ctx(head), request.pk)
    after = reload(c)
    assert (after.owner, after.department, after.version) == (org["rep_bj2"], org.bj_team2, 2)
    [event] = audit_events("customer.reassigned")
    assert event.detail["change_request"] == str(request.pk) and event.detail["to_department"] == str(org.bj_team2.pk)


def test_a_team_manager_below_the_new_department_may_decide_a_move_into_their_team(org: Org) -> None:
    c = customer(org["rep_bj1"])
    [request] = profiles.update_customer(
        ctx=ctx(org["manager_bj"]), customer_id=c.pk, changes={}, owner_id=org["rep_bj2"].pk
    ).change_requests
    team_manager = user("manager_bj2", R.SALES_MANAGER, org.bj_team2)
    assert changes.REASSIGN_OWNER in registry.codes()
    services.approve(ctx(team_manager), request.pk)
    assert reload(c).owner == org["rep_bj2"]


def test_a_new_customer_waits_for_compliance_then_the_team_sees_it(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = profiles.create_customer(ctx=ctx(rep), kind=Kind.INDIVIDUAL, data={"name": "新客户", "mobile": "13911112222"})
    [request] = c.change_requests
    assert reload(c).review_status == ReviewStatus.PENDING and _request(request.pk).change_type == changes.ENTRY_REVIEW
    assert _sees(rep, c) and _sees(org["compliance"], c) and not _sees(org["manager_bj"], c)
    with pytest.raises(PermissionDenied):
        services.approve(ctx(rep), request.pk)
    services.approve(ctx(org["compliance"]), request.pk)
    assert reload(c).review_status == ReviewStatus.APPROVED and _sees(org["manager_bj"], c)
    [event] = audit_events("customer.entry_approved")
    assert event.detail["change_request"] == str(request.pk) and event.actor == org["compliance"]


def test_a_rejected_entry_stays_hidden_from_the_team(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = profiles.create_customer(ctx=ctx(rep), kind=Kind.INDIVIDUAL, data={"name": "新客户", "mobile": "13911112223"})
    [request] = c.change_requests
    services.reject(ctx(org["compliance"]), request.pk, reason="documents missing")
    assert reload(c).review_status == ReviewStatus.REJECTED
    assert _sees(rep, c) and _sees(org["compliance"], c) and not _sees(org["manager_bj"], c)
    assert len(audit_events("customer.entry_rejected")) == 1


def test_an_edit_while_pending_restarts_the_review_on_the_record_as_it_is(org: Org) -> None:
    rep = org["rep_bj1"]
    c = profiles.create_customer(ctx=ctx(rep), kind=Kind.INDIVIDUAL, data={"name": "新客户", "mobile": "13911112224"})
    [first] = c.change_requests
    profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": _new_number(), "id_type": "resident_id"})
    assert _request(first.pk).status == "withdrawn"
    [second] = list(ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(c.pk), status="submitted"))
    services.approve(ctx(org["compliance"]), second.pk)
    assert reload(c).review_status == ReviewStatus.APPROVED


def test_describe_masks_through_the_viewers_disclosure_plan(org: Org) -> None:
    from clientvault.approvals import routing

    rep = org["rep_bj1"]
    c = customer(rep)
    number = _new_number()
    [request] = profiles.update_customer(ctx=ctx(rep), customer_id=c.pk, changes={"id_number": number}).change_requests
    pending = routing.pending(_request(request.pk))
    describe = registry.get(changes.SENSITIVE_FIELD).describe
    rows = {r.field: r for r in describe(ctx(org["compliance"]), pending)}  # C2 in clear for compliance
    assert rows["id_number"].after == number and rows["id_number"].shown_plain
    rows = {r.field: r for r in describe(ctx(org["manager_bj"]), pending)}  # C2 masked for a manager
    assert rows["id_number"].after != number and number[-4:] in rows["id_number"].after and not rows["id_number"].shown_plain
    assert c.id_number not in rows["id_number"].before


def test_the_api_answers_202_with_the_request(org: Org) -> None:
    from clientvault.testing.actors import signed_in

    rep = org["rep_bj1"]
    c = customer(rep)
    response = signed_in(rep).patch(
        f"/api/v1/customers/{c.pk}", data={"id_number": _new_number(), "version": 1}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "submitted" and _request(body["change_request"]).maker_id == rep.pk
    assert all_rows(Customer).get(pk=c.pk).version == 1


def test_the_edit_page_says_the_change_was_submitted_and_links_the_request(org: Org) -> None:
    from clientvault.testing.actors import sign_in_verified

    rep = org["rep_bj1"]
    c = _individual(rep, occupation="教师")
    client = Client()
    sign_in_verified(client, rep)
    form = client.get(f"/customers/{c.pk}/edit/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if v not in (None, False)}
    data.update(id_number=_new_number(), version=1, birth_date="")
    response = client.post(f"/customers/{c.pk}/edit/", data, follow=True)
    assert response.redirect_chain == [(f"/customers/{c.pk}/", 302)], response.context["form"].errors if response.context else ""
    [request] = ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(c.pk))
    page = response.content.decode()
    assert "已提交审批" in page and f'href="/approvals/{request.pk}/"' in page
    assert reload(c).id_number == c.id_number
