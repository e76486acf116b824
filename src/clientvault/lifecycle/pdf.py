"""The deletion certificate as a PDF for the customer (WeasyPrint, Noto CJK fonts; zh-Hans or en). The signed JSON
is the evidence; the PDF shows the same body and its signature for a person to read."""

from __future__ import annotations

import json

from django.template.loader import render_to_string
from django.utils import translation

from clientvault.lifecycle.models import DeletionCertificate

# Given to WeasyPrint as a stylesheet (no inline style in templates, even one only a PDF renderer reads).
STYLE = """
  @page { size: A4; margin: 18mm 16mm; }
  body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 10pt; color: #1b1f24; }
  h1 { font-size: 16pt; margin: 0 0 4mm; }
  table { border-collapse: collapse; width: 100%; margin: 3mm 0; }
  th, td { border: 0.5pt solid #9aa4b2; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
  th { background: #eef1f5; width: 34%; }
  .mono { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 8pt; word-break: break-all; }
"""


def render_pdf(cert: DeletionCertificate, language: str = "zh-hans") -> bytes:
    from weasyprint import CSS, HTML  # type: ignore[import-untyped,unused-ignore]

    lang = "en" if language.startswith("en") else "zh-hans"
    with translation.override(lang):
        html = render_to_string(
            "lifecycle/certificate_pdf.html",
            {"body": json.loads(cert.document), "signature": cert.signature, "key_id": cert.key_id, "language": lang},
        )
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(string=STYLE)])
    return pdf
