"""Review on entry (issue #13): who sees a pending or rejected customer, the review modes, imports."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from clientvault.core.errors import Conflict, PermissionDenied
from clientvault.customers import entry_review, followups, rules, selectors
from clientvault.customers.choices import Kind, Residency, ReviewStatus
from clientvault.customers.imports import ImportRow, import_customers
from clientvault.customers.models import Customer, FollowUp
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows, customer, followup

pytestmark = pytest.mark.django_db


def _sees(u, c) -> bool:
    return Customer.objects.visible_to(ctx(u)).filter(pk=c.pk).exists()


def _sees_followup(u, f) -> bool:
    return FollowUp.objects.visible_to(ctx(u)).filter(pk=f.pk).exists()


@pytest.mark.parametrize("status", [ReviewStatus.PENDING, ReviewStatus.REJECTED])
def test_a_record_not_approved_is_seen_by_its_creator_and_compliance_only(org, status):
    rep = org["rep_bj1"]
    c = customer(rep, review_status=status, created_by=rep)
    f = followup(c, rep)
    assert _sees(rep, c) and _sees(org["compliance"], c)
    assert _sees_followup(rep, f) and _sees_followup(org["compliance"], f)
    for name in ("manager_bj", "risk", "auditor"):
        assert not _sees(org[name], c), name
        assert not _sees_followup(org[name], f), name


def test_the_owner_who_did_not_enter_it_does_not_see_it_until_approved(org):
    c = customer(org["rep_bj1"], review_status=ReviewStatus.PENDING, created_by=org["manager_bj"])
    assert _sees(org["manager_bj"], c) and not _sees(org["rep_bj1"], c)
    all_rows(Customer).filter(pk=c.pk).update(review_status=ReviewStatus.APPROVED)
    assert _sees(org["rep_bj1"], c) and _sees(org["manager_bj"], c)


def test_a_hidden_record_answers_like_a_missing_one(org):
    from clientvault.core.errors import NotFound

    c = customer(org["rep_bj1"], review_status=ReviewStatus.PENDING, created_by=org["rep_bj1"])
    with pytest.raises(NotFound):
        selectors.get_customer(ctx(org["manager_bj"]), c.pk)
    data = {"occurred_at": "2026-01-05T10:00", "channel": "phone"}
    with pytest.raises(NotFound):
        followups.create_followup(ctx=ctx(org["manager_bj"]), customer_id=c.pk, data=data)
    assert selectors.get_customer(ctx(org["rep_bj1"]), c.pk).pk == c.pk


def test_the_data_subject_sees_their_own_record_whatever_its_review(org):
    from clientvault.testing.actors import subject_ctx

    c = customer(org["rep_bj1"], review_status=ReviewStatus.PENDING, created_by=org["rep_bj1"])
    assert Customer.objects.visible_to(subject_ctx(c)).filter(pk=c.pk).exists()


@pytest.mark.parametrize(
    ("mode", "core", "risk", "expected"),
    [
        ("all", False, "low", True),
        ("none", True, "high", False),
        ("core", False, "high", False),
        ("core", True, "high", True),
        ("high_risk", False, "low", False),
        ("high_risk", False, "high", True),
        ("typo", False, "low", True),  # fail closed (the system check refuses it at start)
    ],
)
def test_review_modes(mode, core, risk, expected):
    assert rules.needs_entry_review(mode, is_core=core, risk=risk) is expected


def test_entry_risk_is_high_for_core_foreign_non_resident_and_unchecked_credit_codes():
    base: dict[str, Any] = {
        "is_core": False,
        "kind": Kind.INDIVIDUAL,
        "residency": Residency.RESIDENT,
        "nationality": "CN",
        "uscc_needs_review": False,
    }
    assert rules.entry_risk(**base) == "low"
    assert rules.entry_risk(**{**base, "is_core": True}) == "high"
    assert rules.entry_risk(**{**base, "nationality": "US"}) == "high"
    assert rules.entry_risk(**{**base, "residency": Residency.NON_RESIDENT}) == "high"
    assert rules.entry_risk(**{**base, "kind": Kind.ORGANISATION, "nationality": "", "uscc_needs_review": True}) == "high"


def test_an_unknown_review_mode_does_not_start():
    with override_settings(CLIENTVAULT_ENTRY_REVIEW="sometimes"):
        assert "clientvault.E041" in {m.id for m in run_checks()}
    with override_settings(CLIENTVAULT_ENTRY_REVIEW="core"):
        assert "clientvault.E041" not in {m.id for m in run_checks()}


def _import(org, n: int = 3) -> list[Customer]:
    from clientvault.core.context import system_context
    from clientvault.testing.identifiers import mobile

    rows = [ImportRow(kind=Kind.INDIVIDUAL, data={"name": f"导入{i}", "mobile": mobile(900 + i)}, owner=org["rep_bj1"]) for i in range(n)]
    import_customers(ctx=system_context(channel="cli"), rows=rows)
    return list(all_rows(Customer).order_by("pk"))


def test_imported_customers_wait_for_compliance_who_accepts_them_with_one_event_each(org, audit_events):
    imported = _import(org)
    assert {c.review_status for c in imported} == {ReviewStatus.PENDING}
    assert not any(_sees(org["rep_bj1"], c) for c in imported)  # imported: nobody's entry, so not the owner's yet
    assert entry_review.accept_imported(ctx=ctx(org["compliance"])) == 3
    assert all(_sees(org["rep_bj1"], c) for c in imported)
    events = audit_events("customer.entry_approved")
    assert sorted(e.customer_id for e in events) == sorted(c.pk for c in imported)
    assert {e.actor_id for e in events} == {org["compliance"].pk} and all(e.fields == ["review_status"] for e in events)
    assert entry_review.accept_imported(ctx=ctx(org["compliance"])) == 0  # nothing left


def test_only_compliance_accepts_imports_and_a_list_is_decided_whole(org, audit_events):
    imported = _import(org, 2)
    for name in ("rep_bj1", "manager_bj", "auditor"):
        with pytest.raises(PermissionDenied):
            entry_review.accept_imported(ctx=ctx(org[name]))
    entered = customer(org["rep_bj1"], review_status=ReviewStatus.PENDING, created_by=org["rep_bj1"])
    with pytest.raises(Conflict):  # a person's entry is decided on its change request, not here
        entry_review.accept_imported(ctx=ctx(org["compliance"]), customer_ids=[imported[0].pk, entered.pk])
    assert audit_events("customer.entry_approved") == []
    assert entry_review.accept_imported(ctx=ctx(org["compliance"]), customer_ids=[imported[0].pk], outcome=ReviewStatus.REJECTED) == 1
    assert all_rows(Customer).get(pk=imported[0].pk).review_status == ReviewStatus.REJECTED
    assert [e.customer_id for e in audit_events("customer.entry_rejected")] == [imported[0].pk]


@override_settings(CLIENTVAULT_ENTRY_REVIEW="none")
def test_with_review_off_new_customers_are_approved_at_once(org):
    [c] = _import(org, 1)
    assert c.review_status == ReviewStatus.APPROVED


def test_compliance_lists_the_customers_waiting_for_review(org):
    waiting = customer(org["rep_bj1"], review_status=ReviewStatus.PENDING, created_by=org["rep_bj1"])
    customer(org["rep_bj1"])
    page = selectors.list_customers(ctx(org["compliance"]), selectors.CustomerFilters(review=ReviewStatus.PENDING))
    assert [c.pk for c in page.items] == [waiting.pk]
    assert Customer.objects.visible_to(ctx(org["compliance"])).pending_review().count() == 1
    assert Customer.objects.visible_to(ctx(org["manager_bj"])).pending_review().count() == 0
