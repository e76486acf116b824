"""The explanation of processing rules (PIPL-48; GDPR-15(1)(a)–(h)): how and why we process one person's data.

Purposes and their legal bases (and how often each was actually used, from the audit trail), the categories
of data held (from the field catalogue, by which ciphertext columns are filled — no value is decrypted),
consents, retention per category (``lifecycle.selectors.retention_summary``, plus the retention each privacy
notice states), recipients and cross-border transfers, automated decisions (``core.automated_decisions``),
where the data came from, and the rights and how to exercise them. zh-Hans or en. Audited
``rights.processing_explained``. The result reuses the access package's sections, so the same JSON, CSV and
PDF renderers print it.
"""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext as _

from clientvault.access.models import Purpose
from clientvault.access.purposes import LegalBasis
from clientvault.assets.models import Asset
from clientvault.audit import recording as audit
from clientvault.audit.models import AuditEvent
from clientvault.classification.catalogue import Category
from clientvault.classification.models import FieldClassification
from clientvault.consents import selectors as consent_selectors
from clientvault.consents.models import ConsentRecord
from clientvault.core import automated_decisions
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.crypto import keystore
from clientvault.customers import vault
from clientvault.customers.models import Customer, FollowUp
from clientvault.intake.models import ImportedRecord
from clientvault.rights.package import AccessPackage, Section, Value, _authorise, _language, subject_view
from clientvault.rights.package_sections import columns, text

EXPLANATION_SCHEMA = "clientvault.processing-explanation/1"
# Customer columns held as plain filters (not ciphertext) that the catalogue classifies.
PLAIN_CLASSIFIED = ("id_type", "nationality", "residency")


@dataclass(frozen=True)
class Explanation(AccessPackage):
    """The explanation, as sections (printed and exported by the access package's renderers)."""

    schema: ClassVar[str] = EXPLANATION_SCHEMA
    kind: ClassVar[str] = "explanation"


def _held_fields(customer: Customer, view: Context) -> set[str]:
    """Catalogue keys of what is held about the customer, read from which columns are filled (nothing decrypted)."""
    held = {f"customer.{f}" for f in vault.ENCRYPTED_FIELDS if bytes(getattr(customer, vault.column(f)) or b"")}
    held |= {f"customer.{f}" for f in PLAIN_CLASSIFIED if getattr(customer, f)}
    if customer.tags.exists():
        held.add("customer.tags")
    if FollowUp.objects.visible_to(view).filter(customer_id=customer.pk).exists():
        held |= {"followup.summary", "followup.next_step"}
    if ConsentRecord.objects.visible_to(view).filter(customer_id=customer.pk).exists():
        held.add("consent.action")
    if Asset.objects.visible_to(view).filter(customer_id=customer.pk).exists():
        held |= {"asset.identifier", "asset.balance"}
    return held


def _purposes(customer: Customer, language: str, consent_state: dict[str, Any]) -> Section:
    used = dict(
        AuditEvent.objects.filter(customer_id=customer.pk).values_list("purpose").annotate(n=Count("id")).values_list("purpose", "n")
    )
    rows = []
    for p in Purpose.objects.filter(active=True).order_by("id"):
        state = consent_state.get(p.code)
        rows.append(
            {
                "purpose": p.code,
                "name": p.name(language),
                "legal_basis": str(LegalBasis(p.legal_basis).label) if p.legal_basis in LegalBasis.values else p.legal_basis,
                "needs_consent": p.needs_consent,
                "your_consent": str(state.state.label) if state is not None else None,
                "applies": (state is not None and state.live) if p.needs_consent else True,
                "times_used": int(used.get(p.code, 0)),
            }
        )
    return Section(
        "purposes",
        _("Why we process your data, and on which legal basis"),
        columns(
            ("purpose", _("Purpose code")),
            ("name", _("Purpose")),
            ("legal_basis", _("Legal basis")),
            ("needs_consent", _("Needs your consent")),
            ("your_consent", _("Your consent")),
            ("applies", _("Applies to you now")),
            ("times_used", _("Times your data was used for it")),
        ),
        tuple(rows),
        note=_("A purpose that needs your consent applies only while your consent is live (PIPL Art. 13, 14)."),
    )


