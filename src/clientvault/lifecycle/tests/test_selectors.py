"""The contract selectors (issue #15): erasure_status, active_holds, retention_summary — codes and dates only."""

from __future__ import annotations

import datetime as dt

import pytest

from clientvault.lifecycle import holds, selectors, services
from clientvault.lifecycle.tests.support import no_approval, prospect
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def test_retention_summary_lists_every_seeded_rule_with_its_hold(org: Org) -> None:
    c = cf.customer(org["rep_bj1"], name="王芳")
    lines = selectors.retention_summary(c.pk)
    codes = {line.rule_code for line in lines}
    assert {"kyc-aml", "transactions-aml", "marketing-tags", "profile-service"} <= codes  # seeded from RULES.md
    kyc = next(line for line in lines if line.rule_code == "kyc-aml")
    assert (kyc.period_months, kyc.start_event, kyc.end_action, kyc.citation, kyc.hold) == (120, "relationship_end", "delete", "AML-34", "")
    holds.place_hold(ctx(org["compliance"]), customer_id=c.pk, basis="litigation", reference="(2026)京01民初1号", category="kyc")
    held = {line.rule_code: line.hold for line in selectors.retention_summary(c.pk)}
    assert held["kyc-aml"] == "litigation" and held["profile-service"] == ""


def test_active_holds_are_codes_and_dates(org: Org) -> None:
    c = cf.customer(org["rep_bj1"])
    assert selectors.active_holds(c.pk) == []
    until = dt.date.today() + dt.timedelta(days=400)
    hold = holds.place_hold(ctx(org["compliance"]), customer_id=c.pk, basis="regulator", reference="PBOC-2026-7", until=until)
    [summary] = selectors.active_holds(c.pk)
    assert (summary.id, summary.basis, summary.category, summary.until, summary.status) == (hold.pk, "regulator", "", until, "active")
    past = holds.place_hold(
        ctx(org["compliance"]), customer_id=c.pk, basis="other", starts_on=dt.date(2020, 1, 1), until=dt.date(2020, 2, 1)
    )
    assert past.pk not in {h.id for h in selectors.active_holds(c.pk)}  # a hold whose period ended holds nothing


@no_approval
def test_erasure_status_follows_the_request(org: Org) -> None:
    assert selectors.erasure_status("none") is None
    c = prospect(org["rep_bj1"])
    outcome = services.erase_on_request(ctx(org["compliance"]), customer_id=c.pk, request_ref="RR-1 (letter)")
    assert outcome.state == "queued" and outcome.certificate_id is None
    from clientvault.lifecycle import erasure
    from clientvault.lifecycle.models import Erasure

    erasure.run(Erasure.objects.get(request_ref="RR-1 (letter)").pk)
    done = selectors.erasure_status("RR-1 (letter)")
    assert done is not None and done.state == "deleted" and done.certificate_id is not None and done.hold_bases == ()
