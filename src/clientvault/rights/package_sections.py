"""The built-in sections of the access package (rights/package.py), each read with the person's own view.

Every personal-data row is read through its queryset's data-subject path (``visible_to(work.view)``, the
portal's path). Rows that are about the person but have no such path are read by customer id with a named
reason: change requests (``approvals``: codes, states and dates; the proposed values stay sealed) and the
audit events that name the customer (who accessed the data and why — the person's PIPL-44/45 and GDPR-15
right to know; actors are given by role and department, never by name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils.translation import gettext as _

from clientvault.access.models import Purpose
from clientvault.approvals.models import ChangeRequest
from clientvault.assets import money
from clientvault.assets.models import Asset, LedgerEntry
from clientvault.audit import registry as audit_registry
from clientvault.audit.models import AuditEvent
from clientvault.classification.catalogue import Category, category_labels
from clientvault.classification.models import FieldClassification
from clientvault.consents.models import Consent, ConsentEvidence, ConsentRecord
from clientvault.core.roles import ROLE_LABELS
from clientvault.crypto import cipher
from clientvault.customers import vault
from clientvault.customers.choices import Sex
from clientvault.customers.models import CustomFieldDefinition, FollowUp
from clientvault.intake.models import ImportedRecord
from clientvault.rights.package import Column, Gathering, Section, Value, register_section

# The person's own record, in the order the portal shows it (labels and classes from the field catalogue).
PROFILE_FIELDS = (
    "name", "id_type", "id_number", "birth_date", "sex", "mobile", "email", "address", "nationality", "residency", "occupation",
    "uscc", "legal_representative", "registered_address", "bank_card",
)  # fmt: skip
CHANGE_REQUEST_REASON = "access package: the change requests about one data subject, for their own copy (PIPL-45)"


def text(value: Any) -> Value:
    """A value as the package holds it: ISO dates and times, text, whole numbers, flags, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or None
    return str(value)


def columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(key, label) for key, label in pairs)


def purpose_names(work: Gathering) -> dict[str, str]:
    if "purposes" not in work.memo:
        work.memo["purposes"] = {p.code: p.name(work.language) for p in Purpose.objects.all()}
    names: dict[str, str] = work.memo["purposes"]
    return names


def _labels(keys: Iterable[str]) -> dict[str, FieldClassification]:
    return {f.key: f for f in FieldClassification.objects.filter(key__in=list(keys))}


def profile(work: Gathering) -> Section:
    c = work.customer
    catalogue = _labels([f"customer.{n}" for n in PROFILE_FIELDS])
    rows: list[dict[str, Value]] = []
    for name in PROFILE_FIELDS:
        value: Any = work.opened[name] if name in work.opened else getattr(c, name, "")
        display = getattr(c, f"get_{name}_display", None)
        if display is not None and value:
            value = display()
        elif name == "sex" and value in Sex.values:
            value = Sex(value).label
        if value in (None, "", {}):
            continue
        entry = catalogue.get(f"customer.{name}")
        rows.append(
            {
                "field": name,
                "label": entry.label(work.language) if entry else name,
                "category": str(Category(entry.category).label) if entry else None,
                "class": entry.jrt_class if entry else None,
                "sensitive": bool(entry and entry.sensitive),
                "value": text(value),
            }
        )
    facts = (
        ("kind", _("Customer type"), c.get_kind_display()),
        ("status", _("Status"), c.get_status_display()),
        ("source", _("Source"), c.get_source_display() if c.source else None),
        ("holder", _("Legal entity"), c.legal_entity.name),
        ("department", _("Department"), c.department.name),
        ("is_core", _("Core customer"), c.is_core),
        ("created_at", _("Record created"), c.created_at),
        ("updated_at", _("Record last changed"), c.updated_at),
    )
    for key, label, value in facts:
        if value is not None:
            rows.append({"field": key, "label": str(label), "category": None, "class": None, "sensitive": False, "value": text(value)})
    return Section(
        "profile",
        _("Your profile"),
        columns(
            ("field", _("Field code")),
            ("label", _("Field")),
            ("category", _("Data category")),
            ("class", _("Class")),
            ("sensitive", _("Sensitive")),
            ("value", _("Value")),
        ),
        tuple(rows),
    )


def custom_fields(work: Gathering) -> Section:
    data: dict[str, Any] = work.opened.get("custom_data") or {}
    labels = {d.key: d.label(work.language) for d in CustomFieldDefinition.objects.filter(key__in=list(data))}
    rows = tuple({"key": key, "label": labels.get(key, key), "value": text(data[key])} for key in sorted(data))
    return Section(
        "custom_fields", _("Other information"), columns(("key", _("Field code")), ("label", _("Field")), ("value", _("Value"))), rows
    )


