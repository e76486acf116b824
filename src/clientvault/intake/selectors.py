"""Reading import batches (issue #14): metadata, counts and codes only — never a cell value."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from clientvault.core.context import Context
from clientvault.customers.models import Customer
from clientvault.intake.models import ImportBatch, ImportedRecord


def batches_for(ctx: Context) -> QuerySet[ImportBatch]:
    raise NotImplementedError


def batch_for(ctx: Context, batch_id: uuid.UUID) -> ImportBatch:
    raise NotImplementedError


def progress(ctx: Context, batch: ImportBatch) -> dict[str, Any]:
    raise NotImplementedError


def provenance_for(ctx: Context, customer: Customer) -> ImportedRecord | None:
    raise NotImplementedError
