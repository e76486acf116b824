"""A risk officer's day in the demo (issue #16), written through the services like everything else the demo seeds.

Half a year ago 陈刚 (risk officer) opened credit files for a few customers of the reps and proposed their limits;
许峰, a second risk officer, approved each (maker ≠ checker). The customers then took loans (checked against the
limits at the ledger's checkpoint), drew them into their deposit accounts and repaid monthly — except one, who
stopped paying after two instalments. Tonight's re-evaluation scores every file (the demo scorecard), evaluates the
control rules (the late payer is held by rule: days overdue, overdue ratio) and raises the early warnings (the late
payer's overdue is critical: a forced hold and a review task). 陈刚 also places a forced hold of his own, with a
note, and proposes a temporary limit that waits for 许峰 in the approvals inbox. One customer asks in the portal
for a person to review the automated decision about them (PIPL-24): a rights request with a clock. On the rules page,
陈刚 tightened the utilisation warning (in force at once), and 许峰 proposed lengthening the medium tier's longest
payment terms — a loosening that waits for 陈刚 (rule 12).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from clientvault.accounts.models import User
from clientvault.approvals import services as approvals
from clientvault.assets import services as assets
from clientvault.assets.models import Asset, Kind
from clientvault.core import clock
from clientvault.core.context import Context, for_user
from clientvault.customers.models import Customer
from clientvault.risk import holds, human_review, limits, reevaluation, rule_catalogue
from clientvault.risk import services as risk
from clientvault.risk.models import ControlRuleChange, CreditFile, CreditScore

PURPOSE = "credit_assessment"
_DEMO = "the demo seeder picks the customers of the risk officer's day"
LOANS = (  # principal (yuan), monthly instalments, limit (yuan), instalments paid before stopping (None: all)
    (300_000, 24, 450_000, None),
    (200_000, 12, 300_000, None),
    (500_000, 24, 700_000, None),
    (150_000, 12, 250_000, 2),  # the late payer
    (250_000, 24, 400_000, None),
)


@dataclass
class RiskDay:
    files: list[CreditFile] = field(default_factory=list)
    late_payer: uuid.UUID | None = None
    manual_hold: uuid.UUID | None = None
    pending_limit: uuid.UUID | None = None
    human_review: uuid.UUID | None = None
    rule_change: uuid.UUID | None = None


def _key(*parts: object) -> str:
    return "demo-risk-" + "-".join(str(p) for p in parts)


def _at(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)  # 10:00 in Shanghai


def _subject(customer: Customer) -> Context:
    return Context(
        actor=None, roles=frozenset({"data_subject"}), purpose="rights_request", channel="portal", subject_ids=frozenset({customer.pk})
    )


def _candidates(n: int) -> list[tuple[Customer, Asset]]:
    """Active individual customers with an open CNY deposit account and no loan yet, one per rep in turn."""
    seen: set[uuid.UUID] = set()
    found: list[tuple[Customer, Asset]] = []
    deposits = (
        Asset.objects.unrestricted(reason=_DEMO)
        .filter(kind=Kind.DEPOSIT, currency="CNY", status="open", customer__merged_into__isnull=True)
        .filter(customer__erased_at__isnull=True, customer__restricted_at__isnull=True, customer__status="active")
        .select_related("customer", "customer__owner")
        .order_by("opened_on", "id")
    )
    with_loans = set(Asset.objects.unrestricted(reason=_DEMO).filter(kind=Kind.LOAN).values_list("customer_id", flat=True))
    for deposit in deposits:
        customer = deposit.customer
        if customer is None or customer.pk in seen or customer.pk in with_loans or customer.kind != "individual":
            continue
        seen.add(customer.pk)
        found.append((customer, deposit))
        if len(found) == n:
            break
    return found


def _loan(customer: Customer, deposit: Asset, principal: int, count: int, paid: int | None, start: dt.date) -> None:
    """Open the loan with its schedule, draw it into the deposit account and repay it monthly from there."""
    owner = customer.owner
    assert owner is not None
    rep = for_user(owner, channel="web", purpose="sales_followup")
    first_due = start + dt.timedelta(days=30)
    terms = {"installment_minor": principal // count, "first_due_on": first_due.isoformat(), "interval_months": 1}
    terms |= {"installments": count, "principal_minor": principal}
    with clock.travel(_at(start)):
        opened = assets.open_asset(
            ctx=rep, customer_id=customer.pk, kind=Kind.LOAN, currency="CNY", product="个人消费贷款", terms=terms,
            identifier=f"L{customer.pk.hex[:10].upper()}", idempotency_key=_key("loan", customer.pk), reason="贷款合同签订",
        )  # fmt: skip
        (loan,) = opened.assets.values()
        assets.transfer(
            ctx=rep, from_asset_id=loan.pk, to_asset_id=deposit.pk, amount_minor=principal,
            idempotency_key=_key("draw", customer.pk), reason="贷款发放",
        )  # fmt: skip
    due, n = first_due, 0
    while due < clock.today() and (paid is None or n < paid):
        with clock.travel(_at(due, 3)):
            assets.transfer(
                ctx=rep, from_asset_id=deposit.pk, to_asset_id=loan.pk, amount_minor=principal // count,
                idempotency_key=_key("repay", customer.pk, n), reason="按月还款",
            )  # fmt: skip
        n += 1
        due = _add_month(first_due, n)


def _add_month(start: dt.date, months: int) -> dt.date:
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, min(start.day, 28))


def seed_risk_day(users: dict[str, User]) -> RiskDay:
    """The credit files, limits, loans, scores, holds, warnings and requests of the risk officer's day."""
    officer, second = users["risk"], users["risk2"]
    maker, checker = for_user(officer, channel="web", purpose=PURPOSE), for_user(second, channel="web", purpose=PURPOSE)
    day = RiskDay()
    start = clock.today() - dt.timedelta(days=200)
    chosen = _candidates(len(LOANS))
    for i, ((customer, deposit), (principal, count, limit, paid)) in enumerate(zip(chosen, LOANS, strict=False)):
        with clock.travel(_at(start - dt.timedelta(days=10))):
            credit_file = risk.open_credit_file(maker, customer_id=customer.pk)
            request = limits.propose_limit(
                maker, file_id=credit_file.pk, kind="permanent", amount_minor=limit * 100, valid_from=clock.today(),
                valid_until=None, reason="首次授信：收入稳定，按揭还款记录良好",
            )  # fmt: skip
        with clock.travel(_at(start - dt.timedelta(days=9))):
            approvals.approve(checker, request.pk, reason="额度与收入、负债匹配，同意")
        _loan(customer, deposit, principal * 100, count, paid, start + dt.timedelta(days=i))
        day.files.append(credit_file)
        if paid is not None:
            day.late_payer = customer.pk
    # Tonight: every file scored, its rules evaluated, its warnings raised (the worker's nightly job).
    reevaluation.nightly()
    if len(day.files) >= 3:
        held = day.files[1]
        hold = holds.place_forced_hold(
            maker, file_id=held.pk, reason_code="legal_action", note="客户涉及经营纠纷诉讼（法院传票已收到），暂停新增授信，待复核。"
        )
        day.manual_hold = hold.pk
        waiting = limits.propose_limit(
            maker, file_id=day.files[2].pk, kind="temporary", amount_minor=200_000 * 100, valid_from=clock.today(),
            valid_until=clock.today() + dt.timedelta(days=90), reason="年末装修资金需求，临时额度三个月",
        )  # fmt: skip
        day.pending_limit = waiting.pk
    asking = day.files[0] if day.files else None
    if asking is not None:
        score = CreditScore.objects.unrestricted(reason=_DEMO).filter(credit_file=asking).order_by("-scored_at").first()
        customer_of = Customer.objects.unrestricted(reason=_DEMO).get(pk=asking.customer_id)
        if score is not None:
            asked = human_review.open_human_review(
                _subject(customer_of), score_id=score.pk, view="我一直按时还款，收入也有增长，希望由工作人员重新评估。"
            )
            day.human_review = asked.review.pk
    _rules(maker, checker, day)
    return day


def _rules(maker: Context, checker: Context, day: RiskDay) -> None:
    """陈刚 tightens the utilisation warning (one officer's word); 许峰 proposes longer terms for the medium tier."""
    rule_catalogue.change_rule(ctx=maker, code="utilisation-warning", data={"params": {"at": 0.75}}, reason="年末授信集中，提前预警")
    terms = {"high": 30, "medium": 75, "low": 90, "": 30}
    change = rule_catalogue.change_rule(
        ctx=checker, code="terms-over-tier-max", data={"params": {"max_days": terms}}, reason="中风险经销商旺季账期延长至75天"
    )
    day.rule_change = change.pk if isinstance(change, ControlRuleChange) else None


def summary(day: RiskDay) -> dict[str, Any]:
    return {"credit_files": len(day.files), "late_payer": str(day.late_payer) if day.late_payer else None}
