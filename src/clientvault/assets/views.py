"""Staff pages of the asset ledger: the customer's Assets tab, an asset's ledger with its movement forms,
exchange rates and asset alerts. Views parse input and call selectors and services only (rule 1)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access import engine
from clientvault.assets import dispatch, presenting, reference, selectors, services
from clientvault.assets.forms import CloseAssetForm, FxRateForm, MovementForm, OpenAssetForm
from clientvault.core.capabilities import ASSET, ASSET_ALERTS, CHANGE, CREATE, FX_RATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of


def _require(ctx: Context, resource: str, action: str) -> None:
    # A capability the role lacks answers like a missing page (UI.md: never a link that ends in "forbidden").
    if ctx.actor is None or not allows(ctx.roles, resource, action):
        raise Http404()


def _require_data(ctx: Context) -> None:
    """Asset rows are customer data: a declared purpose and a policy granting the asset resource."""
    engine.require_purpose(ctx)
    if not engine.can(ctx, ASSET, VIEW):
        raise Http404()


def _result_message(request: AppRequest, result: Any, posted: str) -> None:
    """Posted now, or sent to a second person (the movement needs approval: design13 §3)."""
    if presenting.is_submitted(result):
        messages.info(request, _("Submitted for approval: posted once a second person approves."))
    else:
        messages.success(request, posted)


def _customer_context(ctx: Context, customer_id: uuid.UUID, open_form: OpenAssetForm | None) -> dict[str, Any]:
    found = selectors.holdings(ctx, customer_id)
    asset_ids = [h.pk for h in found.assets]
    return {
        "customer_id": customer_id,
        "holdings": [presenting.holding(h) for h in found.assets],
        "aum": presenting.aum(found.aum, found.balance_shown),
        "requests": presenting.requests_for(asset_ids),
        "open_form": open_form if open_form is not None and engine.can(ctx, ASSET, CREATE) else None,
    }


@require_safe
@login_required
def customer_assets(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require_data(ctx)
    try:
        context = _customer_context(ctx, customer_id, OpenAssetForm())
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "assets/customer.html", context)


@require_POST
@login_required
def open_asset(request: AppRequest, customer_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require_data(ctx)
    form = OpenAssetForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.open_asset(
                ctx=ctx,
                customer_id=customer_id,
                kind=data["kind"],
                identifier=data["identifier"],
                product=data["product"],
                currency=data["currency"],
                idempotency_key=data["idempotency_key"],
                reason=data["reason"],
            )
        except (NotFound, PermissionDenied):
            raise Http404() from None
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = exc.status
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = exc.status
        else:
            _result_message(request, result, _("Asset opened."))
            return HttpResponseRedirect(reverse("assets:customer", args=[customer_id]))
    try:
        context = _customer_context(ctx, customer_id, form)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "assets/customer.html", context, status=status)


def _detail_context(
    ctx: Context, asset_id: uuid.UUID, page: int, move_form: MovementForm | None, close_form: CloseAssetForm | None
) -> dict[str, Any]:
    found = selectors.ledger(ctx, asset_id, page=page)
    asset = found.asset
    may_change = engine.can(ctx, ASSET, CHANGE)
    purposes = presenting.purpose_names()
    if may_change:
        move_form = move_form or MovementForm(initial={"currency": asset.currency})
        close_form = close_form or CloseAssetForm()
    return {
        "asset": presenting.holding(asset),
        "entries": [presenting.entry(line, found.amounts_shown, purposes) for line in found.lines],
        "page": found.page,
        "has_next": found.has_next,
        "requests": presenting.requests_for([asset.pk]),
        "move_form": move_form if may_change else None,
        "close_form": close_form if may_change else None,
    }


def _page(request: AppRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


@require_safe
@login_required
def asset_detail(request: AppRequest, asset_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require_data(ctx)
    try:
        context = _detail_context(ctx, asset_id, _page(request), None, None)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "assets/detail.html", context)


def _post_and_answer(
    request: AppRequest, asset_id: uuid.UUID, form: MovementForm | CloseAssetForm, movement: dispatch.Movement | None
) -> HttpResponse:
    ctx = ctx_of(request)
    status = 400
    if movement is not None:
        try:
            result = dispatch.post(ctx, movement)
        except (NotFound, PermissionDenied):
            raise Http404() from None
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = exc.status
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = exc.status
        else:
            _result_message(request, result, _("Movement posted.") if movement.kind != "close" else _("Asset closed."))
            return HttpResponseRedirect(reverse("assets:detail", args=[asset_id]))
    move_form = form if isinstance(form, MovementForm) else None
    close_form = form if isinstance(form, CloseAssetForm) else None
    try:
        context = _detail_context(ctx, asset_id, 1, move_form, close_form)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    return render(request, "assets/detail.html", context, status=status)


@require_POST
@login_required
def move(request: AppRequest, asset_id: uuid.UUID) -> HttpResponse:
    _require_data(ctx_of(request))
    form = MovementForm(request.POST)
    movement = None
    if form.is_valid():
        data = form.cleaned_data
        movement = dispatch.Movement(
            kind=data["kind"],
            asset_id=asset_id,
            amount=data["amount"],
            currency=data["currency"],
            idempotency_key=data["idempotency_key"],
            reason=data["reason"],
            counter_asset_id=data.get("counter_asset"),
        )
    return _post_and_answer(request, asset_id, form, movement)


@require_POST
@login_required
def close(request: AppRequest, asset_id: uuid.UUID) -> HttpResponse:
    _require_data(ctx_of(request))
    form = CloseAssetForm(request.POST)
    movement = None
    if form.is_valid():
        data = form.cleaned_data
        movement = dispatch.Movement(
            kind="close", asset_id=asset_id, amount="", currency="", idempotency_key=data["idempotency_key"], reason=data["reason"]
        )
    return _post_and_answer(request, asset_id, form, movement)


@login_required
@require_http_methods(["GET", "POST"])
def fx_rates(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, FX_RATES, VIEW)
    may_add = allows(ctx.roles, FX_RATES, CHANGE)
    form = FxRateForm(request.POST or None) if may_add else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Http404()
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_fx_rate(
                    ctx=ctx,
                    currency=data["currency"],
                    base=settings.CLIENTVAULT_BASE_CURRENCY,
                    rate=data["rate"],
                    as_of=data["as_of"],
                    source=data["source"],
                )
            except (NotFound, PermissionDenied):
                raise Http404() from None
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = exc.status
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(request, _("Exchange rate added."))
                return HttpResponseRedirect(reverse("assets:fx_rates"))
        else:
            status = 400
    context = {"rates": reference.fx_rates(ctx), "form": form, "base": settings.CLIENTVAULT_BASE_CURRENCY}
    return render(request, "assets/fx_rates.html", context, status=status)


@require_safe
@login_required
def alerts(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, ASSET_ALERTS, VIEW)
    status = "acknowledged" if request.GET.get("status") == "acknowledged" else "open"
    context = {
        "alerts": [presenting.alert(a) for a in reference.alerts(ctx, status=status)],
        "status": status,
        "can_acknowledge": allows(ctx.roles, ASSET_ALERTS, CHANGE),
    }
    return render(request, "assets/alerts.html", context)


@require_POST
@login_required
def alert_acknowledge(request: AppRequest, alert_id: int) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, ASSET_ALERTS, CHANGE)
    try:
        services.acknowledge_alert(ctx=ctx, alert_id=alert_id)
    except NotFound:
        raise Http404() from None
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Alert acknowledged."))
    return HttpResponseRedirect(reverse("assets:alerts"))
