"""What each actor sees of a customer: plain, masked or withheld, per field, and revealing (issue #3;
ARCHITECTURE.md rules 3, 4 and 6; RULES.md §12 display masking).

Seeded policies (access/defaults.py): reps see their own customers in clear up to C2 and core records
masked; managers see the team with C2 masked; risk (credit_assessment) and auditors (audit) mask C2 and
withhold C3; only reps, managers, risk and compliance may reveal. Core customers count as C3 everywhere.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from clientvault.access.policies import Decision
from clientvault.accounts.models import User
from clientvault.accounts.services import create_api_token
from clientvault.classification import services as classification
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.crypto import cipher
from clientvault.customers import disclosure, profiles, selectors
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.consents import consent
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.identifiers import bank_card

pytestmark = pytest.mark.django_db

API = "/api/v1"
NAME, MOBILE, ADDRESS = "张三明", "13812345678", "北京市朝阳区建国路88号院3号楼"
# Every personal field the disclosure layer decides on (encrypted ones plus plain personal codes).
ALL_FIELDS = sorted((*disclosure.DISCLOSED, disclosure.TAGS))
# The C2 fields of the default catalogue: masked for managers, risk and auditors (empty or not).
C2_FIELDS = ["address", "bank_card", "birth_date", "id_number", "id_type", "legal_representative", "mobile", "name"]


@pytest.fixture
def target(org: Any) -> Customer:
    """An individual customer of rep_bj1 (Beijing team 1) with every commonly shown field filled."""
    return customer(org["rep_bj1"], name=NAME, mobile=MOBILE, address=ADDRESS, bank_card=bank_card(), occupation="工程师")


@pytest.fixture
def core(org: Any) -> Customer:
    return customer(org["rep_bj1"], name="李四光", mobile="13900001111", is_core=True)


@pytest.fixture
def decrypted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Records (customer id, field) of every decryption of a customer field."""
    calls: list[tuple[str, str]] = []
    real = cipher.decrypt

    def spy(customer_id: Any, model: str, field: str, ciphertext: bytes) -> str:
        calls.append((str(customer_id), field))
        return real(customer_id, model, field, ciphertext)

    monkeypatch.setattr(cipher, "decrypt", spy)
    return calls


def signed_in(u: User, purpose: str | None = None) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)
    return client


def token(u: User, purpose: str | None = None) -> dict[str, str]:
    from clientvault.testing.actors import default_purpose

    _t, secret = create_api_token(ctx=ctx(u, purpose=""), name="t", purposes=[purpose or default_purpose(u)])
    return {"Authorization": f"Bearer {secret}"}


def api_get(u: User, path: str, purpose: str | None = None) -> Any:
    return Client().get(API + path, headers=token(u, purpose))


def api_post(u: User, path: str, body: dict[str, Any], purpose: str | None = None) -> Any:
    return Client().post(API + path, json.dumps(body), content_type="application/json", headers=token(u, purpose))


def api_patch(u: User, path: str, body: dict[str, Any]) -> Any:
    return Client().patch(API + path, json.dumps(body), content_type="application/json", headers=token(u))


def marked(content: bytes, kind: str) -> set[str]:
    """Fields a page shows as ``masked-*``, ``withheld-*`` or with a ``reveal-*`` button."""
    return set(re.findall(rf'data-testid="{kind}-([a-z_.]+)"', content.decode()))


def decisions(body: dict[str, Any]) -> dict[str, str]:
    return {k: v["decision"] for k, v in body["fields"].items()}


# --- The owner ------------------------------------------------------------------------------------


