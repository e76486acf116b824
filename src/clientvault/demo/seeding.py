"""Seed a realistic demo organisation: a legal entity, head office, two branches with teams,
one user of every role plus reps, and N customers with follow-ups spread over two years.

Customer data comes from Faker ``zh_CN`` with checksum-valid resident ID numbers, credit codes and
(for about a third of customers) Luhn-valid bank card numbers;
everything is written through ``customers.imports`` so it is validated and audited like real data.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from clientvault.accounts import grants
from clientvault.accounts import services as account_services
from clientvault.accounts.models import Department, LegalEntity, RoleGrant, User
from clientvault.audit import recording as audit
from clientvault.classification import validators as V
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.context import Context, for_user, system_context
from clientvault.customers import custom_fields, entry_review
from clientvault.customers.choices import AppliesTo, Channel, FieldType, IdType, Industry, Kind, Residency, Source, Status
from clientvault.customers.imports import ImportRow, import_customers
from clientvault.risk.features import INCOME_BANDS

DEMO_PASSWORD = "Demo-Pass-2026!"  # printed by `clientvault demo`; demo databases only
TAGS = ["高净值", "理财", "保险", "基金定投", "私人银行", "企业年金", "代发工资", "跨境业务", "养老规划", "VIP"]
SUMMARIES = [
    "电话回访，客户对近期理财产品收益表示满意，希望了解稳健型产品。",
    "到店面谈，介绍了养老规划方案，客户需要与家人商量。",
    "微信沟通，客户咨询定投计划调整事宜，已发送产品说明书。",
    "上门拜访企业财务负责人，讨论代发工资与企业年金方案。",
    "客户反馈手机银行登录问题，已协助转交技术支持处理。",
    "视频会议，梳理客户保险保障缺口，建议补充重疾险。",
    "邮件发送季度资产配置报告，客户确认收到。",
    "电话提醒到期产品续作，客户计划部分赎回。",
]
NEXT_STEPS = ["下周电话跟进", "寄送产品资料", "安排理财经理面谈", "准备配置方案", "提醒客户完成风险测评", ""]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    department: str


DEMO_USERS = (
    DemoUser("admin", "王强", R.ADMINISTRATOR, "hq"),
    DemoUser("compliance", "李娜", R.COMPLIANCE_OFFICER, "hq"),
    # A second compliance officer: decisions that need "a compliance officer other than the maker" (a deletion on
    # request, a shortened retention period, a lifted hold) have someone to make them (issue #15).
    DemoUser("compliance2", "黄静", R.COMPLIANCE_OFFICER, "hq"),
    DemoUser("auditor", "赵敏", R.AUDITOR, "hq"),
    DemoUser("risk", "陈刚", R.RISK_OFFICER, "hq"),
    # A second risk officer: every limit change is decided by someone other than its maker (issue #16).
    DemoUser("risk2", "许峰", R.RISK_OFFICER, "hq"),
    DemoUser("manager_bj", "刘洋", R.SALES_MANAGER, "bj"),
    DemoUser("manager_sh", "周婷", R.SALES_MANAGER, "sh"),
    DemoUser("rep_bj1", "张伟", R.SALES_REP, "bj-wealth1"),
    DemoUser("rep_bj2", "孙丽", R.SALES_REP, "bj-wealth2"),
    DemoUser("rep_sh1", "吴磊", R.SALES_REP, "sh-retail"),
    DemoUser("rep_sh2", "郑芳", R.SALES_REP, "sh-corporate"),
)
DEPARTMENTS = (  # code, name, parent code
    ("hq", "总部", None),
    ("bj", "北京分公司", "hq"),
    ("bj-wealth1", "财富管理一部", "bj"),
    ("bj-wealth2", "财富管理二部", "bj"),
    ("sh", "上海分公司", "hq"),
    ("sh-retail", "零售业务部", "sh"),
    ("sh-corporate", "机构业务部", "sh"),
)


def make_uscc(rng: random.Random, region: str) -> str:
    """A checksum-valid unified social credit code (GB 32100-2015, RULES.md §11.2)."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    org = body + V.organisation_code_check_char(body)
    first17 = "91" + region + org
    return first17 + V.uscc_check_char(first17)


