"""The calendar's pages and API: every staff role reads, administrators edit; refusals as the codebase answers
them (a page the role may not use is a 404, an API write a structured 403); zh-Hans by default."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.calendars import services
from clientvault.calendars.models import CalendarDay
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db
API = "/api/v1"
NOTICE = "国务院办公厅关于2026年部分节假日安排的通知（测试补充）"
READERS = ("admin", "compliance", "auditor", "risk", "manager_bj", "rep_bj1")


class Session:
    """A signed-in browser calling the API, CSRF enforced."""

    def __init__(self, u: Any) -> None:
        self.client = Client(enforce_csrf_checks=True)
        sign_in_verified(self.client, u)
        self.client.get("/accounts/profile/")
        self.headers = {"X-CSRFToken": self.client.cookies["cv_csrftoken"].value}

    def get(self, path: str) -> Any:
        return self.client.get(API + path, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(API + path, json.dumps(body), content_type="application/json", headers=self.headers)


def _client(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_every_staff_role_reads_the_years_and_a_year(org: Org) -> None:
    for who in READERS:
        years = Session(org[who]).get("/calendar/years")
        assert years.status_code == 200, (who, years.content)
    by_year = {y["year"]: y for y in years.json()}
    assert by_year[2026]["covered"] and by_year[2026]["holidays"] >= 30 and by_year[2026]["workdays"] == 6
    assert by_year[2027]["covered"] is False  # shown, and shown as not covered
    detail = Session(org["rep_bj1"]).get("/calendar/2026").json()
    days = {d["day"]: d for d in detail["days"]}
    assert days["2026-10-01"]["kind"] == "holiday" and days["2026-10-01"]["festival"] == "national_day"
    assert days["2026-02-14"]["kind"] == "workday" and detail["covered"] and "2026" in detail["notice"]
    assert Session(org["rep_bj1"]).get("/calendar/2027").json()["covered"] is False
    _error(Session(org["rep_bj1"]).get("/calendar/1800"), 404, "not_found")
    _error(Session(org["norole"]).get("/calendar/years"), 403, "permission_denied")
    assert Client().get(API + "/calendar/years").status_code == 401


def test_an_administrator_enters_a_date_over_the_api(org: Org, audit_events: Any) -> None:
    body = {"day": "2026-12-07", "kind": "holiday", "festival": "other", "notice": NOTICE, "reason": "typhoon"}
    for who in ("compliance", "auditor", "rep_bj1"):
        _error(Session(org[who]).post("/calendar/days", body), 403, "permission_denied")
    assert audit_events("calendar.day_changed") == []
    _error(Session(org["admin"]).post("/calendar/days", body | {"notice": " "}), 422, "validation_failed")
    _error(Session(org["admin"]).post("/calendar/days", body | {"kind": "party"}), 422, "validation_failed")
    created = Session(org["admin"]).post("/calendar/days", body)
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 1 and created.json()["source"] == "admin"
    assert len(audit_events("calendar.day_changed")) == 1
    assert not services.is_working_day(CalendarDay.objects.get(pk__isnull=False, day="2026-12-07").day)


def test_the_year_page_shows_month_grids_coverage_and_citation(org: Org) -> None:
    page = _client(org["rep_bj1"]).get("/calendar/2026/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-day="2026-10-01" data-state="holiday"' in html and 'data-day="2026-02-14" data-state="workday"' in html
    assert ("2026年部分节假日安排" in html and "工作日历" in html) or "Working-day calendar" in html
    assert 'href="/calendar/days/' not in html  # no edit link for a reader
    uncovered = _client(org["rep_bj1"]).get("/calendar/2027/").content.decode()
    assert 'data-testid="coverage-badge"' in uncovered and "text-bg-danger" in uncovered.split('data-testid="coverage-badge"')[0][-80:]
    assert _client(org["rep_bj1"]).get("/calendar/").status_code == 200
    assert _client(org["norole"]).get("/calendar/").status_code == 404
    assert _client(org["rep_bj1"]).get("/calendar/1800/").status_code == 404


def test_an_administrator_edits_on_the_page_and_others_get_404(org: Org, audit_events: Any) -> None:
    form = {"day": "2026-12-05", "kind": "workday", "name": "other", "notice": NOTICE, "reason": ""}
    for who in ("compliance", "rep_bj1", "auditor"):
        assert _client(org[who]).get("/calendar/days/").status_code == 404
        assert _client(org[who]).post("/calendar/days/", form).status_code == 404
        assert _client(org[who]).post("/calendar/2027/coverage/", {"covered": "1", "notice": NOTICE}).status_code == 404
    admin = _client(org["admin"])
    assert admin.get("/calendar/days/?day=2026-10-01").status_code == 200
    assert admin.post("/calendar/days/", form | {"notice": ""}).status_code == 400
    response = admin.post("/calendar/days/", form)
    assert response.status_code == 302 and response["Location"] == "/calendar/2026/"
    assert services.is_working_day(CalendarDay.objects.get(day="2026-12-05").day)
    history = admin.get("/calendar/days/?day=2026-12-05").content.decode()
    assert 'data-testid="day-history"' in history
    refused = admin.post("/calendar/2027/coverage/", {"covered": "1", "notice": NOTICE})
    assert refused.status_code == 422 and "2027" in refused.content.decode()  # the year's holidays are not entered
    assert len(audit_events("calendar.day_changed")) == 1
    assert 'href="/calendar/days/' in admin.get("/calendar/2026/").content.decode()
