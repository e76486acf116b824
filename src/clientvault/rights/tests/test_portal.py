"""The customer portal over HTTP: one-time code sign-in, no enumeration, limits, own data and consents."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from clientvault.accounts.models import User
from clientvault.audit.models import AuditEvent
from clientvault.consents import rules as consent_rules
from clientvault.consents import selectors as consent_selectors
from clientvault.consents.choices import Action, State
from clientvault.consents.models import Consent, ConsentRecord
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed
from clientvault.customers.models import Customer
from clientvault.rights import portal, services
from clientvault.rights.identifiers import Identifier, parse_identifier
from clientvault.rights.models import PortalCode
from clientvault.rights.senders import Message
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.consents import consent, notice
from clientvault.testing.customers import all_rows, customer
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import Org
from clientvault.testing.senders import MemorySender

pytestmark = pytest.mark.django_db

SIGN_IN = "/portal/"
VERIFY = "/portal/verify/"
HOME = "/portal/me/"
CONSENTS = "/portal/consents/"
SIGN_OUT = "/portal/sign-out/"
CODE = re.compile(r"\b(\d{6})\b")
BAD_IDENTIFIER = "Enter your 18-character ID number or your 11-digit mobile number."
USED_UP = "This code has expired or was used up."
GUARDIAN_AT_BRANCH = "For a child under 14, a parent or guardian gives consent at a branch."


Commit = Callable[..., AbstractContextManager[Any]]
Events = Callable[..., list[AuditEvent]]


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[Message]]:
    """Codes go to the in-memory sender; the list is the messages sent during the test. The worker's task
    runs at once (the immediate task backend), when the request's transaction commits."""
    settings.CLIENTVAULT_PORTAL_SENDER = "clientvault.testing.senders.MemorySender"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    MemorySender.outbox.clear()
    yield MemorySender.outbox
    MemorySender.outbox.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Commit) -> Commit:
    return django_capture_on_commit_callbacks


@pytest.fixture
def rep(org: Org) -> User:
    return org["rep_bj1"]


@pytest.fixture
def person(rep: User) -> Customer:
    return customer(rep)


def english(**defaults: Any) -> Client:
    client = Client(**defaults)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def ask(client: Client, identifier: str, commit: Commit) -> Any:
    """POST an identifier to the sign-in page, running the on-commit callbacks (the send) like a real commit."""
    with commit(execute=True):
        return client.post(SIGN_IN, {"identifier": identifier})


def redirected(response: Any) -> str:
    """Where a redirect points ("" for any other answer)."""
    return str(response["Location"]) if response.status_code in (301, 302) else ""


def code_in(message: Message) -> str:
    match = CODE.search(message.text)
    assert match, f"no 6-digit code in {message.text!r}"
    return match.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enter(client: Client, code: str) -> Any:
    return client.post(VERIFY, {"code": code})


def sign_in(client: Client, identifier: str, outbox: list[Message], commit: Commit) -> Any:
    """The whole sign-in: ask for a code, read it from the sender, enter it. Returns the verify response."""
    before = len(outbox)
    response = ask(client, identifier, commit)
    assert response.status_code == 302 and response.url == VERIFY
    assert len(outbox) == before + 1
    return enter(client, code_in(outbox[-1]))


def signed_in_ids(client: Client) -> list[str]:
    return list(client.session.get(portal.SUBJECT_KEY) or [])


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() or ch == "+" else ch for ch in text)


