"""The on-entry duplicate check (issue #14; RULES.md PIPL-13 and AML-KYC: one customer, one due-diligence
record): block vs warn per configuration, likely-match scoring, what a user learns of records outside their
scope, merged-away and shredded customers, the audit trail of a confirmed save, the system check."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.utils.translation import gettext

from clientvault.customers import matching, profiles, selectors, shredding
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer, MatchKey
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.identifiers import resident_id, uscc

pytestmark = pytest.mark.django_db


def _new(org, who="rep_bj1", **data):
    return profiles.create_customer(ctx=ctx(org[who]), kind=data.pop("kind", Kind.INDIVIDUAL), data=data, **data.pop("_opts", {}))


def _check(org, **values):
    return matching.check(legal_entity_id=org.entity.pk, kind=values.pop("kind", Kind.INDIVIDUAL), values=values)


def test_same_id_number_blocks_with_the_unique_constraint_message_and_writes_nothing(org, audit_events):
    existing = customer(org["rep_bj1"])
    mark = len(audit_events())
    with pytest.raises(matching.DuplicateFound) as exc:
        _new(org, name="别名", id_type="resident_id", id_number=existing.id_number.lower())
    assert exc.value.status == 409 and exc.value.code == "duplicate_found"
    assert exc.value.as_dict() == {"id_number": [gettext("A customer with this ID number is already registered.")]}
    assert [m.customer_id for m in exc.value.report.blocking] == [existing.pk]
    assert exc.value.report.blocking[0].reasons == ("id_number",) and exc.value.report.blocking[0].exact
    assert existing.id_number not in str(exc.value.as_dict()) + str(exc.value)
    # blocking: confirming does not help
    with pytest.raises(matching.DuplicateFound):
        _new(org, name="别名", id_type="resident_id", id_number=existing.id_number, _opts={"confirm_duplicates": True})
    assert all_rows(Customer).count() == 1 and audit_events()[mark:] == []


def test_same_credit_code_blocks(org):
    existing = customer(org["rep_bj1"], kind=Kind.ORGANISATION)
    with pytest.raises(matching.DuplicateFound) as exc:
        _new(org, kind=Kind.ORGANISATION, name="另一家公司", uscc=existing.uscc.lower())
    assert "uscc" in exc.value.fields


def test_same_mobile_warns_and_a_confirmed_save_is_audited(org, audit_events):
    existing = customer(org["rep_bj1"])
    with pytest.raises(matching.DuplicateFound) as exc:
        _new(org, name="新客户", mobile="+86 " + existing.mobile)
    report = exc.value.report
    assert not report.blocking and [m.customer_id for m in report.warnings] == [existing.pk] and report.warnings[0].reasons == ("mobile",)
    assert exc.value.fields == {}  # nothing wrong with a field: the user decides
    mark = len(audit_events())
    c = _new(org, name="新客户", mobile=existing.mobile, _opts={"confirm_duplicates": True})
    created = next(e for e in audit_events()[mark:] if e.event_type == "customer.created")
    assert created.detail["duplicates_overridden"] == 1 and created.detail["duplicate_reasons"] == ["mobile"]
    assert created.detail["duplicate_ids"] == [str(existing.pk)] and existing.mobile not in str(created.detail)
    assert all_rows(MatchKey).filter(customer_id=c.pk).exists()


@override_settings(CLIENTVAULT_DUPLICATE_RULES={"id_number": "block", "uscc": "block", "mobile": "block", "email": "warn"})
def test_a_rule_turns_a_warning_into_a_block(org):
    existing = customer(org["rep_bj1"])
    with pytest.raises(matching.DuplicateFound) as exc:
        _new(org, name="新客户", mobile=existing.mobile, _opts={"confirm_duplicates": True})
    assert exc.value.as_dict() == {"mobile": [gettext("A customer with this mobile number is already registered.")]}


@override_settings(CLIENTVAULT_DUPLICATE_RULES={"id_number": "block", "uscc": "block", "email": "warn"})
def test_an_identifier_with_no_rule_only_weighs_as_a_likely_match(org):
    existing = customer(org["rep_bj1"])
    report = _check(org, name="新客户", mobile=existing.mobile)
    assert (
        not report.warnings and [m.customer_id for m in report.likely] == [existing.pk] and report.likely[0].score == 0.8
    )  # 0.5 + tail 0.3


def test_likely_matches_are_scored_against_the_threshold(org):
    born = dt.date(1988, 8, 8)
    existing = customer(org["rep_bj1"], name="张三", id_number=resident_id(birth=born), birth_date=born, mobile="13911112222")
    # a homophone name and the same birth date: pinyin 0.25 + birth date 0.25
    [m] = _check(org, name="章三", birth_date=born).likely
    assert (m.customer_id, m.reasons, m.exact, m.score) == (existing.pk, ("birth_date", "name_pinyin"), False, 0.5)
    # the same name and birth date: name 0.35 + birth date 0.25 + name and year 0.1 (pinyin adds nothing)
    assert _check(org, name="张三", birth_date=born).likely[0].score == 0.7
    # the ID number with a mistyped check digit: first 17 digits 0.6
    typo = existing.id_number[:17] + ("0" if existing.id_number[17] != "0" else "1")
    [m] = _check(org, name="别人", id_type="resident_id", id_number=typo).likely
    assert m.reasons == ("id_number",) and m.score == 0.6
    # same name, last 8 digits of the mobile: 0.35 + 0.3
    assert _check(org, name="张三", mobile="13811112222").likely[0].score == 0.65
    # a common name alone, or a birth date alone, is not a likely duplicate
    assert not _check(org, name="张三") and not _check(org, name="李四", birth_date=born)


@override_settings(CLIENTVAULT_DUPLICATE_THRESHOLD=0.3)
def test_the_threshold_is_configuration(org):
    existing = customer(org["rep_bj1"], name="张三")
    assert [m.customer_id for m in _check(org, name="张三").likely] == [existing.pk]


def test_another_legal_entity_never_matches(org):
    other = customer(org["rep_other"])
    assert not _check(org, id_type="resident_id", id_number=other.id_number, mobile=other.mobile, name=other.name)
    c = _new(org, name=other.name, id_type="resident_id", id_number=other.id_number, mobile=other.mobile)
    assert c.legal_entity_id != other.legal_entity_id


def test_shredded_customers_never_match(org):
    gone = customer(org["rep_bj1"])
    shredding.shred_customer(ctx=ctx(org["compliance"]), customer_id=gone.pk)
    c = _new(org, name=gone.name, mobile=gone.mobile, email=gone.email)  # no warning
    assert c.pk != gone.pk


def test_merged_away_customers_never_match(org):
    """Slice E adds ``Customer.merged_into``; a key row left for a customer that is gone from the live set
    (here: a shredding intent without the key erasure) is dropped at lookup."""
    from clientvault.crypto.models import KeyDestruction

    c = customer(org["rep_bj1"])
    KeyDestruction.objects.create(customer_id=c.pk)
    assert all_rows(MatchKey).filter(customer_id=c.pk).exists()
    assert not _check(org, mobile=c.mobile)
    if any(f.name == "merged_into" for f in Customer._meta.get_fields()):  # pragma: no cover - once slice E lands
        survivor, merged = customer(org["rep_bj1"]), customer(org["rep_bj1"])
        all_rows(Customer).filter(pk=merged.pk).update(merged_into=survivor.pk)
        assert not _check(org, mobile=merged.mobile)


def test_an_update_asks_only_about_new_matches(org):
    a, third = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    b = customer(org["rep_bj1"], mobile=a.mobile)  # already sharing a mobile (entered before the check)
    profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=b.pk, changes={"email": a.email})  # a was matched already: no question
    with pytest.raises(matching.DuplicateFound) as exc:
        profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=b.pk, changes={"email": third.email})
    assert [m.customer_id for m in exc.value.report.warnings] == [third.pk]
    updated = profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=b.pk, changes={"email": third.email}, confirm_duplicates=True)
    assert updated.version == b.version + 2


def test_a_rep_is_not_asked_about_nor_told_of_records_outside_their_scope(org, audit_events):
    theirs = customer(org["rep_bj2"])  # another team's customer: rep_bj1 may not see it
    # a warning on a record they cannot see: not asked (asking would confirm the mobile is a customer's)
    c = _new(org, name="新客户", mobile=theirs.mobile)
    assert c.pk
    # a block on a record they cannot see: refused (the database holds one record per ID number); the panel
    # counts it and shows nothing of it
    with pytest.raises(matching.DuplicateFound) as exc:
        _new(org, name="又一个", id_type="resident_id", id_number=theirs.id_number)
    mark = len(audit_events())
    shown = selectors.duplicate_matches(ctx(org["rep_bj1"]), exc.value.report)
    assert shown.items == [] and shown.hidden_blocking == 1
    [event] = audit_events()[mark:]
    assert event.event_type == "customer.duplicates_shown" and event.detail["shown_ids"] == [] and event.detail["hidden_blocking"] == 1
    assert event.fields == []


def test_the_panel_shows_visible_matches_masked_per_policy_and_records_it(org, audit_events):
    existing = customer(org["rep_bj1"], name="王小明")
    with pytest.raises(matching.DuplicateFound) as exc:
        _new(org, "manager_bj", name="新客户", mobile=existing.mobile, email=existing.email)
    mark = len(audit_events())
    shown = selectors.duplicate_matches(ctx(org["manager_bj"]), exc.value.report)
    [item] = shown.items
    match: matching.Match = getattr(item, "match")  # noqa: B009 - set by the selector, not a model field
    assert item.pk == existing.pk and match.reasons == ("email", "mobile") and shown.hidden_blocking == 0
    assert item.mobile != existing.mobile and "*" in item.mobile  # masked per the seeded policy
    [event] = audit_events()[mark:]
    assert event.event_type == "customer.duplicates_shown" and event.detail["shown_ids"] == [str(existing.pk)]
    assert set(event.fields) <= {"name", "mobile", "email"} and "mobile" in event.fields
    assert existing.mobile not in str(event.detail)


def test_exact_matches_bulk_maps_rows_to_stored_customers(org):
    a, b = customer(org["rep_bj1"]), customer(org["rep_bj1"], kind=Kind.ORGANISATION)
    rows = [
        {"name": "x", "mobile": "13000000000"},
        {"name": "y", "id_type": "resident_id", "id_number": a.id_number, "email": a.email.upper()},
        {"kind": Kind.ORGANISATION, "name": "z", "uscc": b.uscc},
        {"name": "w", "mobile": a.mobile},
    ]
    found = matching.exact_matches_bulk(legal_entity_id=org.entity.pk, rows=rows)
    assert [(i, m.customer_id, m.reasons) for i, m in found] == [
        (1, a.pk, ("email", "id_number")),
        (2, b.pk, ("uscc",)),
        (3, a.pk, ("mobile",)),
    ]
    assert matching.exact_matches_bulk(legal_entity_id=org.other_entity.pk, rows=rows) == []


def test_the_uscc_digest_of_one_org_does_not_match_another_kind(org):
    c = customer(org["rep_bj1"], kind=Kind.ORGANISATION, uscc=uscc(777))
    assert not _check(org, name="x", id_type="resident_id", id_number=c.uscc)


def test_the_system_check_refuses_unknown_fields_and_actions():
    with override_settings(CLIENTVAULT_DUPLICATE_RULES={"id_number": "block", "uscc": "block", "phone": "warn", "email": "ignore"}):
        messages = [m.msg for m in run_checks() if m.id == "clientvault.E140"]
    assert any("'phone'" in m for m in messages) and any("'ignore'" in m for m in messages)
    with override_settings(CLIENTVAULT_DUPLICATE_RULES={"id_number": "warn", "uscc": "block"}):
        assert any("must be 'block'" in m.msg for m in run_checks() if m.id == "clientvault.E140")
    with override_settings(CLIENTVAULT_DUPLICATE_WEIGHTS={"name": 3}, CLIENTVAULT_DUPLICATE_THRESHOLD=0):
        assert len([m for m in run_checks() if m.id == "clientvault.E140"]) == 2
    assert [m for m in run_checks() if m.id == "clientvault.E140"] == []


def test_check_excludes_the_record_itself(org):
    c = customer(org["rep_bj1"])
    values = {"name": c.name, "id_type": "resident_id", "id_number": c.id_number, "mobile": c.mobile}
    assert matching.check(legal_entity_id=org.entity.pk, kind=Kind.INDIVIDUAL, values=values, exclude=c.pk) == matching.MatchReport()
    assert matching.check(legal_entity_id=org.entity.pk, kind=Kind.INDIVIDUAL, values=values, exclude=uuid.uuid4()).blocking