# UnionPay-style issuer prefixes (IIN/BIN) for demo card numbers; the rest of the number is made up.
CARD_PREFIXES = ("622202", "622848", "621700", "622588", "623058")


def make_bank_card(rng: random.Random) -> str:
    """A Luhn-valid 16- or 19-digit bank card number (ISO/IEC 7812-1, RULES.md §11.3)."""
    length = rng.choice([16, 19])
    partial = rng.choice(CARD_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(length - 7))
    return partial + V.luhn_check_digit(partial)


def make_resident_id(fake: Faker, rng: random.Random, today: dt.date) -> str:
    """A checksum-valid resident ID number; a few belong to minors and the elderly."""
    while True:
        number = str(fake.ssn(min_age=rng.choice([10, 18, 18, 25]), max_age=rng.choice([40, 65, 85])))  # type: ignore[call-arg]
        try:
            V.parse_resident_id(number, today=today)
        except V.InvalidIdentifier:
            continue
        return number


@transaction.atomic
def build_organisation(ctx: Context) -> dict[str, User]:
    entity = LegalEntity.objects.create(name="华信财富管理有限公司", uscc=make_uscc(random.Random(7), "110105"))
    departments: dict[str, Department] = {}
    for code, name, parent in DEPARTMENTS:
        parent_dept = departments.get(parent) if parent else None
        dept = Department(legal_entity=entity, parent=parent_dept, name=name, code=code)
        dept.path = (parent_dept.path if parent_dept else "/") + f"{dept.pk}/"
        dept.save()
        departments[code] = dept
    users = _create_users(ctx, departments)
    _define_custom_fields(users["admin"])
    return users


def bootstrapped_users() -> list[DemoUser]:
    """The users the system makes itself: the first of each bootstrap role (administrator, compliance officer)."""
    first: dict[str, DemoUser] = {}
    for spec in DEMO_USERS:
        if spec.role in grants.BOOTSTRAP_ROLES:
            first.setdefault(spec.role, spec)
    return list(first.values())


def _create_users(ctx: Context, departments: dict[str, Department]) -> dict[str, User]:
    """The users, as a real set-up makes them (ARCHITECTURE.md rule 12): the system creates the first
    administrator and compliance officer; the administrator creates everyone else; each data role is a
    grant the compliance officer approves. So the demo leaves the same events a real organisation would."""

    def data(spec: DemoUser) -> dict[str, Any]:
        return {
            "username": spec.username,
            "display_name": spec.display_name,
            "department_id": str(departments[spec.department].pk),
            "email": f"{spec.username}@demo.clientvault.local",
            "roles": [spec.role],
        }

    users: dict[str, User] = {}
    first = bootstrapped_users()
    for spec in first:
        users[spec.username] = grants.bootstrap_user(ctx=ctx, data=data(spec), password=DEMO_PASSWORD)
    admin = next(users[s.username] for s in first if s.role == R.ADMINISTRATOR)
    officer = next(users[s.username] for s in first if s.role == R.COMPLIANCE_OFFICER)
    admin_ctx, officer_ctx = for_user(admin, channel="cli"), for_user(officer, channel="cli")
    for spec in DEMO_USERS:
        if spec.username in users:
            continue
        user = account_services.create_user(ctx=admin_ctx, data=data(spec), password=DEMO_PASSWORD)
        for grant in RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING):
            grants.approve(ctx=officer_ctx, grant_id=grant.pk, reason="演示机构初始配置 / demo organisation set-up")
        user._role_codes = None  # type: ignore[assignment]
        users[spec.username] = user
    return users


