"""Every write of an import (issue #14): stage a file, map its columns, dry-run, start, run in chunks, undo.

Skeleton: signatures as in the design contract; bodies follow."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from clientvault.core.context import Context
from clientvault.intake.models import ImportBatch, MappingTemplate

if TYPE_CHECKING:
    from clientvault.approvals.models import ChangeRequest


@dataclass(frozen=True)
class Provenance:
    """Where the file came from and why it may be processed (PIPL-13-lawful-basis)."""

    source_system: str
    lawful_basis: str
    consent_evidence_ref: str = ""
    kind: str = "individual"
    on_match: str = "skip"
    owner_id: int | None = None
    sheet: str = ""


@dataclass
class RowResult:
    row_number: int
    outcome: str  # "create" | "update" | "duplicate" | "reject"
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (column, reason code)
    customer_id: uuid.UUID | None = None


@dataclass
class DryRunReport:
    rows: list[RowResult]
    counts: dict[str, int]


def stage(ctx: Context, *, file: BinaryIO | Path, filename: str, provenance: Provenance) -> ImportBatch:
    raise NotImplementedError


def guess_mapping(batch: ImportBatch) -> Mapping[str, str]:
    raise NotImplementedError


def set_mapping(ctx: Context, batch: ImportBatch, mapping: dict[str, str], *, save_as: str | None = None) -> MappingTemplate | None:
    raise NotImplementedError


def dry_run(ctx: Context, batch: ImportBatch, *, limit: int | None = None) -> DryRunReport:
    raise NotImplementedError


def start(ctx: Context, batch: ImportBatch) -> ImportBatch:
    raise NotImplementedError


def run_chunks(batch_id: uuid.UUID, *, progress: Callable[[int, int], None] | None = None) -> ImportBatch:
    raise NotImplementedError


def rejected_report(ctx: Context, batch: ImportBatch, *, language: str) -> bytes:
    raise NotImplementedError


def request_undo(ctx: Context, batch: ImportBatch, *, reason: str) -> ChangeRequest:
    raise NotImplementedError
