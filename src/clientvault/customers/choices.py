"""Enumerations shown to users; labels through gettext (zh-Hans catalogue carries the Chinese)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANISATION = "organisation", _("Organisation")


class Status(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", _("Closed")


class ReviewStatus(models.TextChoices):
    """Compliance review on entry (入库合规审核, issue #13): until approved only the creator and compliance see it."""

    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected at review")


class EntryReview(models.TextChoices):
    """Which new customers enter as pending compliance review (setting ``CLIENTVAULT_ENTRY_REVIEW``)."""

    ALL = "all", _("Every new customer")
    CORE = "core", _("Core customers only")
    HIGH_RISK = "high_risk", _("High-risk customers only")
    NONE = "none", _("No review")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence", _("Foreign permanent resident ID card")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Residency(models.TextChoices):
    RESIDENT = "resident", _("Mainland resident")
    NON_RESIDENT = "non_resident", _("Non-resident")


class Source(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    BRANCH = "branch", _("Branch walk-in")
    CAMPAIGN = "campaign", _("Campaign")
    ONLINE = "online", _("Online")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    BRANCH = "branch", _("At the branch")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("E-mail")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class Industry(models.TextChoices):
    """GB/T 4754-2017 sections."""

    A = "A", _("Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("Mining")
    C = "C", _("Manufacturing")
    D = "D", _("Electricity, heat, gas and water supply")
    E = "E", _("Construction")
    F = "F", _("Wholesale and retail trade")
    G = "G", _("Transport, storage and postal services")
    H = "H", _("Accommodation and catering")
    I = "I", _("Information transmission, software and IT services")  # noqa: E741
    J = "J", _("Finance")
    K = "K", _("Real estate")
    L = "L", _("Leasing and business services")
    M = "M", _("Scientific research and technical services")
    N = "N", _("Water conservancy, environment and public facilities")
    O = "O", _("Resident services, repair and other services")  # noqa: E741
    P = "P", _("Education")
    Q = "Q", _("Health and social work")
    R = "R", _("Culture, sports and entertainment")
    S = "S", _("Public administration and social organisations")
    T = "T", _("International organisations")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice")


class AppliesTo(models.TextChoices):
    BOTH = "both", _("All customers")
    INDIVIDUAL = "individual", _("Individuals")
    ORGANISATION = "organisation", _("Organisations")


class MatchKeyKind(models.TextChoices):
    """Kinds of duplicate-matching keys (customers/matching.py). Codes, never shown with values."""

    ID_NUMBER = "id_number", _("ID number")
    USCC = "uscc", _("unified social credit code")
    MOBILE = "mobile", _("mobile")
    EMAIL = "email", _("e-mail")
    NAME = "name", _("name")
    NAME_PINYIN = "name_pinyin", _("name (pinyin)")
    BIRTH_DATE = "birth_date", _("date of birth")
    NAME_BIRTH_YEAR = "name_birth_year", _("name and year of birth")
    MOBILE_TAIL8 = "mobile_tail8", _("last 8 digits of the mobile")
    ID_NUMBER17 = "id_number17", _("ID number without its check digit")


class MatchReason(models.TextChoices):
    """The field a duplicate match was found on (customers/matching.py ``Match.reasons``): codes, never values."""

    ID_NUMBER = "id_number", _("ID number")
    USCC = "uscc", _("unified social credit code")
    MOBILE = "mobile", _("mobile")
    EMAIL = "email", _("e-mail")
    NAME = "name", _("name")
    NAME_PINYIN = "name_pinyin", _("name (pinyin)")
    BIRTH_DATE = "birth_date", _("date of birth")