def test_rep_sees_own_customer_in_clear_and_the_read_is_audited(org, target, audit_events):
    rep = org["rep_bj1"]
    response = signed_in(rep).get(f"/customers/{target.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert NAME in page and MOBILE in page and target.id_number in page and ADDRESS in page
    assert marked(response.content, "masked") == set() and marked(response.content, "reveal") == set()
    [event] = audit_events("customer.viewed")
    assert (event.actor_id, event.purpose, event.customer_id) == (rep.pk, "sales_followup", target.pk)
    assert event.detail["not_in_clear"] == []
    assert {"name", "mobile", "id_number", "address", "bank_card"} <= set(event.fields)


def test_rep_api_shows_every_field_plain_and_nothing_revealable(org, target):
    body = api_get(org["rep_bj1"], f"/customers/{target.pk}").json()
    assert (body["name"], body["mobile"], body["id_number"], body["bank_card"]) == (NAME, MOBILE, target.id_number, target.bank_card)
    assert set(body["fields"]) == set(ALL_FIELDS)
    assert {v["decision"] for v in body["fields"].values()} == {"plain"}
    assert not any(v["revealable"] for v in body["fields"].values())


def test_core_customer_is_masked_for_its_own_rep_with_lock_and_reveal(org, core, audit_events):
    rep = org["rep_bj1"]
    response = signed_in(rep).get(f"/customers/{core.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "李四光" not in page and "13900001111" not in page and core.id_number not in page
    assert "李*光" in page and "139****1111" in page
    assert {"name", "mobile", "id_number", "email"} <= marked(response.content, "masked")
    assert {"name", "mobile", "id_number", "email"} <= marked(response.content, "reveal")
    [event] = audit_events("customer.viewed")
    assert event.detail["not_in_clear"] == ALL_FIELDS, "a core customer's fields all count as C3"

    body = api_get(rep, f"/customers/{core.pk}").json()
    assert body["name"] == "李*光" and body["mobile"] == "139****1111"
    assert {k for k, v in body["fields"].items() if v != {"decision": "masked", "revealable": True}} == set()


def test_marking_a_customer_core_masks_it_on_the_next_read(org, target):
    rep = org["rep_bj1"]
    assert api_get(rep, f"/customers/{target.pk}").json()["name"] == NAME
    manager = org["manager_bj"]
    profiles.update_customer(ctx=ctx(manager), customer_id=target.pk, changes={"is_core": True})
    body = api_get(rep, f"/customers/{target.pk}").json()
    assert body["is_core"] is True
    assert body["name"] == "张*明" and body["fields"]["name"] == {"decision": "masked", "revealable": True}


def test_marketing_purpose_masks_what_service_shows_and_cannot_reveal(org, target, audit_events):
    rep = org["rep_bj1"]
    consent(target, "marketing")  # marketing rests on consent (issue #5)
    body = api_get(rep, f"/customers/{target.pk}", purpose="marketing").json()
    assert body["name"] == "张*明" and body["fields"]["name"] == {"decision": "masked", "revealable": False}
    assert body["email"] == target.email and body["fields"]["email"]["decision"] == "plain"
    response = api_post(rep, f"/customers/{target.pk}/reveal", {"fields": ["name"]}, purpose="marketing")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert audit_events("customer.field_revealed") == []


# --- The manager: C2 masked, may reveal -----------------------------------------------------------


def test_manager_sees_c2_masked_in_list_and_detail(org, target, audit_events):
    manager = org["manager_bj"]
    client = signed_in(manager)
    listing = client.get("/customers/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert NAME not in page and MOBILE not in page
    assert "张*明" in page and "138****5678" in page
    [listed] = audit_events("customer.listed")
    assert listed.purpose == "sales_followup" and set(listed.fields) == {"name", "mobile"}

    detail = client.get(f"/customers/{target.pk}/")
    page = detail.content.decode()
    assert NAME not in page and MOBILE not in page and target.id_number not in page and target.bank_card not in page
    assert "张*明" in page and "138****5678" in page
    assert target.id_number[:3] + "*" * 11 + target.id_number[-4:] in page
    assert "北京市朝阳区****" in page
    assert "****" + target.bank_card[-4:] in page
    assert target.email in page, "e-mail is C1: in clear"
    assert {"name", "mobile", "id_number", "address", "bank_card", "birth_date"} <= marked(detail.content, "reveal")
    [viewed] = audit_events("customer.viewed")
    assert viewed.detail["not_in_clear"] == C2_FIELDS


def test_manager_api_list_and_detail_are_masked_with_field_decisions(org, target):
    manager = org["manager_bj"]
    page = api_get(manager, "/customers").json()
    [row] = page["items"]
    assert (row["name"], row["mobile"]) == ("张*明", "138****5678")
    assert row["fields"]["name"] == {"decision": "masked", "revealable": True}
    body = api_get(manager, f"/customers/{target.pk}").json()
    assert body["birth_date"] == f"{target.birth_date:%Y}-**-**"
    assert body["sex"] == target.sex and body["fields"]["sex"] == {"decision": "plain", "revealable": False}
    assert decisions(body) == {f: ("masked" if f in set(C2_FIELDS) else "plain") for f in ALL_FIELDS}


def test_manager_reveals_one_field_on_the_page_and_it_is_audited_with_the_purpose(org, target, audit_events):
    manager = org["manager_bj"]
    response = signed_in(manager).post(f"/customers/{target.pk}/reveal/mobile/")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert MOBILE in fragment and 'data-cv-masked="138****5678"' in fragment
    assert 'data-testid="revealed-mobile"' in fragment
    assert NAME not in fragment, "only the field asked for"
    [event] = audit_events("customer.field_revealed")
    assert (event.actor_id, event.customer_id, event.fields, event.purpose, event.channel) == (
        manager.pk,
        target.pk,
        ["mobile"],
        "sales_followup",
        "web",
    )
    assert MOBILE not in json.dumps(event.detail), "the audit log never holds the value"


def test_manager_reveals_over_the_api_one_event_per_field(org, target, audit_events):
    response = api_post(org["manager_bj"], f"/customers/{target.pk}/reveal", {"fields": ["name", "mobile", "name"]})
    assert response.status_code == 200, response.content
    assert response.json() == {"values": {"name": NAME, "mobile": MOBILE}}
    events = audit_events("customer.field_revealed")
    assert [e.fields for e in events] == [["name"], ["mobile"]]
    assert {(e.purpose, e.channel) for e in events} == {("sales_followup", "api")}


def test_a_refused_api_reveal_records_no_reveal(org, target, audit_events):
    response = api_post(org["manager_bj"], f"/customers/{target.pk}/reveal", {"fields": ["mobile", "sex"]})
    assert response.status_code == 403 and MOBILE not in response.content.decode()
    assert audit_events("customer.field_revealed") == [], "nothing was revealed, so no reveal may be on record"


def test_reveal_selector_refusals(org, target, core):
    manager = ctx(org["manager_bj"])
    with pytest.raises(PermissionDenied):
        selectors.reveal_field(manager, target.pk, "sex")  # C1: already in clear, nothing to reveal
    with pytest.raises(PermissionDenied):
        selectors.reveal_field(manager, target.pk, "password")  # not a customer field
    with pytest.raises(PermissionDenied):
        selectors.reveal_field(ctx(org["rep_bj1"]), target.pk, "name")  # in clear for the owner
    with pytest.raises(NotFound):
        selectors.reveal_field(ctx(org["manager_sh"]), target.pk, "name")  # another branch: like missing
    with pytest.raises(NotFound):
        selectors.reveal_field(manager, "not-a-uuid", "name")
    with pytest.raises(PermissionDenied):
        selectors.reveal_field(ctx(org["risk"]), core.pk, "name")  # withheld (C3 for risk), not masked


def test_reveal_on_the_page_answers_404_when_not_revealable(org, target, audit_events):
    assert signed_in(org["rep_bj1"]).post(f"/customers/{target.pk}/reveal/name/").status_code == 404
    assert signed_in(org["manager_sh"]).post(f"/customers/{target.pk}/reveal/name/").status_code == 404
    assert signed_in(org["manager_bj"]).post(f"/customers/{target.pk}/reveal/nonexistent/").status_code == 404
    assert signed_in(org["manager_bj"]).get(f"/customers/{target.pk}/reveal/name/").status_code == 405
    assert audit_events("customer.field_revealed") == []


# --- The auditor: masked, never revealed ---------------------------------------------------------


def test_auditor_sees_masked_and_cannot_reveal(org, target, core, audit_events):
    auditor = org["auditor"]
    client = signed_in(auditor)
    detail = client.get(f"/customers/{target.pk}/")
    assert detail.status_code == 200
    assert NAME not in detail.content.decode() and "张*明" in detail.content.decode()
    assert "name" in marked(detail.content, "masked") and marked(detail.content, "reveal") == set()
    assert client.post(f"/customers/{target.pk}/reveal/name/").status_code == 404
    response = api_post(auditor, f"/customers/{target.pk}/reveal", {"fields": ["name"]})
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert audit_events("customer.field_revealed") == []
    body = api_get(auditor, f"/customers/{core.pk}").json()
    assert {v["decision"] for v in body["fields"].values()} == {"withheld"}, "C3 is withheld from auditors"
    assert body["name"] is None and body["mobile"] is None


# --- Risk: C3 withheld, and never decrypted ------------------------------------------------------


def test_risk_sees_a_core_customer_withheld_and_nothing_is_decrypted(org, core, decrypted, audit_events):
    risk = org["risk"]
    response = signed_in(risk).get(f"/customers/{core.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "李四光" not in page and "李*光" not in page and "13900001111" not in page
    assert {"name", "mobile", "id_number", "email", "birth_date"} <= marked(response.content, "withheld")
    assert re.search(r'data-testid="withheld-name"><i [^>]*></i> 不予显示<', page), "a withheld value says so, unlike an empty one"
    assert [f for cid, f in decrypted if cid == str(core.pk)] == [], "withheld fields are never decrypted"
    [event] = audit_events("customer.viewed")
    assert event.purpose == "credit_assessment" and event.fields == [] and event.detail["not_in_clear"] == ALL_FIELDS


def test_risk_api_nulls_withheld_fields(org, core, decrypted):
    body = api_get(org["risk"], f"/customers/{core.pk}").json()
    assert {f: body[f] for f in ("name", "mobile", "id_number", "email", "birth_date", "sex", "nationality")} == dict.fromkeys(
        ("name", "mobile", "id_number", "email", "birth_date", "sex", "nationality")
    )
    assert body["fields"]["name"] == {"decision": "withheld", "revealable": False}
    assert decrypted == []


def test_risk_on_an_ordinary_customer_decrypts_only_what_it_shows(org, target, decrypted):
    body = api_get(org["risk"], f"/customers/{target.pk}").json()
    assert body["name"] == "张*明" and body["sex"] == target.sex and body["fields"]["name"]["revealable"] is True
    shown = {f for f, d in decisions(body).items() if d != "withheld"}
    assert {f for _cid, f in decrypted} <= shown


def test_custom_fields_all_withheld_are_not_decrypted(org, decrypted):
    c = customer(org["rep_bj1"], custom_data={"vip_note": "私人银行客户"})
    body = api_get(org["risk"], f"/customers/{c.pk}").json()
    # The blob stays sealed: an unclassified key is C3 (withheld for risk), and which keys a customer has
    # is itself not disclosed; classified custom fields would show as withheld (null).
    assert body["custom"] == {}
    assert "custom.vip_note" not in body["fields"]
    assert "私人银行客户" not in json.dumps(body, ensure_ascii=False)
    assert "custom_data" not in {f for _cid, f in decrypted}


def test_lists_decrypt_only_the_list_fields(org, target, core, decrypted):
    customer(org["rep_bj2"], name="王五")
    response = signed_in(org["manager_bj"]).get("/customers/")
    assert response.status_code == 200
    assert decrypted, "the page did show names"
    assert {f for _cid, f in decrypted} <= {"name", "mobile", "uscc"}
    api_page = api_get(org["manager_bj"], "/customers").json()
    assert api_page["total"] == 3
    assert {f for _cid, f in decrypted} <= {"name", "mobile", "uscc"}


def test_list_under_risk_withholds_core_names(org, target, core, decrypted):
    page = api_get(org["risk"], "/customers").json()
    rows = {r["id"]: r for r in page["items"]}
    assert rows[str(core.pk)]["name"] is None and rows[str(core.pk)]["fields"]["name"]["decision"] == "withheld"
    assert rows[str(target.pk)]["name"] == "张*明"
    assert (str(core.pk), "name") not in decrypted


# --- Editing what one does not see in clear -------------------------------------------------------


def test_manager_edit_form_omits_masked_fields(org, target):
    response = signed_in(org["manager_bj"]).get(f"/customers/{target.pk}/edit/")
    assert response.status_code == 200
    page = response.content.decode()
    for field in ("name", "mobile", "id_number", "address", "bank_card", "birth_date"):
        assert f'name="{field}"' not in page, field
    assert 'name="email"' in page and 'name="occupation"' in page
    assert 'data-testid="locked-fields"' in page
    assert NAME not in page and MOBILE not in page and target.id_number not in page
    meta = selectors.customer_meta(ctx(org["manager_bj"]), target.pk)
    assert set(meta.locked_fields) == set(C2_FIELDS)
    assert selectors.customer_meta(ctx(org["rep_bj1"]), target.pk).locked_fields == ()


def test_manager_web_edit_leaves_the_masked_fields_untouched(org, target, audit_events):
    client = signed_in(org["manager_bj"])
    form = client.get(f"/customers/{target.pk}/edit/").context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None:
            data[name] = value
    data.update({"occupation": "教师", "version": 1, "name": "恶意改名", "mobile": "13000000000"})  # the last two are not on the form
    response = client.post(f"/customers/{target.pk}/edit/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    from clientvault.testing.customers import reload

    after = reload(target)
    assert (after.name, after.mobile, after.address, after.id_number, after.bank_card, after.birth_date) == (
        NAME,
        MOBILE,
        ADDRESS,
        target.id_number,
        target.bank_card,
        target.birth_date,
    )
    assert after.occupation == "教师" and after.version == 2
    [event] = audit_events("customer.updated")
    assert event.fields == ["occupation"]


def test_patching_a_masked_field_is_422_and_changes_nothing(org, target, audit_events):
    before = all_rows(Customer).get(pk=target.pk)
    response = api_patch(org["manager_bj"], f"/customers/{target.pk}", {"name": "张三丰", "occupation": "教师"})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) == {"name"}
    assert "张三丰" not in response.content.decode(), "the error does not echo the value"
    after = all_rows(Customer).get(pk=target.pk)
    assert after.version == before.version == 1
    assert bytes(after.name_ct) == bytes(before.name_ct) and bytes(after.occupation_ct) == bytes(before.occupation_ct)
    assert after.updated_at == before.updated_at
    assert audit_events("customer.updated") == []


def test_writing_back_the_masked_form_is_refused_too(org, target, audit_events):
    with pytest.raises(ValidationFailed) as exc:
        profiles.update_customer(ctx=ctx(org["manager_bj"]), customer_id=target.pk, changes={"mobile": "138****5678"})
    assert set(exc.value.fields) == {"mobile"}
    assert all_rows(Customer).get(pk=target.pk).version == 1
    assert audit_events() == []


def test_manager_may_change_what_they_see_in_clear(org, target, audit_events):
    response = api_patch(org["manager_bj"], f"/customers/{target.pk}", {"occupation": "教师", "version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["occupation"] == "教师" and body["version"] == 2
    assert body["name"] == "张*明", "the answer is disclosed under the same policy"
    [event] = audit_events("customer.updated")
    assert event.fields == ["occupation"] and event.purpose == "sales_followup"


def test_rep_cannot_change_the_masked_fields_of_a_core_customer(org, core, audit_events):
    with pytest.raises(ValidationFailed) as exc:
        profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=core.pk, changes={"email": "new@example.cn", "occupation": "律师"})
    assert set(exc.value.fields) == {"email", "occupation"}
    assert all_rows(Customer).get(pk=core.pk).version == 1 and audit_events() == []


def test_a_masked_value_cannot_be_confirmed_by_patching_it(org, target, audit_events):
    manager = org["manager_bj"]
    wrong = api_patch(manager, f"/customers/{target.pk}", {"mobile": "13800005678"})
    right = api_patch(manager, f"/customers/{target.pk}", {"mobile": MOBILE})
    assert wrong.status_code == 422
    assert right.status_code == wrong.status_code, "a guess of a masked value must not be confirmable"


# --- Classification changes take effect on the next request --------------------------------------


def test_reclassifying_a_field_as_c3_masks_it_for_the_rep_on_the_next_request(org, target, audit_events):
    rep = org["rep_bj1"]
    client = signed_in(rep)
    assert target.email in client.get(f"/customers/{target.pk}/").content.decode()
    classification.change_classification(
        ctx=ctx(org["compliance"]),
        key="customer.email",
        data={"jrt_class": "C3", "mask_profile": "hidden"},
        reason="e-mail is a login name here",
    )
    [changed] = audit_events("classification.changed")
    assert changed.fields == ["jrt_class", "mask_profile"] and changed.object_id == "customer.email"
    response = client.get(f"/customers/{target.pk}/")
    page = response.content.decode()
    assert target.email not in page
    assert "email" in marked(response.content, "masked") and "email" in marked(response.content, "reveal")
    assert "name" not in marked(response.content, "masked")
    body = api_get(rep, f"/customers/{target.pk}").json()
    assert body["email"] == "******" and body["fields"]["email"] == {"decision": "masked", "revealable": True}
    # Risk withholds C3: the same change withholds the e-mail from risk.
    assert api_get(org["risk"], f"/customers/{target.pk}").json()["email"] is None


def test_masking_keeps_a_compound_surname(org):
    c = customer(org["rep_bj1"], name="欧阳娜娜")
    assert api_get(org["manager_bj"], f"/customers/{c.pk}").json()["name"] == "欧阳*娜"


def test_decisions_follow_the_policy_engine(org, target, core):
    """``disclosure.decisions`` is what pages, forms and the API share."""
    views = disclosure.decisions(ctx(org["manager_bj"]), target, ("name", "sex", "email"))
    assert {k: v.decision for k, v in views.items()} == {"name": Decision.MASKED, "sex": Decision.PLAIN, "email": Decision.PLAIN}
    outside = disclosure.decisions(ctx(org["manager_sh"]), target, ("name", "sex"))
    assert {v.decision for v in outside.values()} == {Decision.WITHHELD}, "a row out of scope gets nothing"
    none = disclosure.decisions(ctx(org["manager_bj"], purpose=""), target, ("sex",))
    assert none["sex"].decision is Decision.WITHHELD, "no purpose, no data"
