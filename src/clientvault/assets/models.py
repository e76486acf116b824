"""The customer asset ledger (客户资产台账, issue #13): assets, journals, ledger entries, FX rates, alerts.

Amounts are integers in the currency's minor units (fen for CNY). They are **plaintext columns** on
purpose: the database itself holds the ledger's invariants (entries sum to zero per currency, no negative
balance unless the asset kind allows it, pledged ≤ balance, a gap-free per-asset version, the running
balance moved only together with an entry), and it cannot check sums over ciphertext. Their sight is
decided per field like every personal field (catalogue key ``asset.balance``, C2, PIPL-28 financial
account); the identifier (account, policy or contract number) is sealed under the customer's key with a
blind index (``asset.identifier``). The triggers live in ``assets/triggers.py`` (SQLite and PostgreSQL).

Entries and journals are append-only (AML-34-retain-10y: transaction records are kept, never rewritten).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import Department, LegalEntity
from clientvault.assets.querysets import AssetQuerySet
from clientvault.core.ids import new_id


class Kind(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit account")
    SECURITIES = "securities", _("Securities account")
    FUND = "fund", _("Fund holding")
    INSURANCE_POLICY = "insurance_policy", _("Insurance policy")
    LOAN = "loan", _("Loan")
    COLLATERAL = "collateral", _("Collateral")
    CONTRACT = "contract", _("Contract")
    CLEARING = "clearing", _("Institution clearing account")


# A loan's balance is what the customer owes (negative); the institution's clearing account mirrors every
# deposit and withdrawal (double entry), so it goes negative as customers deposit.
NEGATIVE_KINDS = frozenset({Kind.LOAN, Kind.CLEARING})


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class EntryKind(models.TextChoices):
    OPEN = "open", _("Opened")
    DEPOSIT = "deposit", _("Deposit")
    WITHDRAW = "withdraw", _("Withdrawal")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    PLEDGE = "pledge", _("Pledge")
    RELEASE = "release", _("Release of pledge")
    CHANGE_TERMS = "change_terms", _("Change of terms")
    CLOSE = "close", _("Closed")
    FX_OUT = "fx_out", _("Currency exchange out")
    FX_IN = "fx_in", _("Currency exchange in")


class JournalKind(models.TextChoices):
    OPEN = "open", _("Opening")
    DEPOSIT = "deposit", _("Deposit")
    WITHDRAW = "withdraw", _("Withdrawal")
    TRANSFER = "transfer", _("Transfer")
    FX_TRANSFER = "fx_transfer", _("Transfer with currency exchange")
    PLEDGE = "pledge", _("Pledge")
    RELEASE = "release", _("Release of pledge")
    CHANGE_TERMS = "change_terms", _("Change of terms")
    CLOSE = "close", _("Closing")


class Asset(models.Model):
    """A customer's holding (deposit or securities account, fund, policy, loan, collateral, contract), or an
    institution clearing account (no customer). Its balance is a running total of its entries."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="assets", verbose_name=_("customer")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    # Sealed under the customer's key (ARCHITECTURE.md rule 6); clearing accounts have none.
    identifier_ct = models.BinaryField(_("identifier (encrypted)"), default=b"")
    identifier_bidx = models.BinaryField(max_length=16, default=b"")
    product = models.CharField(_("product"), max_length=120, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    terms = models.JSONField(_("terms"), default=dict, blank=True)  # rate, maturity, limits: nothing personal
    balance = models.BigIntegerField(_("balance (minor units)"), default=0)
    pledged = models.BigIntegerField(_("pledged (minor units)"), default=0)
    version = models.BigIntegerField(_("version"), default=0)  # the seq of its last entry
    allow_negative = models.BooleanField(default=False)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))

    objects = AssetQuerySet.as_manager()

    if TYPE_CHECKING:  # what a selector decided to show; not columns
        identifier: str | None
        shown_balance: int | None
        field_views: dict[str, Any]

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["opened_on", "id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="asset_customer_status"),
            models.Index(fields=["identifier_bidx"], name="asset_identifier_bidx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(pledged__gte=0), name="asset_pledged_not_negative"),
            # available = balance − pledged: a pledged amount cannot be moved (issue #13).
            models.CheckConstraint(condition=Q(pledged=0) | Q(pledged__lte=F("balance")), name="asset_pledged_within_balance"),
            models.CheckConstraint(condition=Q(allow_negative=True) | Q(balance__gte=0), name="asset_no_negative_balance"),
            models.CheckConstraint(condition=Q(status="open") | Q(balance=0, pledged=0), name="asset_closed_is_empty"),
            models.CheckConstraint(
                condition=Q(kind="clearing", customer__isnull=True) | (~Q(kind="clearing") & Q(customer__isnull=False)),
                name="asset_customer_unless_clearing",
            ),
            models.CheckConstraint(condition=Q(version__gte=0), name="asset_version_not_negative"),
            models.UniqueConstraint(
                fields=["legal_entity", "currency"], condition=Q(kind="clearing"), name="asset_one_clearing_per_currency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.currency}"

    @property
    def available(self) -> int:
        return self.balance - self.pledged


class Journal(models.Model):
    """One movement: its entries sum to zero per currency (the database checks it when the journal row is
    inserted, after its entries). Append-only."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("type"), max_length=20, choices=JournalKind.choices)
    idempotency_key = models.CharField(max_length=100, unique=True)
    fingerprint = models.CharField(max_length=64)  # sha256 of the movement: a retried key must carry the same
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=64, blank=True)
    # The change request that allowed it (issue #13), when one was needed.
    approval = models.ForeignKey("approvals.ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    entry_count = models.PositiveIntegerField()
    rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    rate_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        constraints = [models.CheckConstraint(condition=Q(entry_count__gte=1), name="journal_has_entries")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class LedgerEntry(models.Model):
    """One line of an asset's ledger. Append-only; its seq is the asset's version + 1, its balance_before
    the asset's balance (the database checks both), and inserting it moves the asset's running balance."""

    id = models.BigAutoField(primary_key=True)
    # Entries are inserted before their journal: the foreign key is checked at commit (deferred).
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="entries")
    seq = models.BigIntegerField()
    kind = models.CharField(_("type"), max_length=20, choices=EntryKind.choices)
    amount = models.BigIntegerField(_("amount (minor units)"))
    pledged_delta = models.BigIntegerField(default=0)
    balance_before = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    pledged_before = models.BigIntegerField()
    pledged_after = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    purpose = models.CharField(max_length=64, blank=True)
    approval = models.ForeignKey("approvals.ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["asset", "seq"]
        indexes = [models.Index(fields=["asset", "created_at"], name="entry_asset_time")]
        constraints = [
            models.UniqueConstraint(fields=["asset", "seq"], name="entry_asset_seq_unique"),
            # One line per asset and journal: a journal moves each asset once.
            models.UniqueConstraint(fields=["journal", "asset"], name="entry_journal_asset_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="entry_seq_positive"),
            models.CheckConstraint(condition=Q(balance_after=F("balance_before") + F("amount")), name="entry_balance_moves_by_amount"),
            models.CheckConstraint(
                condition=Q(pledged_after=F("pledged_before") + F("pledged_delta")), name="entry_pledged_moves_by_delta"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}#{self.seq}"


class FxRate(models.Model):
    """A dated rate: 1 unit of ``currency`` is ``rate`` units of ``base``. Conversions use the latest rate on
    or before the date and show that rate's date."""

    currency = models.CharField(max_length=3)
    base = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    as_of = models.DateField()
    source = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "base", "as_of"], name="fxrate_unique_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fxrate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency}/{self.base} {self.rate} ({self.as_of})"


class AlertKind(models.TextChoices):
    FREQUENT_CHANGES = "frequent_changes", _("Frequent changes")
    FOREIGN_OPERATOR = "foreign_operator", _("Operator outside the asset's department")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Not yet reviewed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class AssetAlert(models.Model):
    """An early signal for compliance (non-personal: ids, codes and counts)."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    journal_id = models.UUIDField(null=True, blank=True)
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("asset alert")
        verbose_name_plural = _("asset alerts")
        indexes = [models.Index(fields=["legal_entity", "status", "created_at"], name="assetalert_entity_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.asset_id}"
