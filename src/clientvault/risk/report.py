"""The monthly risk report (issue #16) as chart data for the page (ECharts, passed as JSON) and as a PDF (WeasyPrint
with Noto CJK fonts, like the deletion certificate and the access package; charts drawn here as server-side SVG, so
the PDF needs no browser and no script).

The report is aggregates only (``risk.portfolio``): tier migration, overdue buckets, holds, warning kinds, model
stability — no customer is named, so its one read event is the aggregate ``credit.report_viewed`` the selector records.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientvault.risk import portfolio as book

# Colours follow status meaning (UI.md): red high risk / long overdue, amber medium, green low / current, grey unknown.
TIER_COLOURS = {"high": "#c0392b", "medium": "#d68910", "low": "#1e8449", book.NOT_SCORED: "#85929e"}
BUCKET_COLOURS = {"current": "#1e8449", "1_30": "#d4ac0d", "31_60": "#d68910", "61_90": "#ca6f1e", "90_plus": "#c0392b"}

STYLE = """
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 9.5pt; color: #1b1f24; }
  h1 { font-size: 16pt; margin: 0 0 2mm; }
  h2 { font-size: 12pt; margin: 5mm 0 2mm; }
  p.meta { color: #4a5561; margin: 0 0 3mm; }
  table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
  th, td { border: 0.5pt solid #9aa4b2; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
  th { background: #eef1f5; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .alert { color: #c0392b; font-weight: bold; }
  .chart { margin: 2mm 0; }
"""


def chart_data(report: book.Report) -> dict[str, Any]:
    """What the page's ECharts draw (``risk-desk.js`` reads it from a json_script tag)."""
    data = report.portfolio.chart()
    data["tier_colours"] = [TIER_COLOURS.get(c, "#85929e") for c in data["tiers"]["codes"]]
    data["bucket_colours"] = [BUCKET_COLOURS.get(c, "#85929e") for c in data["buckets"]["codes"]]
    models = sorted({s.model_id for s in report.stability})
    months = sorted({s.month for s in report.stability})
    psi = {(s.model_id, s.month): round(s.psi, 4) for s in report.stability}
    data["stability"] = {
        "months": [m.strftime("%Y-%m") for m in months],
        "series": [{"name": m, "data": [psi.get((m, month)) for month in months]} for m in models],
        "threshold": max((s.threshold for s in report.stability), default=0.25),
    }
    return data


def bar_svg(labels: list[str], values: list[int], colours: list[str], *, width: int = 520, height: int = 170) -> SafeString:
    """A horizontal bar chart as SVG markup (labels escaped; no script, no style attribute)."""
    rows = max(1, len(values))
    top, row_h, label_w, value_w = 6, (height - 12) / rows, 150, 50
    span = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row_h
        bar = (width - label_w - value_w) * value / span
        colour = colours[i] if i < len(colours) else "#5d6d7e"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row_h * 0.65:.1f}" font-size="11" text-anchor="end" fill="#1b1f24">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + row_h * 0.15:.1f}" width="{bar:.1f}" height="{row_h * 0.7:.1f}" fill="{colour}"/>'
            f'<text x="{label_w + bar + 4:.1f}" y="{y + row_h * 0.65:.1f}" font-size="11" fill="#1b1f24">{value}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — built here from numbers and escaped labels


def charts(report: book.Report) -> dict[str, Any]:
    """The report's charts: ECharts data for the page, SVG for the PDF (and the page's table view)."""
    p = report.portfolio
    return {
        "data": chart_data(report),
        "tiers_svg": bar_svg([r.label for r in p.by_tier], [r.files for r in p.by_tier], [TIER_COLOURS[r.tier] for r in p.by_tier]),
        "buckets_svg": bar_svg([b.label for b in p.buckets], [b.files for b in p.buckets], [BUCKET_COLOURS[b.code] for b in p.buckets]),
    }


def render_pdf(report: book.Report, language: str = "zh-hans") -> bytes:
    """The report as a PDF in zh-Hans (default) or English; Chinese set in Noto Sans CJK SC (fonts-noto-cjk)."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped,unused-ignore]

    lang = "en" if language.startswith("en") else "zh-hans"
    with translation.override(lang):
        html = render_to_string(
            "risk/report_pdf.html",
            {"r": report, "charts": charts(report), "language": lang, "title": _("Monthly risk report")},
        )
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(string=STYLE)])
    return pdf
