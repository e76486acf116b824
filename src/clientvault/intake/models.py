"""Import batches and their provenance (issue #14): where every imported customer came from.

Nothing here holds a personal value: a batch holds the file's metadata (name, SHA-256, size, format,
encoding) and the lawful basis it was imported under (PIPL-13-lawful-basis); ``ImportedRecord`` links a
customer to the batch, sheet and row it came from; ``RowIssue`` holds a reason *code* per rejected cell,
never the cell's value. The uploaded file itself is stored encrypted outside the database
(``intake/storage.py``) and deleted when the batch is done or undone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientvault.access.purposes import LegalBasis
from clientvault.core.ids import new_id


class State(models.TextChoices):
    STAGED = "staged", _("Uploaded")
    MAPPED = "mapped", _("Columns mapped")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    XLS = "xls", "XLS"
    ODS = "ods", "ODS"


class OnMatch(models.TextChoices):
    SKIP = "skip", _("Skip rows matching an existing customer")
    UPDATE = "update", _("Update the matching customer")


class MappingTemplate(models.Model):
    """A saved column → field mapping; saving under an existing name makes a new version."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    mapping = models.JSONField(_("mapping"), default=dict)  # header text -> field code
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mapping template")
        verbose_name_plural = _("mapping templates")
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="intake_template_name_version_unique")]
        ordering = ["name", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ImportBatch(models.Model):
    """One uploaded file and its import: provenance, mapping, progress and counters."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.STAGED)
    # Provenance (issue #14): where the data came from and under which basis it is processed.
    source_system = models.CharField(_("source system"), max_length=100)
    lawful_basis = models.CharField(_("lawful basis"), max_length=12, choices=LegalBasis.choices)
    consent_evidence_ref = models.CharField(_("consent evidence reference"), max_length=200, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("operator")
    )
    operator_label = models.CharField(_("operator"), max_length=150, blank=True)  # "system (cli)" when run from the command
    channel = models.CharField(_("channel"), max_length=10, default="web")
    purpose = models.CharField(_("purpose"), max_length=50, blank=True)  # the operator's declared purpose, for the worker
    legal_entity = models.ForeignKey(
        "accounts.LegalEntity", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("legal entity")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner of imported customers"),
    )
    kind = models.CharField(_("customer type"), max_length=12, default="individual")
    on_match = models.CharField(_("when a row matches a customer"), max_length=6, choices=OnMatch.choices, default=OnMatch.SKIP)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The file (stored encrypted under CLIENTVAULT_IMPORT_DIR; ``stored_name`` is a random name, not the file name).
    file_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(_("stored file"), max_length=64, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    format = models.CharField(_("format"), max_length=4, choices=FileFormat.choices)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    sheets = models.JSONField(_("sheets"), default=list)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    headers = models.JSONField(_("columns"), default=list)  # header texts (column names, not values)
    mapping = models.JSONField(_("mapping"), default=dict)  # header text -> field code
    template = models.ForeignKey(
        MappingTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="batches", verbose_name=_("mapping template")
    )
    template_version = models.PositiveIntegerField(_("template version"), null=True, blank=True)
    # Progress: rows are numbered as in the file (the header row excluded); everything up to the checkpoint is committed.
    checkpoint_row = models.PositiveIntegerField(_("checkpoint"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    error_code = models.CharField(_("error"), max_length=50, blank=True)  # a code, never a value
    kept_after_undo = models.JSONField(_("kept when undone"), default=list, blank=True)  # ids of customers touched since

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk}"


class ImportedRecord(models.Model):
    """Provenance of one customer: the batch, sheet and row it was created from. Stays with the original
    record (a merge does not move it)."""

    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="records", verbose_name=_("import batch"))
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="imported_record", verbose_name=_("customer")
    )
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    row_number = models.PositiveIntegerField(_("row"))

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="intake_record_batch_row_unique")]

    def __str__(self) -> str:
        return f"{self.batch_id} row {self.row_number}"


class RowOutcome(models.TextChoices):
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    UPDATED = "updated", _("Updated")
    PROPOSED = "proposed", _("Change request submitted")


class RowIssue(models.Model):
    """Why a row was not imported as a new customer: a reason code per column, never the value."""

    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues", verbose_name=_("import batch"))
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)  # a field code or header text
    outcome = models.CharField(_("outcome"), max_length=10, choices=RowOutcome.choices, default=RowOutcome.REJECTED)
    code = models.CharField(_("reason"), max_length=50)

    class Meta:
        verbose_name = _("row issue")
        verbose_name_plural = _("row issues")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["batch", "row_number"], name="intake_issue_batch_row")]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.code}"