def page_text(response: Any) -> str:
    """The page without what differs per request by design (CSRF token, CSP nonce)."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'nonce="[^"]*"', "", html)


def give_url(c: Customer | Any, purpose: str = "marketing") -> str:
    return f"/portal/consents/{c.pk}/{purpose}/give/"


def withdraw_url(c: Customer | Any, purpose: str = "marketing") -> str:
    return f"/portal/consents/{c.pk}/{purpose}/withdraw/"


def state_of(c: Customer, purpose: str = "marketing") -> State:
    return next(p.state for p in consent_selectors.states_of(c) if p.purpose.code == purpose)


# --- Signing in ------------------------------------------------------------------------------------


def test_sign_in_by_id_number_shows_own_data_and_is_audited(
    person: Customer, outbox: list[Message], commit: Commit, audit_events: Events
) -> None:
    client = english()
    response = sign_in(client, person.id_number, outbox, commit)
    assert response.status_code == 302 and response.url == HOME
    assert outbox[0].kind == "mobile" and outbox[0].destination == person.mobile
    assert signed_in_ids(client) == [str(person.pk)]
    page = client.get(HOME)
    assert page.status_code == 200
    html = page.content.decode()
    for value in (person.name, person.id_number, person.mobile, person.email):
        assert value in html
    viewed = audit_events("subject.data_viewed")
    assert [e.customer_id for e in viewed] == [person.pk]
    assert viewed[0].channel == "portal" and viewed[0].role == "data_subject"
    assert [e.customer_id for e in audit_events("portal.signed_in")] == [person.pk]


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda m: m, id="plain"),
        pytest.param(lambda m: "+86" + m, id="+86"),
        pytest.param(lambda m: "+86 " + m[:3] + " " + m[3:7] + " " + m[7:], id="+86-spaced"),
        pytest.param(lambda m: full_width(m), id="full-width"),
        pytest.param(lambda m: full_width("+86" + m), id="full-width-+86"),
        pytest.param(lambda m: "0086-" + m, id="0086"),
    ],
)
def test_sign_in_by_mobile_accepts_usual_spellings(
    shape: Callable[[str], str], person: Customer, outbox: list[Message], commit: Commit
) -> None:
    client = english()
    response = sign_in(client, shape(person.mobile), outbox, commit)
    assert response.status_code == 302 and response.url == HOME
    assert signed_in_ids(client) == [str(person.pk)]
    assert person.mobile in client.get(HOME).content.decode()


def test_parse_identifier_normalises() -> None:
    number = resident_id(7, birth=dt.date(1990, 5, 17))
    assert parse_identifier(f" {number[:6]} {number[6:14]} {number[14:].lower()} ") == Identifier("id_number", number)
    assert parse_identifier("＋８６ １３９１２３４５６７８") == Identifier("mobile", "13912345678")
    assert parse_identifier("11010519491231002x") == Identifier("id_number", "11010519491231002X")
    with pytest.raises(ValidationFailed):
        parse_identifier("12912345678")  # no mainland mobile starts with 12


def test_the_code_goes_by_email_when_there_is_no_mobile(rep: User, outbox: list[Message], commit: Commit) -> None:
    c = customer(rep, mobile="")
    client = english()
    assert sign_in(client, c.id_number, outbox, commit).url == HOME
    assert outbox[0].kind == "email" and outbox[0].destination == c.email


def test_the_same_person_in_two_legal_entities_sees_both_records(org: Org, outbox: list[Message], commit: Commit) -> None:
    here = customer(org["rep_bj1"])
    there = customer(org["rep_other"], id_number=here.id_number, mobile=here.mobile, birth_date=here.birth_date)
    client = english()
    assert sign_in(client, here.mobile, outbox, commit).url == HOME
    assert sorted(signed_in_ids(client)) == sorted([str(here.pk), str(there.pk)])
    html = client.get(HOME).content.decode()
    assert html.count('data-testid="portal-record"') == 2


# --- No enumeration --------------------------------------------------------------------------------


def test_an_unknown_identifier_gets_exactly_the_same_answer(
    person: Customer, outbox: list[Message], commit: Commit, audit_events: Events
) -> None:
    known, unknown = english(), english()
    stranger = resident_id(990_001, birth=dt.date(1975, 3, 3))
    r_known = ask(known, person.id_number, commit)
    assert len(outbox) == 1
    r_unknown = ask(unknown, stranger, commit)
    assert len(outbox) == 1  # nothing sent for an identifier we do not hold
    assert (r_known.status_code, r_known.url) == (r_unknown.status_code, r_unknown.url) == (302, VERIFY)
    assert page_text(known.get(VERIFY)) == page_text(unknown.get(VERIFY))
    # A wrong code reads the same too.
    wrong = other_code(code_in(outbox[0]))
    w_known, w_unknown = enter(known, wrong), enter(unknown, wrong)
    assert w_known.status_code == w_unknown.status_code == 400
    assert page_text(w_known) == page_text(w_unknown)
    assert "4 attempts left" in w_unknown.content.decode()
    # Both are stored and audited the same way (rate limits count both).
    assert all_rows(PortalCode).count() == 2
    assert len(audit_events("portal.code_requested")) == 2
    assert signed_in_ids(unknown) == []


def test_a_malformed_identifier_gets_400_and_an_error(outbox: list[Message], commit: Commit) -> None:
    client = english()
    for bad in ("12345", "1101051990", "abc@example.cn", "+1 415 555 0100"):
        response = ask(client, bad, commit)
        assert response.status_code == 400
        assert BAD_IDENTIFIER in response.content.decode()
    assert ask(client, "", commit).status_code == 400
    assert all_rows(PortalCode).count() == 0
    assert outbox == []


def test_a_mobile_shared_by_two_people_signs_nobody_in(
    rep: User, outbox: list[Message], commit: Commit, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = "13912345678"
    one, two = customer(rep, mobile=shared), customer(rep, mobile=shared)
    assert one.id_number != two.id_number
    monkeypatch.setattr(secrets, "randbelow", lambda _n: 424242)
    client = english()
    response = ask(client, shared, commit)
    assert response.status_code == 302 and response.url == VERIFY  # the same answer as ever
    assert outbox == []
    assert all_rows(PortalCode).get().customer_ids == []
    refused = enter(client, "424242")  # even the right code
    assert refused.status_code == 400
    assert signed_in_ids(client) == []
    assert redirected(client.get(HOME)) == SIGN_IN
    # Each of them can still sign in by their own ID number.
    assert sign_in(english(), one.id_number, outbox, commit).url == HOME


def test_a_mobile_shared_by_records_without_id_numbers_signs_nobody_in(rep: User, outbox: list[Message], commit: Commit) -> None:
    """Rows without an ID number cannot be told to be one person: their shared phone opens none of them."""
    shared = "13912345670"
    customer(rep, mobile=shared, id_number="", id_type="", birth_date=None, sex="")
    customer(rep, mobile=shared, id_number="", id_type="", birth_date=None, sex="")
    ask(english(), shared, commit)
    assert outbox == [] and all_rows(PortalCode).get().customer_ids == []


class EmailOnlySender(MemorySender):
    """Like the production ``EmailSender``: reaches e-mail addresses only."""

    kinds = ("email",)


def test_an_email_only_sender_sends_to_the_email_on_file(person: Customer, outbox: list[Message], commit: Commit, settings: Any) -> None:
    settings.CLIENTVAULT_PORTAL_SENDER = f"{__name__}.EmailOnlySender"
    ask(english(), person.id_number, commit)
    assert [(m.kind, m.destination) for m in outbox] == [("email", person.email)]


def test_rate_limited_requests_are_audited(
    person: Customer, outbox: list[Message], commit: Commit, settings: Any, audit_events: Events
) -> None:
    settings.CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR = 1
    client = english()
    ask(client, person.id_number, commit)
    refused = ask(client, person.id_number, commit)
    assert refused.status_code == 429
    [event] = audit_events("portal.rate_limited")
    assert event.outcome == "denied" and event.detail == {"limit": "identifier"}


def test_the_code_is_sent_by_the_worker_and_not_kept(person: Customer, commit: Commit, settings: Any) -> None:
    """The request only enqueues: the message waits sealed under the customer's key, and is blanked once sent."""
    from clientvault.rights.tasks import send_portal_code

    settings.CLIENTVAULT_PORTAL_SENDER = "clientvault.testing.senders.MemorySender"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    MemorySender.outbox.clear()
    ask(english(), person.id_number, commit)
    row = all_rows(PortalCode).get()
    assert MemorySender.outbox == [] and bytes(row.message_ct)
    assert person.mobile.encode() not in bytes(row.message_ct)
    assert send_portal_code.call(str(row.pk)) is True
    assert [m.destination for m in MemorySender.outbox] == [person.mobile]
    assert bytes(all_rows(PortalCode).get().message_ct) == b""
    assert send_portal_code.call(str(row.pk)) is False  # at most once
    MemorySender.outbox.clear()


