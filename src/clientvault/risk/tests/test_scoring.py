"""Plain-Python scoring from the spec: bins at their edges, missing and unseen values, reason codes, tiers."""

from __future__ import annotations

import math
from typing import Any

import pytest

from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs
from clientvault.risk.tests.helpers import body

SPEC = specs.load(body())
TIERS = scoring.TierPolicy("2025-1", high_risk_below=150.0, low_risk_from=200.0, model_id="test-card")


@pytest.mark.parametrize(
    ("days", "bin_id", "points"),
    [(-5, "0", 120.0), (0, "0", 120.0), (0.999, "0", 120.0), (1, "1", 90.5), (29.99, "1", 90.5), (30, "2", 40.25), (math.inf, "2", 40.25),
     ("30", "2", 40.25), (" 1.0 ", "1", 90.5), (None, "missing", 80.0), ("", "missing", 80.0), (math.nan, "missing", 80.0)],
)  # fmt: skip
def test_numeric_bins_are_half_open_lower_inclusive(days: object, bin_id: str, points: float) -> None:
    result = scoring.score(SPEC, {"days_overdue": days, "region": "华东"})
    assert result.bins["days_overdue"] == bin_id and result.points["days_overdue"] == points
    assert result.total == points + 100.0
    assert ("days_overdue" in result.missing) is (bin_id == "missing")


def test_categories_missing_and_unseen() -> None:
    assert scoring.score(SPEC, {"days_overdue": 0, "region": "华南"}).points["region"] == 100.0
    assert scoring.score(SPEC, {"days_overdue": 0, "region": "东北"}).bins["region"] == "1"
    assert scoring.score(SPEC, {"days_overdue": 0, "region": " 东北 "}).bins["region"] == "1"
    for absent in ({"days_overdue": 0}, {"days_overdue": 0, "region": None}, {"days_overdue": 0, "region": "火星"}):
        result = scoring.score(SPEC, absent)
        assert result.bins["region"] == "missing" and result.points["region"] == 85.0 and result.missing == ("region",)


def test_an_unseen_category_can_go_to_a_named_bin() -> None:
    doc = body()
    doc["characteristics"][1]["unseen"] = "1"
    spec = specs.load(specs.seal(doc))
    assert scoring.score(spec, {"region": "火星"}).points["region"] == 70.0
    assert scoring.score(spec, {"region": None}).points["region"] == 85.0


def test_a_value_that_is_not_a_number_is_refused() -> None:
    for value in ("thirty", [1], True):
        with pytest.raises(scoring.ScoringError) as err:
            scoring.score(SPEC, {"days_overdue": value})
        assert err.value.code == "score.not_numeric"


def test_reason_codes_are_the_largest_shortfalls_from_the_best_bin() -> None:
    result = scoring.score(SPEC, {"days_overdue": 45, "region": "东北"})
    assert [r.code for r in result.reasons] == ["days_overdue:2", "region:1"]
    assert [r.shortfall for r in result.reasons] == [120.0 - 40.25, 30.0]
    assert scoring.score(SPEC, {"days_overdue": 45, "region": "东北"}, top=1).reasons[0].code == "days_overdue:2"
    best = scoring.score(SPEC, {"days_overdue": 0, "region": "华东"})
    assert best.reasons == () and best.total == 220.0  # nothing below the best bin: no reasons
    tie = scoring.score(SPEC, {"days_overdue": 0.5, "region": "华东"})
    assert tie.reasons == ()


def test_reasons_reproduce_the_points() -> None:
    result = scoring.score(SPEC, {"days_overdue": 12, "region": None})
    best_total = sum(c.best_points for c in SPEC.characteristics)
    assert math.isclose(result.total, best_total - sum(r.shortfall for r in result.reasons))


def test_a_score_records_the_decision_without_values() -> None:
    result = scoring.score(SPEC, {"days_overdue": 12, "region": "东北", "name": "张三"}, tiers=TIERS)
    record = result.as_record()
    assert record["model_id"] == "test-card" and record["model_version"] == "7" and record["spec_digest"] == SPEC.digest
    assert record["inputs_used"] == ["days_overdue", "region"] and record["reason_codes"] == ["region:1", "days_overdue:1"]
    assert record["tier"] == scoring.MEDIUM and record["tier_policy_version"] == "2025-1"
    assert "张三" not in str(record) and "东北" not in str(record) and 12 not in record.values()


@pytest.mark.parametrize(
    ("total_inputs", "tier"), [((45, "东北"), "high"), ((12, "东北"), "medium"), ((0, "华东"), "low"), ((12, "华东"), "medium")]
)
def test_tiers_follow_the_policy(total_inputs: tuple[Any, str], tier: str) -> None:
    days, region = total_inputs
    assert scoring.score(SPEC, {"days_overdue": days, "region": region}, tiers=TIERS).tier == tier


def test_tier_policies_are_validated_data() -> None:
    assert TIERS.tier(149.999) == "high" and TIERS.tier(150) == "medium" and TIERS.tier(200) == "low"
    assert scoring.TierPolicy.from_dict(TIERS.to_dict()) == TIERS
    bad = [
        ({"version": "", "high_risk_below": 1, "low_risk_from": 2}, "tier.version"),
        ({"version": "1", "high_risk_below": 3, "low_risk_from": 2}, "tier.order"),
        ({"version": "1", "high_risk_below": "low", "low_risk_from": 2}, "tier.threshold"),
        ({"version": "1", "high_risk_below": 1}, "tier.missing_key"),
        ({"version": "1", "high_risk_below": 1, "low_risk_from": 2, "medium": 3}, "tier.unknown_key"),
    ]
    for data, code in bad:
        with pytest.raises(specs.SpecError) as err:
            scoring.TierPolicy.from_dict(data)
        assert err.value.code == code
    with pytest.raises(scoring.ScoringError) as score_err:
        scoring.score(SPEC, {}, tiers=scoring.TierPolicy("x", 1, 2, model_id="another-card"))
    assert score_err.value.code == "score.tier_policy_model"


def test_reason_texts_in_chinese_and_english() -> None:
    assert scoring.reason_text(SPEC, "days_overdue:2") == {
        "zh": "逾期天数 ≥ 30（“逾期天数”一项比最好的情况少 79.8 分）",
        "en": "Days overdue ≥ 30 (79.8 points below the best band for Days overdue)",
    }
    assert scoring.reason_text(SPEC, "region:missing")["zh"].startswith("所在地区缺失或未知")
    texts = scoring.explain(SPEC, scoring.score(SPEC, {"days_overdue": 45, "region": "东北"}))
    assert [t["code"] for t in texts] == ["days_overdue:2", "region:1"] and texts[1]["en"].startswith("Region is 东北")
    for code in ("days_overdue", "days_overdue:9", "income:0"):
        with pytest.raises(scoring.ScoringError) as err:
            scoring.reason_text(SPEC, code)
        assert err.value.code == "score.reason_code"
