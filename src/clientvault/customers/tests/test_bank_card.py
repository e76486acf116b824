"""Bank card / account number (银行卡号): validated (RULES.md §11.3), sealed, blind-indexed, classified (§10)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection

from clientvault.classification.catalogue import DEFAULT_KEYS
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.classification.validators import luhn_valid
from clientvault.core.context import system_context
from clientvault.core.errors import ValidationFailed
from clientvault.customers import profiles, rules, vault
from clientvault.customers.choices import Kind
from clientvault.customers.forms import CustomerForm
from clientvault.customers.imports import ImportRow, import_customers
from clientvault.customers.models import PERSONAL_FIELDS, Customer
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.customers import all_rows, customer, reload
from clientvault.testing.identifiers import bank_card, resident_id, uscc

TODAY = dt.date(2026, 11, 23)
CARD = "6222600260001072444"  # RULES.md §11.3 test vector, 19 digits
VISA = "4111111111111111"
BAD_LUHN = "4111111111111112"


def clean(kind: str = Kind.INDIVIDUAL, **data):
    return rules.clean_customer({"name": "x", **data}, kind=kind, today=TODAY)


def bad_luhn(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# --- Rules (no database) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["6222 6002 6000 1072 444", "6222-6002-6000-1072-444", " 6222600260001072444 ", "６２２２６００２６０００１０７２４４４"]
)
def test_spaces_hyphens_and_full_width_digits_are_normalised(raw):
    out, errors = clean(bank_card=raw)
    assert not errors and out["bank_card"] == CARD


def test_both_kinds_take_a_card_and_it_is_optional():
    out, errors = clean(Kind.ORGANISATION, uscc=uscc(5), bank_card=VISA)
    assert not errors and out["bank_card"] == VISA
    out, errors = clean()
    assert not errors and out["bank_card"] == ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (BAD_LUHN, "The bank card number's check digit does not match."),
        ("4111 1111 abcd 1111", "Enter a valid bank card number of 12 to 19 digits."),
        ("41111111111", "Enter a valid bank card number of 12 to 19 digits."),  # 11 digits
        ("41111111111111111111", "Enter a valid bank card number of 12 to 19 digits."),  # 20 digits
    ],
)
def test_invalid_numbers_get_a_field_error_that_does_not_echo_them(raw, message):
    from django.utils import translation

    with translation.override("en"):
        _out, errors = clean(bank_card=raw)
        assert [str(m) for m in errors["bank_card"]] == [message]
        assert raw not in str(errors) and raw.replace(" ", "") not in str(errors)


def test_the_card_is_a_classified_personal_field():
    assert "bank_card" in PERSONAL_FIELDS and "customer.bank_card" in DEFAULT_KEYS
    assert "bank_card" in vault.ENCRYPTED_FIELDS and "bank_card" in vault.BLIND_INDEXED
    # JRT0171-STORE-C3-no-retain: no field for card security data exists anywhere.
    names = {f.name for f in Customer._meta.get_fields()}
    assert not {n for n in names if any(w in n for w in ("cvv", "cvc", "expiry", "pin", "track"))}


def test_testing_factory_makes_valid_cards():
    assert len({bank_card(n) for n in range(50)}) == 50
    assert all(luhn_valid(bank_card(n)) and len(bank_card(n)) == 16 for n in range(50))


# --- Services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_valid_card_is_stored_encrypted_with_a_blind_index(org, audit_events):
    c = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]),
        kind=Kind.INDIVIDUAL,
        data={"name": "王芳", "id_type": "resident_id", "id_number": resident_id(), "bank_card": "6222 6002 6000 1072 444"},
    )
    row = all_rows(Customer).get(pk=c.pk)
    sealed = bytes(row.bank_card_ct)
    assert len(sealed) > 16 and CARD.encode() not in sealed and CARD[-4:].encode() not in sealed
    assert bytes(row.bank_card_bidx) == vault.index("bank_card", CARD) and len(bytes(row.bank_card_bidx)) == 16
    assert CARD.encode() not in bytes(row.bank_card_bidx)
    assert reload(c).bank_card == CARD
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Customer._meta.db_table} WHERE id = %s", [c.pk.hex if connection.vendor == "sqlite" else c.pk])
        stored = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in cursor.fetchone() if v is not None)
    assert CARD.encode() not in stored
    [event] = audit_events("customer.created")
    assert event.event_type == "customer.created" and "bank_card" in event.fields
    assert all(CARD not in json.dumps(e.detail) and CARD not in json.dumps(e.fields) for e in audit_events())  # the entry review too


@pytest.mark.django_db
def test_organisations_hold_a_card_too(org):
    c = profiles.create_customer(
        ctx=ctx(org["rep_bj1"]), kind=Kind.ORGANISATION, data={"name": "某公司", "uscc": uscc(), "bank_card": VISA}
    )
    assert reload(c).bank_card == VISA and bytes(all_rows(Customer).get(pk=c.pk).bank_card_bidx) == vault.index("bank_card", VISA)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [BAD_LUHN, "6222 6002 abcd 1072", "1234"])
def test_an_invalid_card_is_refused_and_nothing_written(org, audit_events, raw):
    with pytest.raises(ValidationFailed) as exc:
        profiles.create_customer(ctx=ctx(org["rep_bj1"]), kind=Kind.INDIVIDUAL, data={"name": "李四", "bank_card": raw})
    assert list(exc.value.fields) == ["bank_card"]
    assert raw not in json.dumps(exc.value.as_dict(), ensure_ascii=False)
    assert all_rows(Customer).count() == 0 and audit_events() == []


@pytest.mark.django_db
def test_a_card_is_added_changed_and_cleared_as_audited_updates(org, audit_events):
    from clientvault.approvals import services as approvals

    c = customer(org["rep_bj1"])
    rep = ctx(org["rep_bj1"])
    first, second = bank_card(901), bank_card(902)

    def change(value: str) -> int:
        """A card is PIPL-sensitive (RULES.md §10): the rep's change waits for compliance (issue #13)."""
        requests = profiles.update_customer(ctx=rep, customer_id=c.pk, changes={"bank_card": value}).change_requests
        for request in requests:
            approvals.approve(ctx(org["compliance"]), request.pk)
        return len(requests)

    assert change(first) == 1
    before = all_rows(Customer).get(pk=c.pk)
    assert reload(c).bank_card == first
    assert change(f"{second[:4]} {second[4:8]}-{second[8:]}") == 1
    after = all_rows(Customer).get(pk=c.pk)
    assert bytes(after.bank_card_ct) != bytes(before.bank_card_ct) and bytes(after.name_ct) == bytes(before.name_ct)
    assert bytes(after.bank_card_bidx) == vault.index("bank_card", second) and reload(c).bank_card == second
    assert change(second) == 0  # same number: no change, no request
    assert change("") == 1
    cleared = all_rows(Customer).get(pk=c.pk)
    assert bytes(cleared.bank_card_ct) == b"" and bytes(cleared.bank_card_bidx) == b"" and reload(c).bank_card == ""
    updates = audit_events("customer.updated")
    assert [e.fields for e in updates] == [["bank_card"], ["bank_card"], ["bank_card"]]
    assert all(e.detail.get("change_request") and e.actor == org["compliance"] for e in updates)
    with pytest.raises(ValidationFailed) as exc:
        profiles.update_customer(ctx=rep, customer_id=c.pk, changes={"bank_card": bad_luhn(first)})
    assert list(exc.value.fields) == ["bank_card"]