# --- Codes -----------------------------------------------------------------------------------------


def test_wrong_codes_count_and_after_the_limit_even_the_right_code_is_refused(
    person: Customer, outbox: list[Message], commit: Commit, audit_events: Events
) -> None:
    client = english()
    ask(client, person.id_number, commit)
    right = code_in(outbox[-1])
    wrong = other_code(right)
    for left in (4, 3, 2, 1):
        response = enter(client, wrong)
        assert response.status_code == 400
        assert f"{left} attempts left" in response.content.decode()
    last = enter(client, wrong)
    assert last.status_code == 400 and USED_UP in last.content.decode()
    refused = enter(client, right)
    assert refused.status_code == 400 and USED_UP in refused.content.decode()
    assert signed_in_ids(client) == []
    row = all_rows(PortalCode).get()
    assert row.attempts == settings.CLIENTVAULT_PORTAL_CODE_ATTEMPTS and row.used_at is None
    failed = audit_events("portal.sign_in_failed")
    assert len(failed) == 5 and all(e.outcome == "failed" and e.customer_id == person.pk for e in failed)
    assert audit_events("portal.signed_in") == []


def test_verify_code_counts_and_audits_a_wrong_code(person: Customer, outbox: list[Message], commit: Commit, audit_events: Events) -> None:
    ask(english(), person.id_number, commit)
    row = all_rows(PortalCode).get()
    wrong = other_code(code_in(outbox[-1]))
    with pytest.raises(services.CodeRejected):
        services.verify_code(ctx=Context(actor=None, ip="127.0.0.1", channel="portal"), code_id=row.pk, code=wrong)
    row.refresh_from_db()
    assert row.attempts == 1
    assert [e.outcome for e in audit_events("portal.sign_in_failed")] == ["failed"]


