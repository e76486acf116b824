"""The disclosure plan (access/plan.py): one step from policies, actor facts, catalogue and consent state
as an input fact; fails closed without a consent provider; recorded in the read's audit event."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from clientvault.access import facts
from clientvault.access.plan import CONSENT, NO_CONSENT_FACT, POLICY, PlanRow, disclosure_plan
from clientvault.access.policies import Decision
from clientvault.customers import disclosure, selectors
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
ACCESS = Path(__file__).resolve().parents[1]


def _rows(*customers: Any) -> list[PlanRow]:
    return disclosure.rows_of(customers)


def test_a_plan_decides_every_row_and_field_in_one_step(org: Org) -> None:
    own, other = customer(org["rep_bj1"], name="甲"), customer(org["rep_bj2"], name="乙")
    manager = ctx(org["manager_bj"])
    plan = disclosure_plan(manager, _rows(own, other), {"name": "customer.name", "mobile": "customer.mobile", "x": "customer.nope"})
    for row in (plan[own.pk], plan[other.pk]):
        assert row["name"].decision is Decision.MASKED and row["name"].why == POLICY  # C2 masked for the manager
        assert row["name"].view == disclosure.decisions(manager, own, ("name",))["name"]
        assert row["x"].decision is not Decision.PLAIN  # unknown to the catalogue: C3, fail closed
    rep = disclosure_plan(ctx(org["rep_bj1"]), _rows(own), {"mobile": "customer.mobile"})
    assert rep[own.pk]["mobile"].decision is Decision.PLAIN and rep[own.pk]["mobile"].why == ""
    assert rep.audit_codes() == ["mobile:plain"] and not rep.consent_gated


def test_consent_state_is_a_fact_and_narrows_the_plan(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, name="戊联系")
    consent(c, consent_type="general", categories=("contact", "behaviour"))
    plan = disclosure_plan(ctx(rep, purpose="marketing"), _rows(c), {"email": "customer.email", "name": "customer.name"})
    assert plan.consent_gated
    assert plan[c.pk]["email"].decision is Decision.PLAIN
    assert plan[c.pk]["name"].decision is Decision.WITHHELD and plan[c.pk]["name"].why == CONSENT
    assert plan.withheld_for_consent() == ["name"]


def test_without_a_consent_provider_the_plan_fails_closed(org: Org) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, name="己")
    consent(c)
    marketing = ctx(rep, purpose="marketing")
    with facts.swapped_consent(None):
        assert facts.consent_provider() is None
        plan = disclosure_plan(marketing, _rows(c), {"email": "customer.email", "mobile": "customer.mobile"})
        assert {f.decision for f in plan[c.pk].fields.values()} == {Decision.WITHHELD}
        assert {f.why for f in plan[c.pk].fields.values()} == {NO_CONSENT_FACT}
        # And the queryset's consent condition lets no row through.
        assert not Customer.objects.visible_to(marketing).filter(pk=c.pk).exists()
    # A purpose that does not rest on consent needs no consent fact.
    with facts.swapped_consent(None):
        plain = disclosure_plan(ctx(rep, purpose="sales_followup"), _rows(c), {"mobile": "customer.mobile"})
        assert plain[c.pk]["mobile"].decision is Decision.PLAIN
    assert facts.consent_provider() is not None  # restored: the consents app registered it in ready()
    assert Customer.objects.visible_to(marketing).filter(pk=c.pk).exists()


def test_the_read_event_records_the_plan_without_values(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = customer(rep, name="庚记录", email="geng@example.com")
    consent(c, consent_type="general", categories=("contact",))
    seen = selectors.get_customer(ctx(rep, purpose="marketing"), c.pk)
    [event] = audit_events("customer.viewed")
    codes = event.detail["disclosure"]
    assert "email:plain" in codes and "name:withheld:consent" in codes
    assert {code.split(":")[0] for code in codes} >= set(seen.field_views)  # type: ignore[attr-defined]
    text = repr(event.detail)
    assert "geng@example.com" not in text and "庚记录" not in text


def test_access_does_not_import_the_apps_above_it() -> None:
    """consents registers with access (access.facts); access never imports consents or customers."""
    banned = ("clientvault.consents", "clientvault.customers")
    for path in ACCESS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in getattr(node, "names", [])]
            if isinstance(node, ast.Import | ast.ImportFrom):
                assert not any(n.startswith(banned) for n in names), f"{path.name} imports {names}"
