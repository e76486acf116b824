"""Every write of an import (issue #14): stage a file, map its columns, dry-run, start, run in chunks, report.

Who: a person holding the ``imports`` capability (sales managers, compliance officers) who may also create
customers, or the operator's command (system context, channel ``cli``). The provenance of every batch —
source system, lawful basis (PIPL-13-lawful-basis), consent evidence reference, operator, time, file name,
SHA-256, size, format, encoding, mapping version — is recorded on the batch and in ``import.staged``.
No cell value ever reaches a log, an exception, a task argument, an audit payload or a ``RowIssue``.
The undo flow is ``undo.py``.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import CREATE, CUSTOMER, VIEW, allows
from clientvault.access.purposes import LegalBasis
from clientvault.accounts.models import User
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.capabilities import IMPORTS
from clientvault.core.context import Context, for_user, system_context
from clientvault.core.errors import Conflict, Message, PermissionDenied, ValidationFailed
from clientvault.core.ids import new_id
from clientvault.core.spreadsheets import safe_cell
from clientvault.customers import permissions, profiles
from clientvault.customers.choices import Kind
from clientvault.customers.models import CustomFieldDefinition
from clientvault.intake import engine, mapping, readers, storage
from clientvault.intake.models import ImportBatch, MappingTemplate, OnMatch, RowIssue, RowOutcome, State

if TYPE_CHECKING:
    from clientvault.approvals.models import ChangeRequest


@dataclass(frozen=True)
class Provenance:
    """Where the file came from and why it may be processed (PIPL-13-lawful-basis), and how to import it."""

    source_system: str
    lawful_basis: str
    consent_evidence_ref: str = ""
    kind: str = Kind.INDIVIDUAL
    on_match: str = OnMatch.SKIP
    owner_id: int | None = None
    sheet: str = ""


@dataclass
class RowResult:
    row_number: int
    outcome: str  # "create" | "update" | "duplicate" | "reject"
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (column, reason code)
    customer_id: uuid.UUID | None = None  # the matching customer of an update (the caller may not see it: id only)


@dataclass
class DryRunReport:
    rows: list[RowResult]
    counts: dict[str, int]


def is_operator_command(ctx: Context) -> bool:
    return ctx.actor is None and "system" in ctx.roles and ctx.channel in {"cli", "system"}


def require_imports(ctx: Context, action: str = CREATE) -> None:
    """The ``imports`` capability (a person) or the operator's command; a person who runs one also creates customers."""
    if is_operator_command(ctx):
        return
    if ctx.actor is None or not allows(ctx.roles, IMPORTS, action):
        raise PermissionDenied()
    if action == CREATE:
        permissions.require(ctx, CUSTOMER, CREATE)


def _check_provenance(ctx: Context, provenance: Provenance) -> tuple[User | None, dict[str, list[Message]]]:
    errors: dict[str, list[Message]] = {}
    if not provenance.source_system.strip():
        errors["source_system"] = [_("Name the system the file comes from.")]
    if provenance.lawful_basis not in LegalBasis.values:
        errors["lawful_basis"] = [_("Choose one of the seven legal bases of PIPL Art. 13.")]
    elif provenance.lawful_basis == LegalBasis.CONSENT and not provenance.consent_evidence_ref.strip():
        # PIPL-13-lawful-basis: a consent basis needs its evidence.
        errors["consent_evidence_ref"] = [_("A consent basis needs the reference of the consent evidence.")]
    if provenance.kind not in Kind.values:
        errors["kind"] = [_("Choose individual or organisation.")]
    if provenance.on_match not in OnMatch.values:
        errors["on_match"] = [_("Choose skip or update.")]
    elif provenance.on_match == OnMatch.UPDATE and ctx.actor is None:
        errors["on_match"] = [_("Updating existing customers needs a person who may change them: use the import page.")]
    owner: User | None = None
    try:
        if ctx.actor is not None:
            owner = profiles._resolve_owner(ctx, provenance.owner_id, default=None)
        elif provenance.owner_id is None:
            errors["owner"] = [_("Name the sales rep or manager who will own the imported customers.")]
        else:
            candidate = User.objects.select_related("department").filter(pk=provenance.owner_id).first()
            if candidate is None or candidate.department is None:
                errors["owner"] = [_("Choose an active sales rep or manager in your department.")]
            else:
                owner = profiles.eligible_owner(provenance.owner_id, legal_entity_id=candidate.department.legal_entity_id)
    except ValidationFailed as exc:
        errors.update({k: list(v) for k, v in exc.fields.items()})
    return owner, errors


