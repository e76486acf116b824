"""The customer JSON API at /api/v1/, with a personal token and with the browser session."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clientvault.accounts.models import ApiToken, User
from clientvault.accounts.services import create_api_token, revoke_api_token
from clientvault.core import roles as R
from clientvault.customers.choices import Kind, Status
from clientvault.customers.models import Customer, CustomFieldDefinition, FollowUp
from clientvault.testing.actors import choose_purpose, ctx, default_purpose
from clientvault.testing.audit import denials, not_denials
from clientvault.testing.customers import all_rows, customer, followup, followup_text, reload
from clientvault.testing.identifiers import resident_id, uscc

pytestmark = pytest.mark.django_db

API = "/api/v1"


class Api:
    """A JSON client for one user: ``token`` sends a Bearer token, ``session`` a signed-in browser with CSRF enforced."""

    def __init__(self, u: User, mode: str) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers: dict[str, str] = {}
        purpose = default_purpose(u)
        if mode == "token":  # a token for the role's usual purpose: requests need no X-Purpose header
            _token, secret = create_api_token(ctx=ctx(u), name="t", purposes=[purpose] if purpose else [])
            self.headers["Authorization"] = f"Bearer {secret}"
        else:
            self.client.force_login(u)
            if purpose:
                choose_purpose(self.client, purpose)
            self.client.get("/accounts/profile/")  # sets the CSRF cookie, as the browser would have it
            self.headers["X-CSRFToken"] = self.client.cookies["cv_csrftoken"].value

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(API + path, json.dumps(body), content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(API + path, json.dumps(body), content_type="application/json", headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)


@pytest.fixture(params=["token", "session"])
def api(request: pytest.FixtureRequest, org: Any) -> Callable[[str], Api]:
    mode = request.param
    return lambda username: Api(org[username], mode)


def one_event(audit_events: Any, mark: int, event_type: str, actor: User, *, then: list[str] | None = None) -> Any:
    """The single event recorded since ``mark`` (followed by ``then``, e.g. the request a write opened): its
    type, actor and channel are checked."""
    events = audit_events()[mark:]
    assert [e.event_type for e in events] == [event_type, *(then or [])]
    event = events[0]
    assert event.actor == actor and event.channel == "api" and event.outcome == "success"
    return event


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"] == response["X-Request-ID"]
    return error


def individual(**fields: Any) -> dict[str, Any]:
    body = {
        "kind": Kind.INDIVIDUAL,
        "name": "王芳",
        "id_type": "resident_id",
        "id_number": resident_id(birth=dt.date(1990, 5, 17), sex="F"),
    }
    body.update(fields)
    return body


def bad_checksum(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


# --- Authentication -----------------------------------------------------------------------------


def test_anonymous_and_bad_tokens_get_401(org):
    rep = org["rep_bj1"]
    revoked, revoked_secret = create_api_token(ctx=ctx(rep), name="revoked")
    revoke_api_token(ctx=ctx(rep), token_id=revoked.pk)
    expired, expired_secret = create_api_token(ctx=ctx(rep), name="expired")
    past = timezone.now() - dt.timedelta(days=10)
    ApiToken.objects.filter(pk=expired.pk).update(created_at=past - dt.timedelta(days=1), expires_at=past)
    for headers in (
        {},
        {"Authorization": "Bearer cvt_not-a-token"},
        {"Authorization": f"Bearer {revoked_secret}"},
        {"Authorization": f"Bearer {expired_secret}"},
        {"Authorization": "Basic cmVwX2JqMTpwdw=="},
    ):
        for path in ("/customers", "/me", "/custom-fields"):
            error_of(Client().get(API + path, headers=headers), 401, "not_authenticated")


def test_session_write_without_csrf_token_is_refused(org, audit_events):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["rep_bj1"])
    response = client.post(API + "/customers", json.dumps(individual()), content_type="application/json")
    assert response.status_code == 403
    assert all_rows(Customer).count() == 0 and audit_events() == []


def test_token_needs_no_csrf_token(org, audit_events):
    _token, secret = create_api_token(ctx=ctx(org["rep_bj1"]), name="t", purposes=["customer_service", "sales_followup"])
    client = Client(enforce_csrf_checks=True)
    headers = {"Authorization": f"Bearer {secret}", "X-Purpose": "customer_service"}
    response = client.post(API + "/customers", json.dumps(individual()), content_type="application/json", headers=headers)
    assert response.status_code == 201


# --- List -------------------------------------------------------------------------------------


def test_list_has_pagination_fields_and_is_audited(api, org, audit_events):
    rep = org["rep_bj1"]
    made = [customer(rep) for _ in range(3)]
    client = api("rep_bj1")
    mark = len(audit_events())
    response = client.get("/customers", {"per_page": 2})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "page", "per_page", "total", "pages"}
    assert (page["page"], page["per_page"], page["total"], page["pages"], len(page["items"])) == (1, 2, 3, 2, 2)
    assert set(page["items"][0]) == {
        "id",
        "kind",
        "name",
        "status",
        "owner_id",
        "is_core",
        "mobile",
        "uscc",
        "tags",
        "fields",
        "updated_at",
    }
    assert page["items"][0]["fields"]["name"] == {"decision": "plain", "revealable": False}
    event = one_event(audit_events, mark, "customer.listed", rep)
    # The disclosure plan the page carried out, as codes (no values): the rep sees the list fields in clear.
    plan = ["mobile:plain", "name:plain", "tags:plain", "uscc:plain"]
    assert event.detail == {"result_count": 3, "page": 1, "rows_shown": 2, "filter_keys": [], "disclosure": plan}

    second = client.get("/customers", {"per_page": 2, "page": 2}).json()
    assert second["page"] == 2 and len(second["items"]) == 1
    ids = {i["id"] for i in page["items"]} | {i["id"] for i in second["items"]}
    assert ids == {str(c.pk) for c in made}


def test_per_page_is_capped_at_200(api, org):
    customer(org["rep_bj1"])
    page = api("rep_bj1").get("/customers", {"per_page": 5000}).json()
    assert page["per_page"] == 200 and page["total"] == 1


def test_filters_q_status_kind_tag(api, org, audit_events):
    rep = org["rep_bj1"]
    zhang = customer(rep, name="张三丰")
    prospect = customer(rep, status=Status.PROSPECT)
    company = customer(rep, kind=Kind.ORGANISATION, name="某某科技有限公司")
    vip = customer(rep)
    vip.tags.create(name="VIP")
    client = api("rep_bj1")

    def names(**params: Any) -> set[str]:
        response = client.get("/customers", params)
        assert response.status_code == 200
        return {i["id"] for i in response.json()["items"]}

    assert names(q="张三丰") == {str(zhang.pk)}
    assert names(q="张三") == set()  # exact match only: names are encrypted (no partial index)
    assert names(q=zhang.id_number) == {str(zhang.pk)}
    assert names(q=company.uscc) == {str(company.pk)}
    assert names(status="prospect") == {str(prospect.pk)}
    assert names(kind="organisation") == {str(company.pk)}
    assert names(tag="VIP") == {str(vip.pk)}
    assert names(status="prospect", kind="organisation") == set()

    mark = len(audit_events())
    client.get("/customers", {"q": zhang.id_number, "status": "active"})
    event = one_event(audit_events, mark, "customer.listed", rep)
    assert event.detail["filter_keys"] == ["q", "status"]
    # The search terms are often ID or phone numbers: never in the audit trail.
    assert zhang.id_number not in json.dumps(event.detail) and zhang.id_number not in json.dumps(event.fields)


def test_rep_sees_own_customers_and_manager_the_subtree(api, org):
    own = customer(org["rep_bj1"])
    team2 = customer(org["rep_bj2"])
    shanghai = customer(org["rep_sh"])
    other_entity = customer(org["rep_other"])

    def ids(username: str) -> set[str]:
        return {i["id"] for i in api(username).get("/customers", {"per_page": 200}).json()["items"]}

    assert ids("rep_bj1") == {str(own.pk)}
    assert ids("rep_bj2") == {str(team2.pk)}
    assert ids("manager_bj") == {str(own.pk), str(team2.pk)}
    assert ids("manager_sh") == {str(shanghai.pk)}
    assert ids("risk") == {str(own.pk), str(team2.pk), str(shanghai.pk)}
    assert ids("risk_other") == {str(other_entity.pk)}
    refused = api("norole").get("/customers")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"


# --- Create -----------------------------------------------------------------------------------


def test_create_individual(api, org, audit_events):
    rep = org["rep_bj1"]
    client = api("rep_bj1")
    mark = len(audit_events())
    body = individual(mobile="+86 139-1234-5678", tags=["VIP", "理财"])
    response = client.post("/customers", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["kind"] == "individual" and out["name"] == "王芳" and out["status"] == "prospect"
    assert out["birth_date"] == "1990-05-17" and out["sex"] == "F" and out["mobile"] == "13912345678"
    assert out["owner_id"] == rep.pk and out["department_id"] == str(org.bj_team1.pk) and out["version"] == 1
    assert sorted(out["tags"]) == ["VIP", "理财"]
    created = reload(out["id"])
    assert created.owner == rep and created.legal_entity == org.entity and created.created_by == rep
    event = one_event(audit_events, mark, "customer.created", rep, then=["approval.submitted"])  # the entry review (issue #13)
    assert out["review_status"] == "pending"
    assert event.customer_id == created.pk and event.role == R.SALES_REP
    assert {"name", "id_number", "mobile"} <= set(event.fields)
    assert body["id_number"] not in json.dumps(event.detail)


def test_manager_creates_for_a_rep_of_the_team(api, org, audit_events):
    client = api("manager_bj")
    mark = len(audit_events())
    response = client.post("/customers", {"kind": "organisation", "name": "某公司", "uscc": uscc(), "owner_id": org["rep_bj2"].pk})
    assert response.status_code == 201, response.content
    assert response.json()["owner_id"] == org["rep_bj2"].pk and response.json()["department_id"] == str(org.bj_team2.pk)
    one_event(audit_events, mark, "customer.created", org["manager_bj"], then=["approval.submitted"])


def test_bad_resident_id_checksum_is_422_without_echo(api, org, audit_events):
    client = api("rep_bj1")
    mark = len(audit_events())
    number = bad_checksum(resident_id())
    response = client.post("/customers", individual(id_number=number))
    error = error_of(response, 422, "validation_failed")
    assert list(error["fields"]) == ["id_number"] and error["fields"]["id_number"]
    assert number not in response.content.decode() and number[:-1] not in response.content.decode()
    assert all_rows(Customer).count() == 0 and audit_events()[mark:] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "person", "name": "王芳"}, "kind"),
        ({"name": "王芳"}, "kind"),
        ({"kind": "individual"}, "name"),
        ({"kind": "individual", "name": "王芳", "mobile": "12345"}, "mobile"),
        ({"kind": "organisation", "name": "某公司"}, "uscc"),
        ({"kind": "individual", "name": "王芳", "uscc": "91110105000000011X"}, "uscc"),
        ({"kind": "individual", "name": "王芳", "birth_date": "not-a-date"}, "birth_date"),
    ],
)
def test_invalid_create_is_422_with_field_errors(api, org, audit_events, body, field):
    client = api("rep_bj1")
    mark = len(audit_events())
    error = error_of(client.post("/customers", body), 422, "validation_failed")
    assert field in error["fields"]
    assert all_rows(Customer).count() == 0 and audit_events()[mark:] == []


def test_manager_cannot_assign_to_another_branch(api, org, audit_events):
    client = api("manager_bj")
    mark = len(audit_events())
    error = error_of(client.post("/customers", individual(owner_id=org["rep_sh"].pk)), 422, "validation_failed")
    assert "owner" in error["fields"]
    assert all_rows(Customer).count() == 0 and audit_events()[mark:] == []


def test_risk_officer_cannot_create(api, org, audit_events):
    client = api("risk")
    mark = len(audit_events())
    error_of(client.post("/customers", individual()), 403, "permission_denied")
    assert all_rows(Customer).count() == 0 and audit_events()[mark:] == []


# --- Get --------------------------------------------------------------------------------------


def test_get_customer_is_audited(api, org, audit_events):
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    mark = len(audit_events())
    response = client.get(f"/customers/{c.pk}")
    assert response.status_code == 200
    out = response.json()
    assert out["id"] == str(c.pk) and out["id_number"] == c.id_number and out["version"] == 1
    event = one_event(audit_events, mark, "customer.viewed", org["rep_bj1"])
    assert event.customer_id == c.pk and "id_number" in event.fields


def test_out_of_scope_and_missing_customers_are_the_same_404(api, org, audit_events):
    shanghai = customer(org["rep_sh"])
    other_entity = customer(org["rep_other"])
    client = api("rep_bj1")
    mark = len(audit_events())
    bodies = []
    for path in (f"/customers/{shanghai.pk}", f"/customers/{other_entity.pk}", f"/customers/{uuid.uuid4()}"):
        error = error_of(client.get(path), 404, "not_found")
        bodies.append({k: v for k, v in error.items() if k != "request_id"})
    assert bodies[0] == bodies[1] == bodies[2]
    assert not_denials(audit_events()[mark:]) == [] and len(denials(audit_events()[mark:])) == 3  # missing and out of scope alike


@pytest.mark.parametrize("path", ["/customers/not-a-uuid", "/customers/123", "/followups/not-a-uuid"])
def test_malformed_id_in_path_is_a_structured_404(api, org, audit_events, path):
    client = api("rep_bj1")
    mark = len(audit_events())
    error = error_of(client.get(path), 404, "not_found")
    assert "fields" not in error
    assert not_denials(audit_events()[mark:]) == [] and len(denials(audit_events()[mark:])) == 1


# --- Patch ------------------------------------------------------------------------------------


def test_patch_changes_fields_and_bumps_version(api, org, audit_events):
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    mark = len(audit_events())
    response = client.patch(f"/customers/{c.pk}", {"mobile": "13800138000", "occupation": "教师", "version": 1})
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["mobile"] == "13800138000" and out["occupation"] == "教师" and out["version"] == 2
    event = one_event(audit_events, mark, "customer.updated", org["rep_bj1"])
    assert event.customer_id == c.pk and event.fields == ["mobile", "occupation"] and event.detail == {"version": 2}


def test_patch_with_stale_version_is_409(api, org, audit_events):
    c = customer(org["rep_bj1"], version=3)
    client = api("rep_bj1")
    mark = len(audit_events())
    error_of(client.patch(f"/customers/{c.pk}", {"name": "新名字", "version": 2}), 409, "conflict")
    c = reload(c)
    assert c.name != "新名字" and c.version == 3
    assert audit_events()[mark:] == []


def test_patch_owner_in_another_branch_is_422(api, org, audit_events):
    c = customer(org["rep_bj1"])
    client = api("manager_bj")
    mark = len(audit_events())
    error = error_of(client.patch(f"/customers/{c.pk}", {"owner_id": org["rep_sh"].pk}), 422, "validation_failed")
    assert "owner" in error["fields"]
    c = reload(c)
    assert c.owner == org["rep_bj1"] and c.department == org.bj_team1
    assert audit_events()[mark:] == []


def test_rep_cannot_reassign_own_customer(api, org, audit_events):
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    mark = len(audit_events())
    error = error_of(client.patch(f"/customers/{c.pk}", {"owner_id": org["rep_bj2"].pk}), 422, "validation_failed")
    assert "owner" in error["fields"]
    assert all_rows(Customer).get(pk=c.pk).owner == org["rep_bj1"] and audit_events()[mark:] == []


def test_manager_reassigns_within_the_subtree(api, org, audit_events):
    """Issue #13: the reassignment waits for a manager of the new department's subtree (202 with the request)."""
    from clientvault.approvals import services as approvals
    from clientvault.testing.organisation import user

    c = customer(org["rep_bj1"])
    client = api("manager_bj")
    mark = len(audit_events())
    response = client.patch(f"/customers/{c.pk}", {"owner_id": org["rep_bj2"].pk})
    assert response.status_code == 202 and response.json()["status"] == "submitted"
    submitted = one_event(audit_events, mark, "approval.submitted", org["manager_bj"])
    assert submitted.detail["change_type"] == "customers.reassign_owner"
    assert reload(c).owner == org["rep_bj1"]
    approvals.approve(ctx(user("manager_hq", R.SALES_MANAGER, org.hq)), response.json()["change_request"])
    [event] = audit_events("customer.reassigned")
    assert event.fields == ["department", "owner"]
    c = reload(c)
    assert c.department == org.bj_team2 and c.owner == org["rep_bj2"] and c.version == 2