def tags(work: Gathering) -> Section:
    rows = tuple({"tag": t.name} for t in work.customer.tags.all().order_by("name"))
    return Section("tags", _("Tags"), columns(("tag", _("Tag"))), rows)


def consents(work: Gathering) -> Section:
    names = purpose_names(work)
    current = Consent.objects.visible_to(work.view).filter(customer_id=work.customer_id).order_by("purpose")
    rows = tuple(
        {
            "purpose": c.purpose,
            "purpose_name": names.get(c.purpose, c.purpose),
            "state": c.get_action_display(),
            "consent_type": c.get_consent_type_display(),
            "categories": text(category_labels(c.categories)),
            "expires_at": text(c.expires_at),
            "needs_renewal": c.needs_renewal,
            "changed_at": text(c.changed_at),
        }
        for c in current
    )
    return Section(
        "consents",
        _("Your consents now"),
        columns(
            ("purpose", _("Purpose code")),
            ("purpose_name", _("Purpose")),
            ("state", _("State")),
            ("consent_type", _("Consent type")),
            ("categories", _("Data categories")),
            ("expires_at", _("Expires")),
            ("needs_renewal", _("Needs renewal")),
            ("changed_at", _("Changed")),
        ),
        rows,
    )


def consent_history(work: Gathering) -> Section:
    names = purpose_names(work)
    records = (
        ConsentRecord.objects.visible_to(work.view)
        .filter(customer_id=work.customer_id)
        .select_related("notice")
        .order_by("occurred_at", "purpose", "seq")
    )
    with_evidence = set(
        ConsentEvidence.objects.visible_to(work.view).filter(record__customer_id=work.customer_id).values_list("record_id", flat=True)
    )
    rows = []
    for r in records:
        guardian = ""
        if r.guardian_name_ct:
            guardian = cipher.decrypt(r.customer_id, "consents.consentrecord", "guardian_name", bytes(r.guardian_name_ct))
        rows.append(
            {
                "occurred_at": text(r.occurred_at),
                "purpose": r.purpose,
                "purpose_name": names.get(r.purpose, r.purpose),
                "action": r.get_action_display(),
                "consent_type": r.get_consent_type_display(),
                "notice": r.notice.notice,
                "notice_version": r.notice.version,
                "notice_title": r.notice.title_en if work.english else r.notice.title_zh,
                "channel": r.get_channel_display(),
                "by_subject": r.by_subject,
                "categories": text(category_labels(r.categories)),
                "recipients": text(r.recipients),
                "destination_country": text(r.destination_country),
                "guardian": text(f"{r.get_guardian_relation_display()} {guardian}".strip() if r.guardian_relation else ""),
                "expires_at": text(r.expires_at),
                "evidence_on_file": r.pk in with_evidence,
            }
        )
    return Section(
        "consent_history",
        _("History of your consents"),
        columns(
            ("occurred_at", _("Time")),
            ("purpose", _("Purpose code")),
            ("purpose_name", _("Purpose")),
            ("action", _("Action")),
            ("consent_type", _("Consent type")),
            ("notice", _("Notice")),
            ("notice_version", _("Notice version")),
            ("notice_title", _("Notice title")),
            ("channel", _("Channel")),
            ("by_subject", _("By you")),
            ("categories", _("Data categories")),
            ("recipients", _("Recipients")),
            ("destination_country", _("Destination country")),
            ("guardian", _("Guardian")),
            ("expires_at", _("Expires")),
            ("evidence_on_file", _("Signed form on file")),
        ),
        tuple(rows),
    )


def _identifier(asset: Asset) -> str:
    if not asset.identifier_ct or asset.customer_id is None:
        return ""
    return cipher.decrypt(asset.customer_id, "assets.asset", "identifier", bytes(asset.identifier_ct), row=asset.pk)


