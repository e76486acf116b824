"""The personal-data fields clientvault holds and their default classification (RULES.md §10).

Keys are ``customer.<field>`` for standard fields and ``customer.custom.<key>`` for custom fields.
Defaults seed the editable catalogue (``FieldClassification``); the compliance officer changes them
there, and every change is versioned and audited (ARCHITECTURE.md rule 9).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity")
    CONTACT = "contact", _("Contact")
    FINANCIAL_ACCOUNT = "financial_account", _("Financial account")
    PROPERTY = "property", _("Property and income")
    TRANSACTION = "transaction", _("Transaction")
    CREDIT = "credit", _("Credit")
    BEHAVIOUR = "behaviour", _("Behaviour and marketing")
    LOCATION = "location", _("Location")
    ORGANISATION = "organisation", pgettext_lazy("data category", "Organisation")
    OTHER = "other", _("Other")


def category_labels(codes: Iterable[str]) -> list[str]:
    """Data category codes as people read them (in the active language); an unknown code stays as it is."""
    return [str(Category(c).label) if c in Category.values else c for c in codes]


class JrtClass(models.TextChoices):
    """JR/T 0171-2020 §4.2 classes of personal financial information."""

    C1 = "C1", _("C1 — internal use")
    C2 = "C2", _("C2 — identifies the person or their finances")
    C3 = "C3", _("C3 — authentication data")


class MaskProfile(models.TextChoices):
    """Display masking profiles (RULES.md §12)."""

    NONE = "none", _("Shown in full")
    NAME = "name", _("Name: keep the surname (张*明)")
    ID_NUMBER = "id_number", _("ID number: first 3 and last 4 (110***********1234)")
    MOBILE = "mobile", _("Mobile: first 3 and last 4 (138****5678)")
    EMAIL = "email", _("E-mail: first letter and domain (z***@…)")
    ADDRESS = "address", _("Address: down to the district")
    BANK_CARD = "bank_card", _("Card number: last 4 (****1234)")
    DATE = "date", _("Date: year only")
    HIDDEN = "hidden", _("Hidden unless revealed")


@dataclass(frozen=True)
class Default:
    key: str
    category: str
    jrt_class: str
    pipl_sensitive: bool
    gbt_sensitive: bool
    mask_profile: str
    label_zh: str
    label_en: str


# RULES.md §10: name C2 in a KYC record; ID number PIPL-28 "specific identity" and GB/T 35273 identity
# document; mobile C2 (payment-account equivalent); address C2; income/financial status treated as
# sensitive (RULES.md §13 item 7). Organisation identifiers are not personal information, but the legal
# representative's name is.
DEFAULTS: tuple[Default, ...] = (
    Default("customer.name", Category.IDENTITY, JrtClass.C2, False, False, MaskProfile.NAME, "姓名 / 名称", "Name"),
    Default("customer.id_type", Category.IDENTITY, JrtClass.C2, False, False, MaskProfile.NONE, "证件类型", "ID type"),
    Default("customer.id_number", Category.IDENTITY, JrtClass.C2, True, True, MaskProfile.ID_NUMBER, "证件号码", "ID number"),
    Default("customer.birth_date", Category.IDENTITY, JrtClass.C2, False, False, MaskProfile.DATE, "出生日期", "Date of birth"),
    Default("customer.sex", Category.IDENTITY, JrtClass.C1, False, False, MaskProfile.NONE, "性别", "Sex"),
    Default("customer.mobile", Category.CONTACT, JrtClass.C2, False, False, MaskProfile.MOBILE, "手机号", "Mobile"),
    Default("customer.email", Category.CONTACT, JrtClass.C1, False, False, MaskProfile.EMAIL, "电子邮箱", "E-mail"),
    Default("customer.address", Category.LOCATION, JrtClass.C2, False, False, MaskProfile.ADDRESS, "地址", "Address"),
    Default("customer.nationality", Category.IDENTITY, JrtClass.C1, False, False, MaskProfile.NONE, "国籍", "Nationality"),
    Default("customer.residency", Category.IDENTITY, JrtClass.C1, False, False, MaskProfile.NONE, "居民类型", "Residency"),
    Default("customer.occupation", Category.IDENTITY, JrtClass.C1, False, False, MaskProfile.NONE, "职业", "Occupation"),
    Default("customer.uscc", Category.ORGANISATION, JrtClass.C1, False, False, MaskProfile.NONE, "统一社会信用代码", "Credit code"),
    Default(
        "customer.legal_representative",
        Category.IDENTITY,
        JrtClass.C2,
        False,
        False,
        MaskProfile.NAME,
        "法定代表人",
        "Legal representative",
    ),
    Default(
        "customer.registered_address", Category.ORGANISATION, JrtClass.C1, False, False, MaskProfile.NONE, "注册地址", "Registered address"
    ),
    # RULES.md §10: a bank card / account number is PIPL Art. 28 sensitive (financial account), GB/T 35273
    # sensitive (bank account) and JR/T 0171 C2; shown at most as BIN + last 4 (PCI DSS 3.4.1).
    Default(
        "customer.bank_card", Category.FINANCIAL_ACCOUNT, JrtClass.C2, True, True, MaskProfile.BANK_CARD, "银行卡号", "Bank card number"
    ),
    Default("customer.tags", Category.BEHAVIOUR, JrtClass.C1, False, False, MaskProfile.NONE, "标签", "Tags"),
    Default("followup.summary", Category.BEHAVIOUR, JrtClass.C1, False, False, MaskProfile.NONE, "跟进内容", "Follow-up summary"),
    Default("followup.next_step", Category.BEHAVIOUR, JrtClass.C1, False, False, MaskProfile.NONE, "下一步计划", "Next step"),
    # Personal data held beside the customer record (ARCHITECTURE.md rule 11): each model below is a
    # personal-data model because it has a field here. PIPL-31: a guardian's name identifies a person.
    Default("consent.action", Category.BEHAVIOUR, JrtClass.C1, False, False, MaskProfile.NONE, "同意状态", "Consent state"),
    Default("consentrecord.guardian_name", Category.IDENTITY, JrtClass.C2, False, False, MaskProfile.NAME, "监护人姓名", "Guardian's name"),
    # A scanned signed form carries the name, signature and often the ID number: treated as the ID number is.
    Default("consentevidence.data", Category.IDENTITY, JrtClass.C2, True, True, MaskProfile.HIDDEN, "同意书扫描件", "Consent form scan"),
    Default(
        "consentevidence.filename",
        Category.IDENTITY,
        JrtClass.C1,
        False,
        False,
        MaskProfile.HIDDEN,
        "同意书文件名",
        "Consent form file name",
    ),
    # The blind index of the ID number or mobile someone signed in with; the sealed message holds the destination.
    Default(
        "portalcode.identifier",
        Category.IDENTITY,
        JrtClass.C2,
        True,
        True,
        MaskProfile.HIDDEN,
        "门户登录证件号或手机号",
        "Portal sign-in identifier",
    ),
    Default(
        "portalcode.message",
        Category.CONTACT,
        JrtClass.C2,
        False,
        False,
        MaskProfile.HIDDEN,
        "门户验证码消息",
        "Portal sign-in message",
    ),
    # Staff write why they need emergency access, often naming the customer concerned.
    Default("breakglasssession.reason", Category.OTHER, JrtClass.C1, False, False, MaskProfile.NONE, "紧急访问事由", "Break-glass reason"),
    # Customer assets (issue #13). RULES.md §10: an account number is PIPL-28 sensitive (financial account),
    # GB/T 35273 sensitive and JR/T 0171 C2, shown at most as its last 4; an account balance is C2 and
    # sensitive (deposit information). Balances stay plaintext columns (the database holds the ledger's
    # invariants on them, see assets/models.py); sight of them is decided per field like any other.
    Default(
        "asset.identifier", Category.FINANCIAL_ACCOUNT, JrtClass.C2, True, True, MaskProfile.BANK_CARD, "账户/保单/合同号", "Account number"
    ),
    Default("asset.balance", Category.PROPERTY, JrtClass.C2, True, True, MaskProfile.HIDDEN, "余额", "Balance"),
    # A change request (issue #13) holds the proposed and the current values of the fields it changes, sealed
    # under the customer's key: classed as the most protected field it may carry (C3), shown only through
    # the change type's masked diff.
    Default(
        "changerequest.values",
        Category.OTHER,
        JrtClass.C3,
        False,
        False,
        MaskProfile.HIDDEN,
        "变更申请拟改值",
        "Change request: proposed values",
    ),
    # The maker's reason is free text and may name the customer (as a break-glass reason may).
    Default("changerequest.reason", Category.OTHER, JrtClass.C1, False, False, MaskProfile.NONE, "变更申请事由", "Change request reason"),
    # Duplicate-matching keys (issue #14, customers/matching.py): keyed blind indexes of identifiers and of
    # values derived from the profile (pinyin, birth year…). Not values, but derived from them and able to
    # confirm a guessed one: classed as the ID number is, never shown, erased with the customer's indexes.
    Default(
        "matchkey.digest",
        Category.IDENTITY,
        JrtClass.C2,
        True,
        True,
        MaskProfile.HIDDEN,
        "查重索引",
        "Duplicate-matching key",
    ),
    Default(
        "changerequest.before",
        Category.OTHER,
        JrtClass.C3,
        False,
        False,
        MaskProfile.HIDDEN,
        "变更申请原值",
        "Change request: values before",
    ),
)
# Data-subject requests (issue #15): the customer's own words and correction values, a refusal's or an
# extension's reasons (free text naming the person), and the fulfilled package (everything held about them),
# each sealed under the customer's key. Classed as the most protected field they may carry.
DEFAULTS += (
    Default(
        "rightsrequest.details", Category.OTHER, JrtClass.C3, False, False, MaskProfile.HIDDEN, "权利请求内容", "Rights request details"
    ),
    Default("rightsrequest.refusal_text", Category.OTHER, JrtClass.C1, False, False, MaskProfile.NONE, "拒绝理由", "Refusal reasons"),
    Default("rightsrequest.extension_reason", Category.OTHER, JrtClass.C1, False, False, MaskProfile.NONE, "延期理由", "Extension reasons"),
    Default("requestpart.result", Category.OTHER, JrtClass.C3, True, True, MaskProfile.HIDDEN, "权利请求结果", "Rights request result"),
)
# Credit risk (issue #16). RULES.md §10: credit and loan records and credit scores are PIPL-28 / GB/T 35273
# sensitive and JR/T 0171 C2. Limits, tiers, terms and scores stay plaintext columns (portfolio, control rules
# and the stability check aggregate them, like asset balances); a score's details, notes and warning evidence
# are sealed under the customer's key. All are hidden unless a policy clears C2 (risk officers).
_CREDIT = (Category.CREDIT, JrtClass.C2, True, True, MaskProfile.HIDDEN)
DEFAULTS += (
    Default("creditfile.tier", *_CREDIT, "风险分层", "Risk tier"),
    Default("creditfile.evaluation", *_CREDIT, "信用控制评估", "Credit-control evaluation"),
    Default("creditlimit.amount", *_CREDIT, "信用额度", "Credit limit"),
    Default("paymentterms.days", *_CREDIT, "账期", "Payment terms"),
    Default("creditscore.score", *_CREDIT, "信用评分", "Credit score"),
    Default("creditscore.record", *_CREDIT, "评分明细", "Score details"),
    Default("credithold.note", *_CREDIT, "冻结说明", "Hold note"),
    Default("creditreview.note", *_CREDIT, "复核意见", "Review note"),
    Default("earlywarning.evidence", *_CREDIT, "预警证据", "Warning evidence"),
)
DEFAULT_KEYS = frozenset(d.key for d in DEFAULTS)

# The model behind each key prefix ("app_label.ModelName"): every model here holds personal data, so its
# default manager refuses unscoped queries (tests/test_architecture.py derives its list from this table).
MODEL_OF_PREFIX: dict[str, str] = {
    "customer": "customers.Customer",
    "followup": "customers.FollowUp",
    "consent": "consents.Consent",
    "consentrecord": "consents.ConsentRecord",
    "consentevidence": "consents.ConsentEvidence",
    "portalcode": "rights.PortalCode",
    "breakglasssession": "access.BreakGlassSession",
    "asset": "assets.Asset",
    "changerequest": "approvals.ChangeRequest",
    "matchkey": "customers.MatchKey",
    "rightsrequest": "rights.RightsRequest",
    "requestpart": "rights.RequestPart",
    "creditfile": "risk.CreditFile",
    "creditlimit": "risk.CreditLimit",
    "paymentterms": "risk.PaymentTerms",
    "creditscore": "risk.CreditScore",
    "credithold": "risk.CreditHold",
    "creditreview": "risk.CreditReview",
    "earlywarning": "risk.EarlyWarning",
}


def prefix_of(key: str) -> str:
    return key.split(".", 1)[0]


def personal_model_labels() -> list[str]:
    """The personal-data models, as "app_label.ModelName", from the keys the catalogue classifies."""
    return sorted({MODEL_OF_PREFIX[prefix_of(d.key)] for d in DEFAULTS})


def custom_field_key(key: str) -> str:
    return f"customer.custom.{key}"
