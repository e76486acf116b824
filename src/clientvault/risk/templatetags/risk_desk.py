"""Template filters of the risk desk: amounts with thousands separators (UI.md), tier badges' colours."""

from __future__ import annotations

from typing import Any

from django import template

from clientvault.assets.money import format_minor

register = template.Library()

# Colours follow status meaning (UI.md): red high risk, amber medium, green low, grey not scored.
_TIER_CSS = {"high": "text-bg-danger", "medium": "text-bg-warning", "low": "text-bg-success"}


@register.filter
def money(minor: Any, currency: str) -> str:
    """123456, "CNY" → "CNY 1,234.56"; an amount not shown (None) → "" (the template shows the lock)."""
    if minor is None or isinstance(minor, bool):
        return ""
    return f"{currency} {format_minor(int(minor), currency)}"


@register.filter
def tier_css(code: Any) -> str:
    return _TIER_CSS.get(str(code or ""), "text-bg-secondary")


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def tier_label(code: Any) -> str:
    from clientvault.risk.portfolio import tier_label as label

    return label(str(code or ""))
