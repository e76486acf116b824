"""Who logged a request keeps it in sight (and reads its sealed details) only while they still see the customer:
a restriction (PIPL-47, stored only, compliance alone reads) or a reassignment ends it (issue #15)."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.core.errors import NotFound
from clientvault.customers.models import Customer
from clientvault.lifecycle import restriction
from clientvault.rights import requests, selectors
from clientvault.rights.models import RightsRequest
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_worker")]


def logged(org: Org) -> tuple[Any, RightsRequest]:
    person = customer(org["rep_bj1"])
    request = requests.submit_request(
        ctx=ctx(org["rep_bj1"]),
        customer_id=person.pk,
        kind="access",
        channel="letter",
        text="请提供我的资料",
        verification_method="id_document",
    )
    assert selectors.get_request(ctx(org["rep_bj1"]), request.pk).text == "请提供我的资料"
    return person, request


def test_a_restriction_ends_the_loggers_sight_of_the_request_and_its_details(org: Org) -> None:
    person, request = logged(org)
    restriction.restrict(ctx(org["compliance"]), customer_id=person.pk, basis="request")
    assert not RightsRequest.objects.visible_to(ctx(org["rep_bj1"])).filter(pk=request.pk).exists()
    with pytest.raises(NotFound):
        selectors.get_request(ctx(org["rep_bj1"]), request.pk)
    assert selectors.get_request(ctx(org["compliance"], purpose="rights_request"), request.pk).text == "请提供我的资料"


def test_a_reassignment_ends_the_loggers_sight_of_the_request(org: Org) -> None:
    person, request = logged(org)
    all_rows(Customer).filter(pk=person.pk).update(owner=org["rep_bj2"])
    assert not RightsRequest.objects.visible_to(ctx(org["rep_bj1"])).filter(pk=request.pk).exists()
    with pytest.raises(NotFound):
        selectors.get_request(ctx(org["rep_bj1"]), request.pk)
    assert not selectors._may_read_details(ctx(org["rep_bj1"]), request)
