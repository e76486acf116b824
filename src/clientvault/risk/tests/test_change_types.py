"""The credit-risk change types as approvals sees them (issue #16): registered, described masked per the viewer's
``credit`` policy (limits and terms are C2: hidden unless cleared, RULES.md §10), in scope through the file's own
default-deny manager, linked to the credit file page."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals import registry, routing, selectors
from clientvault.risk import change_types, hold_release, holds, limits
from clientvault.risk.tests.limits_support import YUAN, credit_file, request, second_risk_officer
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _limit_request(org: Org) -> Any:
    f = credit_file(org)
    change = limits.propose_limit(
        ctx(org["risk"]), file_id=f.pk, kind="permanent", amount_minor=300_000 * YUAN, valid_from=None, valid_until=None, reason="授信"
    )
    return f, routing.pending(request(change.pk))


def test_the_three_types_are_registered() -> None:
    assert {limits.LIMIT, limits.TERMS, limits.HOLD_RELEASE} <= set(registry.codes())
    assert registry.get(limits.LIMIT).apply is limits.apply_limit


def test_money_has_code_and_separators() -> None:
    assert change_types.money(123_456_789, "CNY") == "CNY 1,234,567.89"
    assert change_types.money(None, "CNY") == change_types.EM_DASH


def test_describe_limit_masks_the_amount_unless_c2_is_cleared(org: Org) -> None:
    _f, pending = _limit_request(org)
    plain = {row.field: row for row in change_types.describe_limit(ctx(second_risk_officer(org)), pending)}
    assert plain["amount"].after == "CNY 300,000.00" and plain["amount"].shown_plain
    assert plain["kind"].shown_plain and plain["valid_from"].after
    masked = {row.field: row for row in change_types.describe_limit(ctx(org["rep_bj1"]), pending)}  # the owner: C2 masked
    assert "300,000" not in masked["amount"].after and not masked["amount"].shown_plain


def test_in_scope_follows_the_credit_file(org: Org) -> None:
    f, pending = _limit_request(org)
    assert change_types.in_file_scope(ctx(second_risk_officer(org)), pending)
    assert change_types.in_file_scope(ctx(org["compliance"]), pending)
    assert not change_types.in_file_scope(ctx(org["risk_other"]), pending)
    assert not change_types.in_file_scope(ctx(org["rep_bj2"]), pending)  # another team's rep
    assert not change_types.in_file_scope(ctx(org["risk"], purpose=""), pending)  # no purpose: fail closed
    assert change_types.file_link(pending) == f"/risk/files/{f.pk}/"


def test_hold_release_is_out_of_scope_for_the_placer_and_links_the_file(org: Org) -> None:
    f = credit_file(org)
    hold = holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code="manual", note="涉诉")
    change = hold_release.request_hold_release(ctx(second_risk_officer(org)), hold_id=hold.pk, reason="已撤诉")
    pending = routing.pending(request(change.pk))
    assert not change_types.in_hold_scope(ctx(org["risk"]), pending)
    assert change_types.in_hold_scope(ctx(org["compliance"]), pending)
    assert change_types.file_link(pending) == f"/risk/files/{f.pk}/"
    rows = change_types.describe_hold_release(ctx(org["compliance"]), pending)
    assert [r.field for r in rows] == ["reason_code", "status"] and all("涉诉" not in r.before + r.after for r in rows)


def test_terms_described_and_viewed_through_the_approvals_selector(org: Org, audit_events: Any) -> None:
    f = credit_file(org, terms_days=30)
    change = limits.change_terms(ctx(org["risk"]), file_id=f.pk, days=60, reason="大客户").request
    assert change is not None
    view = selectors.get_request(ctx(second_risk_officer(org)), change.pk)
    [row] = view.diff
    assert row.field == "days" and row.shown_plain and "60" in row.after and "30" in row.before
    assert len(audit_events("approval.viewed")) == 1
