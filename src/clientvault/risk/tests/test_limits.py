"""Credit limits through approvals (issue #16; ARCHITECTURE.md rule 12): always a change request, maker ≠ checker
(rules and database), amount bands choose the approvers (rule data), stale after another change, temporary limits
need an end, duplicates, scope (404), and the one audit event each write leaves (no amounts in it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ApprovalRule, ChangeRequest, Decision
from clientvault.core import clock
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.risk import limits
from clientvault.risk.models import CreditLimit, LimitKind
from clientvault.risk.tests.limits_support import YUAN, credit_file, no_values, reload, request, second_risk_officer
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

SMALL = 500_000 * YUAN  # CNY 500,000.00: one risk officer
LARGE = 2_000_000 * YUAN  # CNY 2,000,000.00: a risk officer, then compliance


def _propose(org: Org, file_id: Any, amount: int = SMALL, *, kind: str = LimitKind.PERMANENT, until: dt.date | None = None) -> Any:
    return limits.propose_limit(
        ctx(org["risk"]),
        file_id=file_id,
        kind=kind,
        amount_minor=amount,
        valid_from=clock.today(),
        valid_until=until,
        reason="年度授信调整",
    )


def _limits(file_id: Any) -> list[CreditLimit]:
    return list(CreditLimit.objects.unrestricted(reason="test").filter(credit_file_id=file_id).order_by("created_at"))


def test_bands_are_rule_data_seeded_with_versions() -> None:
    rules = {r.code: r for r in ApprovalRule.objects.filter(change_type=limits.LIMIT)}
    assert rules["risk-limit-standard"].conditions == {"max_amount_minor": 100_000_001}
    assert rules["risk-limit-large"].conditions == {"min_amount_minor": 100_000_001}
    assert [s["roles"] for s in rules["risk-limit-large"].steps] == [["risk_officer"], ["compliance_officer"]]


def test_small_limit_one_step_by_another_risk_officer(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    change = _propose(org, f.pk)
    assert change.status == ChangeRequest.Status.SUBMITTED and change.rule_code == "risk-limit-standard"
    assert [s["roles"] for s in change.plan] == [["risk_officer"]]
    assert _limits(f.pk) == []  # nothing written before the decision
    approvals.approve(ctx(second_risk_officer(org)), change.pk)
    assert request(change.pk).status == ChangeRequest.Status.APPLIED
    [limit] = _limits(f.pk)
    assert (limit.amount, limit.kind, limit.approval_id, limit.created_by_id) == (SMALL, "permanent", change.pk, org["risk"].pk)
    assert reload(f).version == f.version + 1
    [event] = audit_events("credit.limit_set")
    assert event.fields == ["amount"] and event.customer_id == f.customer_id
    assert event.detail["request"] == str(change.pk) and no_values(event.detail, SMALL, "500000")


def test_exactly_one_million_is_the_small_band(org: Org) -> None:
    change = _propose(org, credit_file(org).pk, 1_000_000 * YUAN)
    assert change.rule_code == "risk-limit-standard"


def test_large_limit_goes_to_a_risk_officer_then_compliance(org: Org) -> None:
    f = credit_file(org)
    change = _propose(org, f.pk, LARGE)
    assert change.rule_code == "risk-limit-large" and change.last_stage == 2
    approvals.approve(ctx(second_risk_officer(org)), change.pk)
    assert request(change.pk).status == ChangeRequest.Status.SUBMITTED and request(change.pk).stage == 2
    assert _limits(f.pk) == []
    with pytest.raises(PermissionDenied):  # stage 2 is compliance's, not another risk officer's
        approvals.approve(ctx(org["risk"]), change.pk)
    approvals.approve(ctx(org["compliance"]), change.pk)
    assert request(change.pk).status == ChangeRequest.Status.APPLIED
    assert [lim.amount for lim in _limits(f.pk)] == [LARGE]


def test_maker_is_not_checker_by_the_rules_and_the_database(org: Org) -> None:
    f = credit_file(org)
    change = _propose(org, f.pk)
    with pytest.raises(PermissionDenied) as refused:
        approvals.approve(ctx(org["risk"]), change.pk)
    assert refused.value.code == "maker_is_checker"
    # ARCHITECTURE.md rule 12: the decision triggers refuse what a shell or a bug would write past the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(request_id=change.pk, stage=1, approver=org["risk"], approver_role="risk_officer", outcome="approve")
    assert _limits(f.pk) == []


def test_a_new_permanent_limit_ends_the_one_before(org: Org) -> None:
    f = credit_file(org)
    approvals.approve(ctx(second_risk_officer(org)), _propose(org, f.pk, SMALL).pk)
    approvals.approve(ctx(second_risk_officer(org)), _propose(org, f.pk, SMALL * 2).pk)
    first, second = _limits(f.pk)
    assert first.ended_at is not None and second.ended_at is None and second.amount == SMALL * 2
    assert limits.current_limit(reload(f)) == second


def test_stale_after_another_limit_change(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    permanent = _propose(org, f.pk, SMALL)
    temporary = _propose(org, f.pk, SMALL // 2, kind=LimitKind.TEMPORARY, until=clock.today() + dt.timedelta(days=30))
    checker = ctx(second_risk_officer(org))
    approvals.approve(checker, temporary.pk)
    approvals.approve(checker, permanent.pk)
    assert request(temporary.pk).status == ChangeRequest.Status.APPLIED
    stale = request(permanent.pk)
    assert stale.status == ChangeRequest.Status.FAILED and stale.failure_reason
    assert [lim.kind for lim in _limits(f.pk)] == ["temporary"]  # nothing half-applied
    assert len(audit_events("credit.limit_set")) == 1 and len(audit_events("approval.failed")) == 1


def test_temporary_limit_needs_an_end_and_nothing_is_written(org: Org, audit_events: Any) -> None:
    f = credit_file(org)
    with pytest.raises(ValidationFailed) as refused:
        _propose(org, f.pk, kind=LimitKind.TEMPORARY, until=None)
    assert set(refused.value.fields) == {"valid_until"}
    assert str(refused.value.fields["valid_until"][0])
    assert not ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(f.pk)).exists()
    assert audit_events() == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount_minor": -1}, "amount_minor"),
        ({"amount_minor": "abc"}, "amount_minor"),
        ({"kind": "forever"}, "kind"),
        ({"reason": "  "}, "reason"),
        ({"valid_until": dt.date(2020, 1, 1)}, "valid_until"),  # a permanent limit has no end
    ],
)
def test_invalid_limit_proposals(org: Org, values: dict[str, Any], field: str) -> None:
    f = credit_file(org)
    args: dict[str, Any] = {
        "file_id": f.pk,
        "kind": "permanent",
        "amount_minor": SMALL,
        "valid_from": None,
        "valid_until": None,
        "reason": "调整",
        **values,
    }
    with pytest.raises(ValidationFailed) as refused:
        limits.propose_limit(ctx(org["risk"]), **args)
    assert field in refused.value.fields


def test_a_temporary_limit_ending_before_it_starts(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        limits.propose_limit(
            ctx(org["risk"]),
            file_id=credit_file(org).pk,
            kind="temporary",
            amount_minor=SMALL,
            valid_from=dt.date(2026, 6, 1),
            valid_until=dt.date(2026, 5, 1),
            reason="旺季",
        )
    assert "valid_until" in refused.value.fields


def test_duplicate_answers_the_makers_request_and_409_for_another(org: Org) -> None:
    f = credit_file(org)
    first = _propose(org, f.pk)
    assert _propose(org, f.pk).pk == first.pk  # the same form sent again
    with pytest.raises(Conflict):  # other values while the first waits: withdraw it first
        _propose(org, f.pk, SMALL * 2)
    with pytest.raises(Conflict) as refused:
        limits.propose_limit(
            ctx(second_risk_officer(org)),
            file_id=f.pk,
            kind="permanent",
            amount_minor=SMALL,
            valid_from=None,
            valid_until=None,
            reason="另一个申请",
        )
    assert refused.value.code == "already_waiting"


@pytest.mark.parametrize("who", ["risk_other", "rep_bj1", "manager_bj", "compliance", "norole"])
def test_out_of_scope_or_without_change_is_missing(org: Org, who: str, audit_events: Any) -> None:
    f = credit_file(org)
    with pytest.raises(NotFound):
        limits.propose_limit(
            ctx(org[who]), file_id=f.pk, kind="permanent", amount_minor=SMALL, valid_from=None, valid_until=None, reason="试"
        )
    assert not ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(f.pk)).exists()


def test_a_new_temporary_limit_replaces_the_temporary_limits_it_overlaps(org: Org, audit_events: Any) -> None:
    """The engine takes the highest valid temporary limit: a lower one decided later must not be outlived by the older,
    higher one on the days it covers. The older one is ended (append-only: no validity rewritten) and the days it
    covered outside the new one — before and after — are kept as new rows with its amount and approval."""
    from clientvault.risk import features

    f = credit_file(org)
    second = ctx(second_risk_officer(org))
    today = clock.today()
    day = dt.timedelta(days=1)

    def temporary(amount: int, start: dt.date, until: dt.date) -> None:
        change = limits.propose_limit(
            ctx(org["risk"]),
            file_id=f.pk,
            kind=LimitKind.TEMPORARY,
            amount_minor=amount,
            valid_from=start,
            valid_until=until,
            reason="旺季",
        )
        approvals.approve(second, change.pk)

    def in_force() -> list[tuple[int, dt.date, dt.date | None]]:
        return sorted((x.amount, x.valid_from, x.valid_until) for x in _limits(f.pk) if x.ended_at is None)

    def temporary_on(when: dt.date) -> int | None:
        return features.figures_for(reload(f), when).temporary_limit

    temporary(900_000 * YUAN, today, today + 90 * day)
    first = _limits(f.pk)[0]
    later = today + 200 * day
    temporary(800_000 * YUAN, later, later + 30 * day)  # no overlap: stays as it is
    temporary(300_000 * YUAN, today + 10 * day, today + 60 * day)  # inside the first: its head and tail are kept
    assert next(x for x in _limits(f.pk) if x.pk == first.pk).ended_at is not None
    assert next(x for x in _limits(f.pk) if x.pk == first.pk).valid_until == today + 90 * day  # not rewritten
    assert in_force() == [
        (300_000 * YUAN, today + 10 * day, today + 60 * day),
        (800_000 * YUAN, later, later + 30 * day),
        (900_000 * YUAN, today, today + 9 * day),
        (900_000 * YUAN, today + 61 * day, today + 90 * day),
    ]
    assert all(x.approval_id == first.approval_id for x in _limits(f.pk) if x.amount == 900_000 * YUAN)
    detail = audit_events("credit.limit_set")[-1].detail
    assert detail["replaced"] == [str(first.pk)]
    kept = sorted((x.valid_from, x.valid_until) for x in _limits(f.pk) if str(x.pk) in detail["kept"])
    assert kept == [(today, today + 9 * day), (today + 61 * day, today + 90 * day)]
    assert (temporary_on(today), temporary_on(today + 20 * day), temporary_on(today + 75 * day)) == (
        900_000 * YUAN,
        300_000 * YUAN,
        900_000 * YUAN,
    )

    temporary(100_000 * YUAN, today + 5 * day, today + 70 * day)  # covers the 300,000 one entirely: nothing of it is kept
    assert (300_000 * YUAN, today + 10 * day, today + 60 * day) not in in_force()
    assert temporary_on(today + 20 * day) == 100_000 * YUAN and temporary_on(today + 3 * day) == 900_000 * YUAN
    assert temporary_on(today + 80 * day) == 900_000 * YUAN


def test_a_temporary_limit_followed_by_one_as_high_ends_with_the_run(org: Org) -> None:
    """The "ends soon" warning reads the temporary limit's end: the day before one at least as high begins is not
    an end (a replaced limit's kept days, a renewal); the day before a lower one is."""
    from clientvault.risk import features

    f = credit_file(org)
    today = clock.today()
    day = dt.timedelta(days=1)
    for amount, start, until in ((500_000, 0, 9), (500_000, 10, 20), (400_000, 21, 30)):
        CreditLimit.objects.create(
            credit_file=f, kind=LimitKind.TEMPORARY, amount=amount, valid_from=today + start * day, valid_until=today + until * day,
            created_at=clock.now(),
        )  # fmt: skip
    on_day_5 = features.figures_for(reload(f), today + 5 * day)
    assert (on_day_5.temporary_limit, on_day_5.temporary_limit_until) == (500_000, today + 20 * day)
    assert features.figures_for(reload(f), today + 25 * day).temporary_limit_until == today + 30 * day
