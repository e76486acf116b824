"""Factories for tests: an organisation with every role, customers with valid identifiers.

Plain functions (no fixture files). Kept in the package so app tests and cross-app tests share them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.accounts.models import Department, LegalEntity, Role, User
from clientvault.classification import validators as V
from clientvault.core import roles as R
from clientvault.core.context import Context, for_user
from clientvault.core.seeding import reseed_catalogues
from clientvault.customers.choices import IdType, Kind, Status
from clientvault.customers.models import Customer, FollowUp

PASSWORD = "Test-Pass-2026!"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return make_password(PASSWORD)  # argon2, computed once per run


def resident_id(seed: int | None = None, *, birth: dt.date | None = None, sex: str = "M") -> str:
    """A checksum-valid resident ID number (GB 11643-1999), unique per ``seed``."""
    n = next(_counter) if seed is None else seed
    birth = birth or dt.date(1980, 1, 1) + dt.timedelta(days=n % 9000)
    seq = (n * 2) % 1000
    seq = seq + (1 if (sex == "M") != (seq % 2 == 1) else 0)
    first17 = f"110105{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + V.resident_id_check_char(first17)


def uscc(seed: int | None = None) -> str:
    n = next(_counter) if seed is None else seed
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    body = f"{n:08d}"[-8:]
    check = 11 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11
    first17 = "91110105" + body + ("X" if check == 10 else "0" if check == 11 else str(check))
    return first17 + V.uscc_check_char(first17)


def mobile(seed: int | None = None) -> str:
    n = next(_counter) if seed is None else seed
    return f"139{n:08d}"[-11:]


def bank_card(seed: int | None = None) -> str:
    """A Luhn-valid 16-digit UnionPay-style card number (RULES.md §11.3), unique per ``seed``."""
    n = next(_counter) if seed is None else seed
    partial = f"622202{n:09d}"[-15:]
    return partial + V.luhn_check_digit(partial)


@dataclass
class Org:
    entity: LegalEntity
    other_entity: LegalEntity
    hq: Department
    bj: Department
    bj_team1: Department
    bj_team2: Department
    sh: Department
    sh_team: Department
    users: dict[str, User]

    def __getitem__(self, username: str) -> User:
        return self.users[username]


def department(entity: LegalEntity, name: str, parent: Department | None = None) -> Department:
    dept = Department(legal_entity=entity, parent=parent, name=name, code=f"d{next(_counter)}")
    dept.path = (parent.path if parent else "/") + f"{dept.pk}/"
    dept.save()
    return dept


def user(username: str, role: str | list[str], dept: Department | None, *, mfa: bool = False, active: bool = True) -> User:
    u = User.objects.create(username=username, display_name=username, department=dept, password=_password_hash(), is_active=active)
    codes = [role] if isinstance(role, str) else role
    u.roles.set(Role.objects.filter(code__in=codes))
    if mfa:
        TOTPDevice.objects.create(user=u, name="test", confirmed=True)
    return u


def ensure_roles() -> None:
    """Roles, purposes, policies and the field catalogue are seeded by migrations; a transactional test's
    flush removes them, so restore them with the same seeding functions (each skips rows that exist)."""
    reseed_catalogues()


def make_org() -> Org:
    ensure_roles()
    entity = LegalEntity.objects.create(name=f"测试法人{next(_counter)}")
    other = LegalEntity.objects.create(name=f"其他法人{next(_counter)}")
    hq = department(entity, "总部")
    bj = department(entity, "北京分公司", hq)
    bj1 = department(entity, "财富一部", bj)
    bj2 = department(entity, "财富二部", bj)
    sh = department(entity, "上海分公司", hq)
    sh1 = department(entity, "零售部", sh)
    other_hq = department(other, "其他总部")
    users = {
        "admin": user("admin", R.ADMINISTRATOR, hq, mfa=True),
        "compliance": user("compliance", R.COMPLIANCE_OFFICER, hq, mfa=True),
        "auditor": user("auditor", R.AUDITOR, hq, mfa=True),
        "risk": user("risk", R.RISK_OFFICER, hq),
        "manager_bj": user("manager_bj", R.SALES_MANAGER, bj),
        "manager_sh": user("manager_sh", R.SALES_MANAGER, sh),
        "rep_bj1": user("rep_bj1", R.SALES_REP, bj1),
        "rep_bj2": user("rep_bj2", R.SALES_REP, bj2),
        "rep_sh": user("rep_sh", R.SALES_REP, sh1),
        "rep_other": user("rep_other", R.SALES_REP, other_hq),
        "risk_other": user("risk_other", R.RISK_OFFICER, other_hq),
        "norole": user("norole", [], bj1),
    }
    return Org(entity, other, hq, bj, bj1, bj2, sh, sh1, users)


def sign_in_verified(client: Any, u: User, *, purpose: str | None = None) -> None:
    """Log a test client in, with the second factor verified where the role needs one, working for
    ``purpose`` (default: the usual purpose of the user's role)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(u)
    device = TOTPDevice.objects.filter(user=u, confirmed=True).first()
    session = client.session
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if purpose is None:
        purpose = default_purpose(u)
    if purpose:
        from clientvault.core.web import PURPOSE_SESSION_KEY

        session[PURPOSE_SESSION_KEY] = purpose
    session.save()


# The purpose each role works for in tests unless a test names another (seeded policies, access/defaults.py).
DEFAULT_PURPOSE = {
    R.SALES_REP: "sales_followup",
    R.SALES_MANAGER: "sales_followup",
    R.RISK_OFFICER: "credit_assessment",
    R.COMPLIANCE_OFFICER: "compliance_review",
    R.AUDITOR: "audit",
}


def default_purpose(u: User) -> str:
    codes = set(u.role_codes())
    return next((p for role, p in DEFAULT_PURPOSE.items() if role in codes), "")


def ctx(u: User, *, channel: str = "web", purpose: str | None = None) -> Context:
    """A context for ``u``; the purpose defaults to the usual one of their role ("" declares none)."""
    return for_user(u, channel=channel, ip="127.0.0.1", purpose=default_purpose(u) if purpose is None else purpose)


def choose_purpose(client: Any, purpose: str) -> None:
    """Set a signed-in test client's purpose, as the purpose picker does."""
    from clientvault.core.web import PURPOSE_SESSION_KEY

    session = client.session
    session[PURPOSE_SESSION_KEY] = purpose
    session.save()


def signed_in(u: User) -> Any:
    """A test client signed in as ``u`` with the user's default purpose chosen (as after the picker)."""
    from django.test import Client

    client = Client()
    client.force_login(u)
    purpose = default_purpose(u)
    if purpose:
        choose_purpose(client, purpose)
    return client


def customer(owner: User, *, kind: str = Kind.INDIVIDUAL, **fields: Any) -> Customer:
    """A customer row written directly (test setup, not a domain write: no audit event), sealed as the
    service would seal it. The returned instance also carries the plaintext values as attributes."""
    from clientvault.customers import profiles, vault

    assert owner.department is not None
    n = next(_counter)
    base: dict[str, Any] = {"name": f"客户{n}", "status": Status.ACTIVE}
    if kind == Kind.INDIVIDUAL:
        number = resident_id(n)
        info = V.parse_resident_id(number)
        base.update(
            id_type=IdType.RESIDENT_ID,
            id_number=number,
            birth_date=info.birth_date,
            sex=info.sex,
            mobile=mobile(n),
            email=f"c{n}@example.cn",
            nationality="CN",
        )
    else:
        base.update(uscc=uscc(n), legal_representative="法人代表")
    base.update(fields)
    custom = base.pop("custom_data", {})
    c = Customer(kind=kind, owner=owner, department=owner.department, legal_entity_id=owner.department.legal_entity_id)
    plain = {k: base.pop(k) for k in list(base) if k in profiles.PLAIN_FIELDS or k in ("version",)}
    for key, value in plain.items():
        setattr(c, key, value)
    profiles._apply(c, base, custom)
    c.save(force_insert=True)
    for key in vault.ENCRYPTED_FIELDS:
        if not hasattr(c, key):
            setattr(c, key, {} if key == "custom_data" else ("" if key != "birth_date" else None))
    return c


def all_rows(model: type[models.Model]) -> Any:
    """Every row of a personal-data model, for test assertions and setup only (never in production code)."""
    return model._default_manager.unrestricted(reason="test assertion over every row")  # type: ignore[attr-defined]


def reload(c: Customer | Any) -> Customer:
    """Read a customer again from the database with every personal field decrypted (tests only)."""
    from clientvault.customers import vault

    pk = c.pk if isinstance(c, Customer) else c
    revealed: Customer = vault.reveal(all_rows(Customer).get(pk=pk))
    return revealed


def find(name: str) -> Any:
    """Customers whose name is exactly ``name`` (by blind index)."""
    from clientvault.customers import vault

    return all_rows(Customer).filter(name_bidx=vault.index("name", name))


def followup(c: Customer, author: User, **fields: Any) -> FollowUp:
    base: dict[str, Any] = {"occurred_at": dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC), "channel": "phone", "summary": "电话回访"}
    base.update(fields)
    from clientvault.crypto import keystore
    from clientvault.customers import followups

    keystore.create_customer_key(c.pk)
    f = followups.build(c.pk, author, {"next_step": "", **base})
    f.save(force_insert=True)
    f.summary, f.next_step = base["summary"], base.get("next_step", "")  # the plaintext, for the test
    return f