def test_patch_cannot_move_customer_to_another_entity_or_change_kind(api, org, audit_events):
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    mark = len(audit_events())
    client.patch(
        f"/customers/{c.pk}",
        {"kind": "organisation", "legal_entity_id": str(org.other_entity.pk), "department_id": str(org.sh.pk), "version": 1},
    )
    c = reload(c)
    assert (c.kind, c.legal_entity, c.department, c.version) == (Kind.INDIVIDUAL, org.entity, org.bj_team1, 1)
    assert audit_events()[mark:] == []


def test_patch_invalid_value_is_422(api, org, audit_events):
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    mark = len(audit_events())
    error = error_of(client.patch(f"/customers/{c.pk}", {"email": "not-an-address"}), 422, "validation_failed")
    assert "email" in error["fields"] and "not-an-address" not in json.dumps(error)
    assert audit_events()[mark:] == []


def test_patch_out_of_scope_is_404_and_read_only_role_is_403(api, org, audit_events):
    c = customer(org["rep_sh"])
    mark = len(audit_events())
    error_of(api("rep_bj1").patch(f"/customers/{c.pk}", {"name": "x"}), 404, "not_found")
    error_of(api("manager_bj").patch(f"/customers/{c.pk}", {"name": "x"}), 404, "not_found")
    error_of(api("risk").patch(f"/customers/{c.pk}", {"name": "x"}), 403, "permission_denied")
    assert reload(c).name != "x"
    assert [e.event_type for e in audit_events()[mark:] if e.event_type != "apitoken.created"] == ["access.denied"] * 2  # not the 403


