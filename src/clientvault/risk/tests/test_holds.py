"""Credit holds (issue #16): a forced hold needs a reason and a note, is sealed and audited without the note, and is
released only on an approved request's authority; rule holds are placed once and released by the evaluation, which
never touches a forced hold (ARCHITECTURE.md rule 12)."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.core.errors import NotFound, ValidationFailed
from clientvault.risk import holds, vault
from clientvault.risk.models import CreditHold, EarlyWarning, HoldKind, HoldStatus
from clientvault.testing.actors import ctx
from clientvault.testing.credit import credit_file, reload
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db
_T = "test"


def rows(**kw: Any) -> list[CreditHold]:
    return list(CreditHold.objects.unrestricted(reason=_T).filter(**kw).order_by("placed_at"))


def test_a_risk_officer_places_a_forced_hold_sealed_and_audited_without_the_note(org: Any, audit_events: Any) -> None:
    f = credit_file(customer(org["rep_bj1"]))
    hold = holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code="manual", note="客户涉诉，暂停授信")
    assert (hold.kind, hold.status, hold.placed_by_id) == (HoldKind.FORCED, HoldStatus.ACTIVE, org["risk"].pk)
    assert "涉诉".encode() not in bytes(hold.note_ct)
    assert vault.open_text(hold, "note") == "客户涉诉，暂停授信"
    assert reload(f).version == 1
    (event,) = audit_events("credit.hold_placed")
    assert event.customer_id == f.customer_id and event.fields == ["note"]
    assert event.detail["reason_code"] == "manual" and "涉诉" not in str(event.detail)
    assert holds.active_reason_codes(f) == (("manual",), True)


@pytest.mark.parametrize(
    ("reason_code", "note", "field"), [("", "说明", "reason_code"), ("manual", "  ", "note"), ("manual", "x" * 1001, "note")]
)
def test_a_forced_hold_without_reason_or_note_is_refused_and_nothing_is_written(
    org: Any, audit_events: Any, reason_code: str, note: str, field: str
) -> None:
    f = credit_file(customer(org["rep_bj1"]))
    with pytest.raises(ValidationFailed) as caught:
        holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code=reason_code, note=note)
    assert field in caught.value.fields
    assert rows() == [] and audit_events("credit.hold_placed") == [] and reload(f).version == 0


@pytest.mark.parametrize("who", ["rep_bj1", "manager_bj", "auditor", "admin", "risk_other"])
def test_only_a_risk_officer_in_scope_places_a_hold(org: Any, who: str) -> None:
    f = credit_file(customer(org["rep_bj1"]))
    with pytest.raises(NotFound):
        holds.place_forced_hold(ctx(org[who]), file_id=f.pk, reason_code="manual", note="说明")
    assert rows() == []


def test_a_critical_warning_places_a_forced_hold_without_a_person(org: Any) -> None:
    f = credit_file(customer(org["rep_bj1"]))
    warning = EarlyWarning(
        credit_file=f, kind="dishonest_debtor", source="qichacha", severity="critical", reference="case-1", detected_at=clock.now()
    )
    warning.save(force_insert=True)
    hold = holds.place_forced_hold(system_context(), file_id=f.pk, reason_code="dishonest_debtor", note="", warning_id=warning.pk)
    assert hold.kind == HoldKind.FORCED and hold.placed_by_id is None and bytes(hold.note_ct) == b""
    assert hold.warning_id == warning.pk


def test_a_rule_hold_is_placed_once_and_released_when_the_rule_stops_firing_leaving_forced_holds(org: Any, audit_events: Any) -> None:
    f = credit_file(customer(org["rep_bj1"]))
    system = system_context()
    forced = holds.place_forced_hold(ctx(org["risk"]), file_id=f.pk, reason_code="manual", note="人工冻结")
    assert holds.ensure_rule_hold(system, f, "days-overdue") is not None
    assert holds.ensure_rule_hold(system, f, "days-overdue") is None  # already in force: not stacked
    assert len(rows(kind=HoldKind.RULE, status=HoldStatus.ACTIVE)) == 1
    assert holds.release_rule_holds(system, f, still_firing={"days-overdue"}) == []
    (released,) = holds.release_rule_holds(system, f, still_firing=set())
    assert released.reason_code == "days-overdue" and released.status == HoldStatus.RELEASED
    assert CreditHold.objects.unrestricted(reason=_T).get(pk=forced.pk).status == HoldStatus.ACTIVE
    assert [e.detail["automatic"] for e in audit_events("credit.hold_released")] == [True]
    assert holds.active_reason_codes(f) == (("manual",), True)