def followup_text(f: FollowUp | Any) -> dict[str, str]:
    """A stored follow-up's summary and next step, decrypted from the database (tests only)."""
    from clientvault.customers import vault

    return vault.unseal_followup(all_rows(FollowUp).get(pk=f.pk if isinstance(f, FollowUp) else f))


def rng(seed: int = 0) -> random.Random:
    return random.Random(seed)


ALL_CATEGORIES = (
    "identity",
    "contact",
    "financial_account",
    "property",
    "transaction",
    "credit",
    "behaviour",
    "location",
    "organisation",
    "other",
)
_NOTICE_TEXT = {
    "title_zh": "隐私政策",
    "title_en": "Privacy notice",
    "body_zh": "我们如何使用您的个人信息。",
    "body_en": "How we use your personal information.",
    "rights_zh": "您可以随时撤回同意。",
    "rights_en": "You can withdraw consent at any time.",
    "necessity_zh": "为向您提供服务所必需。",
    "necessity_en": "Needed to serve you.",
    "impact_zh": "影响有限。",
    "impact_en": "Limited impact.",
}


def notice(
    *,
    code: str = "privacy",
    purposes: tuple[str, ...] = ("marketing", "partner_sharing", "cross_border_transfer"),
    categories: tuple[str, ...] = ALL_CATEGORIES,
    audience: str = "general",
    recipients: tuple[str, ...] = ("合作银行",),
    countries: tuple[str, ...] = ("SG",),
    **text: str,
) -> Any:
    """A published notice version written directly (test setup: no audit event), the next of its code."""
    from clientvault.consents import rules as consent_rules
    from clientvault.consents.models import NoticeVersion
    from clientvault.core import clock

    last = NoticeVersion.objects.filter(notice=code).order_by("-version").first()
    values: dict[str, Any] = {
        **_NOTICE_TEXT,
        **text,
        "purposes": list(purposes),
        "categories": list(categories),
        "recipients": list(recipients),
        "destination_countries": list(countries),
        "audience": audience,
        "retention_days": 1095,
    }
    version = (last.version + 1) if last else 1
    return NoticeVersion.objects.create(
        notice=code,
        version=version,
        published_at=clock.now(),
        content_hash=consent_rules.content_hash({**values, "notice": code, "version": version}),
        **values,
    )


