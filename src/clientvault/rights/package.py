"""The access package: everything held about one person, for them (PIPL-45 access and copy, GDPR-15, GDPR-20).

``gather`` reads every section — profile, custom fields, tags, consents and their history, assets and their
ledger, follow-ups, change requests, import provenance, rights requests (a section the requests part registers)
and "who accessed your data and why" — decrypted and unmasked: it is the person's own data. It records ONE
audit event ``rights.package_gathered`` in the same transaction. ``render_json`` / ``render_csv_zip`` give the
machine-readable copies (portability), ``package_pdf.render_pdf`` the readable one.

Sections are a registry (``register_section``): an app above ``rights`` cannot be imported here, and the
requests part of this app registers its own section without this module knowing its models.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import transaction
from django.utils import translation

from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.core.spreadsheets import safe_cell
from clientvault.crypto import keystore
from clientvault.customers import vault
from clientvault.customers.models import Customer

SCHEMA = "clientvault.access-package/1"
PURPOSE = "rights_request"
SUBJECT_ROLE = "data_subject"

Value = str | int | bool | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Section:
    """One part of the package: a table with labelled columns. Values are text (dates ISO 8601, amounts as
    decimal strings), whole numbers, flags or None — nothing a renderer has to interpret."""

    code: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Value], ...]
    note: str = ""
    total: int | None = None  # rows held, when fewer are listed (the access log)

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class AccessPackage:
    schema: ClassVar[str] = SCHEMA
    kind: ClassVar[str] = "access_package"

    customer_id: uuid.UUID
    generated_at: dt.datetime
    language: str
    sections: list[Section]
    request_id: uuid.UUID | None = None
    holder: str = ""  # the legal entity that holds the record
    subject_name: str = ""  # for the cover page
    event_id: uuid.UUID | None = None  # the audit event of this gathering

    def section(self, code: str) -> Section | None:
        return next((s for s in self.sections if s.code == code), None)


@dataclass
class Gathering:
    """What a section provider reads with: the person's own view (``view``), their record and its opened fields."""

    view: Context
    customer: Customer
    opened: dict[str, Any]
    language: str
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def customer_id(self) -> uuid.UUID:
        return self.customer.pk

    @property
    def english(self) -> bool:
        return self.language.startswith("en")


SectionProvider = Callable[[Gathering], Section | None]
_SECTIONS: dict[str, tuple[int, SectionProvider]] = {}


def register_section(code: str, provider: SectionProvider, *, order: int) -> None:
    """Add a section to every access package (``order``: built-in sections use 10…100; requests take 85)."""
    if code in _SECTIONS and _SECTIONS[code][1] is not provider:
        raise ValueError(f"access package section {code!r} registered twice")
    _SECTIONS[code] = (order, provider)


def section_codes() -> list[str]:
    _load_builtin()
    return [code for code, _ in sorted(_SECTIONS.items(), key=lambda kv: (kv[1][0], kv[0]))]


def _load_builtin() -> None:
    from clientvault.rights import package_sections  # noqa: F401 - registers the built-in sections


def subject_view(ctx: Context, customer_id: uuid.UUID) -> Context:
    """The least-privileged context that reads one person's rows: theirs, as if they were signed in to the portal.

    Whoever asks (the person in the portal, the worker fulfilling a verified request, a compliance officer
    at the counter), the rows are read through the personal-data querysets' own data-subject path
    (``PolicyQuerySet.visible_to`` with ``subject_ids``): exactly this customer's rows and no others, under
    the ``rights_request`` purpose — no staff grant is widened and no ``unrestricted`` read of customer
    data is needed. Rows without a data-subject path (audit events, change requests) are read by
    customer id with a named reason in ``package_sections``.
    """
    return Context(
        actor=None,
        roles=frozenset({SUBJECT_ROLE}),
        purpose=PURPOSE,
        request_id=ctx.request_id,
        ip=ctx.ip,
        channel=ctx.channel,
        subject_ids=frozenset({customer_id}),
    )


def _authorise(ctx: Context, customer_id: uuid.UUID) -> None:
    """Who may have a package gathered: the person themselves (portal), work for no one person (the worker
    fulfilling a request whose identity check was recorded by the requests part), or staff working for the
    rights-request purpose on a customer they can see. Anyone else: NotFound, as for a missing record."""
    if ctx.subject_ids:
        if customer_id not in ctx.subject_ids:
            raise NotFound()
        return
    if ctx.actor is None:
        if "system" not in ctx.roles:
            raise NotFound()
        return
    if ctx.purpose != PURPOSE or not Customer.objects.visible_to(ctx).filter(pk=customer_id).exists():
        raise NotFound()


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or "zh-hans").lower()
    return "en" if code.startswith("en") else "zh-hans"