@pytest.mark.django_db
def test_shredding_blanks_the_card_index(org):
    from clientvault.customers import shredding

    c = customer(org["rep_bj1"], bank_card=VISA)
    assert bytes(all_rows(Customer).get(pk=c.pk).bank_card_bidx)
    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=c.pk)
    assert bytes(all_rows(Customer).get(pk=c.pk).bank_card_bidx) == b""


# --- API ----------------------------------------------------------------------------------------


@pytest.fixture
def api_client(org):
    """The API as a signed-in browser uses it (working for the role's usual purpose where purposes apply)."""
    from django.test import Client

    client = Client()
    sign_in_verified(client, org["rep_bj1"])
    return client


def shown(value: str | None, number: str) -> bool:
    """An API value for ``number``: in clear, or masked down to at most its last four digits (RULES.md §12)."""
    return value == number or (value is not None and value.endswith(number[-4:]) and number[:-4] not in value)


def _send(client, method: str, path: str, body: dict[str, Any]):
    return getattr(client, method)("/api/v1" + path, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_api_creates_and_updates_the_card(org, api_client):
    body = {"kind": "individual", "name": "王芳", "bank_card": "4111-1111-1111-1111"}
    response = _send(api_client, "post", "/customers", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert shown(out["bank_card"], VISA) and reload(out["id"]).bank_card == VISA
    assert shown(api_client.get(f"/api/v1/customers/{out['id']}").json()["bank_card"], VISA)

    response = _send(api_client, "patch", f"/customers/{out['id']}", {"bank_card": CARD, "version": out["version"]})
    assert response.status_code == 200, response.content
    assert shown(response.json()["bank_card"], CARD) and response.json()["version"] == 2
    assert bytes(all_rows(Customer).get(pk=out["id"]).bank_card_bidx) == vault.index("bank_card", CARD)

    response = _send(api_client, "patch", f"/customers/{out['id']}", {"bank_card": None})
    assert response.status_code == 200 and response.json()["bank_card"] in ("", None)
    assert bytes(all_rows(Customer).get(pk=out["id"]).bank_card_ct) == b""


@pytest.mark.django_db
def test_api_refuses_a_bad_card_with_422_without_echo(org, api_client, audit_events):
    for method, path in (("post", "/customers"), ("patch", None)):
        if path is None:
            path = f"/customers/{customer(org['rep_bj1']).pk}"
        mark = len(audit_events())
        body = {"kind": "individual", "name": "王芳", "bank_card": BAD_LUHN} if method == "post" else {"bank_card": BAD_LUHN}
        response = _send(api_client, method, path, body)
        assert response.status_code == 422, response.content
        assert list(response.json()["error"]["fields"]) == ["bank_card"]
        assert BAD_LUHN not in response.content.decode() and BAD_LUHN[:-1] not in response.content.decode()
        assert audit_events()[mark:] == []


# --- Bulk import ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_seals_the_card_and_reports_a_bad_one_by_row(org, audit_events):
    system = system_context(channel="cli")
    rows = [
        ImportRow(kind=Kind.INDIVIDUAL, data={"name": "甲", "bank_card": "6222 6002 6000 1072 444"}, owner=org["rep_bj1"]),
        ImportRow(kind=Kind.ORGANISATION, data={"name": "乙公司", "uscc": uscc(), "bank_card": VISA}, owner=org["rep_bj1"]),
        ImportRow(kind=Kind.INDIVIDUAL, data={"name": "丙"}, owner=org["rep_bj1"]),
    ]
    assert import_customers(ctx=system, rows=rows) == 3
    by_card = all_rows(Customer).filter(bank_card_bidx=vault.index("bank_card", CARD))
    assert [reload(c).name for c in by_card] == ["甲"] and reload(by_card[0]).bank_card == CARD
    assert all_rows(Customer).filter(bank_card_bidx=vault.index("bank_card", VISA)).count() == 1
    assert all_rows(Customer).filter(bank_card_bidx=b"").count() == 1
    assert sum("bank_card" in e.fields for e in audit_events("customer.created")) == 2

    bad = [ImportRow(kind=Kind.INDIVIDUAL, data={"name": "丁", "bank_card": BAD_LUHN}, owner=org["rep_bj1"])]
    with pytest.raises(ValidationFailed) as exc:
        import_customers(ctx=system, rows=bad)
    assert list(exc.value.fields) == ["row1.bank_card"]
    assert all_rows(Customer).count() == 3


# --- Forms and pages ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Kind.INDIVIDUAL, Kind.ORGANISATION])
def test_the_form_has_the_card_for_both_kinds(kind):
    form = CustomerForm({"name": "x", "status": "active", "bank_card": "4111 1111 1111 1111"}, kind=kind)
    assert form.is_valid(), form.errors
    assert form.standard_data()["bank_card"] == "4111 1111 1111 1111"  # the service normalises and validates


@pytest.mark.django_db
def test_the_new_customer_page_shows_the_card_field(org, client):
    sign_in_verified(client, org["rep_bj1"])
    for kind in (Kind.INDIVIDUAL, Kind.ORGANISATION):
        html = client.get(f"/customers/new/?kind={kind}").content.decode()
        assert 'name="bank_card"' in html, kind


# --- Classification ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_card_is_classified_by_default():
    row = FieldClassification.objects.get(key="customer.bank_card")
    assert (row.category, row.jrt_class, row.pipl_sensitive, row.gbt_sensitive, row.mask_profile) == (
        "financial_account",
        "C2",
        True,
        True,
        "bank_card",
    )
    assert (row.label_zh, row.label_en, row.version) == ("银行卡号", "Bank card number", 1)
    assert FieldClassificationVersion.objects.get(key="customer.bank_card").version == 1


@pytest.mark.django_db
def test_the_classification_migration_seeds_an_older_database_once():
    import importlib

    from django.apps import apps

    from clientvault.audit.append_only import maintenance

    migration = importlib.import_module("clientvault.classification.migrations.0003_bank_card_default")
    with maintenance("flush"):  # versions are append-only: only emptying the database removes them
        FieldClassificationVersion.objects.filter(key="customer.bank_card").delete()
    FieldClassification.objects.filter(key="customer.bank_card").delete()
    migration.seed(apps, None)
    migration.seed(apps, None)  # idempotent
    assert FieldClassification.objects.filter(key="customer.bank_card").count() == 1
    assert FieldClassificationVersion.objects.filter(key="customer.bank_card").count() == 1
    # A classification the compliance officer changed is left as it is.
    FieldClassification.objects.filter(key="customer.bank_card").update(jrt_class="C3", mask_profile="hidden", version=2)
    migration.seed(apps, None)
    assert FieldClassification.objects.get(key="customer.bank_card").jrt_class == "C3"


# --- Demo data ------------------------------------------------------------------------------------


def test_about_a_third_of_demo_customers_get_a_valid_card_deterministically():
    from clientvault.accounts.models import User
    from clientvault.demo.seeding import DEMO_USERS, customer_rows

    users = {u.username: User(username=u.username) for u in DEMO_USERS}
    rows = customer_rows(150, users)
    cards = [r.data["bank_card"] for r in rows if "bank_card" in r.data]
    assert 30 <= len(cards) <= 70 and len(set(cards)) == len(cards)
    assert all(luhn_valid(c) and 12 <= len(c) <= 19 for c in cards)
    assert {r.kind for r in rows if "bank_card" in r.data} == {Kind.INDIVIDUAL, Kind.ORGANISATION}
    assert [r.data.get("bank_card") for r in customer_rows(150, users)] == [r.data.get("bank_card") for r in rows]
    for row in rows:
        _out, errors = rules.clean_customer(row.data, kind=row.kind, today=dt.date.today())
        assert "bank_card" not in errors


@pytest.mark.django_db(transaction=True)
def test_migrate_is_not_refused_on_a_database_classified_before_the_card_existed():
    import importlib

    from django.apps import apps
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    from clientvault.customers.checks import check_classification, migrations_pending, unclassified_fields

    # An earlier transactional test may have flushed the seeded catalogue: seed it again (idempotent).
    importlib.import_module("clientvault.classification.migrations.0002_seed_defaults").seed(apps, None)
    assert not migrations_pending() and unclassified_fields() == []
    MigrationExecutor(connection).migrate([("classification", "0002_seed_defaults")])
    FieldClassificationVersion.objects.filter(key="customer.bank_card").delete()
    FieldClassification.objects.filter(key="customer.bank_card").delete()
    assert migrations_pending() and unclassified_fields() == ["customer.bank_card"]
    assert check_classification(None, databases=["default"]) == []  # migrate runs the checks before it migrates
    call_command("migrate", database="default", skip_checks=False, verbosity=0)
    assert not migrations_pending() and unclassified_fields() == []
    assert [m.id for m in check_classification(None, databases=["default"])] == []
    assert FieldClassificationVersion.objects.get(key="customer.bank_card").version == 1
