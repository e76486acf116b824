"""Audit trail pages: search, a customer's history ("who has seen or changed this"), evidence downloads.

Views parse input and call ``audit.selectors``, which check the capability and record the reads. Without
the capability the pages answer 404, like every capability-guarded page here (forbidden == missing).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from clientvault.access.policies import AUDIT_TRAIL, EXPORT, VIEW, allows
from clientvault.audit import evidence, registry, rules, selectors
from clientvault.audit.forms import AuditSearchForm
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, ValidationFailed


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined, no-any-return]


def _require(request: HttpRequest, action: str) -> Context:
    ctx = _ctx(request)
    if not allows(ctx.roles, AUDIT_TRAIL, action):
        raise Http404
    return ctx


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page") or "1"
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _without(query: QueryDict, *names: str) -> str:
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


def _evidence_query(form: AuditSearchForm) -> str:
    """The customer / time range of a valid search, as the evidence download's query string."""
    data = form.cleaned_data
    query = QueryDict(mutable=True)
    for name, value in (("customer", data.get("customer")), ("from", data.get("from")), ("to", data.get("to"))):
        if value:
            query[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return query.urlencode()


def _labels() -> dict[str, dict[str, str]]:
    """Role, purpose and event-type names in the user's language, for the results table."""
    from clientvault.access.models import Purpose
    from clientvault.core.roles import ROLE_LABELS

    language = get_language()
    return {
        "roles": {code: str(label) for code, label in ROLE_LABELS.items()},
        "purposes": {p.code: p.name(language) for p in Purpose.objects.all()},
        "types": {name: str(t.label) for name, t in registry.EVENT_TYPES.items()},
    }


# How an event came in, in words (the badge beside the user).
CHANNEL_LABELS = {
    "web": pgettext_lazy("channel", "Web"),
    "api": pgettext_lazy("channel", "API"),
    "cli": pgettext_lazy("channel", "Command line"),
    "task": pgettext_lazy("channel", "Background task"),
    "system": pgettext_lazy("channel", "System"),
    "portal": pgettext_lazy("channel", "Portal"),
}
# Event fields that name no model field.
EXTRA_FIELD_LABELS = {"followups": _("Follow-ups"), "custom_data": _("Custom fields"), "tags": _("Tags")}


class _FieldLabels:
    """Field codes of events (``mobile``, ``customer.mobile``, ``custom.tier``) as the user reads them: the
    field catalogue's label, else the model field's name; an unknown code is shown as it is."""

    def __init__(self) -> None:
        from clientvault.classification.models import FieldClassification

        language = get_language()
        self.catalogue = {row.key: row.label(language) for row in FieldClassification.objects.all()}
        self.models: dict[str, Any] = {}

    def _model(self, object_type: str) -> Any:
        if object_type not in self.models:
            try:
                self.models[object_type] = apps.get_model(object_type) if "." in object_type else None
            except (LookupError, ValueError):
                self.models[object_type] = None
        return self.models[object_type]

    def object_type(self, object_type: str) -> str:
        model = self._model(object_type)
        return capfirst(model._meta.verbose_name) if model is not None else object_type

    def field(self, object_type: str, name: str) -> str:
        model = self._model(object_type)
        prefix = model._meta.model_name if model is not None else ""
        for key in (name, f"{prefix}.{name}"):
            if key in self.catalogue:
                return self.catalogue[key]
        if name in EXTRA_FIELD_LABELS:
            return str(EXTRA_FIELD_LABELS[name])
        if model is not None:
            try:
                return str(capfirst(model._meta.get_field(name).verbose_name))
            except FieldDoesNotExist:
                pass
        return name


def _display(page: selectors.EventPage | None) -> list[dict[str, Any]]:
    if page is None:
        return []
    labels = _labels()
    fields = _FieldLabels()
    return [
        {
            "row": r,
            "e": r.event,
            "channel": CHANNEL_LABELS.get(r.event.channel, r.event.channel),
            "object_type": fields.object_type(r.event.object_type) if r.event.object_type else "",
            "fields": [fields.field(r.event.object_type or "", f) for f in r.event.fields or []],
            "role": labels["roles"].get(r.event.role, r.event.role),
            "purpose": labels["purposes"].get(r.event.purpose, r.event.purpose),
            "type": labels["types"].get(r.event.event_type, r.event.event_type),
            "openable": r.event.customer_id in page.openable,
        }
        for r in page.rows
    ]


@require_safe
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search the trail by customer, user, event type, purpose, outcome and dates (newest first)."""
    ctx = _require(request, VIEW)
    form = AuditSearchForm(request.GET or None)
    page = None
    evidence_query = ""
    if not form.is_bound:
        page = selectors.search_events(ctx, rules.EventFilters(), page=1, per_page=selectors.PER_PAGE)
    elif form.is_valid():
        page = selectors.search_events(ctx, form.filters(rules.actor_zone(ctx)), page=_page_number(request), per_page=selectors.PER_PAGE)
        evidence_query = _evidence_query(form)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": _display(page),
        "query": _without(request.GET, "page"),
        "evidence_query": evidence_query,
        "evidence_max": settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS,
        "can_export": allows(ctx.roles, AUDIT_TRAIL, EXPORT),
        "zone": rules.actor_zone(ctx),
        "results_url": reverse("audit:search"),
    }
    template = "audit/_results.html" if request.htmx else "audit/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_safe
@login_required
def customer_history(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """Who has seen or changed this customer: every event naming it, by id only (nothing is decrypted)."""
    ctx = _require(request, VIEW)
    page = selectors.customer_history(ctx, customer_id, _page_number(request), per_page=selectors.PER_PAGE)
    query = QueryDict(mutable=True)
    query["customer"] = str(customer_id)
    context: dict[str, Any] = {
        "customer_id": customer_id,
        "page": page,
        "rows": _display(page),
        "query": "",
        "evidence_query": query.urlencode(),
        "evidence_max": settings.CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS,
        "can_export": allows(ctx.roles, AUDIT_TRAIL, EXPORT),
        "zone": rules.actor_zone(ctx),
        "may_open_customer": customer_id in page.openable,
        "results_url": reverse("audit:customer_history", args=[customer_id]),
        "hide_customer_column": True,
    }
    template = "audit/_results.html" if request.htmx else "audit/customer_history.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _message(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed) and exc.fields:
        return " ".join(dict.fromkeys(str(m) for ms in exc.fields.values() for m in ms))
    return str(exc)


@require_safe
@login_required
def evidence_download(request: HttpRequest) -> HttpResponse:
    """The evidence pack of a customer and/or time range as CSV or JSON (``?customer=&from=&to=&format=``)."""
    ctx = _require(request, EXPORT)
    try:
        customer_id = rules.parse_customer(request.GET.get("customer", ""))
        start, end = rules.parse_range(request.GET.get("from", ""), request.GET.get("to", ""), rules.actor_zone(ctx))
        pack = selectors.evidence_pack(ctx, customer_id, start, end, export_format=request.GET.get("format") or "json")
    except DomainError as exc:
        messages.error(request, _message(exc))
        back = _without(request.GET, "format")
        return redirect(reverse("audit:search") + (f"?{back}" if back else ""))
    return evidence.response(pack)
