"""The risk desk's reads (issue #16): field sight per catalogue key, one read event with the fields shown in the same
transaction, out of scope == missing, reasons in zh/en from the scorecard that made the score (PIPL-24)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from clientvault.access.engine import PurposeRequired
from clientvault.core import clock
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.risk import selectors, shapes
from clientvault.risk.tests import desk
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
NOTE = "客户法人涉诉，暂停授信"


def _file(org: Org, **kw: Any) -> Any:
    c = customer(org["rep_bj1"], name="授信客户甲")
    f = desk.credit_file(c, evaluation=desk.EVALUATION, **kw)
    desk.limit(f, 10_000_000)
    desk.terms(f, 45)
    desk.hold(f, NOTE)
    desk.score(f)
    return f


def test_risk_officer_sees_the_file_in_clear_and_one_event_names_the_fields(org: Org, audit_events: Any) -> None:
    f = _file(org)
    view = selectors.credit_file(ctx(org["risk"]), f.pk)
    assert view.tier == "medium" and view.terms_days == 30
    assert [lim.amount for lim in view.limits] == [10_000_000] and view.limits[0].in_force
    assert view.exposure is not None and view.exposure.exposure == 8_000_000 and view.exposure.days_overdue == 45
    assert view.holds[0].note == NOTE and view.scores[0].score is not None
    assert view.customer_name  # masked (C2 for risk officers) but shown
    events = audit_events()
    assert [e.event_type for e in events] == ["credit.file_viewed"]
    event = events[0]
    assert event.customer_id == f.customer_id and event.purpose == "credit_assessment"
    assert set(event.fields) >= {"tier", "limit", "terms", "evaluation", "score", "hold_note", "customer.name"}
    assert NOTE not in str(event.detail)


def test_a_rep_sees_their_customers_file_with_amounts_hidden_and_nothing_decrypted(org: Org, audit_events: Any) -> None:
    f = _file(org)
    view = selectors.credit_file(ctx(org["rep_bj1"]), f.pk)
    assert view.tier is None and view.terms_days is None
    assert [lim.amount for lim in view.limits] == [None]
    assert view.exposure is not None and view.exposure.exposure is None and view.exposure.fired == ()
    assert view.holds[0].note is None and view.scores[0].score is None
    assert view.views["limit"] != "plain"
    (event,) = audit_events("credit.file_viewed")
    assert not {"tier", "limit", "terms", "evaluation", "score", "hold_note"} & set(event.fields)


@pytest.mark.parametrize("who", ["rep_bj2", "manager_sh", "rep_other", "risk_other"])
def test_out_of_scope_is_missing(org: Org, who: str, audit_events: Any) -> None:
    f = _file(org)
    with pytest.raises(NotFound):
        selectors.credit_file(ctx(org[who]), f.pk)
    with pytest.raises(NotFound):
        selectors.credit_file(ctx(org["risk"]), uuid.uuid4())
    assert audit_events("credit.file_viewed") == []


def test_the_administrator_sees_nothing_without_break_glass(org: Org) -> None:
    f = _file(org)
    with pytest.raises((NotFound, PermissionDenied, PurposeRequired)):
        selectors.credit_file(ctx(org["admin"]), f.pk)


def test_an_auditor_reads_under_the_audit_purpose_with_amounts_hidden(org: Org, audit_events: Any) -> None:
    f = _file(org)
    view = selectors.credit_file(ctx(org["auditor"]), f.pk)
    assert view.limits[0].amount is None and view.holds[0].note is None
    (event,) = audit_events("credit.file_viewed")
    assert event.purpose == "audit"
    with pytest.raises(PurposeRequired):
        selectors.credit_file(ctx(org["risk"], purpose=""), f.pk)


def test_not_evaluated_yet_is_not_zero(org: Org) -> None:
    c = customer(org["rep_bj1"])
    f = desk.credit_file(c)
    view = selectors.credit_file(ctx(org["risk"]), f.pk)
    assert view.evaluated is False and view.exposure is None


def test_score_detail_gives_points_and_reasons_in_both_languages(org: Org, audit_events: Any) -> None:
    f = _file(org)
    s = desk.first_score(f)
    view = selectors.score_detail(ctx(org["risk"]), s.pk, language="en")
    assert view.record_shown and view.spec_known and view.total == pytest.approx(s.score)
    assert view.reasons and all(r.zh and r.en for r in view.reasons)
    assert any("逾期" in r.zh for r in view.reasons) and any("overdue" in r.en.lower() for r in view.reasons)
    assert {p.field for p in view.points} == set(desk.RISKY_INPUTS)
    assert all(p.label != p.field for p in view.points)  # labels from the spec, in English
    (event,) = audit_events()
    assert event.event_type == "credit.score_viewed" and event.customer_id == f.customer_id
    assert set(event.fields) >= {"score", "record", "tier"}


def test_score_detail_hides_the_record_from_a_rep(org: Org, audit_events: Any) -> None:
    f = _file(org)
    view = selectors.score_detail(ctx(org["rep_bj1"]), desk.first_score(f).pk)
    assert not view.record_shown and view.reasons == [] and view.points == [] and view.total is None
    (event,) = audit_events("credit.score_viewed")
    assert "record" not in event.fields


def test_a_score_by_an_uninstalled_scorecard_keeps_its_codes_without_texts(org: Org) -> None:
    f = _file(org)
    s = desk.first_score(f)
    type(s).objects.unrestricted(reason="test: a score by a retired scorecard").filter(pk=s.pk).update(spec_digest="0" * 64)
    view = selectors.score_detail(ctx(org["risk"]), s.pk)
    assert view.record_shown and not view.spec_known
    assert view.reasons and all(r.zh == "" and r.en == "" and ":" in r.code for r in view.reasons)


def test_file_list_filters_and_records_one_event_per_file(org: Org, audit_events: Any) -> None:
    high = desk.credit_file(customer(org["rep_bj1"]), tier="high", evaluation=desk.EVALUATION)
    low = desk.credit_file(customer(org["rep_bj2"]), tier="low", next_review_on=clock.today() + dt.timedelta(days=200))
    desk.credit_file(customer(org["rep_other"]), tier="high")  # the other legal entity: never listed
    desk.hold(low, "held")
    risk = ctx(org["risk"])
    everything = selectors.list_files(risk, shapes.FileFilters())
    assert {r.id for r in everything.rows} == {high.pk, low.pk}
    assert len(audit_events("credit.files_listed")) == 2
    assert [r.id for r in selectors.list_files(risk, shapes.FileFilters(tier="high")).rows] == [high.pk]
    assert [r.id for r in selectors.list_files(risk, shapes.FileFilters(held=True)).rows] == [low.pk]
    assert [r.id for r in selectors.list_files(risk, shapes.FileFilters(review_due=True)).rows] == [high.pk]
    row = next(r for r in everything.rows if r.id == high.pk)
    assert row.exposure == 8_000_000 and row.days_overdue == 45 and row.tier == "high"


def test_the_tier_filter_finds_nothing_where_tiers_are_hidden(org: Org) -> None:
    desk.credit_file(customer(org["rep_bj1"]), tier="high")
    auditor = ctx(org["auditor"])
    page = selectors.list_files(auditor, shapes.FileFilters(tier="high"))
    assert page.rows == [] and page.tier_filter is False
    assert [r.tier for r in selectors.list_files(auditor, shapes.FileFilters()).rows] == [None]


def test_reviews_due_lists_overdue_and_soon_due_only(org: Org, audit_events: Any) -> None:
    f = desk.credit_file(customer(org["rep_bj1"]))
    g = desk.credit_file(customer(org["rep_bj2"]))
    overdue = desk.review(f, clock.today() - dt.timedelta(days=3))
    desk.review(g, clock.today() + dt.timedelta(days=90))
    rows = selectors.reviews_due(ctx(org["risk"]))
    assert [(r.id, r.overdue) for r in rows] == [(overdue.pk, True)]
    (event,) = audit_events("credit.reviews_listed")
    assert event.customer_id == f.customer_id


def test_portfolio_is_aggregates_with_one_event_without_a_customer(org: Org, audit_events: Any) -> None:
    a = desk.credit_file(customer(org["rep_bj1"]), tier="high", evaluation=desk.EVALUATION)
    desk.credit_file(customer(org["rep_bj2"]), tier="low", evaluation={"figures": {"exposure": 100, "days_overdue": 0}})
    desk.credit_file(customer(org["rep_sh"]), tier="")
    desk.hold(a, "x")
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=3)).replace(day=10)
    desk.score(a, at=dt.datetime.combine(last_month, dt.time(9), tzinfo=dt.UTC), tier="medium")
    desk.score(a, tier="high")
    book = selectors.portfolio(ctx(org["risk"]))
    assert book.files == 3 and book.not_evaluated == 1
    assert {r.tier: r.files for r in book.by_tier} == {"high": 1, "medium": 0, "low": 1, "none": 1}
    assert {r.tier: r.exposure for r in book.by_tier}["high"] == {"CNY": 8_000_000}
    assert {b.code: b.files for b in book.buckets} == {"current": 1, "1_30": 0, "31_60": 1, "61_90": 0, "90_plus": 0}
    assert book.migration.counts == {("medium", "high"): 1} and book.migration.moved == 1
    assert book.holds_forced == 1 and book.holds_rule == 0
    (event,) = audit_events()
    assert event.event_type == "credit.portfolio_viewed" and event.customer_id is None and event.fields == []


def test_monthly_report_counts_warning_kinds_and_stability(org: Org, audit_events: Any) -> None:
    f = desk.credit_file(customer(org["rep_bj1"]))
    desk.warning(f, "judgement", "critical", reference="a")
    desk.warning(f, "overdue", "warning", reference="b")
    desk.warning(f, "judgement", "warning", reference="c")
    month = clock.today().replace(day=1)
    desk.stability(month, 0.31)
    result = selectors.monthly_report(ctx(org["risk"]), month, output="pdf")
    assert [(w.kind, w.critical, w.warning) for w in result.warnings] == [("judgement", 1, 1), ("overdue", 0, 1)]
    assert result.warnings_total == 3 and result.stability[0].alert
    (event,) = audit_events()
    assert event.event_type == "credit.report_viewed" and event.detail["output"] == "pdf" and event.customer_id is None


def test_the_scorecard_is_found_by_its_digest_with_or_without_the_prefix() -> None:
    from clientvault.risk import scorecards

    spec = scorecards.installed()[0]
    assert spec.digest.startswith("sha256:")
    assert scorecards.spec_for(spec.digest) is scorecards.spec_for(scorecards.bare(spec.digest)) is spec
    assert scorecards.spec_for("0" * 64) is None


def test_the_administrator_reads_a_file_only_through_break_glass(org: Org, audit_events: Any) -> None:
    from clientvault.access import breakglass
    from clientvault.access.policies import BREAK_GLASS

    f = _file(org)
    breakglass.start(ctx=ctx(org["admin"], purpose=""), reason="客户投诉紧急核查，工单 INC-2031", minutes=10)
    view = selectors.credit_file(ctx(org["admin"], purpose=BREAK_GLASS), f.pk)
    assert view.file.pk == f.pk
    (event,) = audit_events("credit.file_viewed")
    assert event.purpose == BREAK_GLASS


def test_the_file_list_costs_the_same_queries_for_3_or_12_files(org: Org) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    risk = ctx(org["risk"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.list_files(risk, shapes.FileFilters())
        return len(queries)

    for _i in range(3):
        desk.limit(desk.credit_file(customer(org["rep_bj1"]), evaluation=desk.EVALUATION), 1_000)
    count()  # the first read warms the policy and catalogue caches
    few = count()
    for _i in range(9):
        desk.limit(desk.credit_file(customer(org["rep_bj1"]), evaluation=desk.EVALUATION), 1_000)
    assert count() == few  # no query per row (names, tags, limits, holds are read per page)