# --- Delete -----------------------------------------------------------------------------------


def test_delete_prospect(api, org, audit_events):
    c = customer(org["rep_bj1"], status=Status.PROSPECT)
    followup(c, org["rep_bj1"])
    client = api("rep_bj1")
    mark = len(audit_events())
    response = client.delete(f"/customers/{c.pk}")
    assert response.status_code == 204 and response.content == b""
    assert not all_rows(Customer).filter(pk=c.pk).exists() and not all_rows(FollowUp).filter(customer_id=c.pk).exists()
    event = one_event(audit_events, mark, "customer.deleted", org["rep_bj1"])
    assert event.customer_id == c.pk and event.detail == {"followups_deleted": 1}


def test_delete_active_customer_is_409(api, org, audit_events):
    c = customer(org["rep_bj1"], status=Status.ACTIVE)
    client = api("rep_bj1")
    mark = len(audit_events())
    error_of(client.delete(f"/customers/{c.pk}"), 409, "not_a_prospect")
    assert all_rows(Customer).filter(pk=c.pk).exists() and audit_events()[mark:] == []


def test_delete_out_of_scope_is_404(api, org, audit_events):
    c = customer(org["rep_bj2"], status=Status.PROSPECT)
    client = api("rep_bj1")
    mark = len(audit_events())
    error_of(client.delete(f"/customers/{c.pk}"), 404, "not_found")
    assert (
        all_rows(Customer).filter(pk=c.pk).exists()
        and not_denials(audit_events()[mark:]) == []
        and len(denials(audit_events()[mark:])) == 1
    )