def _define_custom_fields(admin: User) -> None:
    """Three custom fields, defined and classified by the demo administrator through the same service
    (and with the same ``customfield.created`` event) as one an administrator defines on the page. The monthly income
    band is the key credit scoring reads (``risk/features.INCOME_BAND_FIELD``)."""

    ctx = for_user(admin, channel="cli")
    behaviour = {"category": "behaviour", "jrt_class": "C2", "pipl_sensitive": False, "gbt_sensitive": False, "mask_profile": "none"}
    custom_fields.define_custom_field(
        ctx=ctx,
        key="risk_appetite",
        field_type=FieldType.CHOICE,
        data={
            "label_zh": "风险偏好",
            "label_en": "Risk appetite",
            "applies_to": AppliesTo.INDIVIDUAL,
            "position": 1,
            "choices": [
                {"value": v, "label_zh": zh, "label_en": en}
                for v, zh, en in [
                    ("c1", "保守型", "Conservative"),
                    ("c2", "稳健型", "Moderate"),
                    ("c3", "平衡型", "Balanced"),
                    ("c4", "成长型", "Growth"),
                    ("c5", "进取型", "Aggressive"),
                ]
            ],
            "classification": behaviour,
        },
    )
    custom_fields.define_custom_field(
        ctx=ctx,
        key="income_band",
        field_type=FieldType.CHOICE,
        data={
            "label_zh": "月收入区间",
            "label_en": "Monthly income band",
            "applies_to": AppliesTo.INDIVIDUAL,
            "position": 3,
            "choices": [
                {"value": v, "label_zh": zh, "label_en": en}
                for v, zh, en in [
                    ("<5k", "5千元以下", "Under 5k"),
                    ("5k-10k", "5千至1万元", "5k to 10k"),
                    ("10k-20k", "1万至2万元", "10k to 20k"),
                    ("20k-50k", "2万至5万元", "20k to 50k"),
                    ("50k+", "5万元以上", "50k and more"),
                ]
            ],
            # Income is property information (JR/T 0171 C2), not a PIPL sensitive category by itself.
            "classification": {**behaviour, "category": "property"},
        },
    )
    custom_fields.define_custom_field(
        ctx=ctx,
        key="employees",
        field_type=FieldType.INTEGER,
        data={
            "label_zh": "员工人数",
            "label_en": "Employees",
            "applies_to": AppliesTo.ORGANISATION,
            "position": 2,
            "classification": {**behaviour, "category": "organisation", "jrt_class": "C1"},
        },
    )


def totp_secret(user: User) -> str | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return base64.b32encode(device.bin_key).decode().rstrip("=") if device else None


def enrol_mfa(users: dict[str, User], required_roles: list[str]) -> None:
    for user in users.values():
        if set(user.role_codes()) & set(required_roles):
            TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)


