"""Staff pages for consent: a customer's consents (capture at the counter, withdraw, evidence), the
coverage dashboard and the privacy notices. Views parse input and call services and selectors only."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access.models import Purpose
from clientvault.access.policies import CONSENTS, allows
from clientvault.classification.catalogue import category_labels
from clientvault.consents import preconditions, rules, selectors, services
from clientvault.consents.forms import CaptureForm, NoticeForm, WithdrawForm, lines
from clientvault.consents.models import NoticeVersion
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors

# One colour per series: consents given in cool colours, withdrawals in warm ones, each purpose its own
# (three withdrawal series in one red could not be told apart). Bootstrap's palette, readable on white.
SERIES_COLOURS = {
    "given": ("#0d6efd", "#198754", "#0dcaf0", "#6c757d"),
    "withdrawn": ("#dc3545", "#fd7e14", "#d63384", "#842029"),
}


def _ctx(request: HttpRequest) -> Context:
    return request.cv_ctx  # type: ignore[attr-defined,no-any-return]


def _require(ctx: Context, action: str) -> None:
    # A capability the role lacks answers like a missing page (UI.md: never a link that ends in "forbidden").
    if ctx.actor is None or not allows(ctx.roles, CONSENTS, action):
        raise Http404()


def _capture_from(form: CaptureForm) -> rules.Capture:
    data = form.cleaned_data
    return rules.Capture(
        purpose=data["purpose"],
        consent_type=data["consent_type"],
        categories=list(data["categories"]),
        recipients=lines(data.get("recipients") or ""),
        destination_country=(data.get("destination_country") or "").strip().upper(),
        not_preticked=bool(data.get("not_preticked")),
        not_bundled=bool(data.get("not_bundled")),
        guardian_relation=data.get("guardian_relation") or "",
        guardian_name=data.get("guardian_name") or "",
        expires_at=preconditions.parse_expiry(data.get("expires_on")),
    )


def _evidence_from(request: HttpRequest) -> services.Evidence | None:
    upload = request.FILES.get("evidence")
    if upload is None:
        return None
    limit = settings.CLIENTVAULT_CONSENT_EVIDENCE_MAX_BYTES
    data = upload.read(limit + 1)  # never more than the limit plus one byte in memory
    return services.Evidence(filename=upload.name or "scan", content_type=upload.content_type or "", data=data)


@login_required
@require_http_methods(["GET", "POST"])
def customer_consents(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    ctx = _ctx(request)
    form = CaptureForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record = services.give_consent(
                    ctx=ctx,
                    customer_id=customer_id,
                    notice_id=uuid.UUID(form.cleaned_data["notice"]),
                    capture=_capture_from(form),
                    channel=form.cleaned_data["channel"],
                    evidence=_evidence_from(request),
                )
            except (NotFound, PermissionDenied):
                raise Http404() from None
            except ValidationFailed as exc:
                apply_errors(form, exc, {"expires_at": "expires_on"})
                status = 400
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(request, _("Consent recorded (record %(seq)s).") % {"seq": record.seq})
                return HttpResponseRedirect(reverse("consents:customer", args=[customer_id]))
        else:
            status = 400
    try:
        consents = selectors.customer_consents(ctx, customer_id, with_name=True)
    except NotFound:
        raise Http404() from None
    context = {
        "consents": consents,
        "customer_id": customer_id,
        "form": form,
        "withdraw_form": WithdrawForm(),
        "can_record": preconditions.may_record(ctx, customer_id),
    }
    return render(request, "consents/customer.html", context, status=status)


@login_required
@require_POST
def withdraw(request: HttpRequest, customer_id: uuid.UUID, purpose: str) -> HttpResponse:
    ctx = _ctx(request)
    form = WithdrawForm(request.POST)
    channel = form.cleaned_data["channel"] if form.is_valid() else ""
    try:
        services.withdraw_consent(ctx=ctx, customer_id=customer_id, purpose=purpose, channel=channel)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Consent withdrawn. It stops the processing from the next request on."))
    return HttpResponseRedirect(reverse("consents:customer", args=[customer_id]))


@require_safe
@login_required
def evidence(request: HttpRequest, record_id: uuid.UUID) -> HttpResponse:
    try:
        found = selectors.consent_evidence(_ctx(request), record_id)
    except (NotFound, PermissionDenied):
        raise Http404() from None
    response = HttpResponse(found.data, content_type=found.content_type)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(found.content_type, "bin")
    # The stored file name may hold the customer's name: the download gets a neutral one.
    response["Content-Disposition"] = f'attachment; filename="consent-{record_id}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    _require(ctx, "view")
    report = selectors.coverage(ctx)
    language = get_language()
    series = []
    for kind, source, label in (("given", report.given, _("given")), ("withdrawn", report.withdrawn, _("withdrawn"))):
        palette = SERIES_COLOURS[kind]
        series += [
            {
                "name": f"{row.purpose.name(language)} · {label}",
                "kind": kind,
                "data": source[row.purpose.code],
                "color": palette[i % len(palette)],
            }
            for i, row in enumerate(report.rows)
        ]
    table = [
        [month, *[n for row in report.rows for n in (report.given[row.purpose.code][i], report.withdrawn[row.purpose.code][i])]]
        for i, month in enumerate(report.months)
    ]
    context = {"report": report, "chart": {"months": report.months, "series": series}, "table": table, "language": language}
    return render(request, "consents/dashboard.html", context)


@require_safe
@login_required
def notices(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    _require(ctx, "view")
    versions = list(NoticeVersion.objects.select_related("published_by").order_by("notice", "-version"))
    language = get_language()
    purpose_names = {p.code: p.name(language) for p in Purpose.objects.all()}
    parts = (
        ("body", _("Notice text")),
        ("necessity", _("Why this is necessary")),
        ("impact", _("How it affects you")),
        ("rights", _("Your rights")),
    )
    for v in versions:
        v.purpose_labels = [purpose_names.get(code, code) for code in v.purposes]  # type: ignore[attr-defined]
        v.category_labels = category_labels(v.categories)  # type: ignore[attr-defined]
        # The published text as the customer reads it, in the page's language (line breaks kept).
        v.text_parts = [(label, v.text(part, language)) for part, label in parts if v.text(part, language).strip()]  # type: ignore[attr-defined]
    return render(request, "consents/notices.html", {"versions": versions, "can_publish": allows(ctx.roles, CONSENTS, "change")})


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    _require(ctx, "change")
    initial: dict[str, Any] = {"retention_days": 1095}
    base = NoticeVersion.objects.filter(notice=request.GET.get("from", "")).order_by("-version").first()
    if base is not None:
        initial = NoticeForm.initial_from(base)
    form = NoticeForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["recipients"] = lines(data.get("recipients") or "")
            data["destination_countries"] = [
                c for c in (data.get("destination_countries") or "").replace("，", ",").split(",") if c.strip()
            ]
            try:
                version = services.publish_notice(ctx=ctx, notice=data.pop("notice"), data=data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = 400
            except DomainError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            else:
                messages.success(
                    request, _("Notice %(notice)s version %(version)s published.") % {"notice": version.notice, "version": version.version}
                )
                return HttpResponseRedirect(reverse("consents:notices"))
        else:
            status = 400
    return render(request, "consents/notice_form.html", {"form": form, "base": base}, status=status)
