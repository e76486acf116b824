"""Countries and regions (ISO 3166-1 alpha-2) by name in the user's language, from django-countries' offline tables.

The stored value is always the code; names are for people (pickers, detail pages, exports).
"""

from __future__ import annotations

from django_countries import countries


def is_known(code: str) -> bool:
    return bool(code) and code.upper() in countries


def name(code: str) -> str:
    """The country's name in the active language; an unknown (legacy) code is shown as it is."""
    if not code:
        return ""
    return str(countries.name(code.upper())) or code


def choices() -> list[tuple[str, str]]:
    """(code, name) in the active language, China and its regions first; evaluated per request (a callable choice)."""
    return [("", "—")] + [(str(c.code), str(c.name)) for c in countries]