def customer_rows(n: int, users: dict[str, User], *, seed: int = 2026) -> list[ImportRow]:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    today = clock.today()
    now = clock.now()
    reps = [users[u.username] for u in DEMO_USERS if u.role == R.SALES_REP]
    managers = [users[u.username] for u in DEMO_USERS if u.role == R.SALES_MANAGER]
    owners = reps * 4 + managers
    used_ids: set[str] = set()
    used_uscc: set[str] = set()
    used_cards: set[str] = set()
    # A separate stream, so adding card numbers leaves the rest of the seeded data as it was.
    card_rng = random.Random(seed * 7919 + 1)
    income_rng = random.Random(seed * 104729 + 3)  # the monthly income bands (credit scoring reads them)
    rows: list[ImportRow] = []
    for _ in range(n):
        owner = rng.choice(owners)
        status = rng.choices([Status.PROSPECT, Status.ACTIVE, Status.DORMANT, Status.CLOSED], weights=[20, 60, 15, 5])[0]
        followups = [
            {
                "occurred_at": now - dt.timedelta(days=rng.randint(0, 730), minutes=rng.randint(0, 600)),
                "channel": rng.choice(Channel.values),
                "summary": rng.choice(SUMMARIES),
                "next_step": rng.choice(NEXT_STEPS),
                "next_step_due": None,
            }
            for _ in range(rng.choice([0, 1, 2, 3, 4, 6, 8]))
        ]
        tags = rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3]))
        source = rng.choice(Source.values)
        if rng.random() < 0.85:
            number = make_resident_id(fake, rng, today)
            while number in used_ids:
                number = make_resident_id(fake, rng, today)
            used_ids.add(number)
            data = {
                "name": fake.name(),
                "status": status,
                "source": source,
                "id_type": IdType.RESIDENT_ID,
                "id_number": number,
                "mobile": fake.phone_number(),
                "email": fake.free_email() if rng.random() < 0.7 else "",
                "address": str(fake.address()).rsplit(" ", 1)[0],
                "nationality": "CN",
                "residency": Residency.RESIDENT,
                "occupation": str(fake.job())[:100],
            }
            custom: dict[str, Any] = {"risk_appetite": rng.choice(["c1", "c2", "c3", "c4", "c5"])} if rng.random() < 0.8 else {}
            if income_rng.random() < 0.7:  # its own generator: the rest of the demo's draws stay as they were
                custom["income_band"] = income_rng.choices(INCOME_BANDS, weights=(15, 30, 30, 18, 7))[0]
            rows.append(ImportRow(kind=Kind.INDIVIDUAL, data=data, owner=owner, custom=custom, tags=tags, followups=followups))
        else:
            region = make_resident_id(fake, rng, today)[:6]
            code = make_uscc(rng, region)
            while code in used_uscc:
                code = make_uscc(rng, region)
            used_uscc.add(code)
            data = {
                "name": fake.company(),
                "status": status,
                "source": source,
                "uscc": code,
                "legal_representative": fake.name(),
                "registered_address": str(fake.address()).rsplit(" ", 1)[0],
                "industry": rng.choice(Industry.values),
            }
            custom = {"employees": rng.choice([12, 45, 120, 380, 1500, 8000])}
            rows.append(ImportRow(kind=Kind.ORGANISATION, data=data, owner=owner, custom=custom, tags=tags, followups=followups))
        if card_rng.random() < 1 / 3:  # about a third of customers have a bank card on file
            card = make_bank_card(card_rng)
            while card in used_cards:
                card = make_bank_card(card_rng)
            used_cards.add(card)
            rows[-1].data["bank_card"] = card
        if card_rng.random() < 0.05:  # a few high-value customers: every field counts as C3 (masked for reps)
            rows[-1].data["is_core"] = True
    return rows


def seed(customers: int, *, mfa_roles: list[str]) -> dict[str, User]:
    """Create the organisation, users and customers; returns the users by username."""
    ctx = system_context(channel="cli")
    users = build_organisation(ctx)
    enrol_mfa(users, mfa_roles)
    rows = customer_rows(customers, users)
    from clientvault.demo.duplicates import duplicate_rows

    rows += duplicate_rows(rows)
    import_customers(ctx=ctx, rows=rows)
    # Review on entry (issue #13): the compliance officer accepts the imported customers, as in production.
    entry_review.accept_imported(ctx=for_user(users["compliance"], channel="cli", purpose="compliance_review"))
    from clientvault.demo.consents import seed_consents

    consents = seed_consents(users)
    from clientvault.demo.requests import seed_customer_requests

    seed_customer_requests(users)
    from clientvault.demo.assets import seed_assets

    assets = seed_assets(users)
    # Batch duplicate detection (issue #14): a full scan, so the review queue shows the planted duplicates.
    from clientvault.dedupe import services as dedupe_services

    scan = dedupe_services.scan(ctx=system_context(channel="cli", purpose="compliance_review"), incremental=False)
    from clientvault.demo.merges import seed_merge

    seed_merge(users)  # issue #14: a merge that can be undone (last: nothing after it touches the two records)
    from clientvault.demo.rights import seed_rights_requests

    seed_rights_requests(users)  # issue #15: data-subject requests in every state
    from clientvault.demo.lifecycle import seed_lifecycle

    seed_lifecycle(users)  # issue #15: an AML hold turning a deletion into a restriction; a sweep with a certificate
    from clientvault.demo.risk import seed_risk_day

    risk_day = seed_risk_day(users)  # issue #16: credit files, limits, loans, scores, holds, warnings, a human review
    detail = {
        "customers": customers,
        "users": len(users),
        "consent_records": consents,
        "assets": assets.assets,
        "movements": assets.movements,
        "duplicate_clusters": scan.clusters_open,
        "credit_files": len(risk_day.files),
    }
    with transaction.atomic():
        audit.record(ctx, "demo.seeded", object_type="demo", detail=detail)
    return users
