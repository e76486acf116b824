"""A follow-up form with errors shows them in place (issue #11: a blank follow-up failed silently, because
HTMX does not swap a 422 answer unless told to)."""

from __future__ import annotations

import json
import re

import pytest
from django import forms
from django.utils import translation

from clientvault.customers.models import FollowUp
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


def _htmx_rule_for(page: str, status: int) -> dict[str, object]:
    """The first responseHandling rule the page's htmx-config gives ``status`` (htmx 2 matches in order)."""
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert found, "the page has no htmx-config"
    rules = json.loads(found.group(1)).get("responseHandling") or [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ]  # htmx's defaults when the page sets none
    return next(r for r in rules if re.fullmatch(r["code"], str(status)))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_blank_follow_up_answers_the_form_with_its_error_and_htmx_swaps_it_in(org, client, language):
    c = customer(org["rep_bj1"])
    sign_in_verified(client, org["rep_bj1"])
    client.cookies["cv_language"] = language
    page = client.get(f"/customers/{c.pk}/").content.decode()
    assert _htmx_rule_for(page, 422)["swap"] is True and _htmx_rule_for(page, 500)["swap"] is False
    data = {"occurred_at": "2026-01-05T10:00", "channel": "phone", "summary": "   ", "next_step": ""}
    response = client.post(f"/customers/{c.pk}/followups/", data, headers={"HX-Request": "true", "HX-Target": "followups"})
    assert response.status_code == 422
    body = response.content.decode()
    with translation.override(language):
        required = str(forms.Field.default_error_messages["required"])
    assert 'data-testid="followup-form"' in body and f'data-testid="error-summary">{required}<' in body
    assert FollowUp.objects.unrestricted(reason="test counts rows").count() == 0
