"""The compliance officer's write grant under ``rights_request`` ("compliance-corrections", access/defaults.py)
serves only the corrections a data-subject request asked for (PIPL-46): from the staff pages or the API, with
that purpose chosen, a compliance officer cannot edit a customer (issue #15)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.services import create_api_token
from clientvault.core.context import for_user
from clientvault.core.errors import PermissionDenied
from clientvault.customers.profiles import update_customer
from clientvault.customers.selectors import get_customer
from clientvault.testing.actors import choose_purpose, ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_worker")]
API = "/api/v1"
CHANGE = {"occupation": "教师", "version": 1}


def occupation(org: Org, person: Any) -> str:
    return str(get_customer(ctx(org["compliance"], purpose="compliance_review"), person.pk).occupation or "")


def test_the_api_with_a_token_for_rights_request_cannot_edit_a_customer(org: Org) -> None:
    person = customer(org["rep_bj1"])
    _token, secret = create_api_token(ctx=ctx(org["compliance"]), name="t", purposes=["rights_request"])
    headers = {"Authorization": f"Bearer {secret}", "X-Purpose": "rights_request"}
    response = Client().patch(f"{API}/customers/{person.pk}", json.dumps(CHANGE), content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert occupation(org, person) != "教师"


def test_the_signed_in_officer_with_rights_request_chosen_cannot_edit_a_customer(org: Org) -> None:
    person = customer(org["rep_bj1"])
    client = Client()
    client.force_login(org["compliance"])
    choose_purpose(client, "rights_request")
    response = client.patch(f"{API}/customers/{person.pk}", json.dumps(CHANGE), content_type="application/json")
    assert response.status_code == 403
    assert occupation(org, person) != "教师"


def test_a_web_context_under_rights_request_is_refused_by_the_service(org: Org) -> None:
    person = customer(org["rep_bj1"])
    officer = for_user(org["compliance"], channel="web", purpose="rights_request")
    with pytest.raises(PermissionDenied):
        update_customer(ctx=officer, customer_id=person.pk, changes={"occupation": "教师"})
    task = for_user(org["compliance"], channel="task", purpose="rights_request")  # the worker, but no correction is live
    with pytest.raises(PermissionDenied):
        update_customer(ctx=task, customer_id=person.pk, changes={"occupation": "教师"})