# --- Follow-ups -------------------------------------------------------------------------------


def an_hour_ago() -> str:
    return (timezone.now() - dt.timedelta(hours=1)).isoformat()


def test_followup_create_list_get_patch_delete(api, org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    client = api("rep_bj1")

    mark = len(audit_events())
    body = {
        "occurred_at": an_hour_ago(),
        "channel": "phone",
        "summary": "电话回访，客户有意向",
        "next_step": "发送资料",
        "next_step_due": "2030-01-10",
    }
    response = client.post(f"/customers/{c.pk}/followups", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["customer_id"] == str(c.pk) and created["author_id"] == rep.pk and created["summary"] == body["summary"]
    event = one_event(audit_events, mark, "followup.created", rep)
    assert event.customer_id == c.pk and event.object_id == created["id"]

    mark = len(audit_events())
    listing = client.get(f"/customers/{c.pk}/followups")
    assert listing.status_code == 200
    assert listing.json()["total"] == 1 and [f["id"] for f in listing.json()["items"]] == [created["id"]]
    one_event(audit_events, mark, "followup.listed", rep)

    mark = len(audit_events())
    single = client.get(f"/followups/{created['id']}")
    assert single.status_code == 200 and single.json()["id"] == created["id"]
    one_event(audit_events, mark, "followup.listed", rep)

    mark = len(audit_events())
    patched = client.patch(f"/followups/{created['id']}", {"summary": "已发送资料"})
    assert patched.status_code == 200 and patched.json()["summary"] == "已发送资料" and patched.json()["channel"] == "phone"
    event = one_event(audit_events, mark, "followup.updated", rep)
    assert event.fields == ["summary"]

    mark = len(audit_events())
    assert client.delete(f"/followups/{created['id']}").status_code == 204
    assert not all_rows(FollowUp).filter(pk=created["id"]).exists()
    one_event(audit_events, mark, "followup.deleted", rep)


def test_followup_time_with_a_far_offset_is_stored_as_its_instant(api: Callable[[str], Any], org: Any) -> None:
    """Regression (found by tests/test_api_fuzz.py on PostgreSQL, issue #12): ISO 8601 allows an offset of
    -23:16, PostgreSQL does not (500); the time is stored as the same instant in UTC. An instant before the
    year 1 in UTC is refused like any invalid time."""
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    body = {"occurred_at": "0211-01-16T15:54:50.81-23:16", "channel": "phone", "summary": "远古回访"}
    response = client.post(f"/customers/{c.pk}/followups", body)
    assert response.status_code == 201, response.content
    stored = all_rows(FollowUp).get(pk=response.json()["id"]).occurred_at
    assert stored == dt.datetime(211, 1, 17, 15, 10, 50, 810000, tzinfo=dt.UTC)
    refused = client.post(f"/customers/{c.pk}/followups", {**body, "occurred_at": "0001-01-01T00:00:00+23:00"})
    assert refused.status_code == 422 and "occurred_at" in refused.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "carrier-pigeon", "summary": "x"}, "channel"),
        ({"channel": "phone", "summary": "   "}, "summary"),
        ({"channel": "phone", "summary": "x", "future": True}, "occurred_at"),
    ],
)
def test_invalid_followup_is_422(api, org, audit_events, body, field):
    c = customer(org["rep_bj1"])
    client = api("rep_bj1")
    fields = {k: v for k, v in body.items() if k != "future"}
    occurred = timezone.now() + dt.timedelta(days=1) if body.get("future") else timezone.now() - dt.timedelta(hours=1)
    mark = len(audit_events())
    error = error_of(client.post(f"/customers/{c.pk}/followups", {"occurred_at": occurred.isoformat(), **fields}), 422, "validation_failed")
    assert field in error["fields"]
    assert all_rows(FollowUp).count() == 0 and audit_events()[mark:] == []


