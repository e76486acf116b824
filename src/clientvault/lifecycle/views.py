"""Lifecycle pages (issue #15): deletion certificates for the compliance desk and auditors — a list, and the
download of one as signed JSON or as the PDF given to the customer (each download audited)."""

from __future__ import annotations

import json
import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from clientvault.core.capabilities import DELETION_CERTIFICATES, VIEW, allows
from clientvault.core.errors import NotFound
from clientvault.core.http import AppRequest, ctx_of
from clientvault.lifecycle import certificates, queries, selectors


@login_required
@require_safe
def certificate_list(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    if not allows(ctx.roles, DELETION_CERTIFICATES, VIEW):
        raise Http404
    rows = list(queries.certificates_for(ctx).order_by("-issued_at")[:200])
    return render(request, "lifecycle/certificates.html", {"certificates": rows})


@login_required
@require_safe
def certificate_download(request: AppRequest, certificate_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    if not allows(ctx.roles, DELETION_CERTIFICATES, VIEW):
        raise Http404
    fmt = "pdf" if request.GET.get("format") == "pdf" else "json"
    try:
        cert = selectors.get_certificate(ctx, certificate_id, download=fmt)
    except NotFound:
        raise Http404 from None
    if fmt == "pdf":
        from clientvault.lifecycle.pdf import render_pdf

        response = HttpResponse(render_pdf(cert, request.LANGUAGE_CODE or "zh-hans"), content_type="application/pdf")
    else:
        body = json.dumps(certificates.as_file(cert), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="deletion-certificate-{cert.pk}.{fmt}"'
    return response