@transaction.atomic
def stage(ctx: Context, *, file: BinaryIO | Path, filename: str, provenance: Provenance) -> ImportBatch:
    """Store the file encrypted, read its header, guess the mapping; the batch is ``staged``."""
    require_imports(ctx)
    owner, errors = _check_provenance(ctx, provenance)
    if errors:
        raise ValidationFailed(errors)
    assert owner is not None and owner.department is not None
    batch = ImportBatch(
        id=new_id(),
        source_system=provenance.source_system.strip()[:100],
        lawful_basis=provenance.lawful_basis,
        consent_evidence_ref=provenance.consent_evidence_ref.strip()[:200],
        operator=ctx.actor,
        operator_label=ctx.actor.get_username() if ctx.actor else f"system ({ctx.channel})",
        channel=ctx.channel,
        purpose=ctx.purpose,
        legal_entity_id=owner.department.legal_entity_id,
        owner=owner,
        kind=provenance.kind,
        on_match=provenance.on_match,
        file_name=Path(filename).name[:255] or "upload",
        sheet=provenance.sheet[:100],
    )
    batch.stored_name, batch.sha256, batch.size = storage.store(batch.pk, file)
    try:
        _read_structure(batch)
        batch.save()
        audit.record(ctx, "import.staged", obj=batch, detail=_provenance_detail(batch))
    except BaseException:
        storage.delete(batch.stored_name)  # nothing half-written: no batch row, no file
        raise
    return batch


def _read_structure(batch: ImportBatch) -> None:
    table = readers.open_table(lambda: storage.open_plain(batch.pk, batch.stored_name), filename=batch.file_name, sheet=batch.sheet)
    batch.format, batch.encoding, batch.sheets, batch.sheet = table.format, table.encoding, table.sheets, table.sheet
    rows = table.rows()
    head: list[list[str]] = []
    for row in rows:
        head.append(row)
        if len(head) >= readers.HEADER_SCAN:
            break
    batch.header_row, headers = readers.find_header(head, mapping.header_score)
    batch.headers = _unique_headers(headers)
    total = sum(1 for n, r in enumerate(head, start=1) if n > batch.header_row and any(r))
    total += sum(1 for r in rows if any(r))
    batch.rows_total = total
    batch.mapping = dict(guess_mapping(batch))


def _unique_headers(headers: list[str]) -> list[str]:
    """Header texts made unique and non-empty ("列3" for an empty one, "地址 (2)" for a repeat)."""
    out: list[str] = []
    for i, h in enumerate(headers, start=1):
        name = (h or f"#{i}")[:100]
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def _provenance_detail(batch: ImportBatch) -> dict[str, object]:
    # Audit details hold codes only: the free texts (source system, evidence reference, file name) stay on the
    # batch the event names; the SHA-256 goes in two halves, each prefixed to read as a code.
    return {
        "lawful_basis": batch.lawful_basis,
        "has_consent_evidence_ref": bool(batch.consent_evidence_ref),
        "sha256_hi": "h" + batch.sha256[:32],
        "sha256_lo": "h" + batch.sha256[32:],
        "size": batch.size,
        "format": batch.format,
        "encoding": batch.encoding or None,
        "rows": batch.rows_total,
    }


def _custom_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, zh, en in CustomFieldDefinition.objects.filter(active=True).values_list("key", "label_zh", "label_en"):
        labels[zh] = key
        labels[en] = key
        labels[key] = key
    return labels


def best_template(headers: list[str]) -> MappingTemplate | None:
    """The latest version of the saved template naming the most of these headers (ties: the newest)."""
    best, score, names = None, 0, set()
    for template in MappingTemplate.objects.order_by("name", "-version"):
        if template.name in names:
            continue
        names.add(template.name)
        points = sum(1 for h in headers if h in template.mapping)
        if points > score or (points == score and points and best is not None and template.created_at > best.created_at):
            best, score = template, points
    return best


def guess_mapping(batch: ImportBatch) -> Mapping[str, str]:
    """column → field code, from zh/en header synonyms, custom field labels and the best saved template."""
    template = best_template(batch.headers)
    return mapping.guess(batch.headers, custom_labels=_custom_labels(), template=template.mapping if template else None)


def _editable(ctx: Context, batch_id: uuid.UUID) -> ImportBatch:
    from clientvault.intake import selectors

    batch = selectors.batch_for(ctx, batch_id)
    if not is_operator_command(ctx) and batch.operator_id != ctx.actor_id:
        raise PermissionDenied()
    return ImportBatch.objects.select_for_update().get(pk=batch.pk)