def test_wrong_codes_are_refused_while_the_right_one_signs_in(person: Customer, outbox: list[Message], commit: Commit) -> None:
    client = english()
    ask(client, person.id_number, commit)
    right = code_in(outbox[-1])
    for _ in range(3):
        response = enter(client, other_code(right))
        assert response.status_code == 400 and "attempts left" in response.content.decode()
        assert signed_in_ids(client) == []
    assert enter(client, right).url == HOME


def test_a_wrong_code_then_the_right_one_signs_in(person: Customer, outbox: list[Message], commit: Commit) -> None:
    client = english()
    ask(client, person.id_number, commit)
    right = code_in(outbox[-1])
    assert enter(client, other_code(right)).status_code == 400
    response = enter(client, f" {right[:3]} {right[3:]} ")  # spaces are ignored
    assert response.status_code == 302 and response.url == HOME


def test_an_expired_code_is_refused(person: Customer, outbox: list[Message], commit: Commit, monkeypatch: pytest.MonkeyPatch) -> None:
    t0 = timezone.now()
    monkeypatch.setattr(clock, "now", lambda: t0)
    client = english()
    ask(client, person.id_number, commit)
    code = code_in(outbox[-1])
    assert all_rows(PortalCode).get().expires_at == t0 + dt.timedelta(seconds=settings.CLIENTVAULT_PORTAL_CODE_SECONDS)
    monkeypatch.setattr(clock, "now", lambda: t0 + dt.timedelta(seconds=settings.CLIENTVAULT_PORTAL_CODE_SECONDS))
    response = enter(client, code)
    assert response.status_code == 400 and USED_UP in response.content.decode()
    assert signed_in_ids(client) == []


