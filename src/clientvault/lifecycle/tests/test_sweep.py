"""The retention sweep (PIPL-19, PIPL-47, AML-34), the consent-withdrawal trigger (PIPL-15/47) and the retention
rules catalogue (rule 12: a change that lowers protection waits for a second compliance officer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clientvault.core.errors import PermissionDenied
from clientvault.core.models import OutboxEvent
from clientvault.customers.choices import Status
from clientvault.customers.models import Customer
from clientvault.lifecycle import rules, selectors, sweep
from clientvault.lifecycle.models import DeletionCertificate, RetentionRule, RetentionRuleChange, SweepCandidate
from clientvault.lifecycle.policies import add_months, end_action, retain_until
from clientvault.lifecycle.tests.support import SYSTEM, prospect, raw
from clientvault.testing import consents as consf
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org, second_officer

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_retention_arithmetic_is_pure() -> None:
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2015, 3, 1), 120) == dt.date(2025, 3, 1)
    starts = {"relationship_end": dt.date(2020, 1, 1), "last_contact": dt.date(2021, 6, 1)}
    assert retain_until([("a", 36, "relationship_end"), ("b", 36, "last_contact")], starts) == dt.date(2024, 6, 1)
    assert retain_until([("a", 36, "relationship_end"), ("c", 1, "transaction_date")], starts) is None  # not started: kept
    assert end_action(["delete", "restrict", "anonymise"]) == "restrict"


def test_sweep_erases_expired_prospects_and_restricts_closed_customers_under_aml(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    stale = prospect(rep)
    fresh = prospect(rep)
    closed = cf.customer(rep, status=Status.CLOSED)
    old = add_months(TODAY, -40)
    Customer.objects.unrestricted(reason="test: age the records").filter(pk__in=[stale.pk]).update(
        created_at=dt.datetime.combine(old, dt.time(), tzinfo=dt.UTC)
    )
    Customer.objects.unrestricted(reason="test").filter(pk=closed.pk).update(relationship_ended_on=add_months(TODAY, -130))
    result = sweep.sweep(ctx=SYSTEM)
    assert result["erased"] == 2  # the stale prospect, and the customer closed 130 months ago (its AML hold ended)
    assert raw(stale).erased_at is not None and DeletionCertificate.objects.filter(customer_id=stale.pk).count() == 1
    assert raw(fresh).erased_at is None
    assert selectors.active_holds(closed.pk) == []  # the automatic AML hold (relationship end + 120 months) has ended
    second = sweep.sweep(ctx=SYSTEM)
    assert second["erased"] == 0  # idempotent: nothing left to do
    assert raw(closed).erased_at is not None
    assert len(audit_events("lifecycle.swept")) == 2


def test_recently_closed_customer_gets_an_aml_hold_and_stays(org: Org) -> None:
    closed = cf.customer(org["rep_bj1"], status=Status.CLOSED)
    Customer.objects.unrestricted(reason="test").filter(pk=closed.pk).update(relationship_ended_on=add_months(TODAY, -48))
    sweep.sweep(ctx=SYSTEM)
    [hold] = selectors.active_holds(closed.pk)
    assert (hold.basis, hold.category, hold.until) == ("aml", "kyc", add_months(add_months(TODAY, -48), 120))
    row = raw(closed)
    assert row.erased_at is None and row.restricted_at is not None and row.restriction_basis == "aml"  # past the 36-month profile rule
    sweep.sweep(ctx=SYSTEM)
    assert len(selectors.active_holds(closed.pk)) == 1  # not placed twice


def test_withdrawn_marketing_consent_sends_the_marketing_tags_to_the_sweep(org: Org) -> None:
    from clientvault.consents import services as consent_services
    from clientvault.customers.models import Tag

    c = cf.customer(org["rep_bj1"])
    c.tags.add(Tag.objects.create(name="高净值"))
    consf.consent(c, "marketing")
    consent_services.withdraw_consent(ctx=ctx(org["compliance"]), customer_id=c.pk, purpose="marketing", channel="counter")
    event = OutboxEvent.objects.filter(topic="consent.changed").order_by("-id").first()
    sweep.note_withdrawal(event)  # the subscriber, as it runs after commit
    assert SweepCandidate.objects.get(customer_id=c.pk).categories == ["marketing_tags"]
    sweep.sweep(ctx=SYSTEM)
    assert not Customer.tags.through.objects.filter(customer_id=c.pk).exists()
    assert not SweepCandidate.objects.filter(customer_id=c.pk).exists() and raw(c).erased_at is None


def test_a_shorter_period_waits_for_a_second_officer_a_longer_one_does_not(org: Org, audit_events: Any) -> None:
    officer = ctx(org["compliance"])
    longer = rules.change_rule(ctx=officer, code="followups-sales", data={"period_months": 48}, reason="业务需要")
    assert isinstance(longer, RetentionRule) and longer.version == 2 and len(audit_events("lifecycle.rule_changed")) == 1
    shorter = rules.change_rule(ctx=officer, code="followups-sales", data={"period_months": 12}, reason="最小必要")
    assert isinstance(shorter, RetentionRuleChange) and RetentionRule.objects.get(code="followups-sales").period_months == 48
    with pytest.raises(PermissionDenied):
        rules.decide(ctx=officer, change_id=shorter.pk, approve=True)
    rules.decide(ctx=ctx(second_officer(org)), change_id=shorter.pk, approve=True)
    rule = RetentionRule.objects.get(code="followups-sales")
    assert (rule.period_months, rule.version) == (12, 3) and rule.history().count() == 3
    with pytest.raises(PermissionDenied):
        rules.change_rule(ctx=ctx(org["auditor"]), code="followups-sales", data={"period_months": 60}, reason="x")


def _tagged_and_withdrawn(org: Org) -> Any:
    from clientvault.consents import services as consent_services
    from clientvault.customers.models import Tag

    c = cf.customer(org["rep_bj1"])
    c.tags.add(Tag.objects.create(name=f"营销{c.pk.hex[:6]}"))
    consf.consent(c, "marketing")
    consent_services.withdraw_consent(ctx=ctx(org["compliance"]), customer_id=c.pk, purpose="marketing", channel="counter")
    return c


def test_a_withdrawal_whose_after_commit_note_was_lost_is_noted_by_the_sweep(org: Org, audit_events: Any) -> None:
    # Under the test's transaction the after-commit delivery never runs: exactly a kill -9 between commit and callback.
    c = _tagged_and_withdrawn(org)
    assert not SweepCandidate.objects.filter(customer_id=c.pk).exists()
    assert sweep.sweep(ctx=SYSTEM)["categories_expired"] == 1  # the sweep read the outbox past its cursor
    assert not Customer.tags.through.objects.filter(customer_id=c.pk).exists()
    [expired] = audit_events("lifecycle.data_expired")
    assert expired.customer_id == c.pk and expired.detail["categories"] == ["marketing_tags"]
    assert sweep.sweep(ctx=SYSTEM)["categories_expired"] == 0  # the cursor moved: handled once


def test_a_hold_keeps_the_tags_and_the_note_until_it_ends(org: Org) -> None:
    from clientvault.lifecycle import holds
    from clientvault.lifecycle.models import LegalHold

    c = _tagged_and_withdrawn(org)
    holds.place_hold(ctx(org["compliance"]), customer_id=c.pk, basis="litigation", reference="诉讼保全", until=TODAY)
    assert sweep.sweep(ctx=SYSTEM)["categories_expired"] == 0
    assert Customer.tags.through.objects.filter(customer_id=c.pk).exists()
    assert SweepCandidate.objects.filter(customer_id=c.pk).exists()  # still noted: the tags go when the hold ends
    LegalHold.objects.filter(customer_id=c.pk).update(until=TODAY - dt.timedelta(days=1))
    assert sweep.sweep(ctx=SYSTEM)["categories_expired"] == 1
    assert not Customer.tags.through.objects.filter(customer_id=c.pk).exists()


def test_consent_given_again_keeps_the_tags(org: Org, audit_events: Any) -> None:
    c = _tagged_and_withdrawn(org)
    consf.consent(c, "marketing")  # the customer opted in again before the sweep ran
    assert sweep.sweep(ctx=SYSTEM)["categories_expired"] == 0
    assert Customer.tags.through.objects.filter(customer_id=c.pk).exists()
    assert not SweepCandidate.objects.filter(customer_id=c.pk).exists() and not audit_events("lifecycle.data_expired")


def test_a_hold_that_starts_later_already_stops_the_sweep(org: Org) -> None:
    from clientvault.lifecycle import holds

    stale = prospect(org["rep_bj1"])
    Customer.objects.unrestricted(reason="test: age the record").filter(pk=stale.pk).update(
        created_at=dt.datetime.combine(add_months(TODAY, -40), dt.time(), tzinfo=dt.UTC)
    )
    later = TODAY + dt.timedelta(days=30)
    holds.place_hold(ctx(org["compliance"]), customer_id=stale.pk, basis="litigation", reference="案件受理后保全", starts_on=later)
    assert sweep.sweep(ctx=SYSTEM)["erased"] == 0
    row = raw(stale)
    assert row.erased_at is None and row.restricted_at is not None and row.restriction_basis == "litigation"
    assert not DeletionCertificate.objects.filter(customer_id=stale.pk).exists()