@transaction.atomic
def gather(ctx: Context, customer_id: uuid.UUID, *, request_id: uuid.UUID | None = None, language: str | None = None) -> AccessPackage:
    """Gather everything held about the customer, decrypted for them; record one ``rights.package_gathered``."""
    _authorise(ctx, customer_id)
    _load_builtin()
    lang = _language(language)
    view = subject_view(ctx, customer_id)
    # A restricted or held customer is still readable here: the data subject keeps their right of access
    # (PIPL-47 stops processing except storage; it does not stop answering the person).
    found = vault.with_key_state(Customer.objects.visible_to(view).select_related("legal_entity", "department")).filter(pk=customer_id)
    customer = found.first()
    if customer is None or getattr(customer, vault.KEY_DOOMED, False):
        raise NotFound()
    try:
        opened = vault.unseal(customer)
    except keystore.KeyDestroyed:
        raise NotFound() from None  # crypto-shredded: nothing left to give
    work = Gathering(view=view, customer=customer, opened=opened, language=lang)
    with translation.override(lang):
        sections = [s for code in section_codes() if (s := _SECTIONS[code][1](work)) is not None]
    detail: dict[str, Any] = {
        "request_id": str(request_id) if request_id else None,
        "sections": [s.code for s in sections],
        "rows": sum(s.count for s in sections),
        "language": lang,
    }
    detail.update({f"n_{s.code}": s.count for s in sections})
    event = audit.record(ctx, "rights.package_gathered", obj=customer, customer_id=customer.pk, detail=detail)
    return AccessPackage(
        customer_id=customer.pk,
        generated_at=event.occurred_at,
        language=lang,
        sections=sections,
        request_id=request_id,
        holder=customer.legal_entity.name,
        subject_name=str(opened.get("name") or ""),
        event_id=event.event_id,
    )


# --- Machine-readable copies (GDPR-20, PIPL-45, NDSR-25) -------------------------------------------------


def as_document(package: AccessPackage) -> dict[str, Any]:
    """The package as the JSON document of its schema (``clientvault.access-package/1``; an explanation of
    processing has the same shape under ``clientvault.processing-explanation/1``).

    Schema: ``{"schema", "customer_id", "generated_at" (ISO 8601, UTC), "language", "request_id" (or null),
    "holder", "audit_event_id", "sections": [{"code", "title", "columns": [{"key", "label"}], "count",
    "total", "note", "rows": [{column key: text | integer | boolean | null}]}]}``. Keys are stable English
    codes; labels and titles are in the package's language; amounts are decimal strings with their currency
    in a separate column; dates and times are ISO 8601.
    """
    return {
        "schema": package.schema,
        "customer_id": str(package.customer_id),
        "generated_at": package.generated_at.astimezone(dt.UTC).isoformat(),
        "language": package.language,
        "request_id": str(package.request_id) if package.request_id else None,
        "holder": package.holder,
        "audit_event_id": str(package.event_id) if package.event_id else None,
        "sections": [
            {
                "code": s.code,
                "title": s.title,
                "columns": [{"key": c.key, "label": c.label} for c in s.columns],
                "count": s.count,
                "total": s.total if s.total is not None else s.count,
                "note": s.note,
                "rows": [{c.key: row.get(c.key) for c in s.columns} for row in s.rows],
            }
            for s in package.sections
        ],
    }


def render_json(package: AccessPackage) -> bytes:
    """The package as UTF-8 JSON (schema ``clientvault.access-package/1``, sorted keys, stable across runs)."""
    return json.dumps(as_document(package), ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def _cell(value: Value) -> Value:
    if isinstance(value, bool):
        return "true" if value else "false"
    cell: Value = safe_cell("" if value is None else value)
    return cell


def render_csv_zip(package: AccessPackage) -> bytes:
    """One CSV per section in a ZIP: UTF-8 with BOM (Excel opens Chinese correctly), header row of column
    keys then labels, every text cell formula-safe (``core.spreadsheets.safe_cell``), plus ``package.json``
    without rows (what the files are)."""
    out = io.BytesIO()
    stamp = package.generated_at.astimezone(dt.UTC)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, s in enumerate(package.sections, start=1):
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow([c.key for c in s.columns])
            writer.writerow([_cell(c.label) for c in s.columns])
            for row in s.rows:
                writer.writerow([_cell(row.get(c.key)) for c in s.columns])
            info = zipfile.ZipInfo(f"{number:02d}_{s.code}.csv", date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, "\ufeff" + buffer.getvalue())
        index = as_document(package)
        for described in index["sections"]:
            described.pop("rows")  # the rows are in the CSV files
        info = zipfile.ZipInfo("package.json", date_time=date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True))
    return out.getvalue()


def render_pdf(package: AccessPackage) -> bytes:
    """The readable copy (A4, cover, contents, page numbers, Chinese rendered): see ``package_pdf``."""
    from clientvault.rights.package_pdf import render

    return render(package)