def test_followups_of_an_invisible_customer_are_404(api, org, audit_events):
    c = customer(org["rep_bj2"])
    note = followup(c, org["rep_bj2"])
    client = api("rep_bj1")
    mark = len(audit_events())
    error_of(client.get(f"/customers/{c.pk}/followups"), 404, "not_found")
    error_of(
        client.post(f"/customers/{c.pk}/followups", {"occurred_at": an_hour_ago(), "channel": "phone", "summary": "x"}), 404, "not_found"
    )
    error_of(client.get(f"/followups/{note.pk}"), 404, "not_found")
    error_of(client.patch(f"/followups/{note.pk}", {"summary": "x"}), 404, "not_found")
    error_of(client.delete(f"/followups/{note.pk}"), 404, "not_found")
    assert followup_text(note)["summary"] != "x" and all_rows(FollowUp).count() == 1
    assert not_denials(audit_events()[mark:]) == [] and len(denials(audit_events()[mark:])) == 5


def test_rep_cannot_change_a_managers_note_on_own_customer(api, org, audit_events):
    c = customer(org["rep_bj1"])
    note = followup(c, org["manager_bj"], summary="主管备注")
    client = api("rep_bj1")
    assert client.get(f"/followups/{note.pk}").status_code == 200
    mark = len(audit_events())
    error_of(client.patch(f"/followups/{note.pk}", {"summary": "改掉"}), 403, "permission_denied")
    error_of(client.delete(f"/followups/{note.pk}"), 403, "permission_denied")
    assert followup_text(note)["summary"] == "主管备注"
    assert audit_events()[mark:] == []