def _categories(held: set[str], language: str) -> Section:
    by_category: dict[str, list[FieldClassification]] = {}
    for entry in FieldClassification.objects.filter(key__in=sorted(held)).order_by("key"):
        by_category.setdefault(entry.category, []).append(entry)
    rows: tuple[dict[str, Value], ...] = tuple(
        {
            "category": code,
            "label": str(Category(code).label) if code in Category.values else code,
            "fields": ", ".join(e.label(language) for e in entries),
            "highest_class": str(max(e.jrt_class for e in entries)),
            "sensitive": any(e.sensitive for e in entries),
        }
        for code, entries in sorted(by_category.items())
    )
    return Section(
        "categories",
        _("Categories of your data we hold"),
        columns(
            ("category", _("Category code")),
            ("label", _("Data category")),
            ("fields", _("Fields")),
            ("highest_class", _("Class")),
            ("sensitive", _("Sensitive")),
        ),
        rows,
    )


def _consents(states: list[Any]) -> Section:
    rows = tuple(
        {
            "purpose": s.purpose.code,
            "name": s.purpose.name(translation.get_language()),
            "state": str(s.state.label),
            "categories": ", ".join(s.category_labels) or None,
            "since": text(s.consent.changed_at) if s.consent else None,
            "expires_at": text(s.consent.expires_at) if s.consent else None,
        }
        for s in states
    )
    return Section(
        "consents",
        _("Your consents"),
        columns(
            ("purpose", _("Purpose code")),
            ("name", _("Purpose")),
            ("state", _("State")),
            ("categories", _("Data categories")),
            ("since", _("Since")),
            ("expires_at", _("Expires")),
        ),
        rows,
        note=_("You may withdraw a consent at any time, on the channel where you gave it or in the portal (PIPL Art. 15)."),
    )


def _retention_lines(customer_id: uuid.UUID) -> list[Any] | None:
    """The lifecycle app's retention lines for the customer (``lifecycle.selectors.retention_summary``), or None
    while that app provides none (then the privacy notices' periods are what the person is told)."""
    try:
        lifecycle_selectors = importlib.import_module("clientvault.lifecycle.selectors")
    except ImportError:
        return None
    summary = getattr(lifecycle_selectors, "retention_summary", None)
    return None if summary is None else list(summary(customer_id))


def _first(line: Any, *names: str) -> Any:
    return next((getattr(line, n) for n in names if getattr(line, n, "")), "")


def _retention(customer: Customer, view: Context) -> Section:
    rows: list[dict[str, Any]] = []
    lines = _retention_lines(customer.pk)
    note = "" if lines is not None else _("The retention rules are not available; the periods stated in the privacy notices apply.")
    for line in lines or []:
        months = getattr(line, "period_months", None)
        rows.append(
            {
                "category": text(_first(line, "category_label", "category")),
                "purpose": text(getattr(line, "purpose", "")),
                "period": _("%(months)s months") % {"months": months} if months is not None else text(getattr(line, "period", "")),
                "starts": text(_first(line, "start_event_label", "start_event")),
                "then": text(_first(line, "end_action_label", "end_action")),
                "hold": text(getattr(line, "hold", "")),
                "source": text(getattr(line, "citation", "")) or _("Retention rule"),
            }
        )
    notices = (
        ConsentRecord.objects.visible_to(view)
        .filter(customer_id=customer.pk)
        .values_list("notice__notice", "notice__version", "notice__retention_days")
        .distinct()
        .order_by("notice__notice", "notice__version")
    )
    for notice, version, days in notices:
        rows.append(
            {
                "category": None,
                "purpose": None,
                "period": _("%(days)s days") % {"days": days},
                "starts": None,
                "then": None,
                "hold": None,
                "source": _("Privacy notice %(notice)s, version %(version)s") % {"notice": notice, "version": version},
            }
        )
    return Section(
        "retention",
        _("How long we keep your data"),
        columns(
            ("category", _("Data category")),
            ("purpose", _("Purpose")),
            ("period", _("Period")),
            ("starts", _("Counted from")),
            ("then", _("Then")),
            ("hold", _("Legal hold")),
            ("source", _("Source")),
        ),
        tuple(rows),
        note=note
        or _("A legal duty to keep records (such as anti-money-laundering record keeping) can hold data longer; it is then restricted."),
    )


def _recipients(states: list[Any]) -> Section:
    rows = []
    for s in states:
        if not s.live or s.consent is None:
            continue
        record = s.consent.record
        for recipient in record.recipients or []:
            rows.append({"purpose": s.purpose.code, "recipient": str(recipient), "country": text(record.destination_country)})
        if record.destination_country and not record.recipients:
            rows.append({"purpose": s.purpose.code, "recipient": None, "country": record.destination_country})
    return Section(
        "recipients",
        _("Who receives your data, and transfers abroad"),
        columns(("purpose", _("Purpose code")), ("recipient", _("Recipient")), ("country", _("Destination country"))),
        tuple(rows),
        note="" if rows else _("No recipient and no transfer abroad is recorded for your data."),
    )


