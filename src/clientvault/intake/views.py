"""The import wizard and its pages (issue #14): upload → mapping → dry run → run with live progress → result.

Views parse input and call the engine's services and selectors only (rule 1). A capability the role lacks,
and a batch outside the user's scope, answer like a missing page (UI.md: never a link that ends in "forbidden").
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, BinaryIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clientvault.access import engine
from clientvault.access.policies import CREATE as CREATE_DATA
from clientvault.access.policies import CUSTOMER
from clientvault.core.capabilities import CREATE, IMPORTS, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.forms import apply_errors
from clientvault.core.http import AppRequest, ctx_of
from clientvault.intake import presenting, previews, selectors, services
from clientvault.intake.forms import MappingForm, UndoForm, UploadForm
from clientvault.intake.models import ImportBatch, ImportedRecord, MappingTemplate

PREVIEW_ROWS = 20  # the dry run's first rows shown with their outcome


def _require(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, IMPORTS, action):
        raise Http404()


def _require_importer(ctx: Context) -> None:
    """Importing creates customers: the IMPORTS capability, a declared purpose (rule 3) under which the role may
    create customers (else the page would end in a refusal: UI.md, no link that ends in "forbidden")."""
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    if not engine.can(ctx, CUSTOMER, CREATE_DATA):
        raise Http404()


def _batch(ctx: Context, batch_id: uuid.UUID) -> ImportBatch:
    try:
        return selectors.batch_for(ctx, batch_id)
    except (NotFound, PermissionDenied):
        raise Http404() from None


def _readable(request: AppRequest, batch_id: uuid.UUID) -> tuple[Context, ImportBatch]:
    """The caller's context and a batch they may read (IMPORTS view; outside their scope: 404)."""
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return ctx, _batch(ctx, batch_id)


def _own_batch(ctx: Context, batch_id: uuid.UUID) -> ImportBatch:
    """A batch its operator works on (mapping, dry run, start): others who see it read its page only."""
    batch = _batch(ctx, batch_id)
    if not presenting.is_operator(ctx, batch):
        raise Http404()
    return batch


def _file_of(upload: UploadedFile) -> BinaryIO | Path:
    # Django's upload handlers stream a large file to a temporary file on disk; the engine reads it from there.
    if isinstance(upload, TemporaryUploadedFile):
        return Path(upload.temporary_file_path())
    return upload.file  # type: ignore[return-value]