def test_manager_corrects_a_reps_note(api, org, audit_events):
    c = customer(org["rep_bj1"])
    note = followup(c, org["rep_bj1"])
    client = api("manager_bj")
    mark = len(audit_events())
    response = client.patch(f"/followups/{note.pk}", {"channel": "visit"})
    assert response.status_code == 200 and response.json()["channel"] == "visit" and response.json()["author_id"] == org["rep_bj1"].pk
    event = one_event(audit_events, mark, "followup.updated", org["manager_bj"])
    assert event.fields == ["channel"] and event.customer_id == c.pk


def test_risk_officer_reads_but_cannot_write_followups(api, org, audit_events):
    c = customer(org["rep_bj1"])
    note = followup(c, org["rep_bj1"])
    client = api("risk")
    assert client.get(f"/followups/{note.pk}").status_code == 200
    mark = len(audit_events())
    error_of(
        client.post(f"/customers/{c.pk}/followups", {"occurred_at": an_hour_ago(), "channel": "phone", "summary": "x"}),
        403,
        "permission_denied",
    )
    error_of(client.patch(f"/followups/{note.pk}", {"summary": "x"}), 403, "permission_denied")
    assert all_rows(FollowUp).count() == 1 and audit_events()[mark:] == []


# --- Me, custom fields, OpenAPI --------------------------------------------------------------------