def assets(work: Gathering) -> Section:
    held = list(Asset.objects.visible_to(work.view).filter(customer_id=work.customer_id).order_by("opened_on", "id"))
    work.memo["assets"] = held
    rows = []
    refs: dict[Any, str] = work.memo.setdefault("asset_refs", {})
    for a in held:
        identifier = _identifier(a)
        refs[a.pk] = f"{a.get_kind_display()} {identifier or a.product}".strip()
        rows.append(
            {
                "asset_id": str(a.pk),
                "kind": a.get_kind_display(),
                "product": text(a.product),
                "identifier": text(identifier),
                "currency": a.currency,
                "status": a.get_status_display(),
                "opened_on": text(a.opened_on),
                "closed_on": text(a.closed_on),
                "balance": money.decimal_text(a.balance, a.currency),
                "pledged": money.decimal_text(a.pledged, a.currency),
            }
        )
    return Section(
        "assets",
        _("Your assets"),
        columns(
            ("asset_id", _("Asset id")),
            ("kind", _("Type")),
            ("product", _("Product")),
            ("identifier", _("Account number")),
            ("currency", _("Currency")),
            ("status", _("Status")),
            ("opened_on", _("Opened on")),
            ("closed_on", _("Closed on")),
            ("balance", _("Balance")),
            ("pledged", _("Pledged")),
        ),
        tuple(rows),
    )


def ledger(work: Gathering) -> Section:
    held: list[Asset] = work.memo.get("assets") or []
    refs: dict[Any, str] = work.memo.get("asset_refs") or {}
    entries = LedgerEntry.objects.filter(asset_id__in=[a.pk for a in held]).order_by("created_at", "asset_id", "seq") if held else []
    rows = tuple(
        {
            "asset_id": str(e.asset_id),
            "asset": refs.get(e.asset_id, ""),
            "seq": e.seq,
            "created_at": text(e.created_at),
            "kind": e.get_kind_display(),
            "amount": money.decimal_text(e.amount, e.currency),
            "balance_after": money.decimal_text(e.balance_after, e.currency),
            "pledged_after": money.decimal_text(e.pledged_after, e.currency),
            "currency": e.currency,
        }
        for e in entries
    )
    return Section(
        "ledger",
        _("Asset ledger"),
        columns(
            ("asset_id", _("Asset id")),
            ("asset", _("Asset")),
            ("seq", _("No.")),
            ("created_at", _("Time")),
            ("kind", _("Type")),
            ("amount", _("Amount")),
            ("balance_after", _("Balance after")),
            ("pledged_after", _("Pledged after")),
            ("currency", _("Currency")),
        ),
        rows,
    )


def followups(work: Gathering) -> Section:
    rows = []
    for f in FollowUp.objects.visible_to(work.view).filter(customer_id=work.customer_id).order_by("occurred_at", "id"):
        opened = vault.unseal_followup(f)
        rows.append(
            {
                "occurred_at": text(f.occurred_at),
                "channel": f.get_channel_display(),
                "summary": text(opened["summary"]),
                "next_step": text(opened["next_step"]),
                "next_step_due": text(f.next_step_due),
            }
        )
    return Section(
        "followups",
        _("Contacts with you (follow-ups)"),
        columns(
            ("occurred_at", _("Time")),
            ("channel", _("Channel")),
            ("summary", _("What was discussed")),
            ("next_step", _("Next step")),
            ("next_step_due", _("Next step due")),
        ),
        tuple(rows),
    )


def change_requests(work: Gathering) -> Section:
    from clientvault.approvals import registry as approvals_registry

    def kind(code: str) -> str:
        try:
            return str(approvals_registry.get(code).label)
        except (KeyError, LookupError):
            return code

    found = list(
        ChangeRequest.objects.unrestricted(reason=CHANGE_REQUEST_REASON).filter(subject_id=work.customer_id).order_by("created_at")
    )
    catalogue = _labels({key for r in found for key in [*(r.fields or []), r.field_key] if key})

    def labelled(keys: list[str]) -> str | None:
        return ", ".join(catalogue[k].label(work.language) if k in catalogue else k for k in keys if k) or None

    rows = tuple(
        {
            "change_type": r.change_type,
            "change": kind(r.change_type),
            "fields": labelled(list(r.fields or []) or [r.field_key]),
            "status": r.get_status_display(),
            "created_at": text(r.created_at),
            "decided_at": text(r.decided_at),
            "applied_at": text(r.applied_at),
        }
        for r in found
    )
    return Section(
        "change_requests",
        _("Changes to your record that needed approval"),
        columns(
            ("change_type", _("Change code")),
            ("change", _("Change")),
            ("fields", _("Fields")),
            ("status", _("Status")),
            ("created_at", _("Requested")),
            ("decided_at", _("Decided")),
            ("applied_at", _("Applied")),
        ),
        rows,
    )


