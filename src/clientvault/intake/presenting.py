"""What the import pages show of a batch: labels, steps, counts and rows of codes — never a cell value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.access.purposes import LegalBasis
from clientvault.classification.models import FieldClassification
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.customers.models import Customer, CustomFieldDefinition
from clientvault.intake import engine, readers, services
from clientvault.intake import mapping as field_mapping
from clientvault.intake.models import ImportBatch, MappingTemplate, State

WIZARD_STEPS = (
    (1, _("Upload")),
    (2, _("Map columns")),
    (3, _("Dry run")),
    (4, _("Import")),
    (5, _("Result")),
)
RUNNING = frozenset({State.QUEUED, State.RUNNING})
FINISHED = frozenset({State.DONE, State.FAILED, State.UNDONE})
EDITABLE = frozenset({State.STAGED, State.MAPPED})
OUTCOMES = (
    ("create", _("New customers"), "success"),
    ("update", _("Updates"), "primary"),
    ("duplicate", _("Duplicates (skipped)"), "warning"),
    ("reject", _("Rejected"), "danger"),
)
OUTCOME_LABELS = {code: label for code, label, _css in OUTCOMES}
OUTCOME_CSS = {code: css for code, _label, css in OUTCOMES}
STATE_CSS = {
    State.STAGED: "secondary",
    State.MAPPED: "secondary",
    State.QUEUED: "info",
    State.RUNNING: "primary",
    State.DONE: "success",
    State.FAILED: "danger",
    State.UNDONE: "dark",
}


def editable(batch: ImportBatch) -> bool:
    """Mapping and dry run apply to a batch not yet started."""
    return batch.state in EDITABLE


def is_operator(ctx: Context, batch: ImportBatch) -> bool:
    """Whether the actor ran this batch (only the operator maps, checks and starts it: intake.services)."""
    return ctx.actor is not None and batch.operator_id == ctx.actor.pk


def same_mapping(template: MappingTemplate, batch: ImportBatch, chosen: Mapping[str, str]) -> bool:
    """Whether ``chosen`` is the template's mapping for this file's columns, unchanged."""
    return dict(chosen) == {h: template.mapping[h] for h in batch.headers if template.mapping.get(h)}


def step_of(batch: ImportBatch) -> int:
    """The wizard step a batch is at: 2 mapping, 3 dry run, 4 running, 5 result."""
    if batch.state == State.STAGED:
        return 2
    if batch.state == State.MAPPED:
        return 3
    return 4 if batch.state in RUNNING else 5


def dry_run_limit() -> int:
    """How many rows the wizard's dry run checks (the whole file is checked again when it runs)."""
    return int(getattr(settings, "CLIENTVAULT_IMPORT_DRY_RUN_ROWS", 1000))


EXTRA_LABELS = {"kind": _("Customer type"), "tags": _("Tags"), "owner": _("Owner (username)")}


def field_choices() -> list[tuple[str, str]]:
    """Every field code a column may map to (intake/mapping.py), with its label in the active language: the
    field catalogue's label, else the model's."""
    language = get_language()
    catalogue = {f.key: f.label(language) for f in FieldClassification.objects.filter(key__startswith="customer.")}

    def label(code: str) -> str:
        if code in EXTRA_LABELS:
            return str(EXTRA_LABELS[code])
        if f"customer.{code}" in catalogue:
            return catalogue[f"customer.{code}"]
        try:
            return str(getattr(Customer._meta.get_field(code), "verbose_name", code))
        except FieldDoesNotExist:
            return code

    standard = [(code, label(code)) for code in field_mapping.STANDARD_FIELDS]
    custom = [(field_mapping.CUSTOM_PREFIX + d.key, d.label(language)) for d in CustomFieldDefinition.objects.order_by("key")]
    return standard + custom


def initial_mapping(
    batch: ImportBatch, template: MappingTemplate | None, guess: Callable[[ImportBatch], Mapping[str, str]]
) -> dict[str, str]:
    """The mapping step's first proposal: what was set before, else the chosen template, else the guess."""
    if batch.mapping:
        return dict(batch.mapping)
    if template is not None:
        return {h: template.mapping[h] for h in batch.headers if template.mapping.get(h)}
    return dict(guess(batch))


def reason_text(code: str) -> str:
    """A row issue's reason code in the active language (the engine's catalogue; the file's own errors)."""
    message = engine.REASONS.get(code) or readers.MESSAGES.get(code)
    return str(message) if message is not None else code


@dataclass(frozen=True)
class OutcomeCount:
    code: str
    label: str
    count: int
    css: str


def outcome_counts(counts: Mapping[str, int]) -> list[OutcomeCount]:
    return [OutcomeCount(code, str(label), int(counts.get(code, 0)), css) for code, label, css in OUTCOMES]


def row_result(row: services.RowResult, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "row_number": row.row_number,
        "outcome": row.outcome,
        "label": str(OUTCOME_LABELS.get(row.outcome, row.outcome)),
        "css": OUTCOME_CSS.get(row.outcome, "secondary"),
        "reasons": [(labels.get(column, column), reason_text(code)) for column, code in row.reasons],
        "customer_id": row.customer_id,
    }


def _operator(batch: ImportBatch) -> str:
    return str(batch.operator) if batch.operator_id else (batch.operator_label or "—")


def batch_row(batch: ImportBatch) -> dict[str, Any]:
    return {
        "batch": batch,
        "state_css": STATE_CSS.get(State(batch.state), "secondary"),
        "operator": _operator(batch),
    }


def undo_deadline(batch: ImportBatch) -> dt.datetime | None:
    if batch.finished_at is None:
        return None
    return batch.finished_at + dt.timedelta(days=settings.CLIENTVAULT_IMPORT_UNDO_DAYS)


def undoable(batch: ImportBatch) -> bool:
    """Whether the result page offers "request undo": a finished import within the window (the service decides)."""
    deadline = undo_deadline(batch)
    return batch.state == State.DONE and batch.created > 0 and deadline is not None and clock.now() < deadline


def batch_view(batch: ImportBatch) -> dict[str, Any]:
    """The provenance block of the batch page (PIPL-13-lawful-basis): metadata only."""
    return {
        "state_css": STATE_CSS.get(State(batch.state), "secondary"),
        "operator": _operator(batch),
        "lawful_basis": LegalBasis(batch.lawful_basis).label if batch.lawful_basis in LegalBasis.values else batch.lawful_basis,
        "undo_deadline": undo_deadline(batch),
        "mapping": mapping_rows(batch.mapping),
    }


def mapping_rows(mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """(column header, field label) of a mapping, in column order."""
    labels = dict(field_choices())
    return [(column, labels.get(code, code)) for column, code in mapping.items()]


def template_rows() -> list[dict[str, Any]]:
    """Every template name with its newest version and how many versions it has."""
    rows: dict[str, dict[str, Any]] = {}
    for t in MappingTemplate.objects.select_related("created_by").order_by("name", "-version"):
        row = rows.setdefault(t.name, {"latest": t, "versions": 0})
        row["versions"] += 1
    return list(rows.values())
