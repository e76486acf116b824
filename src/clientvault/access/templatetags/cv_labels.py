"""Codes as people read them in version histories: actions, purposes, legal bases, classes of data, and the
reasons the system itself wrote when it seeded a catalogue (stored in English, shown in the user's language)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientvault.classification.catalogue import Category, MaskProfile
from clientvault.core.catalogues import seeded_text
from clientvault.core.roles import ROLE_LABELS

register = template.Library()

# Reasons written by migrations and services (data, so not translated where they are stored).
SYSTEM_REASONS = {
    "default policy": _("Default policy"),
    "default purpose": _("Default purpose"),
    "default (RULES.md §10)": _("Default (RULES.md §10)"),
    "defined with the custom field": _("Defined with the custom field"),
    "issue #5: export of the marketing list": _("Reps may export the marketing list"),
}


def _join(items: Iterable[Any]) -> str:
    sep = ", " if (get_language() or "").startswith("en") else "、"
    return sep.join(str(i) for i in items)


@register.filter
def reason_label(reason: str) -> str:
    return str(SYSTEM_REASONS.get(reason, reason))


@register.filter
def action_labels(codes: Iterable[str] | None) -> str:
    from clientvault.access.labels import ACTION_LABELS

    return _join(ACTION_LABELS.get(c, c) for c in codes or [])


@register.filter
def purpose_labels(codes: Iterable[str] | None) -> str:
    from clientvault.access.models import Purpose

    language = get_language()
    names = {p.code: p.name(language) for p in Purpose.objects.filter(code__in=list(codes or []))}
    return _join(names.get(c, c) for c in codes or [])


@register.filter
def legal_basis_label(code: str) -> str:
    from clientvault.access.purposes import LegalBasis

    return str(LegalBasis(code).label) if code in LegalBasis.values else code


@register.filter
def category_label(code: str) -> str:

    return str(Category(code).label) if code in Category.values else code


@register.filter
def mask_label(code: str) -> str:

    return str(MaskProfile(code).label) if code in MaskProfile.values else code


@register.filter
def role_label(code: str) -> str:

    return str(ROLE_LABELS.get(code, code))


@register.filter
def resource_label(code: str) -> str:
    from clientvault.access.labels import RESOURCE_LABELS

    return str(RESOURCE_LABELS.get(code, code))


@register.filter
def seeded(value: Any) -> str:
    """A description a migration seeded (English data) in the reader's language; an officer's own text as written."""
    return seeded_text(str(value or ""))
