"""The versioned-catalogue base (issue #12): append-only versions at the database, one "save a new version"
service — permission, row lock, reason, rule 12 proposals, one audit event carried by the version."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.query import QuerySet

from clientvault.access import proposals, services
from clientvault.access.models import Policy, PolicyChange, PolicyVersion, Purpose, PurposeVersion
from clientvault.audit import append_only
from clientvault.classification import services as classification
from clientvault.classification.catalogue import custom_field_key
from clientvault.classification.models import FieldClassification, FieldClassificationVersion
from clientvault.core import catalogue_service as catalogues
from clientvault.core import catalogues as base
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.customers import custom_fields
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import second_officer

pytestmark = pytest.mark.django_db

VERSION_MODELS = (PurposeVersion, PolicyVersion, FieldClassificationVersion)
TABLES = [m._meta.db_table for m in VERSION_MODELS]


def _refused(sql: str, params: list[Any] | None = None) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


# --- Append-only at the database --------------------------------------------------------------------


@pytest.mark.parametrize("model", VERSION_MODELS, ids=lambda m: m.__name__)
def test_the_database_refuses_to_update_or_delete_a_version(model: Any) -> None:
    table = model._meta.db_table
    before = model.objects.count()
    assert before > 0, "the seeded catalogues have first versions"
    _refused(f"UPDATE {table} SET reason = 'rewritten'")
    _refused(f"DELETE FROM {table}")
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.all().delete()
    if connection.vendor == "postgresql":
        _refused(f"TRUNCATE {table}")
    assert model.objects.count() == before and not model.objects.filter(reason="rewritten").exists()


def test_the_triggers_are_present_with_their_own_guard_function() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s, %s)", TABLES)
        else:
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE NOT t.tgisinternal AND p.proname = %s AND c.relname = ANY(%s)",
                [base.PG_GUARD, list(TABLES)],
            )
        tables = [row[0] for row in cursor.fetchall()]
    assert sorted(tables) == sorted(TABLES * 2)
    assert base.PG_GUARD != "clientvault_audit_guard"


def test_only_emptying_the_database_removes_versions() -> None:
    """The flush maintenance mode of the audit tables (test, development and demo ``flush``) is the one door."""
    assert (base.MAINTENANCE_SQLITE_FUNCTION, base.MAINTENANCE_PG_SETTING) == (append_only._SQLITE_FUNCTION, append_only._PG_SETTING)
    with pytest.raises(DatabaseError), transaction.atomic(), append_only.maintenance("archive"):
        PurposeVersion.objects.filter(code="audit").delete()
    with transaction.atomic(), append_only.maintenance("flush"):
        PurposeVersion.objects.filter(code="audit").delete()
        assert not PurposeVersion.objects.filter(code="audit").exists()
        with pytest.raises(DatabaseError), transaction.atomic():
            PurposeVersion.objects.update(reason="even now")  # UPDATE is refused in every mode


def test_the_guard_statements_drop_and_create_per_vendor() -> None:
    assert base.guard_statements("mysql", ("t",)) == []
    assert len(base.guard_statements("sqlite", ("t",))) == 2 == len(base.guard_statements("sqlite", ("t",), drop=True))
    created = base.guard_statements("postgresql", ("t",))
    assert base.PG_GUARD in created[0] and len(created) == 3
    assert not any("DROP FUNCTION" in s for s in base.guard_statements("postgresql", ("t",), drop=True))


# --- One event per save, carried by the version -----------------------------------------------------


def test_each_catalogue_records_one_event_per_change_and_the_version_carries_it(org: Any, audit_events: Any) -> None:
    officer = ctx(org["compliance"])
    saves = [
        (lambda: services.change_purpose(ctx=officer, code="audit", data={"description": "年度审计"}, reason="r1"), PurposeVersion),
        (
            lambda: services.change_policy(ctx=officer, code="risk-customers", data={"actions": ["view"]}, reason="r2"),
            PolicyVersion,
        ),
        (
            lambda: classification.change_classification(ctx=officer, key="customer.email", data={"label_en": "Email (work)"}, reason="r3"),
            FieldClassificationVersion,
        ),
    ]
    seen: set[int] = set()
    for save, versions in saves:
        row: Any = save()
        [event] = [e for e in audit_events() if e.pk not in seen]
        seen.add(event.pk)
        version = versions._default_manager.get(**{versions.KEY: row.entry_key, "version": row.version})
        assert row.version == 2 and version.audit_event_id == event.event_id
        assert event.detail == {"version": 2} and event.object_id == row.entry_key
        assert version.changed_by == org["compliance"] and version.snapshot == row.snapshot()


def test_saving_the_same_values_writes_nothing(org: Any, audit_events: Any) -> None:
    row = services.change_purpose(ctx=ctx(org["compliance"]), code="audit", data={}, reason="nothing")
    assert row.version == 1 and audit_events() == [] and PurposeVersion.objects.filter(code="audit").count() == 1


def test_an_approved_proposal_is_one_version_carrying_the_change_event(org: Any, audit_events: Any) -> None:
    second = second_officer(org)
    change = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"scope": 4}, reason="all entities")
    row = proposals.approve(ctx=ctx(second), change_id=change.pk, reason="agreed")
    changed, approved = audit_events("policy.changed"), audit_events("policy.change_approved")
    assert len(changed) == 1 and len(approved) == 1
    version = PolicyVersion.objects.get(code="risk-customers", version=row.version)
    assert version.audit_event_id == changed[0].event_id and version.changed_by == org["compliance"]
    assert version.reason == "all entities"


def test_a_custom_field_classification_carries_the_custom_field_event(org: Any, audit_events: Any) -> None:
    custom_fields.define_custom_field(
        ctx=ctx(org["admin"]), key="wechat_id", field_type="text", data={"label_zh": "微信号", "label_en": "WeChat ID"}
    )
    [event] = audit_events()
    assert event.event_type == "customfield.created" and event.detail["jrt_class"] == "c2"
    [version] = FieldClassificationVersion.objects.filter(key=custom_field_key("wechat_id"))
    assert version.audit_event_id == event.event_id and version.version == 1


# --- Permission, lock, reason, widening -------------------------------------------------------------


def test_a_reason_is_required_and_nothing_is_written_without_one(org: Any, audit_events: Any) -> None:
    officer = ctx(org["compliance"])
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as exc:
            services.change_purpose(ctx=officer, code="audit", data={"description": "x"}, reason=reason)
        assert "reason" in exc.value.fields
        row = Purpose.objects.select_for_update().get(code="audit")
        with pytest.raises(ValidationFailed):  # the single write point checks it too
            catalogues.write(services.PURPOSES, ctx=officer, row=row, key="audit", cleaned={"description": "x"}, reason=reason)
    assert audit_events() == [] and Purpose.objects.get(code="audit").version == 1


def test_saving_needs_the_change_capability(org: Any, audit_events: Any) -> None:
    for username in ("admin", "auditor", "rep_bj1"):
        with pytest.raises(PermissionDenied):
            classification.change_classification(ctx=ctx(org[username]), key="customer.email", data={"label_en": "x"}, reason="x")
    assert audit_events() == []


def test_the_row_is_locked_before_it_is_read(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    locked: list[type[Any]] = []
    original = QuerySet.select_for_update

    def spy(self: QuerySet[Any], *args: Any, **kwargs: Any) -> QuerySet[Any]:
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    officer = ctx(org["compliance"])
    services.change_purpose(ctx=officer, code="audit", data={"description": "x"}, reason="r")
    services.change_policy(ctx=officer, code="risk-customers", data={"actions": ["view"]}, reason="r")
    classification.change_classification(ctx=officer, key="customer.email", data={"label_en": "Email (work)"}, reason="r")
    assert locked[:1] == [Purpose] and Policy in locked and FieldClassification in locked


def test_a_widening_change_becomes_a_proposal_and_writes_no_version(org: Any, audit_events: Any) -> None:
    change = services.change_policy(ctx=ctx(org["compliance"]), code="risk-customers", data={"scope": 4}, reason="wider")
    assert isinstance(change, PolicyChange) and change.widens == ["scope"]
    assert Policy.objects.get(code="risk-customers").version == 1
    assert PolicyVersion.objects.filter(code="risk-customers").count() == 1
    assert [e.event_type for e in audit_events()] == ["policy.change_proposed"]


def test_a_catalogue_that_widens_without_a_proposal_path_refuses(org: Any, audit_events: Any) -> None:
    strict = catalogues.Catalogue(
        model=Purpose,
        capability=services.PURPOSES.capability,
        changed_event="purpose.changed",
        reason_missing="why?",
        clean=services.clean,
        widening=lambda old, new: ["active"] if new.get("active") and not (old or {}).get("active") else [],
    )
    officer = ctx(org["compliance"])
    catalogues.save_version(strict, ctx=officer, key="audit", data={"active": False}, reason="retire")
    with pytest.raises(PermissionDenied):
        catalogues.save_version(strict, ctx=officer, key="audit", data={"active": True}, reason="back")
    assert Purpose.objects.get(code="audit").version == 2 and len(audit_events()) == 1
