"""JSON shapes of the import API (issue #14): batch metadata, counts and reason codes — never a cell value."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field

ImportState = Literal["staged", "mapped", "queued", "running", "done", "failed", "undone"]
ImportOnMatch = Literal["skip", "update"]
ImportOutcome = Literal["create", "update", "duplicate", "reject"]
ImportLawfulBasis = Literal["consent", "contract", "legal_duty", "emergency", "news", "public", "other_law"]
ImportFormat = Literal["csv", "xlsx", "xls", "ods"]
ImportChannel = Literal["web", "api", "cli", "task", "system"]


class ImportUploadIn(Schema):
    source_system: str = Field(min_length=1, max_length=100)
    lawful_basis: ImportLawfulBasis = Field(description="PIPL Art. 13 basis the data is processed under")
    consent_evidence_ref: str = Field("", max_length=200, description="Required when the basis is consent")
    on_match: ImportOnMatch = "skip"
    sheet: str = Field("", max_length=100, description="Spreadsheets: the sheet to read (empty: the first)")


class ImportBatchOut(Schema):
    id: uuid.UUID
    state: ImportState
    source_system: str
    lawful_basis: ImportLawfulBasis
    consent_evidence_ref: str
    operator: str
    channel: ImportChannel
    on_match: ImportOnMatch
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    file_name: str
    sha256: str
    size: int
    format: ImportFormat
    encoding: str
    sheet: str
    sheets: list[str]
    columns: list[str] = Field(description="The header texts of the file (column names, not values)")
    mapping: dict[str, str] = Field(description="Column header → field code")
    template_id: uuid.UUID | None
    template_version: int | None
    rows_total: int
    created: int
    updated: int
    duplicates: int
    rejected: int


class ImportFieldOut(Schema):
    code: str
    label: str


class ImportMappingOut(Schema):
    mapping: dict[str, str] = Field(description="The current mapping, else the guess from the headers")
    fields: list[ImportFieldOut] = Field(description="Every field code a column may map to")


class ImportMappingIn(Schema):
    mapping: dict[str, str] = Field(description="Column header → field code; unmapped columns are left out")
    save_as: str = Field("", max_length=100, description="Save as a template (a new version when the name exists)")


class ImportReasonOut(Schema):
    column: str
    code: str
    reason: str = Field(description="The reason in the request's language")


class ImportRowOut(Schema):
    row_number: int
    outcome: ImportOutcome
    reasons: list[ImportReasonOut]
    customer_id: uuid.UUID | None = Field(None, description="The matching customer (update or duplicate), if visible")


class ImportDryRunOut(Schema):
    checked: int
    counts: dict[ImportOutcome, int]
    rows: list[ImportRowOut]


class ImportProgressOut(Schema):
    state: ImportState
    rows_total: int
    rows_done: int
    created: int
    updated: int
    duplicates: int
    rejected: int
    percent: int


class ImportUndoIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class ImportUndoOut(Schema):
    change_request_id: uuid.UUID
