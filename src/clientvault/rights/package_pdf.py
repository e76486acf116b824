"""The readable copy of an access package: an A4 PDF made by WeasyPrint (ARCHITECTURE.md: PDF reports).

Cover (who, when, which request, what is included), contents with page numbers, one part per section,
page numbers in the footer. Chinese needs a CJK font on the machine (apt ``fonts-noto-cjk``): without one
WeasyPrint prints empty boxes silently, so ``render`` refuses to return a PDF that embeds no CJK font for a
Chinese package (``FontMissing``) rather than hand the person a blank copy.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientvault.core.errors import DomainError
from clientvault.rights.package import AccessPackage, Section, Value

CSS_PATH = Path(__file__).resolve().parent.parent / "templates" / "rights" / "package" / "package.css"
# Codes are for machines (JSON, CSV); the printed copy shows the labelled columns only.
CODE_COLUMNS = frozenset({"field", "purpose", "event_type", "change_type", "asset_id"})
WIDE_FROM = 8  # columns: a section this wide prints on landscape pages
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


class FontMissing(DomainError):
    code = "pdf_font_missing"
    status = 500


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")  # UI.md: 2026-11-23 14:05, local time


def _cell(value: Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return _when(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _printed(section: Section) -> dict[str, Any]:
    shown = [c for c in section.columns if c.key not in CODE_COLUMNS] or list(section.columns)
    rows = section.rows
    note = section.note
    limit = max(1, int(settings.CLIENTVAULT_ACCESS_PACKAGE_PDF_EVENTS))
    if section.code == "access_log" and len(rows) > limit:
        rows = rows[:limit]
        extra = _("This printed copy lists the %(shown)s most recent; the JSON and CSV copies list all %(listed)s.") % {
            "shown": limit,
            "listed": section.count,
        }
        note = f"{note} {extra}".strip()
    return {
        "code": section.code,
        "title": section.title,
        "note": note,
        "count": section.count,
        "total": section.total,
        "wide": len(shown) >= WIDE_FROM,
        "labels": [c.label for c in shown],
        "rows": [[_cell(row.get(c.key)) for c in shown] for row in rows],
    }


def html(package: AccessPackage) -> str:
    """The package as the HTML page WeasyPrint prints (also useful to look at in a browser)."""
    explaining = package.kind == "explanation"
    with translation.override(package.language):
        return render_to_string(
            "rights/package/package.html",
            {
                "package": package,
                "title": _("How we process your personal information")
                if package.kind == "explanation"
                else _("Copy of your personal information"),
                "explanation": explaining,
                "lang_attr": "en" if package.language.startswith("en") else "zh-Hans",
                "generated": _when(package.generated_at),
                "sections": [_printed(s) for s in package.sections],
            },
        )


def embedded_cjk_fonts(document: Any) -> list[str]:
    """The CJK font families WeasyPrint embedded (known once the PDF is written)."""
    families = {str(getattr(font, "family", "")) for font in getattr(document, "fonts", {}).values()}
    return sorted(f for f in families if "CJK" in f)


def render(package: AccessPackage) -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    document = HTML(string=html(package), base_url=str(CSS_PATH.parent)).render(stylesheets=[CSS(filename=str(CSS_PATH))])
    pdf: bytes = document.write_pdf()
    if not package.language.startswith("en") and not embedded_cjk_fonts(document):
        raise FontMissing(_("No Chinese font is installed (fonts-noto-cjk): the copy would print as empty boxes."))
    return pdf
