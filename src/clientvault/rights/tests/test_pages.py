"""The request pages: staff dashboard (overdue red, due soon amber, calendar flag), detail with decisions,
staff intake, and the portal's "my requests" with its own requests only (issue #15)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientvault.core import clock
from clientvault.rights import fulfilment, portal, requests
from clientvault.rights.choices import Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.testing.actors import ctx, sign_in_verified, subject_ctx
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import Org

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_worker")]


def signed_in(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def portal_client(*customers: Any) -> Client:
    client = Client()
    session = client.session
    session[portal.SUBJECT_KEY] = [str(c.pk) for c in customers]
    session[portal.SEEN_KEY] = time.time()
    session.save()
    return client


def test_dashboard_orders_by_due_date_and_shows_overdue_and_flagged(org: Org) -> None:
    person = customer(org["rep_bj1"])
    with clock.travel(dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)):
        old = requests.submit_request(
            ctx=ctx(org["rep_bj1"]), customer_id=person.pk, kind="access", channel="counter", verification_method="id_document"
        )
    with clock.travel(dt.datetime(2027, 2, 1, 2, 0, tzinfo=dt.UTC)):
        flagged = requests.submit_request(ctx=subject_ctx(person), customer_id=person.pk, kind="deletion", channel="portal")
    assert flagged.calendar_flag and old.due_on == dt.date(2026, 2, 4)  # 30 calendar days at the counter
    with clock.travel(dt.datetime(2027, 2, 2, 2, 0, tzinfo=dt.UTC)):
        page = signed_in(org["compliance"]).get(reverse("rights_staff:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index(f"/rights/{flagged.pk}/") < body.index(f"/rights/{old.pk}/")  # no due date (flagged) first, fail closed
    assert 'data-testid="count-overdue">1<' in body.replace(" ", "") or 'count-overdue">1' in body
    assert "table-danger" in body and "bi-calendar-x" in body


def test_staff_intake_then_verify_on_the_detail_page(org: Org, audit_events: Any) -> None:
    person = customer(org["rep_bj1"])
    rep = signed_in(org["rep_bj1"])
    form = {
        "customer": str(person.pk),
        "kind": "deletion",
        "channel": "phone",
        "jurisdiction": "CN",
        "verification_method": "",
        "text": "电话要求删除",
    }
    response = rep.post(reverse("rights_staff:new"), form)
    assert response.status_code == 302
    row = all_rows(RightsRequest).get(subject_id=person.pk)
    assert row.status == Status.VERIFYING and row.created_by_id == org["rep_bj1"].pk
    detail = rep.get(reverse("rights_staff:detail", args=[row.pk]))
    assert detail.status_code == 200 and "电话要求删除" in detail.content.decode()  # the rep who logged it reads it
    assert 'data-testid="verify-form"' not in detail.content.decode()  # but does not decide it
    officer = signed_in(org["compliance"])
    assert officer.post(reverse("rights_staff:verify", args=[row.pk]), {"method": "call_back"}).status_code == 302
    assert all_rows(RightsRequest).get(pk=row.pk).status == Status.IN_PROGRESS
    assert len(audit_events("rights.identity_verified")) == 1
    auditor = signed_in(org["auditor"]).get(reverse("rights_staff:detail", args=[row.pk]))
    assert auditor.status_code == 200 and "电话要求删除" not in auditor.content.decode()  # metadata only
    assert signed_in(org["rep_bj2"]).get(reverse("rights_staff:detail", args=[row.pk])).status_code == 404
    assert signed_in(org["risk"]).get(reverse("rights_staff:dashboard")).status_code == 404


def test_the_portal_lists_only_its_own_requests_and_takes_new_ones(org: Org, audit_events: Any) -> None:
    me, other = customer(org["rep_bj1"]), customer(org["rep_bj1"])
    requests.submit_request(ctx=subject_ctx(other), customer_id=other.pk, kind="access", channel="portal", text="别人的请求")
    client = portal_client(me)
    response = client.post(
        reverse("rights:request_new"), {"kind": "correction", "field": "email", "value": "me@example.cn", "text": "邮箱错了"}
    )
    assert response.status_code == 302
    page = client.get(reverse("rights:requests"))
    body = page.content.decode()
    assert page.status_code == 200 and body.count('data-testid="portal-request"') == 1 and "别人的请求" not in body
    mine = all_rows(RightsRequest).get(subject_id=me.pk)
    assert requests.details_of(mine)["changes"] == {"email": "me@example.cn"}
    foreign = client.post(reverse("rights:request_new"), {"kind": "access", "customer": str(other.pk)})
    assert foreign.status_code == 404
    assert Client().get(reverse("rights:requests")).status_code == 302  # not signed in: to the sign-in page


def test_a_failed_part_shows_failed_with_a_retry_button_and_never_done(org: Org) -> None:
    person = customer(org["rep_bj1"])
    request = requests.submit_request(
        ctx=subject_ctx(person), customer_id=person.pk, kind="correction", channel="portal", changes={"email": "a@example.cn"}
    )
    requests.take_over(ctx=ctx(org["compliance"], purpose="rights_request"), request_id=request.pk)
    org["compliance"].is_active = False
    org["compliance"].save(update_fields=["is_active"])
    fulfilment.fulfil(request.pk)
    org["compliance"].is_active = True
    org["compliance"].save(update_fields=["is_active"])
    page = signed_in(org["compliance"]).get(reverse("rights_staff:detail", args=[request.pk])).content.decode()
    assert 'data-testid="retry-correction"' in page and "permission_denied" in page
    assert all_rows(RequestPart).get(request=request).status == "failed"
