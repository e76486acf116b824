"""The import over JSON (issue #14): upload (multipart), mapping, dry run, start, progress, rejected-rows
report, batches, undo request. The same services as the wizard; answers hold metadata, counts and reason
codes — never a cell value. A batch outside the caller's scope answers 404, like a missing one."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO

from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile as NinjaUploadedFile

from clientvault.access import engine
from clientvault.core.capabilities import CREATE, IMPORTS, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied, ValidationFailed
from clientvault.core.http import AppRequest, ctx_of
from clientvault.intake import presenting, selectors, services
from clientvault.intake.models import ImportBatch
from clientvault.intake.schemas import (
    ImportBatchOut,
    ImportDryRunOut,
    ImportFieldOut,
    ImportMappingIn,
    ImportMappingOut,
    ImportProgressOut,
    ImportReasonOut,
    ImportRowOut,
    ImportUndoIn,
    ImportUndoOut,
    ImportUploadIn,
)

router = Router(tags=["imports"])


def _require(ctx: Context, action: str) -> None:
    if ctx.actor is None or not allows(ctx.roles, IMPORTS, action):
        raise PermissionDenied()


def _batch(ctx: Context, batch_id: uuid.UUID) -> ImportBatch:
    try:
        return selectors.batch_for(ctx, batch_id)
    except PermissionDenied:
        raise NotFound() from None


def _out(b: ImportBatch) -> ImportBatchOut:
    return ImportBatchOut(
        id=b.pk,
        state=b.state,  # type: ignore[arg-type]
        source_system=b.source_system,
        lawful_basis=b.lawful_basis,  # type: ignore[arg-type]
        consent_evidence_ref=b.consent_evidence_ref,
        operator=presenting.batch_view(b)["operator"],
        channel=b.channel,  # type: ignore[arg-type]
        on_match=b.on_match,  # type: ignore[arg-type]
        created_at=b.created_at,
        started_at=b.started_at,
        finished_at=b.finished_at,
        file_name=b.file_name,
        sha256=b.sha256,
        size=b.size,
        format=b.format,  # type: ignore[arg-type]
        encoding=b.encoding,
        sheet=b.sheet,
        sheets=list(b.sheets or []),
        columns=list(b.headers or []),
        mapping=dict(b.mapping or {}),
        template_id=b.template_id,
        template_version=b.template_version,
        rows_total=b.rows_total,
        created=b.created,
        updated=b.updated,
        duplicates=b.duplicates,
        rejected=b.rejected,
    )


def _file_of(upload: UploadedFile) -> BinaryIO | Path:
    if isinstance(upload, TemporaryUploadedFile):  # streamed to disk by Django's upload handlers
        return Path(upload.temporary_file_path())
    return upload.file  # type: ignore[return-value]


@router.get("/imports", response=list[ImportBatchOut], summary="Import batches the caller may see")
def list_batches(request: AppRequest) -> list[ImportBatchOut]:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return [_out(b) for b in selectors.batches_for(ctx).select_related("operator")[:200]]


@router.post("/imports", response={201: ImportBatchOut}, summary="Upload a file to import (multipart: file + provenance)")
def upload(request: AppRequest, file: File[NinjaUploadedFile], data: Form[ImportUploadIn]) -> Status[ImportBatchOut]:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    if data.lawful_basis == "consent" and not data.consent_evidence_ref.strip():
        raise ValidationFailed({"consent_evidence_ref": [_("Name where the consents are kept: the basis is consent.")]})
    provenance = services.Provenance(
        source_system=data.source_system,
        lawful_basis=data.lawful_basis,
        consent_evidence_ref=data.consent_evidence_ref,
        on_match=data.on_match,
        sheet=data.sheet,
    )
    batch = services.stage(ctx, file=_file_of(file), filename=file.name or "", provenance=provenance)
    return Status(201, _out(batch))


@router.get("/imports/{batch_id}", response=ImportBatchOut, summary="An import batch with its provenance and counts")
def get_batch(request: AppRequest, batch_id: uuid.UUID) -> ImportBatchOut:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return _out(_batch(ctx, batch_id))


@router.get("/imports/{batch_id}/mapping", response=ImportMappingOut, summary="The batch's mapping (or the guess) and the fields")
def get_mapping(request: AppRequest, batch_id: uuid.UUID) -> ImportMappingOut:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    batch = _batch(ctx, batch_id)
    if not presenting.is_operator(ctx, batch):
        raise PermissionDenied()  # only its operator maps a batch (intake.services); others read its metadata
    current = presenting.initial_mapping(batch, None, services.guess_mapping)
    return ImportMappingOut(mapping=current, fields=[ImportFieldOut(code=c, label=label) for c, label in presenting.field_choices()])


@router.put("/imports/{batch_id}/mapping", response=ImportBatchOut, summary="Set the column mapping (optionally save a template)")
def set_mapping(request: AppRequest, batch_id: uuid.UUID, payload: ImportMappingIn) -> ImportBatchOut:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    batch = _batch(ctx, batch_id)
    services.set_mapping(ctx, batch, {k: v for k, v in payload.mapping.items() if v}, save_as=payload.save_as or None)
    return _out(selectors.batch_for(ctx, batch.pk))


@router.post("/imports/{batch_id}/dry-run", response=ImportDryRunOut, summary="What the import would do, per row (nothing is saved)")
def dry_run(request: AppRequest, batch_id: uuid.UUID, limit: int | None = None) -> ImportDryRunOut:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    batch = _batch(ctx, batch_id)
    cap = presenting.dry_run_limit()
    report = services.dry_run(ctx, batch, limit=min(limit, cap) if limit and limit > 0 else cap)
    rows = [
        ImportRowOut(
            row_number=r.row_number,
            outcome=r.outcome,  # type: ignore[arg-type]
            reasons=[ImportReasonOut(column=col, code=code, reason=presenting.reason_text(code)) for col, code in r.reasons],
            customer_id=r.customer_id,
        )
        for r in report.rows
    ]
    counts = {o: int(report.counts.get(o, 0)) for o in ("create", "update", "duplicate", "reject")}
    return ImportDryRunOut(checked=len(report.rows), counts=counts, rows=rows)  # type: ignore[arg-type]


@router.post("/imports/{batch_id}/start", response={202: ImportBatchOut}, summary="Start the import in the worker")
def start(request: AppRequest, batch_id: uuid.UUID) -> Status[ImportBatchOut]:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    batch = services.start(ctx, _batch(ctx, batch_id))
    return Status(202, _out(batch))


@router.get("/imports/{batch_id}/progress", response=ImportProgressOut, summary="Progress of a running import")
def progress(request: AppRequest, batch_id: uuid.UUID) -> ImportProgressOut:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    return ImportProgressOut(**selectors.progress(ctx, _batch(ctx, batch_id)))


@router.get("/imports/{batch_id}/rejected", summary="The rejected rows as CSV (row, column, reason) in the request's language")
def rejected(request: AppRequest, batch_id: uuid.UUID) -> HttpResponse:
    ctx = ctx_of(request)
    _require(ctx, VIEW)
    batch = _batch(ctx, batch_id)
    language = "en" if (get_language() or "").startswith("en") else "zh-hans"
    response = HttpResponse(services.rejected_report(ctx, batch, language=language), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-{batch.pk}.csv"'
    return response


@router.post("/imports/{batch_id}/undo", response={202: ImportUndoOut}, summary="Request to undo an import (a change request)")
def undo(request: AppRequest, batch_id: uuid.UUID, payload: ImportUndoIn) -> Status[ImportUndoOut]:
    ctx = ctx_of(request)
    _require(ctx, CREATE)
    engine.require_purpose(ctx)
    change = services.request_undo(ctx, _batch(ctx, batch_id), reason=payload.reason)
    return Status(202, ImportUndoOut(change_request_id=change.pk))
