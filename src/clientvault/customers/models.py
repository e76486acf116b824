from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import Department, LegalEntity
from clientvault.core.ids import new_id
from clientvault.customers.choices import (
    AppliesTo,
    Channel,
    FieldType,
    IdType,
    Industry,
    Kind,
    MatchKeyKind,
    Residency,
    ReviewStatus,
    Source,
    Status,
)
from clientvault.customers.querysets import CustomerQuerySet, FollowUpQuerySet, MatchKeyQuerySet

# Personal-data fields of Customer (classified in the catalogue; all but the plain filters are
# encrypted, see customers/vault.py); their names may appear in audit events, never their values.
PERSONAL_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "birth_date",
    "sex",
    "mobile",
    "email",
    "address",
    "nationality",
    "residency",
    "occupation",
    "uscc",
    "legal_representative",
    "registered_address",
    "bank_card",
    "custom_data",
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """An individual (个人客户) or organisation (企业客户) customer and its profile."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("customer type"), max_length=12, choices=Kind.choices)
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="customers", verbose_name=_("legal entity"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="customers", verbose_name=_("department"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_customers", verbose_name=_("owner")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROSPECT)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    # Plain, non-personal attributes used for filtering.
    id_type = models.CharField(_("ID type"), max_length=30, choices=IdType.choices, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    residency = models.CharField(_("residency"), max_length=12, choices=Residency.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices, blank=True)
    # A core (high-value) customer: the strictest class applies to all of their fields (issue #3).
    is_core = models.BooleanField(_("core customer"), default=False)
    # PIPL-31: while the customer is under 14, the day they turn 14 (set from the birth date); null for adults.
    # Plain because consent enforcement filters on it at the queryset (consents/enforcement.py).
    minor_until = models.DateField(_("minor until"), null=True, blank=True)
    # Accepted despite a failed GB 32100 check digit (RULES.md §11.2 caveat): needs review.
    uscc_needs_review = models.BooleanField(_("credit code needs review"), default=False)
    # Personal data: AEAD ciphertext under the customer's own key (customers/vault.py). No plaintext copy.
    name_ct = models.BinaryField(_("name (encrypted)"), default=b"")
    id_number_ct = models.BinaryField(_("ID number (encrypted)"), default=b"")
    birth_date_ct = models.BinaryField(_("date of birth (encrypted)"), default=b"")
    sex_ct = models.BinaryField(_("sex (encrypted)"), default=b"")
    mobile_ct = models.BinaryField(_("mobile (encrypted)"), default=b"")
    email_ct = models.BinaryField(_("e-mail (encrypted)"), default=b"")
    address_ct = models.BinaryField(_("address (encrypted)"), default=b"")
    occupation_ct = models.BinaryField(_("occupation (encrypted)"), default=b"")
    uscc_ct = models.BinaryField(_("credit code (encrypted)"), default=b"")
    legal_representative_ct = models.BinaryField(_("legal representative (encrypted)"), default=b"")
    registered_address_ct = models.BinaryField(_("registered address (encrypted)"), default=b"")
    # A financial account number: PIPL Art. 28 sensitive, JR/T 0171 C2. Card CVV, expiry, track data and
    # PINs are C3 and are never stored here (RULES.md §10, JRT0171-STORE-C3-no-retain).
    bank_card_ct = models.BinaryField(_("bank card number (encrypted)"), default=b"")
    custom_data_ct = models.BinaryField(_("custom fields (encrypted)"), default=b"")
    # Keyed blind indexes (HMAC-SHA256 PRF, separate key) of normalised values, for exact-match search.
    name_bidx = models.BinaryField(max_length=16, default=b"")
    id_number_bidx = models.BinaryField(max_length=16, default=b"")
    mobile_bidx = models.BinaryField(max_length=16, default=b"")
    email_bidx = models.BinaryField(max_length=16, default=b"")
    uscc_bidx = models.BinaryField(max_length=16, default=b"")
    bank_card_bidx = models.BinaryField(max_length=16, default=b"")
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Compliance review on entry (issue #13): a pending or rejected record is seen by its creator and
    # compliance only (CustomerQuerySet.visible_to). Fail closed: a row written without a decision is pending.
    review_status = models.CharField(_("entry review"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    # Issue #14: a record merged into another (its survivor) is kept as lineage: out of every list, search and
    # match (CustomerQuerySet.visible_to), readable from the survivor's history. Null for a live record.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", verbose_name=_("merged into")
    )

    # Issue #15 (lifecycle): set and cleared only by ``clientvault.lifecycle`` services. A restricted record
    # (PIPL-47 / GDPR-18: a deletion under a legal hold, or on request) is stored only: compliance alone reads it,
    # no marketing purpose, no export (querysets.lifecycle_filter). An erased record is a non-personal tombstone:
    # its key shredded, its ciphertext blanked, out of every list; the deletion certificate names it.
    restricted_at = models.DateTimeField(_("restricted since"), null=True, blank=True)
    restriction_basis = models.CharField(_("restriction basis"), max_length=40, blank=True)
    relationship_ended_on = models.DateField(_("relationship ended"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    if TYPE_CHECKING:  # plaintext a selector revealed onto the instance (customers/vault.py); not columns
        name: str
        id_number: str
        birth_date: dt.date | None
        sex: str
        mobile: str
        email: str
        address: str
        occupation: str
        uscc: str
        legal_representative: str
        registered_address: str
        bank_card: str
        custom_data: dict[str, Any]
        erased: bool
        visible_followups: list[FollowUp]
        shown_tags: list[str] | None  # decided like a field (customers/disclosure.py shown_tags)
        change_requests: list[Any]  # approvals.ChangeRequest rows a write submitted instead of writing (issue #13)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["legal_entity", "status"], name="customer_entity_status"),
            models.Index(fields=["owner", "status"], name="customer_owner_status"),
            models.Index(fields=["name_bidx"], name="customer_name_bidx"),
            models.Index(fields=["mobile_bidx"], name="customer_mobile_bidx"),
            models.Index(fields=["email_bidx"], name="customer_email_bidx"),
            models.Index(fields=["bank_card_bidx"], name="customer_bank_card_bidx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=Kind.INDIVIDUAL, uscc_bidx=b"") | Q(kind=Kind.ORGANISATION, id_number_bidx=b"", mobile_bidx=b"")),
                name="customer_fields_match_kind_v2",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "id_type", "id_number_bidx"], condition=~Q(id_number_bidx=b""), name="customer_unique_id_number_v2"
            ),
            models.UniqueConstraint(fields=["legal_entity", "uscc_bidx"], condition=~Q(uscc_bidx=b""), name="customer_unique_uscc_v2"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_individual(self) -> bool:
        return self.kind == Kind.INDIVIDUAL


class FollowUp(models.Model):
    """An interaction with a customer (跟进记录): when, how, what was said, what comes next."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="followups", verbose_name=_("customer"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    occurred_at = models.DateTimeField(_("date"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Personal data (issue #11): AEAD ciphertext under the customer's own key, bound to this row
    # (customers/vault.py seal_followup); erased with the key. No plaintext copy.
    summary_ct = models.BinaryField(_("summary (encrypted)"), default=b"")
    next_step_ct = models.BinaryField(_("next step (encrypted)"), default=b"")
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    if TYPE_CHECKING:  # what a selector decided to show (customers/followups.py present); not columns
        summary: str | None
        next_step: str | None
        erased: bool
        field_views: dict[str, Any]

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["customer", "occurred_at"], name="followup_customer_time")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class CustomFieldDefinition(models.Model):
    """A field administrators add to customer profiles; values live in ``Customer.custom_data``."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label_zh = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=10, choices=FieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    applies_to = models.CharField(_("applies to"), max_length=12, choices=AppliesTo.choices, default=AppliesTo.BOTH)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "key"]
        constraints = [
            models.CheckConstraint(condition=~Q(field_type=FieldType.CHOICE) | ~Q(choices=[]), name="customfield_choice_needs_choices")
        ]

    def __str__(self) -> str:
        return self.key

    def label(self, language: str | None) -> str:
        return self.label_en if (language or "").startswith("en") else self.label_zh


class MatchKey(models.Model):
    """One duplicate-matching key of a customer (issue #14, customers/matching.py): a keyed blind index
    (``crypto.cipher.blind_index``, one domain per kind) of a normalised identifier or of a value derived
    from the profile (name pinyin, birth year, last 8 digits of the mobile…). No plaintext, nothing
    reversible; erased with the customer's indexes on crypto-shredding and deleted with the customer."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="match_keys")
    # Copied from the customer: a lookup stays in one legal entity without a join.
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=MatchKeyKind.choices)
    digest_bidx = models.BinaryField(max_length=16)

    objects = MatchKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("duplicate-matching key")
        verbose_name_plural = _("duplicate-matching keys")
        indexes = [models.Index(fields=["legal_entity", "kind", "digest_bidx"], name="matchkey_lookup")]

    def __str__(self) -> str:
        return f"match key {self.kind} of {self.customer_id}"
