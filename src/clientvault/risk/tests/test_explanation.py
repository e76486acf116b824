"""PIPL-24 / GDPR-22: the credit scorecard explained — to the explanation of processing (the registered provider)
and to the customer in the portal (tier, plain-language reasons from the reason codes, date, review outcome),
their own rows only, audited without values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from clientvault.core import automated_decisions, clock
from clientvault.core.errors import NotFound
from clientvault.rights import explanation as rights_explanation
from clientvault.risk import explanation
from clientvault.risk.tests.credit_factory import credit_file, credit_score, reason_codes
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

LOW_RISK = {"utilisation": 0.05, "days_overdue": 0, "tenure_months": 120, "income_band": "50k+", "region": "华东", "industry": "科技"}


def test_the_scorecard_is_an_automated_decision_only_for_a_scored_customer(org: Org) -> None:
    unscored, filed, scored = customer(org["rep_bj1"]), customer(org["rep_bj1"]), customer(org["rep_bj1"])
    credit_file(filed)
    credit_score(credit_file(scored))
    assert automated_decisions.applying_to(unscored.pk, "zh-hans") == []
    assert automated_decisions.applying_to(filed.pk, "zh-hans") == []  # a file without a score: nothing decided yet
    [zh] = automated_decisions.applying_to(scored.pk, "zh-hans")
    [en] = automated_decisions.applying_to(scored.pk, "en")
    assert zh.code == en.code == explanation.DECISION_CODE
    spec = explanation.scorecard_spec()
    for c in spec.characteristics:  # the logic names every characteristic by the spec's own labels
        assert c.label_zh in zh.logic and c.label_en in en.logic
    assert "every 3 months" in en.effect and "12" in en.effect  # the seeded tier policy's review intervals
    assert "review" in en.human_review.lower()


def test_the_explanation_of_processing_lists_the_scorecard(org: Org) -> None:
    c = customer(org["rep_bj1"])
    credit_score(credit_file(c))
    found = rights_explanation.explain_processing(subject_ctx(c), c.pk, "en")
    section = found.section("automated_decisions")
    assert section is not None and not section.note
    [row] = section.rows
    assert row["code"] == explanation.DECISION_CODE and row["name"] == "Credit scoring" and "Days overdue" in str(row["logic"])


def test_the_customer_sees_tier_and_reasons_in_the_scorecards_own_words(org: Org, audit_events: Any) -> None:
    c = customer(org["rep_bj1"])
    s = credit_score(credit_file(c))
    codes = reason_codes(s)
    assert codes  # the risky profile falls short on several characteristics
    spec = explanation.scorecard_spec()
    zh = explanation.explain_score(subject_ctx(c), s.pk, "zh-hans")
    en = explanation.explain_score(subject_ctx(c), s.pk, "en")
    assert [r.code for r in zh.reasons] == codes[: explanation.TOP_REASONS]
    assert [r.text for r in zh.reasons] == [explanation.reason_line(spec, code, "zh") for code in codes[: explanation.TOP_REASONS]]
    assert [r.text for r in en.reasons] == [explanation.reason_line(spec, code, "en") for code in codes[: explanation.TOP_REASONS]]
    assert zh.tier == "high" and zh.scored_at == s.scored_at and zh.reviews == () and zh.open_review is None
    # Decided: no total and no per-characteristic points (an internal scale); the tier is what has effects.
    assert not hasattr(zh, "score") and f"{s.score:.1f}" not in json.dumps([r.text for r in en.reasons])
    events = audit_events("credit.explanation_viewed")
    assert len(events) == 2 and all(e.customer_id == c.pk and e.object_id == str(s.pk) for e in events)
    assert set(events[0].fields) >= {"creditscore.tier", "creditscore.record"}
    payload = json.dumps([e.detail for e in events], ensure_ascii=False)
    assert events[0].detail["reasons"] == len(zh.reasons) and events[1].detail["language"] == "en"
    for value in [*codes, "high", "额度使用率", "Credit utilisation", str(s.score)]:
        assert value not in payload  # ids, counts and codes only: no reason, tier or score in the trail


def test_another_customers_score_answers_like_a_missing_one(org: Org) -> None:
    mine, theirs = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    credit_score(credit_file(mine))
    other = credit_score(credit_file(theirs))
    with pytest.raises(NotFound):
        explanation.explain_score(subject_ctx(mine), other.pk, "zh-hans")
    with pytest.raises(NotFound):  # staff read the credit file on their own pages, with the disclosure plan
        explanation.explain_score(ctx(org["risk"]), other.pk, "zh-hans")


def test_the_latest_score_of_each_own_record_and_none_says_so(org: Org, audit_events: Any) -> None:
    scored, unscored = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    f = credit_file(scored)
    credit_score(f, at=clock.now() - dt.timedelta(days=40))
    latest = credit_score(f, LOW_RISK)
    [found] = explanation.explain_latest(subject_ctx(scored, unscored), "en")
    assert found.score_id == latest.pk and found.tier == "low" and found.current_tier == "low"
    assert explanation.explain_latest(subject_ctx(unscored), "zh-hans") == []
    nothing = audit_events("credit.explanation_viewed")[-1]
    assert nothing.customer_id == unscored.pk and nothing.detail["score"] is None and nothing.fields == []


def test_bands_of_known_units_are_said_in_those_units() -> None:
    """PIPL-24 asks for plain language: a share as a percentage, months and days as whole numbers — not the trainer's
    half-open intervals. Other characteristics keep the spec's own label."""
    from clientvault.risk import plain_bands
    from clientvault.risk.scorecard import spec as specs
    from clientvault.risk.scorecard.scoring import reason_text

    spec = explanation.scorecard_spec()
    for c in spec.characteristics:
        for band in c.bins:
            code = f"{c.field}:{band.id}"
            zh, en = explanation.reason_line(spec, code, "zh"), explanation.reason_line(spec, code, "en")
            if c.field in plain_bands.UNITS:
                assert "≤" not in zh + en and "<" not in zh + en and "≥" not in zh + en, code
                assert {"percent": "%", "months": "个月", "days": "天"}[plain_bands.UNITS[c.field]] in zh
            elif c.field in plain_bands.CATEGORIES_EN:
                assert zh == reason_text(spec, code)["zh"] and not any("\u4e00" <= ch <= "\u9fff" for ch in en), code
            else:
                assert (zh, en) == (reason_text(spec, code)["zh"], reason_text(spec, code)["en"])
    tenure = specs.Bin(id="4", points=0.0, label_zh="", label_en="", lower=98.5, upper=125.5)
    assert plain_bands.band_labels("tenure_months", "往来月数", "Months as a customer", tenure) == (
        "往来月数为 99 至 125 个月",
        "Months as a customer: 99 to 125 months",
    )
    share = specs.Bin(id="1", points=0.0, label_zh="", label_en="", lower=0.39455, upper=0.50685)
    assert plain_bands.band_labels("utilisation", "额度使用率", "Credit utilisation", share) == (
        "额度使用率在 39.4% 至 50.7% 之间",  # rounded outward: every customer in the band is between the two figures
        "Credit utilisation between 39.4% and 50.7%",
    )
    whole = specs.Bin(id="2", points=0.0, label_zh="", label_en="", lower=None, upper=0.51)
    assert plain_bands.band_labels("utilisation", "额度使用率", "Credit utilisation", whole) == (
        "额度使用率低于 51%",
        "Credit utilisation below 51%",
    )
    from_none = specs.Bin(id="3", points=0.0, label_zh="", label_en="", lower=-0.5, upper=None)
    assert plain_bands.band_labels("tenure_months", "往来月数", "Months as a customer", from_none) is None  # never "at most None"
    assert plain_bands.band_labels("income_band", "月收入区间", "Monthly income band", share) is None
    west = specs.Bin(id="4", points=0.0, label_zh="所在地区为 西部", label_en="Region is 西部", categories=("西部",))
    assert plain_bands.band_labels("region", "所在地区", "Region", west) == ("所在地区为 西部", "Region is Western China")
