"""Default deny by construction (ARCHITECTURE.md rules 4 and 11, issue #11): a personal-data queryset runs
no SQL until it is scoped, whichever way it is evaluated, and Django's own machinery keeps working."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count

from clientvault.consents.models import Consent, ConsentRecord
from clientvault.core.querysets import UnscopedQuery
from clientvault.customers.models import Customer, FollowUp
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.consents import consent
from clientvault.testing.customers import all_rows, customer, followup
from clientvault.testing.organisation import Org

EVALUATIONS: dict[str, Callable[[Any], Any]] = {
    "iteration": lambda qs: list(qs),
    "len": lambda qs: len(qs),
    "bool": lambda qs: bool(qs),
    "get": lambda qs: qs.get(status="active"),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "aggregate": lambda qs: qs.aggregate(n=Count("pk")),
    "update": lambda qs: qs.update(status="closed"),
    "delete": lambda qs: qs.delete(),
    "values": lambda qs: list(qs.values("pk")),
    "values_list": lambda qs: list(qs.values_list("pk", flat=True)),
    "in_bulk": lambda qs: qs.in_bulk(),
    "first": lambda qs: qs.first(),
    "last": lambda qs: qs.last(),
    "iterator": lambda qs: list(qs.iterator()),
    "contains": lambda qs: qs.contains(all_rows(Customer).first()),
    "get_or_create": lambda qs: qs.get_or_create(status="active"),
    "slice": lambda qs: list(qs[:1]),
    "chained": lambda qs: list(qs.filter(status="active").exclude(is_core=True).order_by("created_at").select_related("owner")),
    "as_subquery": lambda qs: list(all_rows(FollowUp).filter(customer__in=qs)),
}


@pytest.mark.parametrize("how", sorted(EVALUATIONS))
def test_an_unscoped_customer_query_is_refused_however_it_is_evaluated(org: Org, how: str) -> None:
    c = customer(org["rep_bj1"])
    followup(c, org["rep_bj1"])
    with pytest.raises(UnscopedQuery):
        EVALUATIONS[how](Customer.objects.filter(pk__isnull=False))
    assert all_rows(Customer).filter(pk=c.pk, status="active").exists(), "nothing was changed by the refused query"


@pytest.mark.parametrize("how", ["iteration", "count", "exists", "values", "first", "chained", "update", "delete"])
def test_a_scoped_query_stays_scoped_through_chaining(org: Org, how: str) -> None:
    c = customer(org["rep_bj1"])
    EVALUATIONS[how](Customer.objects.visible_to(ctx(org["rep_bj1"]), "view").filter(pk=c.pk).all())
    EVALUATIONS[how](Customer.objects.unrestricted(reason="a test of chaining").filter(pk__isnull=False))


def test_unrestricted_needs_a_reason() -> None:
    with pytest.raises(ValueError):
        Customer.objects.unrestricted(reason=" ")


def test_related_managers_are_scoped_and_foreign_keys_stay_plain(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep)
    f = followup(c, rep)
    with pytest.raises(UnscopedQuery):
        list(c.followups.all())  # type: ignore[attr-defined]
    with pytest.raises(UnscopedQuery):
        c.consent_records.exists()  # type: ignore[attr-defined]
    assert list(c.followups.visible_to(ctx(rep), "view")) == [f]  # type: ignore[attr-defined]
    assert list(c.followups.visible_to(ctx(org["rep_sh"]), "view")) == []  # type: ignore[attr-defined]
    loaded = all_rows(FollowUp).get(pk=f.pk)
    assert loaded.customer.pk == c.pk  # FK access goes through the plain base manager
    loaded.refresh_from_db()


def test_deleting_a_row_cascades_through_the_base_manager(org: Org) -> None:
    c = customer(org["rep_bj1"])
    followup(c, org["rep_bj1"])
    all_rows(Customer).get(pk=c.pk).delete()
    assert not all_rows(FollowUp).filter(customer_id=c.pk).exists()


def test_creating_a_row_needs_no_scope(org: Org) -> None:
    c = customer(org["rep_bj1"])
    f = FollowUp.objects.create(customer=c, author=org["rep_bj1"], occurred_at="2026-01-05T10:00:00Z", channel="phone")
    assert all_rows(FollowUp).filter(pk=f.pk).exists()


def test_a_portal_subject_sees_only_their_own_rows(org: Org) -> None:
    mine, theirs = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    consent(mine)
    consent(theirs)
    me = subject_ctx(mine)
    assert list(Customer.objects.visible_to(me)) == [all_rows(Customer).get(pk=mine.pk)]
    assert {r.customer_id for r in ConsentRecord.objects.visible_to(me)} == {mine.pk}
    assert {r.customer_id for r in Consent.objects.visible_to(me)} == {mine.pk}


def test_staff_read_consents_through_the_customer_scope(org: Org) -> None:
    own, other_branch = customer(org["rep_bj1"]), customer(org["rep_sh"])
    consent(own)
    consent(other_branch)
    seen = {r.customer_id for r in ConsentRecord.objects.visible_to(ctx(org["rep_bj1"]), "view")}
    assert seen == {own.pk}
    assert {r.customer_id for r in ConsentRecord.objects.visible_to(ctx(org["compliance"]), "view")} == {own.pk, other_branch.pk}
