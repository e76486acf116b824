from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScanKind(models.TextChoices):
    FULL = "full", _("Full scan")
    INCREMENTAL = "incremental", _("Incremental scan")


class ScanState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ClusterStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Not duplicates")
    MERGED = "merged", _("Merged")
    GONE = "gone", _("No longer matched")


class DismissReason(models.TextChoices):
    """Why a reviewer says a cluster holds different people: a code, never free text (no personal values)."""

    DIFFERENT_PEOPLE = "different_people", _("Different people")
    SAME_HOUSEHOLD = "same_household", _("Same household, different people")
    SHARED_CONTACT = "shared_contact", _("Shared company contact")
    TEST_RECORDS = "test_records", _("Test records")
    OTHER = "other", _("Other")
