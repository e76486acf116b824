"""Score stability: PSI on known distributions, the monthly check, its alert (issue #16)."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import pytest
from django.utils import timezone

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.core.models import Notification
from clientvault.risk import stability
from clientvault.risk.models import CreditScore, StabilityCheck
from clientvault.testing.credit import credit_file
from clientvault.testing.customers import customer

NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def normal(n: int, mean: float, sd: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def test_identical_distributions_have_zero_psi() -> None:
    base = normal(5000, 600, 50, 1)
    edges = stability.decile_edges(base)
    assert len(edges) == 9
    e = stability.shares(base, edges)
    assert all(abs(x - 0.1) < 0.01 for x in e)
    assert stability.psi(e, stability.shares(list(base), edges)) == 0.0


def test_a_shifted_distribution_is_above_the_alert_threshold_and_noise_is_not() -> None:
    base = normal(5000, 600, 50, 1)
    edges = stability.decile_edges(base)
    e = stability.shares(base, edges)
    same_population = stability.psi(e, stability.shares(normal(5000, 600, 50, 2), edges))
    shifted = stability.psi(e, stability.shares(normal(5000, 640, 50, 3), edges))  # 0.8 sd lower risk
    assert same_population < 0.02
    assert shifted > 0.25


def test_psi_by_hand_and_the_epsilon_for_empty_bins() -> None:
    e, a = [0.5, 0.5], [0.25, 0.75]
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert stability.psi(e, a) == pytest.approx(expected)
    assert stability.psi([0.5, 0.5], [1.0, 0.0]) == pytest.approx(
        0.5 * math.log(1 / 0.5) + (stability.EPSILON - 0.5) * math.log(stability.EPSILON / 0.5)
    )
    with pytest.raises(ValueError):
        stability.psi([1.0], [0.5, 0.5])


def test_ties_collapse_deciles() -> None:
    assert stability.decile_edges([600.0] * 50 + [700.0] * 50) == [600.0, 700.0]
    assert stability.shares([600.0, 650.0, 700.0, 800.0], [600.0, 700.0]) == [0.25, 0.5, 0.25]


def test_a_spec_training_distribution_is_used_when_well_formed() -> None:
    good = {"score_distribution": {"edges": [500.0, 600.0], "shares": [0.2, 0.5, 0.3]}}
    baseline = stability.training_baseline(good)
    assert baseline is not None and baseline.source == "training"
    for bad in (
        {},
        {"score_distribution": {"edges": [600, 500], "shares": [0.2, 0.5, 0.3]}},
        {"score_distribution": {"edges": [1], "shares": [1]}},
    ):
        assert stability.training_baseline(bad) is None


def scores_in(f: Any, month: dt.date, values: list[float], model_id: str = "demo-card") -> None:
    at = timezone.make_aware(dt.datetime.combine(month + dt.timedelta(days=3), dt.time(10)))
    for v in values:
        CreditScore(
            credit_file=f,
            scored_at=at,
            trigger="nightly",
            model_id=model_id,
            model_version="1",
            spec_digest="0" * 64,
            tier_policy_version=1,
            score=v,
            tier="medium",
        ).save(force_insert=True)


@pytest.mark.django_db
def test_the_monthly_check_stores_alerts_and_notifies_risk_officers_once(org: Any, audit_events: Any) -> None:
    f = credit_file(customer(org["rep_bj1"]))
    scores_in(f, NOV, normal(400, 600, 50, 1))
    scores_in(f, DEC, normal(400, 650, 50, 2))
    system = system_context(channel="task")
    with clock.travel(timezone.make_aware(dt.datetime(2027, 1, 2, 3))):
        [dec] = stability.check_previous_month(system)
    assert (dec.month, dec.model_id, dec.population, dec.alert) == (DEC, "demo-card", 400, True)
    assert dec.psi > 0.25 and dec.threshold == 0.25 and dec.baseline["source"] == "first_month"
    assert len(dec.baseline["shares"]) == 10
    [alert] = audit_events("credit.stability_alert")
    assert alert.detail["model"] == "demo-card" and alert.customer_id is None
    notes = Notification.objects.filter(kind=stability.NOTIFICATION_KIND)
    assert {n.user_id for n in notes} == {org["risk"].pk, org["risk_other"].pk}  # the risk officers, nobody else
    assert all("demo-card" in n.text and "2026-12" in n.text for n in notes)
    # Re-run: the stored check, no second alert.
    assert stability.check_month(system, model_id="demo-card", month=DEC) == dec
    assert len(audit_events("credit.stability_alert")) == 1 and StabilityCheck.objects.count() == 1
    assert Notification.objects.filter(kind=stability.NOTIFICATION_KIND).count() == 2
    nov = stability.check_month(system, model_id="demo-card", month=NOV)
    assert nov is not None and nov.psi == 0.0 and not nov.alert
    assert stability.check_month(system, model_id="demo-card", month=dt.date(2026, 6, 1)) is None


@pytest.mark.django_db
def test_the_threshold_is_a_setting(org: Any, settings: Any) -> None:
    settings.CLIENTVAULT_RISK_STABILITY = {"threshold": 5}
    f = credit_file(customer(org["rep_bj1"]))
    scores_in(f, NOV, normal(200, 600, 50, 1))
    scores_in(f, DEC, normal(200, 650, 50, 2))
    check = stability.check_month(system_context(), model_id="demo-card", month=DEC)
    assert check is not None and not check.alert and check.threshold == 5.0
