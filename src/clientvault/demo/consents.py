"""Demo consents: notices for adults and for children, and a realistic history — most customers consented to
marketing at the counter or online over the past year, some withdrew, some consents expired, children's
consents came from a guardian, and a few customers allowed provision to partners or a transfer abroad."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from clientvault.accounts.models import User
from clientvault.consents import rules, services
from clientvault.consents.choices import CaptureChannel, ConsentType
from clientvault.core import clock
from clientvault.core.context import Context, for_user
from clientvault.customers.choices import Kind
from clientvault.customers.models import Customer

# The demo bank's customer hotline (a placeholder number, printed in the demo notice).
HOTLINE = "400-000-0000"

NOTICE = {
    "title_zh": "个人信息处理规则（营销与共享）",
    "title_en": "How we use your personal information (marketing and sharing)",
    "body_zh": (
        "经您同意，我们会使用您的姓名和联系方式向您介绍产品与活动；经您单独同意，我们会向列明的合作机构提供或向境外接收方传输必要信息。"
    ),
    "body_en": (
        "With your consent we use your name and contact details to tell you about products and events; with your separate "
        "consent we share what is needed with the partners named here or send it to the recipient abroad named here."
    ),
    # What the portal offers (see your data, give or withdraw consent) and, for what it does not, where to go:
    # a notice must not promise a portal correction the portal does not have (PIPL-17, issue #11).
    "rights_zh": (
        "在客户门户中，您可以查看我们持有的您的个人信息，并随时给予或撤回同意；撤回不影响撤回前的处理。\n"
        f"如需更正或删除您的信息，请携带身份证件到任一网点柜台办理，或致电客服热线 {HOTLINE}，"
        "我们将在核实身份后 15 个工作日内答复。"
    ),
    "rights_en": (
        "In the customer portal you can see the personal data we hold about you, and give or withdraw consent at any "
        "time; withdrawal does not affect processing before it.\n"
        f"To have your data corrected or deleted, bring your ID to the counter of any branch or call our hotline {HOTLINE}; "
        "we answer within 15 working days of confirming who you are."
    ),
    "necessity_zh": "证件号码和账户信息用于核实身份，防止营销信息发给他人。",
    "necessity_en": "ID and account details are used to confirm it is you, so offers do not reach someone else.",
    "impact_zh": "您可能收到产品推荐；不同意不影响您使用现有产品。",
    "impact_en": "You may receive product offers; saying no does not affect the products you already have.",
    "retention_days": 1095,
}


def _publish(ctx: Context) -> tuple[Any, Any]:
    general = services.publish_notice(
        ctx=ctx,
        notice="privacy-marketing",
        data={
            **NOTICE,
            "audience": "general",
            "purposes": ["marketing", "partner_sharing", "cross_border_transfer"],
            "categories": ["identity", "contact", "behaviour", "financial_account"],
            "recipients": ["华信保险股份有限公司", "联合信用卡中心"],
            "destination_countries": ["SG", "HK"],
        },
    )
    child = services.publish_notice(
        ctx=ctx,
        notice="privacy-children",
        data={
            **NOTICE,
            "title_zh": "儿童个人信息处理规则（监护人版）",
            "title_en": "Children's personal information (for parents and guardians)",
            "audience": "child",
            "purposes": ["marketing"],
            "categories": ["identity", "contact"],
        },
    )
    return general, child


def seed_consents(users: dict[str, User], *, seed: int = 2026) -> int:
    """Seed notices and consent histories; returns how many consent records were written."""
    rng = random.Random(seed)
    compliance = next(u for u in users.values() if "compliance_officer" in u.role_codes())
    start = clock.now() - dt.timedelta(days=400)
    with clock.travel(start):
        general, child = _publish(for_user(compliance, channel="cli"))
    written = 0
    seeded = Customer.objects.unrestricted(reason="the demo seeder gives consents to every individual in the demo database")
    customers = list(seeded.filter(kind=Kind.INDIVIDUAL).select_related("owner").order_by("created_at"))
    for c in customers:
        if c.owner is None or rng.random() > 0.75:
            continue  # about a quarter never consented to anything
        rep = for_user(c.owner, channel="web", purpose="customer_service")
        minor = rules.is_minor(c.minor_until, clock.today())
        given_at = clock.now() - dt.timedelta(days=rng.randint(20, 360), hours=rng.randint(0, 8))
        channel = rng.choice([CaptureChannel.COUNTER, CaptureChannel.COUNTER, CaptureChannel.WEB, CaptureChannel.APP, CaptureChannel.PAPER])
        expires = given_at + dt.timedelta(days=rng.choice([90, 180])) if rng.random() < 0.12 else None
        capture = rules.Capture(
            purpose="marketing",
            consent_type=ConsentType.GUARDIAN if minor else ConsentType.SEPARATE,
            categories=list(child.categories if minor else general.categories),
            not_preticked=True,
            not_bundled=True,
            guardian_relation="parent" if minor else "",
            guardian_name="监护人" if minor else "",
            expires_at=expires,
        )
        with clock.travel(given_at):
            services.give_consent(ctx=rep, customer_id=c.pk, notice_id=(child if minor else general).pk, capture=capture, channel=channel)
        written += 1
        if not minor and rng.random() < 0.15:  # withdrawn later, at the counter or online
            with clock.travel(given_at + dt.timedelta(days=rng.randint(5, 19))):
                services.withdraw_consent(
                    ctx=rep, customer_id=c.pk, purpose="marketing", channel=rng.choice([CaptureChannel.COUNTER, CaptureChannel.WEB])
                )
            written += 1
        if not minor and rng.random() < 0.2:
            sharing = rules.Capture(
                purpose="partner_sharing",
                consent_type=ConsentType.SEPARATE,
                categories=["identity", "contact"],
                recipients=["华信保险股份有限公司"],
                not_preticked=True,
                not_bundled=True,
            )
            with clock.travel(given_at + dt.timedelta(hours=1)):
                services.give_consent(ctx=rep, customer_id=c.pk, notice_id=general.pk, capture=sharing, channel=channel)
            written += 1
        if not minor and rng.random() < 0.05:
            abroad = rules.Capture(
                purpose="cross_border_transfer",
                consent_type=ConsentType.WRITTEN,
                categories=["identity", "financial_account"],
                destination_country="SG",
                not_preticked=True,
                not_bundled=True,
            )
            with clock.travel(given_at + dt.timedelta(hours=2)):
                services.give_consent(ctx=rep, customer_id=c.pk, notice_id=general.pk, capture=abroad, channel=CaptureChannel.PAPER)
            written += 1
    return written