def test_a_code_is_valid_until_just_before_it_expires(
    person: Customer, outbox: list[Message], commit: Commit, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = timezone.now()
    monkeypatch.setattr(clock, "now", lambda: t0)
    client = english()
    ask(client, person.id_number, commit)
    code = code_in(outbox[-1])
    monkeypatch.setattr(clock, "now", lambda: t0 + dt.timedelta(seconds=settings.CLIENTVAULT_PORTAL_CODE_SECONDS - 1))
    assert enter(client, code).url == HOME


def test_a_used_code_cannot_be_used_again(person: Customer, outbox: list[Message], commit: Commit) -> None:
    client = english()
    ask(client, person.id_number, commit)
    pending = client.session[portal.PENDING_KEY]
    code = code_in(outbox[-1])
    assert enter(client, code).url == HOME
    assert all_rows(PortalCode).get(pk=pending).used_at is not None
    # Someone else replays the same code against the same row.
    replay = english()
    session = replay.session
    session[portal.PENDING_KEY] = pending
    session.save()
    response = enter(replay, code)
    assert response.status_code == 400 and USED_UP in response.content.decode()
    assert signed_in_ids(replay) == []
    with pytest.raises(services.CodeRejected):
        services.verify_code(ctx=Context(actor=None, ip="127.0.0.1"), code_id=all_rows(PortalCode).get(pk=pending).pk, code=code)


def test_verify_without_a_pending_code_goes_back_to_sign_in() -> None:
    assert redirected(english().get(VERIFY)) == SIGN_IN
    assert redirected(english().post(VERIFY, {"code": "123456"})) == SIGN_IN


# --- Rate limits -----------------------------------------------------------------------------------


def test_too_many_codes_for_one_identifier_give_429(person: Customer, outbox: list[Message], commit: Commit) -> None:
    limit = settings.CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR
    for i in range(limit):
        # A different address each time: the limit is per identifier, not per address.
        assert ask(english(REMOTE_ADDR=f"10.0.0.{i + 1}"), person.id_number, commit).status_code == 302
    response = ask(english(REMOTE_ADDR="10.0.1.1"), person.id_number, commit)
    assert response.status_code == 429
    assert "Too many codes" in response.content.decode()
    assert len(outbox) == limit
    assert all_rows(PortalCode).count() == limit
    # Another identifier from the same address is unaffected.
    assert ask(english(REMOTE_ADDR="10.0.1.1"), person.mobile, commit).status_code == 302


def test_unknown_identifiers_are_rate_limited_the_same(outbox: list[Message], commit: Commit) -> None:
    stranger = "13800000001"
    limit = settings.CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR
    codes = [ask(english(REMOTE_ADDR=f"10.0.2.{i + 1}"), stranger, commit).status_code for i in range(limit + 1)]
    assert codes == [302] * limit + [429]
    assert outbox == []


def test_too_many_codes_from_one_address_give_429(settings: Any, outbox: list[Message], commit: Commit) -> None:
    settings.CLIENTVAULT_PORTAL_CODES_PER_IP_HOUR = 3
    client = english(REMOTE_ADDR="192.0.2.7")
    for n in range(3):
        assert ask(client, f"1380000000{n}", commit).status_code == 302
    response = ask(client, "13800000009", commit)
    assert response.status_code == 429
    assert "Too many codes" in response.content.decode()
    assert all_rows(PortalCode).filter(ip="192.0.2.7").count() == 3
    assert ask(english(REMOTE_ADDR="192.0.2.8"), "13800000009", commit).status_code == 302


def test_codes_older_than_an_hour_no_longer_count(person: Customer, outbox: list[Message], commit: Commit) -> None:
    limit = settings.CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR
    for _ in range(limit):
        ask(english(), person.id_number, commit)
    assert ask(english(), person.id_number, commit).status_code == 429
    all_rows(PortalCode).update(created_at=timezone.now() - dt.timedelta(hours=1, seconds=1))
    assert ask(english(), person.id_number, commit).status_code == 302


# --- Sessions --------------------------------------------------------------------------------------


def test_portal_pages_redirect_to_sign_in_when_not_signed_in(person: Customer) -> None:
    client = english()
    for url in (HOME, CONSENTS, give_url(person), withdraw_url(person)):
        response = client.get(url)
        assert response.status_code == 302 and redirected(response) == SIGN_IN, url
    assert redirected(client.post(withdraw_url(person))) == SIGN_IN


def test_staff_sign_in_does_not_open_the_portal(org: Org) -> None:
    client = english()
    sign_in_verified(client, org["admin"])
    assert "_auth_user_id" in client.session  # signed in as staff
    assert redirected(client.get(HOME)) == SIGN_IN


def test_idle_timeout_signs_out(settings: Any, person: Customer, outbox: list[Message], commit: Commit) -> None:
    settings.CLIENTVAULT_PORTAL_SESSION_MINUTES = 15
    client = english()
    sign_in(client, person.id_number, outbox, commit)
    session = client.session
    session[portal.SEEN_KEY] = time.time() - 14 * 60
    session.save()
    assert client.get(HOME).status_code == 200  # activity within the limit keeps the session
    session = client.session
    session[portal.SEEN_KEY] = time.time() - 16 * 60
    session.save()
    response = client.get(HOME)
    assert response.status_code == 302 and redirected(response) == SIGN_IN
    assert signed_in_ids(client) == []
    assert redirected(client.get(CONSENTS)) == SIGN_IN  # stays signed out


def test_sign_out(person: Customer, outbox: list[Message], commit: Commit, audit_events: Events) -> None:
    client = english()
    sign_in(client, person.id_number, outbox, commit)
    assert client.get(SIGN_OUT).status_code == 405  # only by POST
    response = client.post(SIGN_OUT)
    assert response.status_code == 302 and redirected(response) == SIGN_IN
    assert signed_in_ids(client) == []
    assert redirected(client.get(HOME)) == SIGN_IN
    assert [e.customer_id for e in audit_events("portal.signed_out")] == [person.pk]


# --- Consents --------------------------------------------------------------------------------------


def test_one_customer_cannot_open_anothers_consent_pages(rep: User, outbox: list[Message], commit: Commit) -> None:
    mine, theirs = customer(rep), customer(rep)
    consent(theirs, "marketing")
    client = english()
    sign_in(client, mine.id_number, outbox, commit)
    assert client.get(give_url(theirs)).status_code == 404
    assert client.post(give_url(theirs), {"agree": "on"}).status_code == 404
    assert client.get(withdraw_url(theirs)).status_code == 404
    assert client.post(withdraw_url(theirs)).status_code == 404
    assert state_of(theirs) is State.LIVE
    assert all_rows(ConsentRecord).filter(customer=theirs).count() == 1
    assert not all_rows(ConsentRecord).filter(customer=mine).exists()


def test_withdrawing_in_the_portal(person: Customer, outbox: list[Message], commit: Commit, audit_events: Events) -> None:
    consent(person, "marketing")
    assert state_of(person) is State.LIVE
    client = english()
    sign_in(client, person.id_number, outbox, commit)
    page = client.get(CONSENTS).content.decode()
    assert 'data-purpose="marketing" data-state="live"' in page
    assert client.get(withdraw_url(person)).status_code == 200
    response = client.post(withdraw_url(person))
    assert response.status_code == 302 and redirected(response) == CONSENTS
    withdrawn = audit_events("consent.withdrawn")
    assert [e.customer_id for e in withdrawn] == [person.pk]
    assert withdrawn[0].channel == "portal" and withdrawn[0].detail["by_subject"] is True
    assert all_rows(Consent).get(customer=person, purpose="marketing").action == Action.WITHDRAWN
    assert state_of(person) is State.WITHDRAWN
    assert 'data-purpose="marketing" data-state="withdrawn"' in client.get(CONSENTS).content.decode()
    # Nothing left to withdraw: no second record.
    client.post(withdraw_url(person))
    assert all_rows(ConsentRecord).filter(customer=person, action=Action.WITHDRAWN).count() == 1


def test_giving_consent_needs_the_box_ticked(person: Customer, outbox: list[Message], commit: Commit, audit_events: Events) -> None:
    notice()
    client = english()
    sign_in(client, person.id_number, outbox, commit)
    page = client.get(give_url(person))
    assert page.status_code == 200 and 'data-testid="portal-notice"' in page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    # An unticked box is not sent at all: the browser posts only the CSRF token.
    unticked = client.post(give_url(person), {"csrfmiddlewaretoken": token.group(1)})
    assert unticked.status_code == 200
    assert "Tick the box if you want to give this consent" in unticked.content.decode()
    assert not all_rows(ConsentRecord).filter(customer=person).exists()
    assert audit_events("consent.given") == []
    ticked = client.post(give_url(person), {"agree": "on"})
    assert ticked.status_code == 302 and redirected(ticked) == CONSENTS
    record = all_rows(ConsentRecord).get(customer=person)
    assert record.action == Action.GIVEN and record.by_subject and record.not_preticked and record.not_bundled
    assert [e.customer_id for e in audit_events("consent.given")] == [person.pk]
    assert state_of(person) is State.LIVE


def test_a_minor_cannot_give_consent_in_the_portal(rep: User, outbox: list[Message], commit: Commit) -> None:
    notice()
    born = clock.today() - dt.timedelta(days=10 * 365 + 3)
    child = customer(rep, id_number=resident_id(birth=born), birth_date=born)
    assert child.minor_until is not None and consent_rules.is_minor(child.minor_until, clock.today())
    client = english()
    sign_in(client, child.id_number, outbox, commit)
    page = client.get(give_url(child))
    assert page.status_code == 409
    assert GUARDIAN_AT_BRANCH in page.content.decode()
    posted = client.post(give_url(child), {"agree": "on"})
    assert posted.status_code == 409
    assert not all_rows(ConsentRecord).filter(customer=child).exists()
    listing = client.get(CONSENTS).content.decode()
    assert GUARDIAN_AT_BRANCH in listing and 'data-testid="portal-give"' not in listing


def test_sign_in_codes_are_purged_after_a_day(person: Customer, outbox: list[Message], commit: Commit) -> None:
    from clientvault.rights.tasks import purge_portal_codes

    asking = Context(actor=None, ip="127.0.0.1", channel="portal")
    with clock.travel(clock.now() - dt.timedelta(days=2)):
        services.request_code(ctx=asking, raw_identifier=person.id_number)
    services.request_code(ctx=asking, raw_identifier=person.id_number)
    assert all_rows(PortalCode).count() == 2
    assert purge_portal_codes.call() == 1
    assert all_rows(PortalCode).count() == 1