@transaction.atomic
def set_mapping(
    ctx: Context, batch: ImportBatch, mapping_: dict[str, str], *, save_as: str | None = None, template: MappingTemplate | None = None
) -> MappingTemplate | None:
    """Set the batch's columns → fields; ``save_as`` saves it as a template (a new version of that name);
    ``template``: the saved template it came from (the batch records its version)."""
    require_imports(ctx)
    locked = _editable(ctx, batch.pk)
    if locked.state not in (State.STAGED, State.MAPPED):
        raise Conflict(_("This import has started: its mapping can no longer change."), code="import_started")
    known = mapping.known_fields(CustomFieldDefinition.objects.filter(active=True).values_list("key", flat=True))
    errors: dict[str, list[Message]] = {}
    clean = {h: c for h, c in mapping_.items() if c}
    for header, code in clean.items():
        if header not in locked.headers:
            errors.setdefault("mapping", []).append(_("A mapped column is not in the file."))
        elif code not in known:
            errors.setdefault("mapping", []).append(_("A column is mapped to an unknown field."))
    if len(set(clean.values())) != len(clean):
        errors.setdefault("mapping", []).append(_("A field is mapped from two columns."))
    if "name" not in clean.values():
        errors.setdefault("mapping", []).append(_("Map a column to the customer's name."))
    if save_as is not None and not save_as.strip():
        errors["save_as"] = [_("Name the template.")]
    if errors:
        raise ValidationFailed({k: list(dict.fromkeys(str(m) for m in v)) for k, v in errors.items()})
    saved = None
    if save_as:
        name = save_as.strip()[:100]
        version = (MappingTemplate.objects.filter(name=name).aggregate(m=Max("version"))["m"] or 0) + 1
        saved = MappingTemplate.objects.create(name=name, version=version, mapping=clean, created_by=ctx.actor)
        template = saved
    locked.mapping = clean
    locked.template = template
    locked.template_version = template.version if template is not None else None
    locked.state = State.MAPPED
    locked.save(update_fields=["mapping", "template", "template_version", "state"])
    audit.record(
        ctx,
        "import.mapped",
        obj=locked,
        fields=sorted(set(clean.values())),
        detail={
            "template": str(template.pk) if template else None,
            "template_version": locked.template_version,
            "saved": saved is not None,
        },
    )
    batch.refresh_from_db()
    return saved


@transaction.atomic
def dry_run(ctx: Context, batch: ImportBatch, *, limit: int | None = None) -> DryRunReport:
    """What importing would do with each row (create / update / duplicate / reject and why); writes nothing
    but its own audit event (the file's personal data was read)."""
    require_imports(ctx)
    locked = _editable(ctx, batch.pk)
    plan = engine.Plan(locked)
    seen: set[tuple[str, bytes]] = set()
    results: list[RowResult] = []
    chunk: list[tuple[int, list[str]]] = []

    def flush() -> None:
        for row in engine.evaluate(plan, chunk, seen):
            results.append(RowResult(row.number, row.outcome, row.reasons, row.match_id if row.outcome == engine.UPDATE else None))
        chunk.clear()

    for number, cells in engine.data_rows(locked):
        chunk.append((number, cells))
        if len(chunk) >= settings.CLIENTVAULT_IMPORT_CHUNK:
            flush()
        if limit is not None and len(results) + len(chunk) >= limit:
            break
    flush()
    counts = {k: sum(1 for r in results if r.outcome == k) for k in (engine.CREATE, engine.UPDATE, engine.DUPLICATE, engine.REJECT)}
    audit.record(ctx, "import.checked", obj=locked, detail={"rows": len(results), **counts})
    return DryRunReport(rows=results, counts=counts)


@transaction.atomic
def start(ctx: Context, batch: ImportBatch, *, enqueue: bool = True) -> ImportBatch:
    """Queue the import (``intake.tasks.run_import`` holds the batch id only); the command runs it in place."""
    require_imports(ctx)
    locked = _editable(ctx, batch.pk)
    if locked.state == State.STAGED and "name" in locked.mapping.values():
        locked.state = State.MAPPED
    if locked.state != State.MAPPED:
        raise Conflict(_("Map the columns before starting the import."), code="not_mapped")
    locked.state = State.QUEUED
    locked.save(update_fields=["state"])
    audit.record(ctx, "import.started", obj=locked, detail={**_provenance_detail(locked), "template_version": locked.template_version})
    if enqueue:
        from clientvault.intake.tasks import run_import

        batch_id = str(locked.pk)
        transaction.on_commit(lambda: run_import.enqueue(batch_id))
    return locked


def context_of(batch: ImportBatch) -> Context:
    """The context the import's writes run under: the person who started it (with the purpose they declared), or
    the operator's command."""
    if batch.operator_id is None:
        return system_context(channel="cli" if batch.channel == "cli" else "system")
    operator = User.objects.get(pk=batch.operator_id)
    return for_user(operator, channel=batch.channel or "web", purpose=batch.purpose)


