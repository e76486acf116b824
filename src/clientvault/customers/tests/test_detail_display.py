"""What the detail page says: withheld is not empty, a choice shows its label, nationality is a named country."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import translation

from clientvault.accounts.models import User
from clientvault.customers import custom_fields
from clientvault.customers.forms import CustomerForm
from clientvault.customers.rules import clean_customer
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def _page(u: User, path: str, *, language: str = "zh-hans") -> str:
    client = Client()
    sign_in_verified(client, u)
    client.cookies["cv_language"] = language
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.content.decode()


def _dd(page: str, label: str) -> str:
    match = re.search(rf"<dt[^>]*>{re.escape(label)}</dt><dd[^>]*>(.*?)</dd>", page, re.S)
    assert match, f"no {label!r} on the page"
    return match.group(1).strip()


def test_withheld_says_so_and_empty_stays_a_dash(org: Org) -> None:
    core = customer(org["rep_bj1"], is_core=True)
    plain = customer(org["rep_bj1"], occupation="")
    page = _page(org["risk"], f"/customers/{core.pk}/")
    withheld = _dd(page, "手机号")
    assert "不予显示" in withheld and 'data-testid="withheld-mobile"' in withheld
    assert '<li class="breadcrumb-item active" aria-current="page">（不予显示）</li>' in page
    empty = _dd(_page(org["rep_bj1"], f"/customers/{plain.pk}/"), "职业")
    assert empty == "—"


def test_a_custom_choice_shows_its_label_in_the_users_language(org: Org) -> None:
    custom_fields.define_custom_field(
        ctx=ctx(org["admin"]),
        key="tier",
        field_type="choice",
        data={
            "label_zh": "客户等级",
            "label_en": "Tier",
            "choices": [{"value": "c3", "label_zh": "三级客户", "label_en": "Tier three"}],
            "classification": {"category": "behaviour", "jrt_class": "C1", "mask_profile": "none"},
        },
    )
    c = customer(org["rep_bj1"], custom_data={"tier": "c3"})
    assert _dd(_page(org["rep_bj1"], f"/customers/{c.pk}/"), "客户等级") == "三级客户"
    assert _dd(_page(org["rep_bj1"], f"/customers/{c.pk}/", language="en"), "Tier") == "Tier three"


def test_nationality_is_picked_by_name_stored_as_code_and_shown_by_name(org: Org) -> None:
    with translation.override("zh-hans"):
        form = CustomerForm(kind="individual")
        options = dict(form.fields["nationality"].choices)  # type: ignore[attr-defined]
    assert options["CN"] == "中国" and options["CH"] == "瑞士" and options["TW"] == "中国台湾"
    c = customer(org["rep_bj1"], nationality="CH")
    assert _dd(_page(org["rep_bj1"], f"/customers/{c.pk}/"), "国籍") == "瑞士"
    assert _dd(_page(org["rep_bj1"], f"/customers/{c.pk}/", language="en"), "Nationality") == "Switzerland"


@pytest.mark.parametrize(("value", "ok"), [("CN", True), ("ch", True), ("XX", False), ("ZZ", False)])
def test_nationality_refuses_codes_that_are_no_country(value: str, ok: bool) -> None:
    _out, errors = clean_customer({"name": "张三", "nationality": value}, kind="individual", today=dt.date(2026, 1, 1))
    assert ("nationality" not in errors) is ok
    form = CustomerForm({"name": "张三", "nationality": value.upper()}, kind="individual")
    form.is_valid()
    assert ("nationality" not in form.errors) is ok