def _automated(customer: Customer, language: str) -> Section:
    found = automated_decisions.applying_to(customer.pk, language)
    rows = tuple({"code": d.code, "name": d.name, "logic": d.logic, "effect": d.effect, "human_review": d.human_review} for d in found)
    return Section(
        "automated_decisions",
        _("Automated decisions"),
        columns(
            ("code", _("Code")),
            ("name", _("Decision")),
            ("logic", _("Logic involved")),
            ("effect", _("Effect on you")),
            ("human_review", _("Asking a person to review it")),
        ),
        rows,
        note="" if rows else _("No decision about you is made by automated means alone (PIPL Art. 24, GDPR Art. 22)."),
    )


def _sources(customer: Customer) -> Section:
    rows: list[dict[str, Any]] = [
        {"source": customer.get_source_display() if customer.source else _("Entered by our staff"), "detail": None}
    ]
    for r in ImportedRecord.objects.filter(customer_id=customer.pk).select_related("batch"):
        rows.append({"source": _("Imported"), "detail": f"{r.batch.source_system} ({r.batch.get_lawful_basis_display()})"})
    return Section("sources", _("Where your data came from"), columns(("source", _("Source")), ("detail", _("Detail"))), tuple(rows))


RIGHTS = (
    ("access", "PIPL Art. 45, GDPR Art. 15"),
    ("portability", "PIPL Art. 45, GDPR Art. 20"),
    ("correction", "PIPL Art. 46, GDPR Art. 16"),
    ("deletion", "PIPL Art. 47, GDPR Art. 17"),
    ("restriction", "PIPL Art. 44, GDPR Art. 18, 21"),
    ("explanation", "PIPL Art. 48, GDPR Art. 15"),
    ("withdrawal", "PIPL Art. 15, GDPR Art. 7"),
    ("relatives", "PIPL Art. 49"),
)


def _right_names() -> dict[str, str]:
    return {
        "access": _("See and copy your data"),
        "portability": _("Receive your data in a machine-readable form, or have it sent to another institution"),
        "correction": _("Have wrong or incomplete data corrected"),
        "deletion": _("Have your data deleted"),
        "restriction": _("Restrict or object to processing"),
        "explanation": _("Have the processing explained (this document)"),
        "withdrawal": _("Withdraw a consent"),
        "relatives": _("Close relatives of a deceased person may exercise these rights for their own lawful interests"),
    }


def _rights() -> Section:
    how = _(
        "In the customer portal (My requests), at any of our counters, by phone or by letter. We verify your identity "
        "and answer within the time our privacy notice states; if we cannot do what you ask, we tell you why and how to complain."
    )
    names = _right_names()
    rows = tuple({"right": code, "name": names[code], "law": law, "how": how} for code, law in RIGHTS)
    return Section(
        "rights",
        _("Your rights and how to use them"),
        columns(("right", _("Right code")), ("name", _("Right")), ("law", _("Law")), ("how", _("How"))),
        rows,
    )


@transaction.atomic
def explain_processing(ctx: Context, customer_id: uuid.UUID, language: str) -> Explanation:
    """Explain how and why we process the customer's data (PIPL-48); record ``rights.processing_explained``."""
    _authorise(ctx, customer_id)
    lang = _language(language)
    view = subject_view(ctx, customer_id)
    customer = vault.with_key_state(Customer.objects.visible_to(view).select_related("legal_entity")).filter(pk=customer_id).first()
    if customer is None or getattr(customer, vault.KEY_DOOMED, False) or not keystore.key_exists(customer.pk):
        raise NotFound()  # erased: there is nothing left to process
    with translation.override(lang):
        states = consent_selectors.states_of(customer)
        consent_state = {s.purpose.code: s for s in states}
        sections = [
            _purposes(customer, lang, consent_state),
            _categories(_held_fields(customer, view), lang),
            _consents(states),
            _retention(customer, view),
            _recipients(states),
            _automated(customer, lang),
            _sources(customer),
            _rights(),
        ]
    detail: dict[str, Any] = {"sections": [s.code for s in sections], "language": lang}
    detail.update({f"n_{s.code}": s.count for s in sections})
    event = audit.record(ctx, "rights.processing_explained", obj=customer, customer_id=customer.pk, detail=detail)
    return Explanation(
        customer_id=customer.pk,
        generated_at=event.occurred_at,
        language=lang,
        sections=sections,
        holder=customer.legal_entity.name,
        event_id=event.event_id,
    )