def run_chunks(batch_id: uuid.UUID, *, progress: Callable[[int, int], None] | None = None) -> ImportBatch:
    """Import the rows past the checkpoint, CLIENTVAULT_IMPORT_CHUNK per transaction; what the task and the
    command call, and call again after a crash (it resumes from the checkpoint)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.state in (State.DONE, State.UNDONE):
            return batch
        if batch.state not in (State.QUEUED, State.RUNNING, State.FAILED):
            raise Conflict(_("Start the import first."), code="not_started")
        ctx = context_of(batch)
        if batch.state != State.RUNNING:
            batch.state, batch.error_code = State.RUNNING, ""
            batch.started_at = batch.started_at or clock.now()
            batch.save(update_fields=["state", "error_code", "started_at"])
    plan = engine.Plan(batch)
    size = max(1, int(settings.CLIENTVAULT_IMPORT_CHUNK))
    try:
        with translation.override(settings.LANGUAGE_CODE):
            after = batch.checkpoint_row
            chunk: list[tuple[int, list[str]]] = []
            seen: set[tuple[str, bytes]] = set()
            for number, cells in engine.data_rows(batch, after=after):
                chunk.append((number, cells))
                if len(chunk) >= size:
                    after = _chunk(ctx, plan, chunk, after, seen, progress)
                    chunk = []
            if chunk:
                after = _chunk(ctx, plan, chunk, after, seen, progress)
            _finish(ctx, batch.pk, after)
    except Exception as exc:
        _fail(ctx, batch.pk, getattr(exc, "code", type(exc).__name__)[:50])
        raise
    return ImportBatch.objects.get(pk=batch.pk)


def _chunk(
    ctx: Context,
    plan: engine.Plan,
    chunk: list[tuple[int, list[str]]],
    after: int,
    seen: set[tuple[str, bytes]],
    progress: Callable[[int, int], None] | None,
) -> int:
    last = chunk[-1][0]
    rows = engine.evaluate(plan, chunk, seen)
    if not engine.write_chunk(ctx, plan, rows, start_after=after, last=last):
        # Another runner moved the checkpoint: this one stops rather than write a row twice.
        raise Conflict(_("Another run of this import is in progress."), code="concurrent_run")
    if progress is not None:
        b = plan.batch
        progress(b.created + b.updated + b.duplicates + b.rejected, b.rows_total)
    return last


@transaction.atomic
def _finish(ctx: Context, batch_id: uuid.UUID, last: int) -> None:
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.state == State.DONE:
        return
    batch.state, batch.finished_at = State.DONE, clock.now()
    batch.save(update_fields=["state", "finished_at"])
    audit.record(ctx, "import.finished", obj=batch, detail=counters(batch))
    # The file is no longer needed once every row is in (issue #14): deleted after the commit.
    stored = batch.stored_name
    transaction.on_commit(lambda: storage.delete(stored))


@transaction.atomic
def _fail(ctx: Context, batch_id: uuid.UUID, code: str) -> None:
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.state in (State.DONE, State.UNDONE):
        return
    batch.state, batch.error_code = State.FAILED, code
    batch.save(update_fields=["state", "error_code"])
    audit.record(ctx, "import.failed", obj=batch, outcome="failure", detail={**counters(batch), "error": code})


def counters(batch: ImportBatch) -> dict[str, int]:
    return {
        "rows": batch.rows_total,
        "checkpoint_row": batch.checkpoint_row,
        "created": batch.created,
        "updated": batch.updated,
        "duplicates": batch.duplicates,
        "rejected": batch.rejected,
    }


@transaction.atomic
def rejected_report(ctx: Context, batch: ImportBatch, *, language: str) -> bytes:
    """CSV (UTF-8 with BOM, for Excel): row, column, outcome, reason — reasons only, never the values."""
    require_imports(ctx, VIEW)
    from clientvault.intake import selectors

    found = selectors.batch_for(ctx, batch.pk)
    out = io.StringIO()
    writer = csv.writer(out)
    with translation.override(language):
        writer.writerow([str(_("Row")), str(_("Column")), str(_("Outcome")), str(_("Reason"))])
        for number, column, outcome, code in RowIssue.objects.filter(batch=found).values_list("row_number", "column", "outcome", "code"):
            label = RowOutcome(outcome).label if outcome in RowOutcome.values else outcome
            writer.writerow([number, safe_cell(column), str(label), safe_cell(str(engine.REASONS.get(code, code)))])
    audit.record(ctx, "import.report_downloaded", obj=found, detail={"language": language})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@transaction.atomic
def request_undo(ctx: Context, batch: ImportBatch, *, reason: str) -> ChangeRequest:
    """Ask a compliance officer other than the maker to undo the import (change type ``intake.undo``)."""
    from clientvault.intake import undo

    request = undo.request(ctx, batch, reason=reason)
    audit.record(ctx, "import.undo_requested", obj=batch, detail={"change_request": str(request.pk)})
    return request
