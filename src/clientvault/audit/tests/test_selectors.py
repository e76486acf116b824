"""Reading the audit trail (issue #4, "use"): search, a customer's history, proofs, evidence packs — each audited."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clientvault.audit import rules, sealing, selectors
from clientvault.audit.models import AuditEvent
from clientvault.audit.rules import EventFilters
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx
from clientvault.testing.audit import SHANGHAI, event, trusted_public_key, verifier
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
CUSTOMER_A = uuid.UUID("11111111-1111-4111-8111-111111111111")
CUSTOMER_B = uuid.UUID("22222222-2222-4222-8222-222222222222")
READERS = ("compliance", "auditor")
REFUSED = ("admin", "risk", "manager_bj", "rep_bj1", "norole")


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def trail(org: Org) -> dict[str, AuditEvent]:
    rep, manager = ctx(org["rep_bj1"]), ctx(org["manager_bj"])
    return {
        "a1": event(rep, at=at(1), customer_id=CUSTOMER_A),
        "a2": event(manager, "customer.updated", at=at(2), customer_id=CUSTOMER_A, fields=("mobile",)),
        "b1": event(rep, at=at(3), customer_id=CUSTOMER_B),
        "denied": event(manager, "customer.field_revealed", at=at(4), customer_id=CUSTOMER_B, outcome="denied"),
        "login": event(rep, "auth.login", at=at(5), fields=()),
    }


def _ids(page: selectors.EventPage) -> list[uuid.UUID]:
    return [r.event.event_id for r in page.rows]


def test_search_filters_each_way_and_lists_newest_first(org: Org, trail: dict[str, AuditEvent]) -> None:
    c = ctx(org["compliance"])
    everything = selectors.search_events(c, EventFilters())
    assert _ids(everything)[:5] == [trail[k].event_id for k in ("login", "denied", "b1", "a2", "a1")]

    def found(**kw: Any) -> set[str]:
        ids = set(_ids(selectors.search_events(c, EventFilters(**kw))))
        return {k for k, e in trail.items() if e.event_id in ids}

    assert found(customer_id=CUSTOMER_A) == {"a1", "a2"}
    assert found(actor="manager_bj") == {"a2", "denied"}
    assert found(event_type="customer.viewed") == {"a1", "b1"}
    assert found(purpose="sales_followup", customer_id=CUSTOMER_B) == {"b1", "denied"}
    assert found(purpose="credit_assessment") == set()
    assert found(outcome="denied") == {"denied"}
    # Whole days in Asia/Shanghai: 2 March 00:00 up to (not including) 4 March 00:00.
    start, end = rules.day_range(dt.date(2026, 3, 2), dt.date(2026, 3, 3), ZoneInfo("Asia/Shanghai"))
    assert found(start=start, end=end) == {"a2", "b1"}
    assert found(start=start) >= {"a2", "b1", "denied", "login"} and "a1" not in found(start=start)


def test_search_pages_and_records_the_filter_names_never_the_values(org: Org, trail: dict[str, AuditEvent], audit_events: Any) -> None:
    c = ctx(org["auditor"])
    page = selectors.search_events(c, EventFilters(actor="rep_bj1", customer_id=CUSTOMER_A), page=1, per_page=1)
    assert (page.total, page.num_pages, page.number, len(page.rows)) == (1, 1, 1, 1)
    page2 = selectors.search_events(c, EventFilters(actor="rep_bj1"), page=2, per_page=2)
    assert (page2.total, page2.num_pages, page2.number) == (3, 2, 2) and len(page2.rows) == 1
    searched = audit_events("audit.searched")
    assert len(searched) == 2
    first = searched[0]
    assert first.detail == {"filter_keys": ["customer", "actor"], "result_count": 1, "page": 1}
    assert first.customer_id == CUSTOMER_A and first.actor_id == org["auditor"].pk and first.role == "auditor"
    assert "rep_bj1" not in str(first.detail) and searched[1].detail["filter_keys"] == ["actor"]


def test_search_shows_the_leaf_once_sealed_and_counts_the_evidence(org: Org, trail: dict[str, AuditEvent]) -> None:
    c = ctx(org["compliance"])
    page = selectors.search_events(c, EventFilters(customer_id=CUSTOMER_A))
    assert all(not r.sealed for r in page.rows) and page.evidence_count == 2
    sealing.seal()
    page = selectors.search_events(c, EventFilters(customer_id=CUSTOMER_A, actor="rep_bj1"))
    assert [r.sealed for r in page.rows] == [True] and isinstance(page.rows[0].leaf_index, int)
    # The pack covers the customer / range only, not the other filters: a1, a2 and the first search, which
    # named the customer and so is part of its trail.
    assert page.evidence_count == 3
    assert selectors.search_events(c, EventFilters(actor="rep_bj1")).evidence_count is None


@pytest.mark.parametrize("who", REFUSED)
def test_only_compliance_and_auditors_read_the_trail(org: Org, trail: dict[str, AuditEvent], who: str, audit_events: Any) -> None:
    c = ctx(org[who])
    with pytest.raises(PermissionDenied):
        selectors.search_events(c, EventFilters())
    with pytest.raises(PermissionDenied):
        selectors.customer_history(c, CUSTOMER_A)
    with pytest.raises(PermissionDenied):
        selectors.evidence_pack(c, CUSTOMER_A)
    with pytest.raises(PermissionDenied):
        selectors.event_proof(c, trail["a1"].event_id)
    assert [e.event_type for e in audit_events() if e.event_type.startswith("audit.")] == []


@pytest.mark.parametrize("who", READERS)
def test_customer_history_lists_the_customer_and_is_audited(org: Org, trail: dict[str, AuditEvent], who: str, audit_events: Any) -> None:
    page = selectors.customer_history(ctx(org[who]), CUSTOMER_B)
    assert _ids(page) == [trail["denied"].event_id, trail["b1"].event_id]
    [viewed] = audit_events("audit.customer_history_viewed")
    assert viewed.customer_id == CUSTOMER_B and viewed.object_id == str(CUSTOMER_B)
    assert viewed.detail == {"result_count": 2, "page": 1} and viewed.actor_id == org[who].pk
    # The view itself is now part of that customer's history.
    assert selectors.customer_history(ctx(org[who]), CUSTOMER_B).rows[0].event.event_type == "audit.customer_history_viewed"


def test_customer_history_of_a_deleted_or_unknown_customer_still_answers(org: Org) -> None:
    page = selectors.customer_history(ctx(org["auditor"]), uuid.uuid4())
    assert page.total == 0 and page.rows == []


def test_evidence_pack_holds_proofs_that_the_standalone_verifier_accepts(org: Org, trail: dict[str, AuditEvent], audit_events: Any) -> None:
    sealing.seal()
    late = event(ctx(org["rep_bj1"]), at=at(6), customer_id=CUSTOMER_A)  # not sealed yet
    pack = selectors.evidence_pack(ctx(org["auditor"]), CUSTOMER_A, export_format="csv")
    assert [r.event.event_id for r in pack.rows] == [trail["a1"].event_id, trail["a2"].event_id, late.event_id]  # oldest first
    assert pack.bundle["unsealed"] == [str(late.event_id)] and len(pack.bundle["proofs"]) == 2
    check = verifier().check
    for proof in pack.bundle["proofs"]:
        document = {**proof, "checkpoint": pack.bundle["checkpoint"], "tree_size": pack.bundle["tree_size"]}
        assert check(document, trusted_public_key(document)) == []
    [exported] = audit_events("audit.evidence_exported")
    assert exported.customer_id == CUSTOMER_A and exported.actor_id == org["auditor"].pk
    assert exported.detail == {
        "format": "csv",
        "filter_keys": ["customer"],
        "event_count": 3,
        "proved_count": 2,
        "unsealed_count": 1,
        "tree_size": pack.bundle["tree_size"],
    }


def test_evidence_pack_for_a_time_range(org: Org, trail: dict[str, AuditEvent]) -> None:
    pack = selectors.evidence_pack(ctx(org["compliance"]), None, at(2, 0), at(4, 0))
    assert {r.event.event_id for r in pack.rows} == {trail["a2"].event_id, trail["b1"].event_id}
    assert pack.generated_by == "compliance" and pack.bundle["checkpoint"] is None and pack.bundle["tree_size"] == 0


def test_evidence_pack_needs_a_customer_or_a_time_range(org: Org, trail: dict[str, AuditEvent], audit_events: Any) -> None:
    with pytest.raises(rules.EvidenceScopeRequired) as exc:
        selectors.evidence_pack(ctx(org["compliance"]))
    assert exc.value.code == "filter_required" and "customer" in exc.value.fields
    assert audit_events("audit.evidence_exported") == []


def test_evidence_pack_above_the_maximum_is_refused(org: Org, trail: dict[str, AuditEvent], settings: Any, audit_events: Any) -> None:
    settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS = 1
    with pytest.raises(rules.EvidenceTooLarge) as exc:
        selectors.evidence_pack(ctx(org["compliance"]), CUSTOMER_A)
    assert exc.value.status == 422 and "2" in str(exc.value) and "1" in str(exc.value)
    assert audit_events("audit.evidence_exported") == []
    settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS = 2
    assert len(selectors.evidence_pack(ctx(org["compliance"]), CUSTOMER_A).rows) == 2


def test_evidence_pack_format_is_json_or_csv(org: Org) -> None:
    with pytest.raises(ValidationFailed) as exc:
        selectors.evidence_pack(ctx(org["compliance"]), CUSTOMER_A, export_format="xlsx")
    assert "format" in exc.value.fields


def test_event_proof_verifies_and_is_recorded(org: Org, trail: dict[str, AuditEvent], audit_events: Any) -> None:
    c = ctx(org["auditor"])
    with pytest.raises(rules.NotSealedYet) as exc:
        selectors.event_proof(c, trail["a1"].event_id)
    assert (exc.value.status, exc.value.code) == (409, "not_sealed")
    with pytest.raises(NotFound):
        selectors.event_proof(c, uuid.uuid4())
    sealing.seal()
    document = selectors.event_proof(c, trail["a1"].event_id)
    assert verifier().check(document, trusted_public_key(document)) == []
    [exported] = audit_events("audit.evidence_exported")
    assert exported.detail["format"] == "proof" and exported.customer_id == CUSTOMER_A
    assert exported.object_id == str(trail["a1"].event_id)


# --- Pure rules -------------------------------------------------------------------------------


def test_day_range_is_whole_days_in_the_users_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    start, end = rules.day_range(dt.date(2026, 3, 1), dt.date(2026, 3, 1), zone)
    assert start == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.UTC)
    assert rules.day_range(None, None, zone) == (None, None)


def test_parse_range_takes_dates_and_date_times() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    start, end = rules.parse_range("2026-03-01", "2026-03-02", zone)
    assert (start, end) == (dt.datetime(2026, 3, 1, tzinfo=zone), dt.datetime(2026, 3, 3, tzinfo=zone))
    start, end = rules.parse_range("2026-03-01T08:30:00Z", "2026-03-01T18:00", zone)
    assert start == dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC) and end == dt.datetime(2026, 3, 1, 18, 0, tzinfo=zone)
    assert rules.parse_range("", "", zone) == (None, None)


@pytest.mark.parametrize(
    ("first", "last", "field"), [("2026-13-01", "", "from"), ("", "yesterday", "to"), ("2026-03-05", "2026-03-01", "to")]
)
def test_parse_range_refuses_bad_dates(first: str, last: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        rules.parse_range(first, last, ZoneInfo("Asia/Shanghai"))
    assert list(exc.value.fields) == [field]


def test_filter_names_and_scope() -> None:
    assert EventFilters().active_keys() == [] and not EventFilters().has_evidence_scope
    f = EventFilters(actor="x", outcome="denied", end=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert f.active_keys() == ["actor", "outcome", "to"] and f.has_evidence_scope
    assert rules.user_zone("Nowhere/City", "Asia/Shanghai") == ZoneInfo("Asia/Shanghai")
    assert rules.user_zone("", "") == ZoneInfo("UTC")
    with pytest.raises(ValidationFailed):
        rules.parse_customer("not-a-uuid")
    with pytest.raises(ValidationFailed) as exc:
        rules.check_filters(EventFilters(event_type="customer.peeked", outcome="maybe"))
    assert set(exc.value.fields) == {"event_type", "outcome"}


def test_no_evidence_when_the_leaves_no_longer_give_the_signed_root(
    org: Org, trail: dict[str, AuditEvent], as_dba: Any, audit_events: Any
) -> None:
    """A leaf table changed behind the sealer's back: no proof is handed out, and nothing is recorded as exported."""
    sealing.seal()
    as_dba('UPDATE audit_auditleaf SET leaf_hash = %s WHERE "index" = 0', [bytes(32)])
    c = ctx(org["compliance"])
    with pytest.raises(rules.TrailInconsistent) as exc:
        selectors.evidence_pack(c, CUSTOMER_A)
    assert (exc.value.status, exc.value.code) == (409, "audit_trail_inconsistent")
    with pytest.raises(rules.TrailInconsistent):
        selectors.event_proof(c, trail["b1"].event_id)
    assert audit_events("audit.evidence_exported") == []
