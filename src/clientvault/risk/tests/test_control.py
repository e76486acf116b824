"""The credit-control engine, rule by rule with its boundaries (pure: no database) — issue #16."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest

from clientvault.risk import control
from clientvault.risk.control import BLOCK, DRAWDOWN, EVALUATION, HOLD, NEW_CREDIT, TERMS_CHANGE, WARN, Rule
from clientvault.risk.figures import Figures

TODAY = dt.date(2026, 6, 10)
ALL = (NEW_CREDIT, DRAWDOWN, TERMS_CHANGE, EVALUATION)


def figures(**kw: Any) -> Figures:
    return Figures(currency="CNY", as_of=TODAY, **kw)


def rule(measure: str, action: str = BLOCK, checkpoints: tuple[str, ...] = ALL, **params: Any) -> Rule:
    return Rule(code=measure.replace("_", "-"), measure=measure, action=action, checkpoints=checkpoints, params=params)


def fires(f: Figures, r: Rule, checkpoint: str = EVALUATION, proposed: int | None = None) -> bool:
    return bool(control.evaluate(f, [r], checkpoint, proposed=proposed).fired)


@pytest.mark.parametrize(
    ("exposure", "proposed", "expected"),
    [(900, 100, False), (900, 101, True), (1000, 0, False), (0, 1000, False), (0, 1001, True)],
)
def test_exposure_over_limit_at_a_drawdown(exposure: int, proposed: int, expected: bool) -> None:
    f = figures(exposure=exposure, permanent_limit=1000)
    outcome = control.evaluate(f, [rule("exposure_over_limit", ratio=1.0)], DRAWDOWN, proposed=proposed)
    assert outcome.blocked is expected
    assert outcome.exposure == exposure + proposed
    if expected:
        assert outcome.fired[0].measured == {"exposure": exposure + proposed, "effective_limit": 1000}


def test_exposure_without_any_limit_is_over_it_and_proposed_counts_only_where_exposure_grows() -> None:
    r = rule("exposure_over_limit")
    assert fires(figures(exposure=1), r)
    assert not fires(figures(), r, DRAWDOWN, proposed=0)
    assert not fires(figures(exposure=900, permanent_limit=1000), r, TERMS_CHANGE, proposed=5000)  # 5000 days, not money


def test_collateral_raises_the_effective_limit_by_the_advance_rate() -> None:
    f = figures(exposure=1200, permanent_limit=1000, collateral=400)
    over = rule("exposure_over_limit")
    advance = rule("collateral_advance", WARN, advance_rate=0.5)
    assert control.evaluate(f, [over], EVALUATION).blocked
    outcome = control.evaluate(f, [over, advance], EVALUATION)
    assert outcome.effective_limit == 1200 and not outcome.fired  # the advance rule never fires itself
    assert control.evaluate(figures(exposure=100, collateral=400), [over, advance], EVALUATION).effective_limit == 200


@pytest.mark.parametrize(("exposure", "expected"), [(799, False), (800, True), (1000, True)])
def test_utilisation_warning_from_the_threshold(exposure: int, expected: bool) -> None:
    outcome = control.evaluate(figures(exposure=exposure, permanent_limit=1000), [rule("utilisation", WARN, at=0.8)], EVALUATION)
    assert outcome.warnings == (("utilisation",) if expected else ())
    assert not outcome.blocked


def test_utilisation_without_a_limit_does_not_fire() -> None:
    assert not fires(figures(exposure=10), rule("utilisation", WARN, at=0.8))


@pytest.mark.parametrize(("days", "expected"), [(0, False), (29, False), (30, True), (31, True)])
def test_days_overdue_hold(days: int, expected: bool) -> None:
    outcome = control.evaluate(figures(days_overdue=days), [rule("days_overdue", HOLD, at=30)], EVALUATION)
    assert outcome.holds == (("days-overdue",) if expected else ())


@pytest.mark.parametrize(("overdue", "expected"), [(0, False), (99, False), (100, True)])
def test_overdue_ratio_hold(overdue: int, expected: bool) -> None:
    assert fires(figures(exposure=1000, overdue_amount=overdue), rule("overdue_ratio", HOLD, at=0.1)) is expected


def test_overdue_ratio_without_exposure_does_not_fire() -> None:
    assert not fires(figures(overdue_amount=10), rule("overdue_ratio", HOLD, at=0.1))


def test_limit_expired_blocks() -> None:
    assert fires(figures(exposure=10, limit_expired=True), rule("limit_expired"), DRAWDOWN, proposed=1)
    assert not fires(figures(exposure=10), rule("limit_expired"), DRAWDOWN, proposed=1)


@pytest.mark.parametrize(("next_review", "expected"), [(None, False), (TODAY, False), (TODAY - dt.timedelta(days=1), True)])
def test_review_overdue_hold(next_review: dt.date | None, expected: bool) -> None:
    assert fires(figures(next_review_on=next_review), rule("review_overdue", HOLD)) is expected


def test_a_hold_in_force_blocks_new_credit_drawdowns_and_longer_terms_only() -> None:
    held = figures(active_holds=("days-overdue",), terms_days=30)
    r = rule("hold_in_force", forced_only=False)
    assert fires(held, r, NEW_CREDIT, proposed=0)
    assert fires(held, r, DRAWDOWN, proposed=1)
    assert fires(held, r, TERMS_CHANGE, proposed=31)
    assert not fires(held, r, TERMS_CHANGE, proposed=30)  # shorter or equal terms pass
    assert not fires(figures(), r, DRAWDOWN, proposed=1)
    forced_only = rule("hold_in_force", forced_only=True)
    assert not fires(held, forced_only, DRAWDOWN, proposed=1)
    assert fires(figures(active_holds=("manual",), forced_hold=True), forced_only, DRAWDOWN, proposed=1)


@pytest.mark.parametrize(
    ("tier", "days", "expected"), [("low", 90, False), ("low", 91, True), ("high", 31, True), ("", 30, False), ("", 31, True)]
)
def test_terms_over_the_tier_maximum(tier: str, days: int, expected: bool) -> None:
    r = rule("terms_over_tier_max", max_days={"high": 30, "medium": 60, "low": 90, "": 30})
    assert fires(figures(tier=tier), r, TERMS_CHANGE, proposed=days) is expected


@pytest.mark.parametrize(("tier", "expected"), [("high", True), ("medium", False), ("low", False), ("", False)])
def test_tier_policy_blocks_new_credit_for_the_tiers_named(tier: str, expected: bool) -> None:
    assert fires(figures(tier=tier), rule("tier_policy", tiers=["high"]), NEW_CREDIT, proposed=0) is expected


@pytest.mark.parametrize(("left", "expected"), [(15, False), (14, True), (0, True)])
def test_temporary_limit_expiring_warning(left: int, expected: bool) -> None:
    f = figures(temporary_limit=100, temporary_limit_until=TODAY + dt.timedelta(days=left))
    assert fires(f, rule("temporary_limit_expiring", WARN, days=14)) is expected
    assert not fires(figures(), rule("temporary_limit_expiring", WARN, days=14))


def test_rules_act_only_at_their_checkpoints_and_while_active() -> None:
    f = figures(days_overdue=90)
    r = rule("days_overdue", HOLD, (EVALUATION,), at=30)
    assert not fires(f, r, DRAWDOWN, proposed=1)
    assert not fires(f, Rule("x", "days_overdue", HOLD, (EVALUATION,), {"at": 30}, active=False))


def test_thresholds_are_params() -> None:
    assert fires(figures(days_overdue=10), rule("days_overdue", HOLD, at=10))
    assert not fires(figures(days_overdue=10), rule("days_overdue", HOLD, at=11))


def test_an_unknown_measure_is_refused() -> None:
    with pytest.raises(control.UnknownMeasure):
        control.evaluate(figures(), [rule("crystal_ball")], EVALUATION)


def test_the_seeded_catalogue_knows_only_measures_the_engine_knows() -> None:
    seeded = importlib.import_module("clientvault.risk.migrations.0003_files_control_rules").RULES
    rules = [Rule(r["code"], r["measure"], r["action"], tuple(r["checkpoints"]), r["params"]) for r in seeded]
    worst = figures(
        exposure=2000, permanent_limit=1000, overdue_amount=900, days_overdue=90, limit_expired=True, tier="high",
        next_review_on=TODAY - dt.timedelta(days=1), active_holds=("manual",), forced_hold=True,
        temporary_limit=10, temporary_limit_until=TODAY,
    )  # fmt: skip
    for checkpoint in ALL:
        control.evaluate(worst, rules, checkpoint, proposed=100)  # no UnknownMeasure
    at_eval = control.evaluate(worst, rules, EVALUATION)
    assert set(at_eval.holds) == {"exposure-over-limit-hold", "days-overdue", "overdue-ratio", "review-overdue"}
    assert set(at_eval.warnings) == {"utilisation-warning", "temporary-limit-expiring"}
    assert set(control.evaluate(worst, rules, NEW_CREDIT, proposed=1).blocks) == {
        "exposure-over-limit", "limit-expired", "hold-in-force", "tier-policy-high",
    }  # fmt: skip