def test_me(api, org):
    response = api("manager_bj").get("/me")
    assert response.status_code == 200
    me = response.json()
    assert me["id"] == org["manager_bj"].pk and me["username"] == "manager_bj" and me["department"] == "北京分公司"
    assert me["roles"] == [R.SALES_MANAGER]
    assert {"customer.view", "customer.create", "followup.change"} <= set(me["capabilities"])
    assert not any(cap.startswith("manage_users") for cap in me["capabilities"])


def test_custom_fields_lists_active_definitions(api, org):
    CustomFieldDefinition.objects.create(
        key="risk_level",
        field_type="choice",
        label_zh="风险等级",
        label_en="Risk level",
        choices=[{"value": "low", "label_zh": "低", "label_en": "Low"}],
    )
    CustomFieldDefinition.objects.create(key="retired", field_type="text", label_zh="停用", label_en="Retired", active=False)
    response = api("rep_bj1").get("/custom-fields")
    assert response.status_code == 200
    [field] = response.json()
    assert field["key"] == "risk_level" and field["field_type"] == "choice" and field["label_en"] == "Risk level"
    assert field["choices"] == [{"value": "low", "label_zh": "低", "label_en": "Low"}]


def test_openapi_schema_lists_the_customer_paths(api, org):
    response = api("rep_bj1").get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "clientvault API"
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/customers"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/customers/{customer_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/customers/{customer_id}/followups"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/followups/{followup_id}"])
    assert "/api/v1/me" in paths and "/api/v1/custom-fields" in paths
