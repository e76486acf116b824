"""Figures of a credit file from the asset ledger, and the scorecard's inputs (issue #16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clientvault.assets import ledger
from clientvault.assets.ledger import Leg, Movement
from clientvault.assets.models import EntryKind, FxRate, JournalKind
from clientvault.core import clock
from clientvault.risk import features, holds
from clientvault.risk.models import LimitKind
from clientvault.risk.tests import files_helpers as H
from clientvault.testing import assets as A
from clientvault.testing.actors import ctx

D = dt.date


# --- The schedule convention (pure) ------------------------------------------------------------------


def test_due_dates_follow_the_schedule_up_to_the_day() -> None:
    terms = {"installment_minor": 100, "first_due_on": "2026-01-31", "interval_months": 1}
    assert features.due_dates(terms, D(2026, 1, 30)) == []
    assert [d for d, _ in features.due_dates(terms, D(2026, 4, 30))] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]
    assert len(features.due_dates({**terms, "installments": 2}, D(2027, 1, 1))) == 2


@pytest.mark.parametrize(
    "terms", [{}, {"installment_minor": 100}, {"first_due_on": "2026-01-01"}, {"installment_minor": 0, "first_due_on": "2026-01-01"}, "x"]
)
def test_a_loan_without_a_schedule_is_never_overdue(terms: Any) -> None:
    assert features.overdue(terms, drawn=1000, repaid=0, on=D(2027, 1, 1)) == (0, 0)


def test_overdue_counts_from_the_oldest_unpaid_due_date() -> None:
    terms = {"installment_minor": 100, "first_due_on": "2026-01-01"}
    assert features.overdue(terms, drawn=1000, repaid=250, on=D(2026, 4, 11)) == (150, 41)  # 4 due (400); 3rd (Mar 1) unpaid
    assert features.overdue(terms, drawn=1000, repaid=400, on=D(2026, 4, 11)) == (0, 0)
    assert features.overdue(terms, drawn=150, repaid=0, on=D(2026, 6, 1)) == (150, 151)  # capped at the amount drawn


def test_province_region() -> None:
    assert features.province_region("上海市浦东新区") == "华东"
    assert features.province_region("黑龙江省哈尔滨市") == "东北"
    assert features.province_region("内蒙古自治区呼和浩特市") == "华北"
    assert features.province_region("") is None
    assert features.province_region("Somewhere") is None


# --- Figures from a ledger built through the asset services ----------------------------------------------


@pytest.mark.django_db
def test_figures_of_a_drawn_partly_repaid_overdue_loan(org: Any) -> None:
    b = H.book(org)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 10_000_000, valid_from=D(2026, 1, 1))
    with clock.travel(H.DRAWN_ON + dt.timedelta(days=30)):
        H.repay(b, 600_000)
    with clock.travel(H.DRAWN_ON + dt.timedelta(days=60)):
        H.repay(b, 600_000)
    f = features.figures_for(credit_file, D(2026, 6, 10))
    assert f.exposure == 4_800_000  # 6,000,000 drawn − 1,200,000 repaid
    assert f.permanent_limit == 10_000_000 and f.limit == 10_000_000 and not f.limit_expired
    # due by 10 June: Feb, Mar, Apr, May, Jun (5 × 500,000); repaid 1,200,000: April's instalment is the oldest unpaid
    assert f.overdue_amount == 1_300_000
    assert f.days_overdue == (D(2026, 6, 10) - D(2026, 4, 1)).days
    assert f.collateral == 0 and f.missing_rates == ()
    assert f.currency == "CNY" and f.tier == "" and f.active_holds == () and not f.forced_hold


@pytest.mark.django_db
def test_collateral_pledges_and_foreign_currency_with_and_without_a_rate(org: Any) -> None:
    b = H.book(org)
    A.open_asset(b.customer, b.owner, kind="collateral", balance=300_000, identifier="COL-1")
    usd_loan = A.asset(b.customer, kind="loan", currency="USD")
    usd_cash = A.asset(b.customer, kind="deposit", currency="USD")
    legs = (Leg(usd_loan.pk, EntryKind.TRANSFER_OUT, -10_000), Leg(usd_cash.pk, EntryKind.TRANSFER_IN, 10_000))
    ledger.post(Movement(JournalKind.TRANSFER, legs), idempotency_key=A.key("usd"), operator_id=None, purpose="test")  # 100.00 USD owed
    A.open_asset(b.customer, b.owner, kind="deposit", balance=50_000, identifier="622202")
    from clientvault.assets import services as asset_services

    asset_services.pledge(ctx=ctx(b.owner), asset_id=b.deposit.pk, amount_minor=40_000, idempotency_key=A.key("pl"))
    credit_file = H.open_file(org, b.customer)
    f = features.figures_for(credit_file, D(2026, 6, 10))
    assert f.missing_rates == ("USD",)  # left out, never guessed
    assert f.exposure == 6_000_000
    assert f.collateral == 300_000 + 40_000
    FxRate.objects.create(currency="USD", base="CNY", rate=Decimal("7.1"), as_of=D(2026, 6, 1))
    f = features.figures_for(credit_file, D(2026, 6, 10))
    assert f.missing_rates == ()
    assert f.exposure == 6_000_000 + 71_000


@pytest.mark.django_db
def test_limits_in_force_temporary_validity_and_expiry(org: Any) -> None:
    b = H.book(org)
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 5_000_000, valid_from=D(2026, 1, 1), valid_until=D(2026, 3, 31))
    f = features.figures_for(credit_file, D(2026, 6, 10))
    assert f.limit is None and f.limit_expired  # lapsed while 6,000,000 is owed
    H.limit(credit_file, 8_000_000, kind=LimitKind.TEMPORARY, valid_from=D(2026, 6, 1), valid_until=D(2026, 6, 20))
    f = features.figures_for(credit_file, D(2026, 6, 10))
    assert f.temporary_limit == 8_000_000 and f.temporary_limit_until == D(2026, 6, 20) and not f.limit_expired
    assert features.figures_for(credit_file, D(2026, 6, 20)).temporary_limit == 8_000_000  # valid through its last day
    after = features.figures_for(credit_file, D(2026, 6, 21))
    assert after.temporary_limit is None and after.limit_expired
    H.limit(credit_file, 7_000_000, valid_from=D(2026, 6, 1))
    f = features.figures_for(credit_file, D(2026, 6, 10))
    assert f.permanent_limit == 7_000_000 and f.limit == 8_000_000  # the temporary one raises it while valid


@pytest.mark.django_db
def test_holds_are_in_the_figures(org: Any) -> None:
    b = H.book(org)
    credit_file = H.open_file(org, b.customer)
    holds.place_forced_hold(ctx(org["risk"]), file_id=credit_file.pk, reason_code="manual", note="客户涉诉")
    f = features.figures_for(credit_file)
    assert f.active_holds == ("manual",) and f.forced_hold


# --- Scorecard inputs -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scorecard_inputs_read_region_industry_and_no_sensitive_attribute(org: Any) -> None:
    b = H.book(org, address="四川省成都市高新区天府大道1号", industry="I")
    credit_file = H.open_file(org, b.customer)
    H.limit(credit_file, 12_000_000, valid_from=D(2026, 1, 1))
    with clock.travel(H.TODAY):
        f = features.figures_for(credit_file)
        inputs = features.scorecard_inputs(credit_file, f)
    assert set(inputs) == set(features.SCORECARD_FIELDS)
    assert inputs["region"] == "西部" and inputs["industry"] == "科技"
    assert inputs["utilisation"] == 0.5 and inputs["days_overdue"] == f.days_overdue > 0
    assert inputs["income_band"] is None  # no custom field provides it: the scorecard's missing bin
    assert inputs["tenure_months"] == 5  # the first asset was opened on 5 January
    assert not {"sex", "age", "birth_date", "nationality"} & set(inputs)  # sensitive attributes are never inputs


@pytest.mark.django_db
def test_an_unknown_industry_and_address_are_missing(org: Any) -> None:
    b = H.book(org, address="", industry="", draw=0)
    credit_file = H.open_file(org, b.customer)
    inputs = features.scorecard_inputs(credit_file, features.figures_for(credit_file))
    assert inputs["region"] is None and inputs["industry"] is None and inputs["utilisation"] is None


@pytest.mark.django_db
def test_income_band_comes_from_a_custom_field_when_the_institution_keeps_one(org: Any) -> None:
    from clientvault.customers import vault as customer_vault
    from clientvault.customers.models import Customer

    b = H.book(org, draw=0)
    credit_file = H.open_file(org, b.customer)
    rows = Customer.objects.unrestricted(reason="test set-up").filter(pk=b.customer.pk)
    for band, expected in (("10k-20k", "10k-20k"), ("a lot", None)):
        customer = rows.get()
        customer_vault.seal(customer, {"custom_data": {"income_band": band}}, ensure_key=False)
        rows.update(custom_data_ct=customer.custom_data_ct)
        assert features.scorecard_inputs(credit_file, features.figures_for(credit_file))["income_band"] == expected