def provenance(work: Gathering) -> Section:
    found = ImportedRecord.objects.filter(customer_id=work.customer_id).select_related("batch")
    rows = tuple(
        {
            "source_system": r.batch.source_system,
            "lawful_basis": r.batch.get_lawful_basis_display(),
            "imported_at": text(r.batch.finished_at or r.batch.created_at),
            "sheet": text(r.sheet),
            "row_number": r.row_number,
        }
        for r in found
    )
    return Section(
        "provenance",
        _("Where your data came from"),
        columns(
            ("source_system", _("Source system")),
            ("lawful_basis", _("Legal basis")),
            ("imported_at", _("Imported")),
            ("sheet", _("Sheet")),
            ("row_number", _("Row")),
        ),
        rows,
        note=_("Records entered by staff or by you directly have no import provenance."),
    )


def _role(code: str) -> str:
    return str(ROLE_LABELS.get(code, code)) if code else ""


def _event_label(code: str) -> str:
    event = audit_registry.EVENT_TYPES.get(code)
    return str(event.label) if event else code


def _event_kind(code: str) -> str:
    event = audit_registry.EVENT_TYPES.get(code)
    kinds = {"read": _("read"), "write": _("change"), "security": _("security")}
    return str(kinds.get(event.kind, event.kind)) if event else ""


def access_summary(work: Gathering) -> Section:
    """Every event naming the customer, counted by what, why and by whom (role): one grouped, indexed query."""
    names = purpose_names(work)
    grouped = (
        AuditEvent.objects.filter(customer_id=work.customer_id)
        .values("event_type", "purpose", "role")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("-n", "event_type", "purpose", "role")
    )
    rows = tuple(
        {
            "event_type": g["event_type"],
            "event": _event_label(g["event_type"]),
            "kind": _event_kind(g["event_type"]),
            "purpose": text(names.get(g["purpose"], g["purpose"])),
            "role": text(_role(g["role"])),
            "count": g["n"],
            "first": text(g["first"]),
            "last": text(g["last"]),
        }
        for g in grouped
    )
    work.memo["events_total"] = sum(int(r["count"] or 0) for r in rows)
    return Section(
        "access_summary",
        _("Who used your data and why (summary)"),
        columns(
            ("event_type", _("Event code")),
            ("event", _("What")),
            ("kind", _("Kind")),
            ("purpose", _("Purpose")),
            ("role", _("By (role)")),
            ("count", _("Times")),
            ("first", _("First")),
            ("last", _("Last")),
        ),
        rows,
    )


def access_log(work: Gathering) -> Section:
    """The most recent events one by one (``CLIENTVAULT_ACCESS_PACKAGE_MAX_EVENTS``), newest first, by the
    (customer_id, occurred_at) index; the summary above counts all of them."""
    limit = max(0, int(settings.CLIENTVAULT_ACCESS_PACKAGE_MAX_EVENTS))
    names = purpose_names(work)
    found = (
        AuditEvent.objects.filter(customer_id=work.customer_id)
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", "event_type", "purpose", "role", "actor__department__name", "channel", "outcome")[:limit]
    )
    outcomes = dict(AuditEvent.Outcome.choices)
    rows = tuple(
        {
            "occurred_at": text(at),
            "event_type": code,
            "event": _event_label(code),
            "purpose": text(names.get(purpose, purpose)),
            "role": text(_role(role)),
            "department": text(department),
            "channel": text(channel),
            "outcome": str(outcomes.get(outcome, outcome)),
        }
        for at, code, purpose, role, department, channel, outcome in found
    )
    total = work.memo.get("events_total")
    if total is None:
        total = AuditEvent.objects.filter(customer_id=work.customer_id).count()
    note = _("Staff are named by role and department only.")
    if total > len(rows):
        note = _("The %(shown)s most recent of %(total)s events are listed; the summary counts all of them. %(staff)s") % {
            "shown": len(rows),
            "total": total,
            "staff": note,
        }
    return Section(
        "access_log",
        _("Who used your data and why (each time)"),
        columns(
            ("occurred_at", _("Time")),
            ("event_type", _("Event code")),
            ("event", _("What")),
            ("purpose", _("Purpose")),
            ("role", _("By (role)")),
            ("department", _("Department")),
            ("channel", _("Channel")),
            ("outcome", _("Outcome")),
        ),
        rows,
        note=note,
        total=total,
    )


register_section("profile", profile, order=10)
register_section("custom_fields", custom_fields, order=15)
register_section("tags", tags, order=20)
register_section("consents", consents, order=30)
register_section("consent_history", consent_history, order=35)
register_section("assets", assets, order=40)
register_section("ledger", ledger, order=45)
register_section("followups", followups, order=50)
register_section("change_requests", change_requests, order=60)
register_section("provenance", provenance, order=70)
register_section("access_summary", access_summary, order=95)
register_section("access_log", access_log, order=100)
