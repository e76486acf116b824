"""Purpose-bound access end to end (issue #3; ARCHITECTURE.md rule 3): the picker, the session purpose,
what happens when a role loses a purpose, and purposes over the API (token purposes, X-Purpose)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.test import Client

from clientvault.access import engine, services
from clientvault.access.models import Policy
from clientvault.accounts.models import ApiToken, User
from clientvault.accounts.services import create_api_token
from clientvault.core.context import system_context
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.core.web import PURPOSE_SESSION_KEY
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db

API = "/api/v1"
PICKER = "/access/purpose/"


def signed_in(u: User, purpose: str | None = None) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)
    return client


def offered(response: Any) -> set[str]:
    """The purpose codes the picker offers as radio buttons."""
    return set(re.findall(r'type="radio" name="purpose" value="([a-z_]+)"', response.content.decode()))


def badge(response: Any) -> str:
    match = re.search(r'data-testid="purpose-badge"[^>]*>(.*?)</a>', response.content.decode(), re.S)
    assert match, "the header shows the purpose badge"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def token_for(u: User, purposes: list[str]) -> dict[str, str]:
    _token, secret = create_api_token(ctx=ctx(u, purpose=""), name="t", purposes=purposes)
    return {"Authorization": f"Bearer {secret}"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"] == response["X-Request-ID"]
    return error


# --- The picker ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, expected",
    [
        ("rep_bj1", {"customer_service", "sales_followup", "marketing"}),
        ("manager_bj", {"customer_service", "sales_followup"}),
        ("risk", {"credit_assessment"}),
        ("compliance", {"compliance_review", "rights_request"}),
        ("auditor", {"audit"}),
        ("admin", set()),
        ("norole", set()),
    ],
)
def test_picker_offers_exactly_the_roles_purposes_and_never_break_glass(org, username, expected):
    response = signed_in(org[username], purpose="").get(PICKER)
    assert response.status_code == 200
    assert offered(response) == expected
    assert "break_glass" not in offered(response)
    assert engine.allowed_purposes(ctx(org[username], purpose="")) == sorted(expected)


def test_only_administrators_see_the_break_glass_door_on_the_picker(org):
    admin_page = signed_in(org["admin"], purpose="").get(PICKER).content.decode()
    rep_page = signed_in(org["rep_bj1"], purpose="").get(PICKER).content.decode()
    assert 'data-testid="break-glass-link"' in admin_page
    assert 'data-testid="purpose-form"' not in admin_page, "an administrator has no ordinary purpose"
    assert 'data-testid="break-glass-link"' not in rep_page


def test_choosing_a_purpose_sets_the_session_audits_and_follows_a_safe_next(org, audit_events):
    rep = org["rep_bj1"]
    client = signed_in(rep, purpose="")
    response = client.post(PICKER, {"purpose": "sales_followup", "next": "/customers/?status=active"})
    assert response.status_code == 302 and response["Location"] == "/customers/?status=active"
    assert client.session[PURPOSE_SESSION_KEY] == "sales_followup"
    [event] = audit_events("purpose.selected")
    assert (event.actor_id, event.purpose, event.object_id, event.channel, event.outcome) == (
        rep.pk,
        "sales_followup",
        "sales_followup",
        "web",
        "success",
    )
    assert event.object_type == "access.purpose"
    # The purpose is in force on the next page: the list is served and audited under it.
    assert client.get("/customers/").status_code == 200
    [listed] = audit_events("customer.listed")
    assert listed.purpose == "sales_followup"


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/steal", "//evil.example/x", "http://testserver.evil.example/", "javascript:alert(1)"]
)
def test_an_unsafe_next_is_ignored(org, unsafe):
    client = signed_in(org["rep_bj1"], purpose="")
    response = client.post(PICKER, {"purpose": "customer_service", "next": unsafe})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert client.session[PURPOSE_SESSION_KEY] == "customer_service"


@pytest.mark.parametrize(
    "username, purpose", [("rep_bj1", "credit_assessment"), ("rep_bj1", "break_glass"), ("admin", "break_glass"), ("auditor", "nonsense")]
)
def test_a_purpose_the_role_lacks_is_refused_on_the_picker(org, audit_events, username, purpose):
    client = signed_in(org[username], purpose="")
    response = client.post(PICKER, {"purpose": purpose, "next": "/customers/"})
    assert response.status_code == 200, "the form is shown again with an error"
    assert PURPOSE_SESSION_KEY not in client.session
    assert audit_events() == []


@pytest.mark.parametrize(
    "username, purpose", [("rep_bj1", "credit_assessment"), ("admin", "break_glass"), ("manager_bj", "marketing"), ("risk", "")]
)
def test_select_purpose_service_refuses_and_records_nothing(org, audit_events, username, purpose):
    with pytest.raises(engine.PurposeNotAllowed):
        services.select_purpose(ctx=ctx(org[username], purpose=""), purpose=purpose)
    assert audit_events() == []


def test_select_purpose_needs_a_person(org, audit_events):
    with pytest.raises(PermissionDenied):
        services.select_purpose(ctx=system_context(), purpose="audit")
    assert audit_events() == []


def test_select_purpose_returns_a_context_with_the_purpose(org, audit_events):
    chosen = services.select_purpose(ctx=ctx(org["risk"], purpose=""), purpose="credit_assessment")
    assert chosen.purpose == "credit_assessment" and chosen.actor == org["risk"]
    assert [e.purpose for e in audit_events("purpose.selected")] == ["credit_assessment"]


# --- Pages that need a purpose ---------------------------------------------------------------------


def test_customer_pages_without_a_purpose_redirect_to_the_picker_with_next(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    client = signed_in(rep, purpose="")
    for path in ("/customers/", f"/customers/{c.pk}/", f"/customers/{c.pk}/edit/", "/customers/new/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == PICKER + "?next=" + path.replace("/", "%2F"), path
    assert audit_events() == [], "no read happened, so nothing is recorded"


def test_htmx_requests_without_a_purpose_get_an_hx_redirect(org):
    client = signed_in(org["rep_bj1"], purpose="")
    response = client.get("/customers/?status=active", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == PICKER + "?next=%2Fcustomers%2F%3Fstatus%3Dactive"


def test_after_an_htmx_purpose_redirect_the_user_returns_to_a_page(org):
    rep = org["rep_bj1"]
    c = customer(rep, is_core=True)
    client = signed_in(rep, purpose="")
    response = client.post(
        f"/customers/{c.pk}/reveal/name/", headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver/customers/{c.pk}/"}
    )
    assert response.status_code == 204
    next_url = parse_qs(urlparse(response["HX-Redirect"]).query)["next"][0]
    chosen = client.post(PICKER, {"purpose": "sales_followup", "next": next_url})
    assert chosen.status_code == 302
    assert client.get(chosen["Location"]).status_code == 200


def test_a_role_with_no_purpose_at_all_gets_404_not_the_picker(org):
    for username in ("norole", "admin"):
        client = signed_in(org[username], purpose="")
        assert client.get("/customers/").status_code == 404, username


def test_a_purpose_planted_in_the_session_that_the_role_lacks_is_dropped(org, audit_events):
    rep = org["rep_bj1"]
    client = signed_in(rep, purpose="credit_assessment")
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith(PICKER)
    assert PURPOSE_SESSION_KEY not in client.session
    assert audit_events("customer.listed") == []


def test_a_purpose_lost_by_policy_change_is_dropped_on_the_next_request(org, audit_events):
    rep = org["rep_bj1"]
    client = signed_in(rep, purpose="sales_followup")
    assert client.get("/customers/").status_code == 200
    services.change_policy(
        ctx=ctx(org["compliance"]), code="rep-customers", data={"purposes": ["customer_service"]}, reason="narrow the reps"
    )
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith(PICKER)
    assert PURPOSE_SESSION_KEY not in client.session
    assert offered(client.get(PICKER)) == {"customer_service", "marketing"}
    assert len(audit_events("customer.listed")) == 1, "only the read made before the change"


def test_a_deactivated_policy_drops_its_purposes(org):
    rep = org["rep_bj1"]
    client = signed_in(rep, purpose="marketing")
    assert client.get("/customers/").status_code == 200
    services.change_policy(ctx=ctx(org["compliance"]), code="rep-marketing", data={"active": False}, reason="campaign over")
    assert client.get("/customers/").status_code == 302
    assert PURPOSE_SESSION_KEY not in client.session
    assert "marketing" not in engine.allowed_purposes(ctx(rep, purpose=""))


def test_a_deactivated_purpose_is_dropped_for_everyone(org):
    rep, manager = org["rep_bj1"], org["manager_bj"]
    rep_client, manager_client = signed_in(rep, purpose="customer_service"), signed_in(manager, purpose="customer_service")
    services.change_purpose(ctx=ctx(org["compliance"]), code="customer_service", data={"active": False}, reason="merged into follow-up")
    for client in (rep_client, manager_client):
        assert client.get("/customers/").status_code == 302
        assert PURPOSE_SESSION_KEY not in client.session
        assert "customer_service" not in offered(client.get(PICKER))
    # Reactivating brings it back (the engine's stamp moved again).
    services.change_purpose(ctx=ctx(org["compliance"]), code="customer_service", data={"active": True}, reason="undo")
    assert "customer_service" in engine.allowed_purposes(ctx(rep, purpose=""))


# --- The header badge ------------------------------------------------------------------------------


def test_header_badge_names_the_purpose_in_the_users_language(org):
    client = signed_in(org["rep_bj1"], purpose="sales_followup")
    assert badge(client.get("/customers/")) == "销售跟进", "Chinese by default"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert badge(client.get("/customers/")) == "Sales follow-up"


def test_header_badge_asks_for_a_purpose_when_none_is_chosen(org):
    client = signed_in(org["rep_bj1"], purpose="")
    page = client.get(PICKER)
    assert badge(page) == "选择处理目的"
    assert re.search(r'class="[^"]*text-bg-warning[^"]*"[^>]*data-testid="purpose-badge"', page.content.decode())


def test_roles_without_customer_purposes_have_no_badge(org):
    page = signed_in(org["admin"], purpose="").get(PICKER).content.decode()
    assert 'data-testid="purpose-badge"' not in page


# --- Purposes over the API ------------------------------------------------------------------------


def test_token_with_one_purpose_needs_no_header(org, audit_events):
    rep = org["rep_bj1"]
    customer(rep)
    response = Client().get(API + "/customers", headers=token_for(rep, ["sales_followup"]))
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 1
    [event] = audit_events("customer.listed")
    assert (event.purpose, event.channel, event.actor_id) == ("sales_followup", "api", rep.pk)


def test_token_with_several_purposes_needs_the_header(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    headers = token_for(rep, ["customer_service", "sales_followup"])
    error_of(Client().get(API + "/customers", headers=headers), 400, "purpose_required")
    error_of(Client().get(f"{API}/customers/{c.pk}", headers=headers), 400, "purpose_required")
    assert audit_events("customer.listed") == [] and audit_events("customer.viewed") == []
    ok = Client().get(f"{API}/customers/{c.pk}", headers={**headers, "X-Purpose": "customer_service"})
    assert ok.status_code == 200
    assert [e.purpose for e in audit_events("customer.viewed")] == ["customer_service"]


def test_header_outside_the_tokens_purposes_is_403(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    headers = {**token_for(rep, ["sales_followup"]), "X-Purpose": "marketing"}  # the role may, the token may not
    error_of(Client().get(f"{API}/customers/{c.pk}", headers=headers), 403, "purpose_not_allowed")
    error_of(Client().get(API + "/customers", headers={**headers, "X-Purpose": "credit_assessment"}), 403, "purpose_not_allowed")
    assert audit_events("customer.viewed") == [] and audit_events("customer.listed") == []


def test_token_without_purposes_reaches_no_customer_data(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    headers = token_for(rep, [])
    error_of(Client().get(API + "/customers", headers=headers), 400, "purpose_required")
    error_of(Client().get(f"{API}/customers/{c.pk}", headers=headers), 400, "purpose_required")
    error_of(
        Client().post(f"{API}/customers/{c.pk}/reveal", {"fields": ["name"]}, content_type="application/json", headers=headers),
        400,
        "purpose_required",
    )
    # Any purpose named in the header is outside the token's (empty) purposes.
    error_of(Client().get(API + "/customers", headers={**headers, "X-Purpose": "sales_followup"}), 403, "purpose_not_allowed")
    # What is not customer data still works.
    me = Client().get(API + "/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "rep_bj1"
    assert audit_events("customer.listed") == [] and audit_events("customer.viewed") == []


def test_break_glass_is_never_available_over_the_api_token(org, audit_events):
    admin = org["admin"]
    c = customer(org["rep_bj1"])
    headers = {**token_for(admin, []), "X-Purpose": "break_glass"}
    error_of(Client().get(f"{API}/customers/{c.pk}", headers=headers), 403, "purpose_not_allowed")
    error_of(Client().get(API + "/customers", headers=headers), 403, "purpose_not_allowed")
    assert audit_events("customer.viewed") == []


def test_a_token_purpose_the_role_has_since_lost_is_refused(org, audit_events):
    rep = org["rep_bj1"]
    customer(rep)
    headers = token_for(rep, ["sales_followup"])
    assert Client().get(API + "/customers", headers=headers).status_code == 200
    services.change_policy(ctx=ctx(org["compliance"]), code="rep-customers", data={"purposes": ["customer_service"]}, reason="narrow")
    error_of(Client().get(API + "/customers", headers=headers), 403, "purpose_not_allowed")
    assert len(audit_events("customer.listed")) == 1


def test_session_api_honours_the_purpose_header_within_the_role(org, audit_events):
    rep = org["rep_bj1"]
    c = customer(rep)
    consent(c, "marketing")  # marketing rests on consent (issue #5)
    client = signed_in(rep, purpose="sales_followup")
    error_of(client.get(f"{API}/customers/{c.pk}", headers={"X-Purpose": "credit_assessment"}), 403, "purpose_not_allowed")
    ok = client.get(f"{API}/customers/{c.pk}", headers={"X-Purpose": "marketing"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["fields"]["name"]["decision"] == "masked", "marketing masks beyond C1"
    assert body["fields"]["id_number"]["decision"] == "masked"
    assert [e.purpose for e in audit_events("customer.viewed")] == ["marketing"]
    assert client.session[PURPOSE_SESSION_KEY] == "sales_followup", "a header does not change the session's purpose"


@pytest.mark.parametrize(
    "username, purposes", [("rep_bj1", ["credit_assessment"]), ("admin", ["break_glass"]), ("auditor", ["audit", "marketing"])]
)
def test_create_api_token_refuses_purposes_the_role_may_not_use(org, audit_events, username, purposes):
    with pytest.raises(ValidationFailed) as exc:
        create_api_token(ctx=ctx(org[username], purpose=""), name="t", purposes=purposes)
    assert set(exc.value.fields) == {"purposes"}
    assert not ApiToken.objects.filter(user=org[username]).exists()
    assert audit_events() == []


def test_create_api_token_keeps_its_purposes_sorted_and_audits_them(org, audit_events):
    token, _secret = create_api_token(ctx=ctx(org["rep_bj1"], purpose=""), name="t", purposes=["sales_followup", "customer_service"])
    assert token.purposes == ["customer_service", "sales_followup"]
    [event] = audit_events("apitoken.created")
    assert event.detail["purposes"] == ["customer_service", "sales_followup"]


def test_policies_are_seeded_as_data(org):
    """The rules the pages and API enforce are rows (rule 9), not code: every default is present, v1."""
    from clientvault.access.defaults import DEFAULT_POLICIES

    rows = {p.code: p for p in Policy.objects.all()}
    assert set(rows) == {d.code for d in DEFAULT_POLICIES}
    assert {p.version for p in rows.values()} == {1}
