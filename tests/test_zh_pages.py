"""The staff pages in Chinese (the default) show no codes or English where words belong (issue #11): roles,
purposes, decisions (masked / withheld), seeded reasons, audit field and object codes, channels."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from clientvault.testing.actors import sign_in_verified
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

ROLE_CODES = ["sales_rep", "sales_manager", "risk_officer", "compliance_officer", "administrator"]
PURPOSE_CODES = ["customer_service", "sales_followup", "credit_assessment", "compliance_review", "rights_request", "partner_sharing"]
FIELD_CODES = ["mobile", "id_number", "birth_date", "id_type", "customer.mobile", "customers.customer", "accounts.user"]
ENGLISH = ["masked", "withheld", "in clear", "default policy", "default purpose", "web", "defined with the custom field"]
WORDS = "|".join(re.escape(w) for w in ROLE_CODES + PURPOSE_CODES + FIELD_CODES + ENGLISH)
FORBIDDEN = re.compile(rf"(?<![\w.])({WORDS})(?![\w.])", re.I)
# "name · code": the audit filter's options name each purpose and event type with the code its exports carry.
NAMED_CODE = re.compile(r"^(.+?) · [a-z_.]+$")


class _Text(HTMLParser):
    """The text a person sees: element text and option labels, not attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(NAMED_CODE.sub(r"\1", part) for part in parser.parts)


def _check(client: Client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    text = _visible(response.content.decode())
    return [f"{path}: {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 20]!r}" for m in FORBIDDEN.finditer(text)]


def _client(u: object, purpose: str | None = None) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)  # type: ignore[arg-type]
    client.cookies["cv_language"] = "zh-hans"
    return client


def test_the_main_staff_pages_speak_chinese(org: Org) -> None:
    c = customer(org["rep_bj1"], is_core=True)
    found: list[str] = []
    rep = _client(org["rep_bj1"])
    for path in ("/customers/", f"/customers/{c.pk}/", "/customers/new/", f"/customers/{c.pk}/edit/"):
        found += _check(rep, path)
    compliance = _client(org["compliance"])
    for path in (
        "/customers/",
        f"/customers/{c.pk}/",
        "/access/policies/",
        "/access/policies/rep-marketing/",
        "/access/purposes/marketing/",
        "/classification/customer.address/",  # its key heads the page (the catalogue's identifier): not a code we test
        "/consents/",
        "/audit/",  # after the views above: events with fields, objects, channels, roles and purposes
        f"/audit/customers/{c.pk}/",
    ):
        found += _check(compliance, path)
    found += _check(_client(org["risk"]), f"/customers/{c.pk}/")
    found += _check(_client(org["auditor"]), "/audit/")
    admin = _client(org["admin"])
    for path in ("/accounts/users/", "/access/break-glass/", "/accounts/profile/"):
        found += _check(admin, path)
    assert not found, "codes or English on Chinese pages:\n" + "\n".join(found)
