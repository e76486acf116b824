"""The monthly risk report as a PDF: a real PDF, Chinese set in an embedded Noto Sans CJK font (not empty boxes), SVG
charts drawn on the server, one aggregate ``credit.report_viewed`` per download and no customer named."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clientvault.core import clock
from clientvault.risk import portfolio as book
from clientvault.risk import report
from clientvault.risk.tests import desk
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
NAME = "报告客户乙"


def _embedded_fonts(pdf: bytes) -> set[bytes]:
    """The /BaseFont names in the PDF, its compressed object streams inflated (WeasyPrint compresses them)."""
    names = set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf))
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            names.update(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", zlib.decompress(pdf[m.end() : end])))
        except zlib.error:
            continue
    return names


@pytest.fixture
def signed_in(org: Org) -> Client:
    f = desk.credit_file(customer(org["rep_bj1"], name=NAME), tier="high", evaluation=desk.EVALUATION)
    desk.score(f)
    desk.warning(f, "judgement", "critical")
    desk.stability(clock.today().replace(day=1), 0.3)
    client = Client()
    sign_in_verified(client, org["risk"])
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pdf_is_a_pdf_with_an_embedded_cjk_font(signed_in: Client, language: str, audit_events: Any) -> None:
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    month = clock.today().strftime("%Y-%m")
    response = signed_in.get(reverse("risk:report_pdf") + f"?month={month}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"risk-report-{month}.pdf" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert any(name.endswith(b"Noto-Sans-CJK-SC") for name in _embedded_fonts(pdf)), _embedded_fonts(pdf)
    (event,) = audit_events()
    assert event.event_type == "credit.report_viewed" and event.detail["output"] == "pdf" and event.customer_id is None


def test_the_pdf_html_names_no_customer_and_carries_svg_charts(signed_in: Client, org: Org) -> None:
    from django.template.loader import render_to_string

    from clientvault.risk import selectors
    from clientvault.testing.actors import ctx

    found = selectors.monthly_report(ctx(org["risk"]), clock.today())
    html = render_to_string("risk/report_pdf.html", {"r": found, "charts": report.charts(found), "language": "zh-hans", "title": "t"})
    assert NAME not in html and "<svg" in html and "judgement" in html
    assert "<script" not in html


def test_bar_svg_escapes_labels_and_scales_bars() -> None:
    svg = str(report.bar_svg(["<高>", "低"], [4, 2], ["#c0392b", "#1e8449"]))
    assert "&lt;高&gt;" in svg and "<高>" not in svg
    widths = [float(w) for w in re.findall(r'<rect[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_overdue_buckets_have_the_usual_edges() -> None:
    assert [book.bucket_of(d) for d in (None, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "current", "current", "1_30", "1_30", "31_60", "31_60", "61_90", "61_90", "90_plus", "90_plus",
    ]  # fmt: skip