def subject_ctx(*customers: Customer) -> Context:
    """The context of the customers themselves, signed in to the portal."""
    return Context(
        actor=None,
        roles=frozenset({"data_subject"}),
        purpose="rights_request",
        channel="portal",
        subject_ids=frozenset(c.pk for c in customers),
    )


def consent(
    c: Customer,
    purpose: str = "marketing",
    *,
    consent_type: str = "separate",
    categories: tuple[str, ...] | None = None,
    expires_at: Any = None,
    the_notice: Any = None,
    guardian: bool = False,
) -> Any:
    """Consent given through the service, as the customer would in the portal (audited like the real thing)."""
    from clientvault.consents import preconditions
    from clientvault.consents import rules as consent_rules
    from clientvault.consents import services as consent_services

    child = guardian
    chosen = (
        the_notice
        or preconditions.notice_for(purpose, child=child)
        or notice(audience="child" if child else "general", code="child" if child else "privacy")
    )
    capture = consent_rules.Capture(
        purpose=purpose,
        consent_type="guardian" if guardian else consent_type,
        categories=list(categories or chosen.categories),
        recipients=list(chosen.recipients) if purpose == "partner_sharing" else [],
        destination_country=chosen.destination_countries[0] if purpose == "cross_border_transfer" else "",
        not_preticked=True,
        not_bundled=True,
        guardian_relation="parent" if guardian else "",
        guardian_name="王家长" if guardian else "",
        expires_at=expires_at,
    )
    return consent_services.give_consent(ctx=subject_ctx(c), customer_id=c.pk, notice_id=chosen.pk, capture=capture, channel="web")


def second_officer(org: Org) -> User:
    """A second compliance officer (ARCHITECTURE.md rule 12: widening a policy needs two)."""
    found = User.objects.filter(username="compliance2").first()
    return found or user("compliance2", R.COMPLIANCE_OFFICER, org.hq, mfa=True)


def widen_policy(org: Org, code: str, data: dict[str, Any], reason: str = "widen") -> Any:
    """Propose a widening policy change as ``compliance`` and approve it as a second officer; the policy."""
    from clientvault.access import proposals
    from clientvault.access import services as access_services
    from clientvault.access.models import PolicyChange

    change = access_services.change_policy(ctx=ctx(org["compliance"]), code=code, data=data, reason=reason)
    assert isinstance(change, PolicyChange), "the change does not widen sight"
    return proposals.approve(ctx=ctx(second_officer(org)), change_id=change.pk, reason="second officer checked")


def denials(events: Any) -> list[Any]:
    """The ``access.denied`` events among ``events``: what a refused (404) request leaves (issue #11)."""
    return [e for e in events if e.event_type == "access.denied"]


def not_denials(events: Any) -> list[Any]:
    """The events other than denied accesses: what a refused request must not leave."""
    return [e for e in events if not e.event_type.startswith("access.denied")]
