"""Customers' system checks: a database check that fails when any personal-data field of a customer (standard or
custom) is unclassified (PIPL-51, JRT0171-CLASSIFY; it lives with the custom field definitions it reads:
classification knows no customers), and the review-on-entry mode (ARCHITECTURE.md rule 10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from clientvault.classification.catalogue import DEFAULT_KEYS, custom_field_key
from clientvault.classification.models import FieldClassification


def unclassified_fields() -> list[str]:
    """Keys of personal-data fields (standard and active custom) with no catalogue entry."""
    from clientvault.customers.models import CustomFieldDefinition

    expected = set(DEFAULT_KEYS) | {custom_field_key(k) for k in CustomFieldDefinition.objects.values_list("key", flat=True)}
    present = set(FieldClassification.objects.values_list("key", flat=True))
    return sorted(expected - present)


def migrations_pending() -> bool:
    """Whether the default database has unapplied migrations."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@register(Tags.database)
def check_classification(app_configs: Sequence[Any] | None, databases: Sequence[str] | None = None, **kwargs: Any) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    try:
        # `migrate` runs this check before it migrates: a field added since the last upgrade is classified
        # by a data migration that has not run yet, and must not stop the migration that classifies it.
        if migrations_pending():
            return []
        missing = unclassified_fields()
    except DatabaseError:
        return []  # not migrated yet: `migrate` seeds the catalogue
    return [
        Error(f"Personal-data field {key} is not classified.", hint="Classify it on the field catalogue page.", id="clientvault.E012")
        for key in missing
    ]


@register(Tags.security)
def check_entry_review(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """``CLIENTVAULT_ENTRY_REVIEW`` names a known mode (issue #13): a typo must not switch the review off."""
    from clientvault.customers.choices import EntryReview

    mode = getattr(settings, "CLIENTVAULT_ENTRY_REVIEW", EntryReview.ALL)
    if mode in EntryReview.values:
        return []
    return [
        Error(
            f"CLIENTVAULT_ENTRY_REVIEW {mode!r} is not a review mode.",
            hint=f"Set it to one of {', '.join(EntryReview.values)} (default: all).",
            id="clientvault.E041",
        )
    ]


@register(Tags.security)
def check_duplicate_rules(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """``CLIENTVAULT_DUPLICATE_RULES`` names known identifiers and actions (issue #14; RULES.md PIPL-13, AML-KYC):
    a typo must not silently switch a duplicate check off."""
    from clientvault.customers.matching import config_errors

    return [
        Error(problem, hint="See customers/matching.py for the identifiers, actions and key kinds.", id="clientvault.E140")
        for problem in config_errors()
    ]
