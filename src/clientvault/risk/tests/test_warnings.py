"""Early warnings: raised once per fact, sealed, audited; critical ones hold and open a review; the queue (issue #16)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.conf import settings

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer
from clientvault.risk import vault, warning_selectors, warnings
from clientvault.risk.indicators import Signal
from clientvault.risk.models import CreditFile, CreditHold, CreditReview, EarlyWarning
from clientvault.testing.actors import ctx
from clientvault.testing.credit import credit_file
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


def rows(model: Any, **filters: Any) -> list[Any]:
    return list(model.objects.unrestricted(reason="test assertions").filter(**filters))


def overdue(days: int = 35, severity: str = "warning", reference: str = "overdue:2026-10-01:30") -> Signal:
    return Signal("overdue", severity, reference, {"days_overdue": days, "overdue_amount": 123_456})


@pytest.fixture
def filed(org: Any) -> tuple[Customer, CreditFile]:
    c = customer(org["rep_bj1"], name="张三丰")
    return c, credit_file(c)


def test_a_signal_becomes_one_sealed_warning_and_the_event_holds_no_value(filed: Any, audit_events: Any) -> None:
    c, f = filed
    [w] = warnings.raise_warnings(system_context(channel="task"), f.pk, [overdue()])
    assert (w.kind, w.severity, w.status, w.source) == ("overdue", "warning", "open", "internal")
    assert b"123456" not in bytes(w.evidence_ct)
    assert vault.open_json(w, "evidence", customer_id=c.pk) == {"facts": {"days_overdue": 35, "overdue_amount": 123_456}, "notes": []}
    [event] = audit_events("credit.warning_raised")
    assert event.customer_id == c.pk and event.fields == ["evidence"]
    assert event.detail == {"kind": "overdue", "severity": "warning", "source": "internal", "credit_file": str(f.pk)}
    assert "123456" not in str(event.detail)
    assert rows(CreditHold, credit_file=f) == [] and rows(CreditReview, credit_file=f) == []


def test_a_fact_found_again_is_not_a_new_warning(filed: Any, audit_events: Any) -> None:
    _c, f = filed
    system = system_context(channel="task")
    warnings.raise_warnings(system, f.pk, [overdue()])
    again = warnings.raise_warnings(system, f.pk, [overdue(days=36), overdue(days=36)])
    assert again == [] and len(rows(EarlyWarning, credit_file=f)) == 1
    assert len(audit_events("credit.warning_raised")) == 1
    [new] = warnings.raise_warnings(system, f.pk, [overdue(days=95, severity="warning", reference="overdue:2026-10-01:90")])
    assert new.reference.endswith(":90")


def test_a_critical_warning_places_a_forced_hold_and_opens_a_review(filed: Any, audit_events: Any) -> None:
    c, f = filed
    [w] = warnings.raise_warnings(system_context(channel="task"), f.pk, [overdue(95, "critical", "overdue:2026-08-01:90")])
    [hold] = rows(CreditHold, credit_file=f)
    assert (hold.kind, hold.reason_code, hold.warning_id, hold.status) == ("forced", "overdue", w.pk, "active")
    [review] = rows(CreditReview, credit_file=f)
    assert (review.kind, review.warning_id, review.status) == ("warning", w.pk, "open")
    assert clock.today() < review.due_on <= clock.today() + dt.timedelta(days=9)  # 5 working days
    assert [e.customer_id for e in audit_events("credit.hold_placed")] == [c.pk]
    [opened] = audit_events("credit.warning_review_opened")
    assert opened.detail["warning"] == str(w.pk)
    # Raised again: no second hold, no second review.
    warnings.raise_warnings(system_context(channel="task"), f.pk, [overdue(96, "critical", "overdue:2026-08-01:90")])
    assert len(rows(CreditHold, credit_file=f)) == 1 and len(rows(CreditReview, credit_file=f)) == 1


def test_a_malformed_signal_writes_nothing(filed: Any) -> None:
    _c, f = filed
    with pytest.raises(ValueError):
        warnings.raise_warnings(system_context(), f.pk, [overdue(), Signal("overdue", "severe", "x", {})])
    assert rows(EarlyWarning, credit_file=f) == []


def test_a_person_raises_only_on_files_they_may_change(org: Any, filed: Any) -> None:
    _c, f = filed
    with pytest.raises(NotFound):
        warnings.raise_warnings(ctx(org["rep_bj1"]), f.pk, [overdue()])  # a rep views files, changes none
    with pytest.raises(NotFound):
        warnings.raise_warnings(system_context(), uuid.uuid4(), [overdue()])
    assert len(warnings.raise_warnings(ctx(org["risk"]), f.pk, [overdue()])) == 1


@pytest.fixture
def raised(filed: Any) -> EarlyWarning:
    _c, f = filed
    [w] = warnings.raise_warnings(system_context(channel="task"), f.pk, [overdue()])
    return w


def test_acknowledge_then_close_by_a_risk_officer(org: Any, filed: Any, raised: EarlyWarning, audit_events: Any) -> None:
    c, _f = filed
    risk = ctx(org["risk"])
    acked = warnings.acknowledge(risk, raised.pk, "  正在联系客户  ")
    assert (acked.status, acked.handled_by_id) == ("acknowledged", org["risk"].pk)
    with pytest.raises(Conflict):
        warnings.acknowledge(risk, raised.pk, "")
    with pytest.raises(ValidationFailed) as missing_note:
        warnings.close(risk, raised.pk, "   ")
    assert "note" in missing_note.value.as_dict()
    closed = warnings.close(risk, raised.pk, "客户已还款")
    assert closed.status == "closed"
    with pytest.raises(Conflict):
        warnings.close(risk, raised.pk, "again")
    sealed = vault.open_json(closed, "evidence", customer_id=c.pk)
    assert [(n["status"], n["note"]) for n in sealed["notes"]] == [("acknowledged", "正在联系客户"), ("closed", "客户已还款")]
    [ack] = audit_events("credit.warning_acknowledged")
    [done] = audit_events("credit.warning_closed")
    assert ack.fields == ["evidence"] and ack.detail["from_status"] == "open" and done.detail["from_status"] == "acknowledged"
    assert "客户已还款" not in str(done.detail)


def test_a_note_may_be_long_but_not_endless(org: Any, raised: EarlyWarning) -> None:
    with pytest.raises(ValidationFailed):
        warnings.acknowledge(ctx(org["risk"]), raised.pk, "x" * 1001)
    assert rows(EarlyWarning, pk=raised.pk)[0].status == "open"


@pytest.mark.parametrize(("who", "error"), [("rep_bj1", PermissionDenied), ("compliance", PermissionDenied), ("risk_other", NotFound)])
def test_only_a_risk_officer_in_scope_handles_a_warning(org: Any, raised: EarlyWarning, who: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        warnings.acknowledge(ctx(org[who]), raised.pk, "")
    assert rows(EarlyWarning, pk=raised.pk)[0].status == "open"


def test_the_queue_shows_open_first_by_severity_with_the_customer_name_and_is_audited(org: Any, filed: Any, audit_events: Any) -> None:
    _c, f = filed
    other = customer(org["rep_sh"], kind=Kind.ORGANISATION, name="某某科技有限公司")
    f2 = credit_file(other)
    system = system_context(channel="task")
    [info] = warnings.raise_warnings(system, f.pk, [Signal("contact_decay", "info", "decay:never", {})])
    [crit] = warnings.raise_warnings(system, f2.pk, [Signal("dishonest_debtor", "critical", "ext:abc", {}, source="tianyancha")])
    [warn] = warnings.raise_warnings(system, f.pk, [overdue()])
    warnings.close(ctx(org["risk"]), crit.pk, "核实为同名企业")
    page = warning_selectors.warning_queue(ctx(org["risk"]))
    assert [r.id for r in page.items] == [warn.id, info.id, crit.id]
    # As the customer list shows them to a risk officer: masked (C2 masked under credit_assessment).
    assert {r.customer_name for r in page.items} == {"张*丰", "某******司"}
    assert page.items[0].kind_label in {"已逾期", "Overdue"}
    [event] = audit_events("credit.warnings_listed")
    assert event.fields == ["customer.name"] and event.detail["result_count"] == 3
    open_only = warning_selectors.warning_queue(ctx(org["risk"]), status="open", severity="info")
    assert [r.id for r in open_only.items] == [info.id]
    with pytest.raises(ValidationFailed):
        warning_selectors.warning_queue(ctx(org["risk"]), status="bogus")
    assert warning_selectors.warning_queue(ctx(org["risk_other"])).total == 0


def test_the_queue_is_the_risk_desk(org: Any, raised: EarlyWarning) -> None:
    for who in ("rep_bj1", "admin", "norole"):
        with pytest.raises(PermissionDenied):
            warning_selectors.warning_queue(ctx(org[who]))


def test_one_warning_with_its_evidence_is_an_audited_read(org: Any, filed: Any, raised: EarlyWarning, audit_events: Any) -> None:
    c, _f = filed
    detail = warning_selectors.get_warning(ctx(org["risk"]), raised.pk)
    assert detail.evidence == {"days_overdue": 35, "overdue_amount": 123_456} and detail.row.customer_name == "张*丰"
    [event] = audit_events("credit.warning_viewed")
    assert event.customer_id == c.pk and sorted(event.fields) == ["customer.name", "evidence"]
    with pytest.raises(NotFound):
        warning_selectors.get_warning(ctx(org["risk_other"]), raised.pk)
    with pytest.raises(NotFound):
        warning_selectors.get_warning(ctx(org["risk"]), uuid.uuid4())


# --- Pages and API ------------------------------------------------------------------------------------------


def test_the_pages_show_the_queue_and_a_warning_and_handle_it(org: Any, filed: Any, raised: EarlyWarning) -> None:
    from clientvault.testing.actors import signed_in

    client = signed_in(org["risk"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/risk/warnings/?status=open&severity=bogus")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/risk/warnings/{raised.pk}/" in body and "张*丰" in body and "张三丰" not in body
    detail = client.get(f"/risk/warnings/{raised.pk}/")
    assert detail.status_code == 200 and "123456" in detail.content.decode() and 'data-testid="close-form"' in detail.content.decode()
    refused = client.post(f"/risk/warnings/{raised.pk}/close/", {"close-note": "  "})
    assert refused.status_code == 400 and "Say why the warning is closed." in refused.content.decode()
    done = client.post(f"/risk/warnings/{raised.pk}/acknowledge/", {"ack-note": "在跟进"})
    assert done.status_code == 302 and done["Location"] == f"/risk/warnings/{raised.pk}/"
    again = client.post(f"/risk/warnings/{raised.pk}/acknowledge/", {"ack-note": ""}, follow=True)
    assert "This warning has already been handled." in again.content.decode()
    assert rows(EarlyWarning, pk=raised.pk)[0].status == "acknowledged"


def test_a_rep_reaches_no_desk_page(org: Any, raised: EarlyWarning) -> None:
    from clientvault.testing.actors import signed_in

    client = signed_in(org["rep_bj1"])
    assert client.get("/risk/warnings/").status_code == 404
    assert client.get(f"/risk/warnings/{raised.pk}/").status_code == 404


def test_the_api_lists_shows_and_handles_warnings(org: Any, raised: EarlyWarning, audit_events: Any) -> None:
    import json

    from django.test import Client

    from clientvault.testing.actors import sign_in_verified

    client = Client(enforce_csrf_checks=True)
    sign_in_verified(client, org["risk"])
    client.get("/accounts/profile/")
    headers = {"X-CSRFToken": client.cookies["cv_csrftoken"].value}
    listed = client.get("/api/v1/risk/warnings?status=open", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == str(raised.pk) and listed["items"][0]["customer_name"] == "张*丰"
    assert client.get("/api/v1/risk/warnings?status=nope", headers=headers).status_code == 422
    one = client.get(f"/api/v1/risk/warnings/{raised.pk}", headers=headers).json()
    assert one["evidence"] == {"days_overdue": 35, "overdue_amount": 123_456}

    def post(action: str, note: str) -> Any:
        return client.post(
            f"/api/v1/risk/warnings/{raised.pk}/{action}", json.dumps({"note": note}), content_type="application/json", headers=headers
        )

    bad = post("close", "")
    assert bad.status_code == 422 and "note" in json.dumps(bad.json())
    assert post("acknowledge", "").json()["status"] == "acknowledged"
    assert post("acknowledge", "").status_code == 409
    closed = post("close", "已核实")
    assert closed.status_code == 200 and closed.json()["notes"][-1]["note"] == "已核实"
    assert client.get(f"/api/v1/risk/warnings/{uuid.uuid4()}", headers=headers).status_code == 404
