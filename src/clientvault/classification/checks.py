"""A database check that fails when any personal-data field is unclassified (PIPL-51, JRT0171-CLASSIFY)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError


def unclassified_fields() -> list[str]:
    """Keys of personal-data fields (standard and active custom) with no catalogue entry."""
    from clientvault.classification.catalogue import DEFAULT_KEYS, custom_field_key
    from clientvault.classification.models import FieldClassification
    from clientvault.customers.models import CustomFieldDefinition

    expected = set(DEFAULT_KEYS) | {custom_field_key(k) for k in CustomFieldDefinition.objects.values_list("key", flat=True)}
    present = set(FieldClassification.objects.values_list("key", flat=True))
    return sorted(expected - present)


@register(Tags.database)
def check_classification(app_configs: Sequence[Any] | None, databases: Sequence[str] | None = None, **kwargs: Any) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    try:
        missing = unclassified_fields()
    except DatabaseError:
        return []  # not migrated yet: `migrate` seeds the catalogue
    return [
        Error(f"Personal-data field {key} is not classified.", hint="Classify it on the field catalogue page.", id="clientvault.E012")
        for key in missing
    ]