@require_safe
@login_required
def batches(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    page = Paginator(selectors.batches_for(ctx).select_related("operator"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/batches.html",
        {"page": page, "batches": [presenting.batch_row(b) for b in page], "can_import": allows(ctx.roles, IMPORTS, CREATE)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def upload(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require_importer(ctx)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            provenance = services.Provenance(
                source_system=data["source_system"],
                lawful_basis=data["lawful_basis"],
                consent_evidence_ref=data["consent_evidence_ref"],
                on_match=data["on_match"],
                sheet=data["sheet"],
            )
            upload_file: UploadedFile = data["file"]
            try:
                batch = services.stage(ctx, file=_file_of(upload_file), filename=upload_file.name or "", provenance=provenance)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except PermissionDenied:
                raise Http404() from None
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("File uploaded. Check how its columns map to customer fields."))
                target = reverse("intake:mapping", args=[batch.pk])
                if data["template"]:
                    target += f"?template={data['template']}"
                return HttpResponseRedirect(target)
    return render(request, "intake/upload.html", {"form": form, "step": 1, "wizard_steps": presenting.WIZARD_STEPS}, status=status)


def _template_choice(raw: str) -> MappingTemplate | None:
    try:
        return MappingTemplate.objects.get(pk=uuid.UUID(raw)) if raw else None
    except (ValueError, MappingTemplate.DoesNotExist):
        return None


def _mapping_context(ctx: Context, batch: ImportBatch, form: MappingForm) -> dict[str, Any]:
    shown = previews.sample_cells(ctx, batch, form.proposed)
    return {
        "batch": batch,
        "form": form,
        "rows": [(column, field, shown.get(column, ())) for column, field in form.column_fields()],
        "sample_count": previews.SAMPLE_ROWS,
        "step": 2,
        "wizard_steps": presenting.WIZARD_STEPS,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def mapping(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require_importer(ctx)
    batch = _own_batch(ctx, batch_id)
    if not presenting.editable(batch):
        return HttpResponseRedirect(reverse("intake:detail", args=[batch.pk]))
    template = _template_choice(request.GET.get("template", ""))
    initial = presenting.initial_mapping(batch, template, services.guess_mapping)
    form = MappingForm(request.POST or None, columns=batch.headers, choices=presenting.field_choices(), initial_mapping=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                chosen = form.mapping()
                # A template chosen at upload and kept as it is: the batch records that template's version.
                kept = template if template is not None and presenting.same_mapping(template, batch, chosen) else None
                saved = services.set_mapping(ctx, batch, chosen, save_as=form.cleaned_data["save_as"] or None, template=kept)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except PermissionDenied:
                raise Http404() from None
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                if saved is not None:
                    messages.success(
                        request,
                        _("Mapping saved as template %(name)s, version %(version)s.") % {"name": saved.name, "version": saved.version},
                    )
                return HttpResponseRedirect(reverse("intake:dry_run", args=[batch.pk]))
    return render(request, "intake/mapping.html", _mapping_context(ctx, batch, form), status=status)


@require_safe
@login_required
def dry_run(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require_importer(ctx)
    batch = _own_batch(ctx, batch_id)
    if not presenting.editable(batch) or not batch.mapping:
        return HttpResponseRedirect(reverse("intake:detail" if not presenting.editable(batch) else "intake:mapping", args=[batch.pk]))
    limit = presenting.dry_run_limit()
    try:
        report = services.dry_run(ctx, batch, limit=limit)
    except PermissionDenied:
        raise Http404() from None
    except DomainError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("intake:mapping", args=[batch.pk]))
    labels = dict(presenting.field_choices())
    return render(
        request,
        "intake/dry_run.html",
        {
            "batch": batch,
            "counts": presenting.outcome_counts(report.counts),
            "rows": [presenting.row_result(r, labels) for r in report.rows[:PREVIEW_ROWS]],
            "checked": len(report.rows),
            "limit": limit,
            "step": 3,
            "wizard_steps": presenting.WIZARD_STEPS,
        },
    )


@require_POST
@login_required
def start(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require_importer(ctx)
    batch = _own_batch(ctx, batch_id)
    try:
        services.start(ctx, batch)
    except PermissionDenied:
        raise Http404() from None
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The import is running. You may leave this page: it goes on in the background."))
    return HttpResponseRedirect(reverse("intake:detail", args=[batch.pk]))


def _records(batch: ImportBatch, page_number: str | None) -> Any:
    # Links to the imported customers by row: ids only, no personal value (the customer page decides what shows).
    rows = ImportedRecord.objects.filter(batch=batch).order_by("row_number").values("customer_id", "sheet", "row_number")
    return Paginator(rows, 50).get_page(page_number)


@require_safe
@login_required
def detail(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    ctx, batch = _readable(request, batch_id)
    may_import = allows(ctx.roles, IMPORTS, CREATE)
    operator = presenting.is_operator(ctx, batch)
    return render(
        request,
        "intake/detail.html",
        {
            "batch": batch,
            "view": presenting.batch_view(batch),
            "progress": selectors.progress(ctx, batch),
            "records": _records(batch, request.GET.get("page")) if batch.state in presenting.FINISHED else None,
            "may_import": operator,
            "undo_form": UndoForm() if may_import and presenting.undoable(batch) else None,
            "step": presenting.step_of(batch),
            "wizard_steps": presenting.WIZARD_STEPS,
        },
    )


@require_safe
@login_required
def progress(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    """The live progress fragment the detail page polls every second while the import runs."""
    ctx, batch = _readable(request, batch_id)
    # Rendered without the page's context processors (navigation, bell): polled every second, it reads the batch only.
    response = HttpResponse(render_to_string("intake/_progress.html", {"batch": batch, "progress": selectors.progress(ctx, batch)}))
    if request.htmx and batch.state not in presenting.RUNNING:
        response["HX-Refresh"] = "true"  # finished: reload once to show the result (no more polling)
    return response


@require_safe
@login_required
def rejected(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    """The rejected rows as CSV (row, column, reason in the user's language): reasons only, never values."""
    ctx, batch = _readable(request, batch_id)
    language = "en" if (get_language() or "").startswith("en") else "zh-hans"
    try:
        body = services.rejected_report(ctx, batch, language=language)
    except PermissionDenied:
        raise Http404() from None
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-{batch.pk}.csv"'
    return response


@require_POST
@login_required
def undo(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    batch = _batch(ctx, batch_id)
    form = UndoForm(request.POST)
    if form.is_valid():
        try:
            change = services.request_undo(ctx, batch, reason=form.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404() from None
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.info(request, _("Undo requested: the import is undone once a compliance officer approves."))
            return HttpResponseRedirect(reverse("approvals:detail", args=[change.pk]))
    else:
        messages.error(request, _("Give a reason for undoing the import."))
    return HttpResponseRedirect(reverse("intake:detail", args=[batch.pk]))


@require_safe
@login_required
def templates(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return render(request, "intake/templates.html", {"templates": presenting.template_rows()})


@require_safe
@login_required
def template_detail(request: AppRequest, template_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    try:
        template = MappingTemplate.objects.select_related("created_by").get(pk=template_id)
    except MappingTemplate.DoesNotExist:
        raise Http404() from None
    versions = MappingTemplate.objects.filter(name=template.name).select_related("created_by").order_by("-version")
    return render(
        request,
        "intake/template.html",
        {"template": template, "versions": versions, "fields": presenting.mapping_rows(template.mapping)},
    )
