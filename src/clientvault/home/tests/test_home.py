"""The home page every role lands on, its follow-up card, the bell and the notifications page (issue #13)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client

from clientvault.core import clock, notifications
from clientvault.core.models import Notification
from clientvault.customers import reminders
from clientvault.customers.tasks import remind_followups_due
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.customers import customer, followup
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

ROLES = ["admin", "compliance", "auditor", "risk", "manager_bj", "rep_bj1", "norole"]
NOON = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)  # 12:00 in Asia/Shanghai
TODAY = dt.date(2026, 3, 10)


def _client(org: Org, username: str) -> Client:
    client = Client()
    sign_in_verified(client, org[username])
    return client


def _cards(page: str) -> dict[str, int]:
    found = re.findall(r'data-card="([a-z_]+)".*?data-testid="card-count">(\d+)<', page, re.S)
    return {key: int(n) for key, n in found}


@pytest.mark.parametrize("username", ROLES)
def test_every_role_lands_on_the_home_page_and_may_open_it(org: Org, username: str) -> None:
    client = _client(org, username)
    assert client.get("/")["Location"] == "/home/"
    page = client.get("/home/")
    assert page.status_code == 200
    assert 'data-testid="bell"' in page.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/home/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _due(org: Org) -> None:
    """rep_bj1 owns three customers: next step due today, overdue, and answered by a later follow-up."""
    rep = org["rep_bj1"]
    due_today, overdue, answered = customer(rep), customer(rep), customer(rep)
    followup(due_today, rep, next_step="回电", next_step_due=TODAY, occurred_at=dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC))
    followup(
        overdue,
        rep,
        next_step="送资料",
        next_step_due=TODAY - dt.timedelta(days=2),
        occurred_at=dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC),
    )
    followup(answered, rep, next_step="回电", next_step_due=TODAY, occurred_at=dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC))
    followup(answered, rep, occurred_at=dt.datetime(2026, 3, 9, 2, 0, tzinfo=dt.UTC))  # the later one answers it
    other = customer(org["rep_bj2"])  # not rep_bj1's
    followup(other, org["rep_bj2"], next_step="回电", next_step_due=TODAY)


def test_the_follow_up_card_counts_the_owners_next_steps_due_and_links_to_the_filtered_list(org: Org) -> None:
    _due(org)
    client = _client(org, "rep_bj1")
    with clock.travel(NOON):
        page = client.get("/home/").content.decode()
        assert _cards(page) == {"approvals": 0, "my_requests": 0, "followups": 1}
        assert 'href="/customers/?due=today"' in page and 'href="/customers/?due=overdue"' in page
        assert ">1 逾期<" in page  # the overdue part, in zh-Hans
        listed = client.get("/customers/?due=today")
        assert listed.status_code == 200
        assert reminders.my_due_counts(ctx(org["rep_bj1"])) == reminders.DueCounts(today=1, overdue=1)
        # A manager sees the team's customers but owns none: nothing of theirs is due.
        assert reminders.my_due_counts(ctx(org["manager_bj"])) == reminders.DueCounts(today=0, overdue=0)


@pytest.mark.parametrize("username", ["admin", "auditor", "norole"])
def test_roles_without_sight_of_follow_ups_get_no_follow_up_card(org: Org, username: str) -> None:
    assert "followups" not in _cards(_client(org, username).get("/home/").content.decode())
    assert reminders.my_due_counts(ctx(org[username])) is None


def test_the_customer_list_filter_shows_only_the_owners_due_customers(org: Org) -> None:
    _due(org)
    with clock.travel(NOON):
        from clientvault.customers import selectors

        today = selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(due="today"))
        overdue = selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters(due="overdue"))
        everyone = selectors.list_customers(ctx(org["rep_bj1"]), selectors.CustomerFilters())
    assert (today.total, overdue.total, everyone.total) == (1, 1, 3)


def test_the_follow_up_reminder_notifies_each_owner_once_a_day(org: Org, settings: object) -> None:
    _due(org)
    with clock.travel(NOON):
        assert remind_followups_due.call() == 2  # rep_bj1 and rep_bj2
        assert remind_followups_due.call() == 0  # the same day again: nobody twice
    rows = list(Notification.objects.filter(kind=reminders.REMINDER_KIND).order_by("user__username"))
    assert [(n.user.username, n.text, n.link) for n in rows] == [
        ("rep_bj1", "今日有 1 项跟进到期", "/customers/?due=today"),
        ("rep_bj2", "今日有 1 项跟进到期", "/customers/?due=today"),
    ]
    with clock.travel(NOON + dt.timedelta(days=1)):
        assert remind_followups_due.call() == 0  # tomorrow nothing is due today (yesterday's is overdue)


def test_notify_writes_rows_in_the_callers_transaction_and_mails_after_commit(org: Org, django_capture_on_commit_callbacks: object) -> None:
    rep = org["rep_bj1"]
    rep.email, rep.language = "rep@example.com", "en"
    rep.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        ids = notifications.notify([rep.pk, org["compliance"].pk], "test", "变更申请待审批", "/approvals/")
    assert len(ids) == 2 and len(callbacks) == 1
    assert notifications.send_notification_mail.call(ids) == 1  # compliance has no address: skipped
    assert mail.outbox[-1].to == ["rep@example.com"] and "/approvals/" in mail.outbox[-1].body


def test_a_rolled_back_action_notifies_nobody(org: Org) -> None:
    from django.db import transaction

    def action() -> None:
        with transaction.atomic():
            notifications.notify([org["rep_bj1"].pk], "test", "x")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        action()
    assert not Notification.objects.exists()


def test_the_bell_counts_unread_and_the_notifications_page_marks_them_read(org: Org) -> None:
    rep, other = org["rep_bj1"], org["rep_bj2"]
    first, second = notifications.notify([rep.pk], "test", "第一条", "/customers/") + notifications.notify([rep.pk], "test", "第二条")
    (foreign,) = notifications.notify([other.pk], "test", "别人的")
    client = _client(org, "rep_bj1")
    page = client.get("/home/").content.decode()
    assert re.search(r'data-testid="bell-count">2<', page)
    listing = client.get("/home/notifications/").content.decode()
    assert "第一条" in listing and "第二条" in listing and "别人的" not in listing
    # Opening an item marks it read and follows its own link.
    opened = client.post("/home/notifications/", {"id": first, "open": "1"})
    assert opened.status_code == 302 and opened["Location"] == "/customers/"
    assert re.search(r'data-testid="bell-count">1<', client.get("/home/").content.decode())
    # Another person's notification cannot be marked read (nor opened) by id.
    client.post("/home/notifications/", {"id": foreign, "open": "1"})
    assert Notification.objects.get(pk=foreign).read_at is None
    # Mark all read: the bell shows no count.
    assert client.post("/home/notifications/", {}).status_code == 302
    assert 'data-testid="bell-count"' not in client.get("/home/").content.decode()
    assert Notification.objects.get(pk=second).read_at is not None
    assert Notification.objects.get(pk=foreign).read_at is None


def test_a_risk_officer_sees_the_risk_desks_day(org: Org) -> None:
    """Open warnings (critical ones red), reviews due (overdue ones red) within the files the officer may see, and the
    credit-control rule changes another officer proposed; nobody else gets these cards."""
    from clientvault.risk import rule_catalogue
    from clientvault.risk.tests import desk
    from clientvault.risk.tests.limits_support import second_risk_officer

    with clock.travel(NOON):
        mine = desk.credit_file(customer(org["rep_bj1"]))
        desk.warning(mine, "overdue", "critical")
        desk.warning(mine, "utilisation", "warning", reference="r2")
        desk.review(mine, TODAY - dt.timedelta(days=3))
        desk.review(mine, TODAY + dt.timedelta(days=10), kind="warning")
        foreign = desk.credit_file(customer(org["rep_other"]))  # the other legal entity: out of the officer's sight
        desk.warning(foreign, "overdue", "critical")
        rule_catalogue.change_rule(ctx=ctx(second_risk_officer(org)), code="days-overdue", data={"params": {"at": 60}}, reason="放宽")
        page = _client(org, "risk").get("/home/").content.decode()
        found = _cards(page)
        assert (found["credit_warnings"], found["credit_reviews"], found["credit_rule_changes"]) == (2, 2, 1)
        assert 'href="/risk/warnings/?status=open&amp;severity=critical"' in page and 'href="/risk/control-rules/"' in page
        second = Client()
        sign_in_verified(second, second_risk_officer(org))
        assert _cards(second.get("/home/").content.decode())["credit_rule_changes"] == 0  # their own proposal
        for other in ("compliance", "auditor", "rep_bj1", "admin"):
            assert not {"credit_warnings", "credit_reviews", "credit_rule_changes"} & set(
                _cards(_client(org, other).get("/home/").content.decode())
            )
