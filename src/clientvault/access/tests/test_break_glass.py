"""Break-glass (紧急访问): time-boxed, reasoned, audited emergency access for administrators (issue #3;
ARCHITECTURE.md rule 3: administrators reach customer data only through it)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from clientvault.access import breakglass, engine, services
from clientvault.access.models import BreakGlassSession
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed
from clientvault.core.web import PURPOSE_SESSION_KEY
from clientvault.customers import profiles, selectors
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.audit import denials, not_denials
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.organisation import user

pytestmark = pytest.mark.django_db

REASON = "生产事故：客户投诉工单 INC-4711 需核对资料"
START = "/access/break-glass/"
END = "/access/break-glass/end/"
LOG = "/access/break-glass/log/"


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dt.datetime]:
    """A controllable clock: ``now()`` reads it, ``now(minutes=n)`` moves it n minutes past the start."""
    start = timezone.now().replace(microsecond=0)
    current = [start]
    monkeypatch.setattr(clock, "now", lambda: current[0])

    def move(minutes: float | None = None) -> dt.datetime:
        if minutes is not None:
            current[0] = start + dt.timedelta(minutes=minutes)
        return current[0]

    return move


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def target(org: Any) -> Any:
    return customer(org["rep_bj1"], name="赵敏敏", mobile="13712345678")


def admin_client(org: Any) -> Client:
    client = Client()
    sign_in_verified(client, org["admin"], purpose="")
    return client


def open_window(client: Client, reason: str = REASON, minutes: int = 30) -> Any:
    return client.post(START, {"reason": reason, "minutes": minutes})


# --- Who may open it, and the checks ---------------------------------------------------------------


@pytest.mark.parametrize("username", ["compliance", "auditor", "risk", "manager_bj", "rep_bj1", "norole"])
def test_only_administrators_may_open_break_glass(org, audit_events, username):
    u = org[username]
    with pytest.raises(PermissionDenied):
        breakglass.start(ctx=ctx(u, purpose=""), reason=REASON, minutes=10)
    client = Client()
    sign_in_verified(client, u, purpose="")
    assert client.get(START).status_code == 404
    assert client.post(START, {"reason": REASON, "minutes": 10}).status_code == 404
    assert not all_rows(BreakGlassSession).exists() and not_denials(audit_events()) == [] and len(denials(audit_events())) == 2
    assert not engine.may_break_glass(ctx(u, purpose=""))


@pytest.mark.parametrize(
    "reason, minutes, fields",
    [
        ("太短的理由", 10, {"reason"}),
        ("   a        b          c   d  ", 10, {"reason"}),  # 15+ characters only thanks to spaces
        (REASON, 61, {"minutes"}),
        (REASON, 0, {"minutes"}),
        (REASON, -5, {"minutes"}),
        ("短", 600, {"reason", "minutes"}),
        ("x" * 501, 10, {"reason"}),
    ],
)
def test_bad_reason_or_length_is_refused_with_field_errors_and_no_row(org, audit_events, reason, minutes, fields):
    assert settings.CLIENTVAULT_BREAK_GLASS_MAX_MINUTES == 60
    with pytest.raises(ValidationFailed) as exc:
        breakglass.start(ctx=ctx(org["admin"]), reason=reason, minutes=minutes)
    assert set(exc.value.fields) == fields
    assert not all_rows(BreakGlassSession).exists() and audit_events() == []


def test_the_limit_is_a_setting(org, settings):
    settings.CLIENTVAULT_BREAK_GLASS_MAX_MINUTES = 15
    with pytest.raises(ValidationFailed):
        breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=16)
    assert breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=15).pk


def test_web_form_shows_errors_and_opens_nothing(org, audit_events):
    client = admin_client(org)
    page = client.get(START)
    assert page.status_code == 200 and "60" in page.content.decode()
    response = open_window(client, reason="太短", minutes=61)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"reason", "minutes"}
    assert PURPOSE_SESSION_KEY not in client.session
    assert not all_rows(BreakGlassSession).exists() and audit_events() == []


# --- Opening it -----------------------------------------------------------------------------------


def test_start_is_audited_with_the_break_glass_purpose(org, audit_events, now):
    admin = org["admin"]
    session = breakglass.start(ctx=ctx(admin), reason="  " + REASON + "  ", minutes=30)
    assert session.reason == REASON
    assert (session.started_at, session.expires_at, session.ended_at) == (now(), now() + dt.timedelta(minutes=30), None)
    [event] = audit_events()
    assert event.event_type == "breakglass.started"
    assert (event.actor_id, event.purpose, event.object_id, event.detail) == (admin.pk, "break_glass", str(session.pk), {"minutes": 30})
    assert breakglass.active_session(ctx(admin)) == session


def test_compliance_officers_are_emailed_after_commit(org, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks):
    compliance = org["compliance"]
    compliance.email = "dpo@example.cn"
    compliance.save()
    second = user("compliance2", R.COMPLIANCE_OFFICER, org.hq)
    second.email = "dpo2@example.cn"
    second.save()
    gone = user("compliance_gone", R.COMPLIANCE_OFFICER, org.hq, active=False)
    gone.email = "gone@example.cn"
    gone.save()
    org["rep_bj1"].email = "rep@example.cn"
    org["rep_bj1"].save()
    target = customer(org["rep_bj1"], name="钱多多", mobile="13600001234")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=20)
        assert mailoutbox == [], "nothing is sent before the transaction commits"
    assert len(callbacks) == 1
    [mail] = mailoutbox
    assert sorted(mail.to) == ["dpo2@example.cn", "dpo@example.cn"]
    assert "admin" in mail.subject and REASON in mail.body
    for secret in ("钱多多", "13600001234", target.id_number, str(target.pk)):
        assert secret not in mail.subject + mail.body, "no customer data in the notice"


def test_no_mail_when_the_opening_rolls_back(org, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks):
    org["compliance"].email = "dpo@example.cn"
    org["compliance"].save()

    def start_then_fail() -> None:
        with transaction.atomic():
            breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=20)
            raise RuntimeError("the surrounding work failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        start_then_fail()
    assert callbacks == [] and mailoutbox == []
    assert not all_rows(BreakGlassSession).exists()


def test_notice_without_any_compliance_address_sends_nothing(org, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=20)
    assert mailoutbox == []
    assert all_rows(BreakGlassSession).count() == 1, "the window opens even when nobody can be told"


def test_web_start_sets_the_purpose_and_shows_the_red_banner(org, target, audit_events, now):
    client = admin_client(org)
    response = open_window(client, minutes=30)
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert client.session[PURPOSE_SESSION_KEY] == "break_glass"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    now(minutes=1 / 60)  # a second later
    page = client.get("/customers/")
    assert page.status_code == 200
    html = page.content.decode()
    banner = re.search(r'data-testid="break-glass-banner".*?</div>', html, re.S)
    assert banner, "a red banner on every page while the window is open"
    assert "alert-danger" in html[: banner.start()].rsplit("<div", 1)[-1]
    assert "30 minutes left" in banner.group(0) and REASON in banner.group(0)
    now(minutes=20.5)
    banner_later = re.search(r'data-testid="break-glass-banner".*?</div>', client.get(START).content.decode(), re.S)
    assert banner_later and "10 minutes left" in banner_later.group(0)
    assert re.search(r'text-bg-danger[^"]*[^>]*data-testid="purpose-badge"', html), "the purpose badge turns red"


def test_banner_never_shows_more_time_than_the_window_has(org, now):
    client = admin_client(org)
    open_window(client, minutes=30)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/access/purpose/").content.decode()
    assert "31 minutes left" not in page, "a 30-minute window cannot have 31 minutes left"
    assert "30 minutes left" in page


def test_under_break_glass_the_admin_reads_in_clear_and_every_read_is_audited(org, target, audit_events):
    client = admin_client(org)
    open_window(client)
    listing = client.get("/customers/")
    assert "赵敏敏" in listing.content.decode()
    detail = client.get(f"/customers/{target.pk}/")
    assert detail.status_code == 200
    assert "赵敏敏" in detail.content.decode() and "13712345678" in detail.content.decode()
    [viewed] = audit_events("customer.viewed")
    assert (viewed.actor_id, viewed.purpose, viewed.role, viewed.customer_id) == (
        org["admin"].pk,
        "break_glass",
        R.ADMINISTRATOR,
        target.pk,
    )
    assert viewed.detail["not_in_clear"] == []
    assert [e.purpose for e in audit_events("customer.listed")] == ["break_glass"]


def test_under_break_glass_the_admin_cannot_change_anything(org, target, audit_events):
    client = admin_client(org)
    open_window(client)
    assert client.get(f"/customers/{target.pk}/edit/").status_code == 404
    assert client.post(f"/customers/{target.pk}/edit/", {"name": "改名"}).status_code == 404
    assert client.get("/customers/new/").status_code == 404
    assert client.post(f"/customers/{target.pk}/delete/").status_code == 404
    bg = ctx(org["admin"], purpose="break_glass")
    with pytest.raises(PermissionDenied):
        profiles.update_customer(ctx=bg, customer_id=target.pk, changes={"occupation": "x"})
    assert selectors.customer_meta(bg, target.pk).can_change is False
    assert audit_events("customer.updated") == [] and audit_events("customer.deleted") == []


def test_break_glass_stays_inside_the_admins_legal_entity(org):
    foreign = customer(org["rep_other"], name="外法人客户")
    client = admin_client(org)
    open_window(client)
    assert client.get(f"/customers/{foreign.pk}/").status_code == 404
    assert "外法人客户" not in client.get("/customers/").content.decode()


def test_break_glass_session_does_not_open_the_api(org, target, audit_events):
    client = admin_client(org)
    open_window(client)
    response = client.get(f"/api/v1/customers/{target.pk}")
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "purpose_not_allowed"
    assert audit_events("customer.viewed") == []


def test_a_second_start_while_active_conflicts(org, audit_events):
    admin = org["admin"]
    first = breakglass.start(ctx=ctx(admin), reason=REASON, minutes=30)
    with pytest.raises(Conflict):
        breakglass.start(ctx=ctx(admin), reason=REASON + "（再次）", minutes=10)
    assert list(all_rows(BreakGlassSession).all()) == [first]
    assert [e.event_type for e in audit_events()] == ["breakglass.started"]
    client = admin_client(org)
    response = open_window(client)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert all_rows(BreakGlassSession).count() == 1


# --- Ending it ------------------------------------------------------------------------------------


def test_ending_closes_the_window_drops_the_purpose_and_access(org, target, audit_events, now):
    client = admin_client(org)
    open_window(client, minutes=30)
    assert client.get(f"/customers/{target.pk}/").status_code == 200
    now(minutes=5)
    response = client.post(END)
    assert response.status_code == 302 and response["Location"] == "/access/purpose/"
    assert PURPOSE_SESSION_KEY not in client.session
    row = all_rows(BreakGlassSession).get()
    assert (row.ended_at, row.end_cause) == (now(), "ended")
    [ended] = audit_events("breakglass.ended")
    assert (ended.purpose, ended.actor_id, ended.detail) == ("break_glass", org["admin"].pk, {"cause": "ended", "seconds": 300})
    assert client.get(f"/customers/{target.pk}/").status_code == 404
    assert client.get("/customers/").status_code == 404
    assert breakglass.active_session(ctx(org["admin"])) is None
    page = client.get("/access/purpose/").content.decode()
    assert 'data-testid="break-glass-banner"' not in page


def test_ending_without_a_window_does_nothing(org, audit_events):
    assert breakglass.end(ctx=ctx(org["admin"])) is False
    assert admin_client(org).post(END).status_code == 302
    assert audit_events() == []


def test_the_window_expires_on_the_next_request(org, target, audit_events, now):
    client = admin_client(org)
    open_window(client, minutes=10)
    assert client.get(f"/customers/{target.pk}/").status_code == 200
    now(minutes=10)  # expires_at is exclusive
    assert client.get(f"/customers/{target.pk}/").status_code == 404
    assert PURPOSE_SESSION_KEY not in client.session
    row = all_rows(BreakGlassSession).get()
    assert row.end_cause == "expired" and row.ended_at == row.expires_at
    [ended] = audit_events("breakglass.ended")
    assert ended.detail == {"cause": "expired", "seconds": 600} and ended.purpose == "break_glass"
    assert len(audit_events("customer.viewed")) == 1
    # Much later, the next request does not close it again.
    now(minutes=90)
    client.get("/access/purpose/")
    assert len(audit_events("breakglass.ended")) == 1


def test_expire_due_closes_overdue_windows_only(org, audit_events, now):
    admin2 = user("admin2", R.ADMINISTRATOR, org.hq, mfa=True)
    short = breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=10)
    long = breakglass.start(ctx=ctx(admin2), reason=REASON, minutes=60)
    now(minutes=11)
    assert breakglass.expire_due() == 1
    short.refresh_from_db()
    long.refresh_from_db()
    assert (short.end_cause, short.ended_at) == ("expired", short.expires_at)
    assert long.ended_at is None and breakglass.active_session(ctx(admin2)) == long
    [ended] = audit_events("breakglass.ended")
    assert ended.object_id == str(short.pk) and ended.actor_id is None and ended.channel == "task"
    assert ended.purpose == "break_glass" and ended.detail == {"cause": "expired", "seconds": 600}
    assert breakglass.expire_due() == 0, "idempotent"


def test_a_new_window_after_an_unclosed_expired_one_closes_it_first(org, audit_events, now):
    admin = org["admin"]
    old = breakglass.start(ctx=ctx(admin), reason=REASON, minutes=5)
    now(minutes=30)
    new = breakglass.start(ctx=ctx(admin), reason=REASON, minutes=5)
    old.refresh_from_db()
    assert old.end_cause == "expired" and old.ended_at == old.expires_at
    assert new.ended_at is None and new.pk != old.pk
    assert [e.event_type for e in audit_events()] == ["breakglass.started", "breakglass.ended", "breakglass.started"]


def test_losing_the_break_glass_policy_closes_the_window(org, target, audit_events):
    client = admin_client(org)
    open_window(client)
    services.change_policy(ctx=ctx(org["compliance"]), code="admin-break-glass", data={"active": False}, reason="freeze emergency access")
    assert client.get(f"/customers/{target.pk}/").status_code == 404
    assert PURPOSE_SESSION_KEY not in client.session
    assert all_rows(BreakGlassSession).get().ended_at is not None
    assert len(audit_events("breakglass.ended")) == 1
    assert client.get(START).status_code == 404, "nor can a new one be opened"


def test_a_session_purpose_of_break_glass_without_a_window_is_dropped(org, target, audit_events):
    client = Client()
    sign_in_verified(client, org["admin"], purpose="break_glass")
    assert client.get(f"/customers/{target.pk}/").status_code == 404
    assert PURPOSE_SESSION_KEY not in client.session
    assert not_denials(audit_events()) == [] and len(denials(audit_events())) == 1


def test_a_rep_cannot_plant_break_glass_in_the_session(org, target):
    client = Client()
    sign_in_verified(client, org["rep_bj1"], purpose="break_glass")
    response = client.get(f"/customers/{target.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/access/purpose/")
    assert PURPOSE_SESSION_KEY not in client.session


# --- The log --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, status", [("compliance", 200), ("auditor", 200), ("admin", 200), ("risk", 404), ("manager_bj", 404), ("rep_bj1", 404)]
)
def test_break_glass_log_is_for_compliance_audit_and_admin(org, username, status):
    breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=30)
    client = Client()
    sign_in_verified(client, org[username], purpose="")
    response = client.get(LOG)
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert REASON in page and "admin" in page


def test_break_glass_log_shows_how_each_window_ended(org, now):
    admin = org["admin"]
    breakglass.start(ctx=ctx(admin), reason=REASON, minutes=5)
    breakglass.end(ctx=ctx(admin))
    breakglass.start(ctx=ctx(admin), reason=REASON, minutes=5)
    now(minutes=6)
    breakglass.expire_due()
    breakglass.start(ctx=ctx(admin), reason=REASON, minutes=30)
    client = Client()
    sign_in_verified(client, org["compliance"], purpose="")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(LOG).content.decode()
    assert page.count("ended by the user") == 1 and page.count(">expired<") == 1
    assert len(re.findall(r"badge text-bg-danger\">Active<", page)) == 1


def test_break_glass_grants_only_reading_customer_data(org):
    """Break-glass is about customer data: it grants no other capability."""
    bg = ctx(org["admin"], purpose="break_glass")
    assert engine.can(bg, "customer", "view") and not engine.can(bg, "customer", "change")
    assert not engine.can(bg, "customer", "reveal") and not engine.can(bg, "followup", "create")
    assert "break_glass" not in engine.allowed_purposes(bg)


def test_reading_the_log_is_audited_and_a_person_sees_only_their_own_windows(org, audit_events):
    """Reasons often name a customer (catalogue key breakglass.reason): reading the log leaves an event,
    and outside the log's audience (compliance, audit, administration) the queryset shows none of them."""
    from clientvault.access import selectors as access_selectors
    from clientvault.core.errors import NotFound

    admin2 = user("admin2", R.ADMINISTRATOR, org.hq, mfa=True)
    mine = breakglass.start(ctx=ctx(org["admin"]), reason=REASON, minutes=10)
    theirs = breakglass.start(ctx=ctx(admin2), reason=REASON, minutes=10)
    assert list(BreakGlassSession.objects.visible_to(ctx(org["rep_bj1"]))) == []
    assert breakglass.active_session(ctx(admin2)) == theirs and breakglass.active_session(ctx(org["rep_bj1"])) is None
    assert set(BreakGlassSession.objects.visible_to(ctx(org["compliance"]))) == {mine, theirs}
    rows = access_selectors.break_glass_log(ctx(org["compliance"]))
    assert set(rows) == {mine, theirs}
    [event] = audit_events("breakglass.log_viewed")
    assert (event.actor_id, event.detail) == (org["compliance"].pk, {"rows": 2})
    with pytest.raises(NotFound):
        access_selectors.break_glass_log(ctx(org["rep_bj1"]))
    assert len(audit_events("breakglass.log_viewed")) == 1
