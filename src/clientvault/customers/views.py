"""Customer pages. Views parse input and call selectors and services; nothing else."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access import engine
from clientvault.access.policies import (
    CHANGE,
    CREATE,
    CUSTOMER,
    DATA_RESOURCES,
    DELETE,
    EXPORT,
    FOLLOWUP,
    MANAGE_CUSTOM_FIELDS,
    VIEW,
    Scope,
    allows,
)
from clientvault.accounts.models import User
from clientvault.core import clock, countries
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.customers import changes, exports, extensions, followups, matching, profiles, protection, rules, selectors
from clientvault.customers import custom_fields as custom_field_services
from clientvault.customers.choices import FieldType, Kind, MatchReason
from clientvault.customers.forms import CustomerFilterForm, CustomerForm, CustomFieldForm, FollowUpForm
from clientvault.customers.models import Customer, CustomFieldDefinition


def _require(request: AppRequest, resource: str, action: str) -> None:
    """Customer data needs a declared purpose (the middleware turns PurposeRequired into the picker)."""
    ctx = ctx_of(request)
    if resource in DATA_RESOURCES:
        engine.require_purpose(ctx)
        if not engine.can(ctx, resource, action):
            raise Http404
    elif not allows(ctx.roles, resource, action):
        raise Http404


def _filters(form: CustomerFilterForm) -> selectors.CustomerFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.CustomerFilters(
        q=data.get("q") or "",
        status=data.get("status") or "",
        kind=data.get("kind") or "",
        tag=data.get("tag") or "",
        sort=data.get("sort") or "-created",
        review=data.get("review") or "",
        due=data.get("due") or "",
    )


@require_safe
@login_required
def customer_list(request: AppRequest) -> HttpResponse:
    _require(request, CUSTOMER, VIEW)
    form = CustomerFilterForm(request.GET or None)
    filters = _filters(form)
    page_number = form.cleaned_data.get("page") or 1 if form.is_valid() else 1
    page = selectors.list_customers(ctx_of(request), filters, page=page_number, per_page=25)
    query = request.GET.copy()
    query.pop("page", None)
    can_export = engine.can(ctx_of(request), CUSTOMER, EXPORT)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_create": engine.can(ctx_of(request), CUSTOMER, CREATE),
        "can_export": can_export,
        # The export button says how many rows would leave: the same filters, counted in the export's scope.
        "export_count": selectors.filtered_customers(ctx_of(request), filters, EXPORT).count() if can_export else 0,
    }
    template = "customers/_table.html" if request.htmx else "customers/list.html"
    return render(request, template, context)


@require_safe
@login_required
def customer_export(request: AppRequest) -> HttpResponse:
    """The filtered list as CSV, for a purpose whose policy grants export (UI.md: the button says how many
    rows leave and under which purpose)."""
    _require(request, CUSTOMER, EXPORT)
    ctx = ctx_of(request)
    form = CustomerFilterForm(request.GET or None)
    try:
        items = selectors.export_customers(ctx, _filters(form))
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect(reverse("customers:list") + ("?" + request.GET.urlencode() if request.GET else ""))
    response = HttpResponse(exports.as_csv(items), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{ctx.purpose}-{clock.today():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _owner_choices(ctx: Context) -> list[tuple[int, str]] | None:
    """Managers may assign customers to reps of their subtree; others own what they create."""
    if engine.scope(ctx, CUSTOMER, CHANGE) < Scope.SUBTREE or ctx.actor is None or ctx.actor.department is None:
        return None
    users = (
        User.objects.filter(
            is_active=True, roles__code__in=[R.SALES_REP, R.SALES_MANAGER], department__path__startswith=ctx.actor.department.path
        )
        .distinct()
        .order_by("username")
    )
    return [(u.pk, str(u)) for u in users]


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: AppRequest) -> HttpResponse:
    _require(request, CUSTOMER, CREATE)
    ctx = ctx_of(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or Kind.INDIVIDUAL
    if kind not in Kind.values:
        kind = Kind.INDIVIDUAL
    form = CustomerForm(request.POST or None, kind=kind, owners=_owner_choices(ctx))
    shown: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        try:
            customer = profiles.create_customer(
                ctx=ctx,
                kind=kind,
                data=form.standard_data(),
                custom=form.custom_data(),
                tags=form.tag_names() or [],
                owner_id=form.cleaned_data.get("owner_id"),
                accept_uscc_checksum_failure=bool(form.cleaned_data.get("accept_uscc_checksum_failure")),
                confirm_duplicates=bool(form.cleaned_data.get("confirm_duplicates")),
            )
        except matching.DuplicateFound as exc:
            shown = _duplicates(ctx, form, exc)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The customer was created."))
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "kind": kind, "creating": True, **shown})


def _duplicates(ctx: Context, form: CustomerForm, exc: matching.DuplicateFound) -> dict[str, Any]:
    """The 疑似重复客户 panel (issue #14): field errors for a blocking match, the matches the user may see."""
    apply_errors(form, exc)
    if not exc.fields:
        form.add_error(None, str(exc))
    shown = selectors.duplicate_matches(ctx, exc.report)
    labels = dict(MatchReason.choices)
    for item in shown.items:
        item.reason_labels = "、".join(str(labels.get(r, r)) for r in item.match.reasons)  # type: ignore[attr-defined]
    return {"duplicates": shown, "duplicate_report": exc.report}


def _get_or_404(ctx: Context, customer_id: uuid.UUID, *, with_followups: bool = True) -> Customer:
    try:
        return selectors.get_customer(ctx, customer_id, with_followups=with_followups)
    except NotFound:
        raise Http404 from None


@require_safe
@login_required
def customer_detail(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    customer = _get_or_404(ctx, customer_id)
    return render(request, "customers/detail.html", _detail_context(ctx, customer, FollowUpForm()))


def _detail_context(ctx: Context, customer: Customer, followup_form: FollowUpForm) -> dict[str, Any]:
    definitions = CustomFieldDefinition.objects.filter(key__in=list(customer.custom_data))
    views = getattr(customer, "field_views", {})
    return {
        "customer": customer,
        "meta": selectors.customer_meta(ctx, customer.pk),
        **extensions.detail_context(customer),  # consents adds "consent_badges"
        "followups": getattr(customer, "visible_followups", []),
        "followup_form": followup_form,
        "custom_values": [
            (d.label(get_language()), f"custom.{d.key}", _custom_shown(d, customer.custom_data.get(d.key)), views.get(f"custom.{d.key}"))
            for d in definitions
        ],
        "nationality_name": countries.name(getattr(customer, "nationality", "") or ""),
        "open_requests": changes.open_requests(customer.pk),
    }


def _custom_shown(definition: CustomFieldDefinition, value: Any) -> Any:
    """A choice field shows its label in the user's language, not its stored code."""
    if definition.field_type == FieldType.CHOICE and value not in (None, ""):
        english = (get_language() or "").startswith("en")
        for choice in definition.choices:
            if choice.get("value") == value:
                return choice.get("label_en" if english else "label_zh") or value
    return value


def _posted_version(request: AppRequest) -> int | None:
    """The version the form was rendered with; a tampered value conflicts instead of crashing."""
    raw = request.POST.get("version") or ""
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    try:
        meta = selectors.customer_meta(ctx, customer_id)
    except NotFound:
        raise Http404 from None
    if not meta.can_change:
        raise Http404
    customer = None
    initial: dict[str, Any] = {"owner_id": meta.owner_id}
    if request.method == "GET":
        customer = _get_or_404(ctx, customer_id, with_followups=False)
        locked = set(meta.locked_fields)
        initial.update({f: getattr(customer, f, None) for f in rules.EDITABLE_FIELDS if f not in locked})
        initial.update({f"custom__{k}": v for k, v in customer.custom_data.items() if f"custom.{k}" not in locked})
        if "tags" not in locked:
            initial["tags"] = ", ".join(customer.shown_tags or ())
    form = CustomerForm(request.POST or None, initial=initial, kind=meta.kind, owners=_owner_choices(ctx), locked=meta.locked_fields)
    shown: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        try:
            updated = profiles.update_customer(
                ctx=ctx,
                customer_id=customer_id,
                changes=form.standard_data(),
                custom=form.custom_data(),
                tags=form.tag_names(),
                owner_id=form.cleaned_data.get("owner_id"),
                expected_version=_posted_version(request),
                accept_uscc_checksum_failure=bool(form.cleaned_data.get("accept_uscc_checksum_failure")),
                confirm_duplicates=bool(form.cleaned_data.get("confirm_duplicates")),
            )
        except matching.DuplicateFound as exc:
            shown = _duplicates(ctx, form, exc)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except (Conflict, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        except NotFound:
            raise Http404 from None
        else:
            _say_saved(request, updated.change_requests)
            return redirect("customers:detail", customer_id=customer_id)
    version = request.POST.get("version") if request.method == "POST" else meta.version
    context = {"form": form, "kind": meta.kind, "creating": False, "customer": customer, "meta": meta, "version": version, **shown}
    return render(request, "customers/form.html", context)


@login_required
@require_POST
def customer_reveal(request: AppRequest, customer_id: uuid.UUID, field: str) -> HttpResponse:
    """查看明文: an explicit, confirmed, audited reveal of one masked value (HTMX fragment)."""
    ctx = ctx_of(request)
    _require(request, CUSTOMER, VIEW)
    try:
        revealed = selectors.reveal_field(ctx, customer_id, field)
    except (NotFound, PermissionDenied):
        raise Http404 from None  # not revealable answers like missing, as every page here does
    context = {"field": field, "value": revealed.value, "masked": revealed.masked, "seconds": settings.CLIENTVAULT_REVEAL_SECONDS}
    return render(request, "customers/_revealed.html", context)


@login_required
@require_POST
def customer_clear_core(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    """Compliance lowers a core customer's protection (issue #11); refused answers like missing."""
    try:
        change_request = protection.clear_core(ctx=ctx_of(request), customer_id=customer_id)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("customers:detail", customer_id=customer_id)
    _say_saved(request, [change_request])
    return redirect("customers:detail", customer_id=customer_id)


def _say_saved(request: AppRequest, change_requests: list[Any]) -> None:
    """Saved, or submitted for approval (issue #13) with a link to each request."""
    if not change_requests:
        messages.success(request, _("The changes were saved."))
        return
    links = format_html_join(" ", '<a href="{}">{}</a>', ((changes.request_link(r), r.summary) for r in change_requests))
    text = _("Submitted for approval: the change takes effect once it is approved.")
    messages.info(request, format_html("{} {}", text, links))


@login_required
@require_POST
def customer_delete(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    _require(request, CUSTOMER, DELETE)
    try:
        profiles.delete_customer(ctx=ctx_of(request), customer_id=customer_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("customers:detail", customer_id=customer_id)
    messages.success(request, _("The prospect was deleted."))
    return redirect("customers:list")


@login_required
@require_POST
def followup_create(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    _require(request, FOLLOWUP, CREATE)
    ctx = ctx_of(request)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            followups.create_followup(ctx=ctx, customer_id=customer_id, data=form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The follow-up was recorded."))
            if request.htmx:
                customer = _get_or_404(ctx, customer_id)
                return render(request, "customers/_followups.html", _detail_context(ctx, customer, FollowUpForm()))
            return redirect("customers:detail", customer_id=customer_id)
    customer = _get_or_404(ctx, customer_id)
    template = "customers/_followups.html" if request.htmx else "customers/detail.html"
    return render(request, template, _detail_context(ctx, customer, form), status=422)


@login_required
@require_POST
def followup_delete(request: AppRequest, customer_id: uuid.UUID, followup_id: uuid.UUID) -> HttpResponse:
    _require(request, FOLLOWUP, DELETE)
    try:
        followups.delete_followup(ctx=ctx_of(request), followup_id=followup_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The follow-up was deleted."))
    return redirect("customers:detail", customer_id=customer_id)


@require_safe
@login_required
def custom_fields(request: AppRequest) -> HttpResponse:
    _require(request, MANAGE_CUSTOM_FIELDS, VIEW)
    can_edit = allows(ctx_of(request).roles, MANAGE_CUSTOM_FIELDS, CHANGE)
    return render(request, "customers/custom_fields.html", {"definitions": CustomFieldDefinition.objects.all(), "can_edit": can_edit})


@login_required
@require_http_methods(["GET", "POST"])
def custom_field_edit(request: AppRequest, key: str | None = None) -> HttpResponse:
    ctx = ctx_of(request)
    definition = None
    if key is not None:
        _require(request, MANAGE_CUSTOM_FIELDS, CHANGE)
        definition = CustomFieldDefinition.objects.filter(key=key).first()
        if definition is None:
            raise Http404
    else:
        _require(request, MANAGE_CUSTOM_FIELDS, CREATE)
    initial: dict[str, Any] = {}
    if definition is not None:
        initial = {
            f: getattr(definition, f) for f in ("key", "field_type", "label_zh", "label_en", "applies_to", "required", "active", "position")
        }
        initial["choices_text"] = "\n".join(f"{c['value']} | {c['label_zh']} | {c['label_en']}" for c in definition.choices)
    form = CustomFieldForm(request.POST or None, initial=initial, editing=definition is not None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "choices": form.parsed_choices(), "classification": form.classification()}
        try:
            if definition is None:
                custom_field_services.define_custom_field(ctx=ctx, key=data["key"], field_type=data["field_type"], data=data)
            else:
                custom_field_services.update_custom_field(ctx=ctx, key=definition.key, data=data)
        except ValidationFailed as exc:
            apply_errors(form, exc, prefix_map={"choices": "choices_text"})
        else:
            messages.success(request, _("The custom field was saved."))
            return redirect("customers:custom_fields")
    return render(request, "customers/custom_field_form.html", {"form": form, "definition": definition})
