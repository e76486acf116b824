"""Undoing an import (issue #14): a change request decided by a compliance officer other than the maker (rule 12);
untouched customers are deleted with their keys destroyed, touched ones kept and listed; within the window."""

from __future__ import annotations

import datetime as dt

import pytest

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.core import clock
from clientvault.core.errors import Conflict, PermissionDenied
from clientvault.crypto import keystore
from clientvault.customers import followups, profiles
from clientvault.customers.models import Customer
from clientvault.intake import services, undo
from clientvault.intake.models import ImportBatch, State
from clientvault.intake.tests.helpers import HEADER, cli, csv_bytes, rows, run, stage_csv
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import second_officer

pytestmark = pytest.mark.django_db(databases=["default", "keys"])


@pytest.fixture
def imported(org, settings):
    settings.CLIENTVAULT_ENTRY_REVIEW = "none"  # approved at entry: the owner works on them at once
    done = run(cli(), stage_csv(cli(), csv_bytes(HEADER, rows(4, start=300)), org["rep_bj1"].pk))
    ids = list(done.records.order_by("row_number").values_list("customer_id", flat=True))
    return done, ids


def test_untouched_customers_go_with_their_keys_touched_ones_stay_listed(org, imported, audit_events, django_capture_on_commit_callbacks):
    batch, ids = imported
    rep = ctx(org["rep_bj1"])
    followups.create_followup(ctx=rep, customer_id=ids[0], data={"occurred_at": clock.now(), "channel": "phone", "summary": "电话回访"})
    profiles.update_customer(ctx=rep, customer_id=ids[1], changes={"occupation": "教师"})
    assert undo.touched(ids) == {ids[0], ids[1]}

    maker, checker = ctx(org["compliance"]), ctx(second_officer(org))
    request = services.request_undo(maker, batch, reason="源文件错误")
    assert request.change_type == "intake.undo" and request.maker_id == org["compliance"].pk
    with pytest.raises(PermissionDenied):
        approvals.approve(maker, request.pk)  # maker ≠ checker (rule 12)
    with django_capture_on_commit_callbacks(execute=True):
        decided = approvals.approve(checker, request.pk)
    assert decided.status == ChangeRequest.Status.APPLIED
    left = set(Customer.objects.unrestricted(reason="test").filter(pk__in=ids).values_list("pk", flat=True))
    assert left == {ids[0], ids[1]}
    assert not keystore.key_exists(ids[2]) and not keystore.key_exists(ids[3]) and keystore.key_exists(ids[0])
    batch.refresh_from_db()
    assert batch.state == State.UNDONE and set(batch.kept_after_undo) == {str(ids[0]), str(ids[1])}
    deleted = audit_events("customer.deleted")
    assert {e.customer_id for e in deleted} == {ids[2], ids[3]} and all(e.detail["import_batch"] == str(batch.pk) for e in deleted)
    (event,) = audit_events("import.undone")
    assert (event.detail["removed"], event.detail["kept"]) == (2, 2)
    assert [e.event_type for e in audit_events() if e.event_type == "import.undo_requested"] == ["import.undo_requested"]


def test_reads_do_not_touch_a_record_writes_do(org, imported, audit_events):
    _batch, ids = imported
    from clientvault.customers import selectors as customer_selectors

    customer_selectors.get_customer(ctx(org["rep_bj1"]), ids[0])
    assert audit_events("customer.viewed") and undo.touched(ids) == set()
    # Any write event since the import touches it (here a reassignment applied by its change request).
    from clientvault.audit import recording as audit

    audit.record(cli(), "customer.reassigned", customer_id=ids[3], object_type="customers.customer", object_id=str(ids[3]))
    assert undo.touched(ids) == {ids[3]}


def test_undo_only_within_the_window_and_only_when_done(org, imported, settings):
    batch, _ids = imported
    settings.CLIENTVAULT_IMPORT_UNDO_DAYS = 7
    ImportBatch.objects.filter(pk=batch.pk).update(finished_at=clock.now() - dt.timedelta(days=8))
    batch.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        services.request_undo(ctx(org["compliance"]), batch, reason="太晚")
    assert exc.value.code == "undo_window_passed"
    staged = stage_csv(cli(), csv_bytes(HEADER, rows(1, start=400)), org["rep_bj1"].pk)
    with pytest.raises(Conflict):
        services.request_undo(ctx(org["compliance"]), staged, reason="未完成")
    assert not ChangeRequest.objects.unrestricted(reason="test").filter(change_type="intake.undo").exists()


def test_an_approval_after_the_window_fails_and_deletes_nothing(org, imported):
    batch, ids = imported
    request = services.request_undo(ctx(org["compliance"]), batch, reason="源文件错误")
    ImportBatch.objects.filter(pk=batch.pk).update(finished_at=clock.now() - dt.timedelta(days=30))
    decided = approvals.approve(ctx(second_officer(org)), request.pk)
    assert decided.status != ChangeRequest.Status.APPLIED
    assert Customer.objects.unrestricted(reason="test").filter(pk__in=ids).count() == 4
