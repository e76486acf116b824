"""The data lifecycle (issue #15): retention rules (a versioned catalogue), legal holds, erasures and their
signed deletion certificates.

None of these rows holds a personal value: customers are named by id, holds and rules by codes and dates,
and a certificate lists categories, tables, counts and audit-event ids (PIPL-47, JRT0171-DELETE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.core.catalogues import EntryVersion, VersionedEntry
from clientvault.core.ids import new_id


class StartEvent(models.TextChoices):
    RELATIONSHIP_END = "relationship_end", _("End of the business relationship")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    LAST_CONTACT = "last_contact", _("Last contact")
    TRANSACTION_DATE = "transaction_date", _("Date of the transaction")


class EndAction(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMISE = "anonymise", _("Anonymise")
    RESTRICT = "restrict", _("Restrict (store only)")


class Category(models.TextChoices):
    PROFILE = "profile", _("Customer profile")
    KYC = "kyc", _("Customer identification (KYC)")
    TRANSACTIONS = "transactions", _("Assets and transactions")
    FOLLOWUPS = "followups", _("Follow-ups")
    MARKETING_TAGS = "marketing_tags", _("Marketing tags")
    CONSENT_EVIDENCE = "consent_evidence", _("Consent evidence")
    ACCESS_LOGS = "access_logs", _("Access logs")
    PIPIA = "pipia", _("Impact assessments")


class RetentionRule(VersionedEntry):
    """How long one category of data is kept for one purpose (保存期限, PIPL-19): versioned data, not code."""

    KEY = "code"
    EDITABLE = ("category", "purpose", "legal_basis", "period_months", "start_event", "end_action", "citation", "description")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    category = models.CharField(_("data category"), max_length=20, choices=Category.choices)
    purpose = models.CharField(_("purpose"), max_length=40)
    legal_basis = models.CharField(_("legal basis"), max_length=60)
    period_months = models.PositiveIntegerField(_("period (months)"))
    start_event = models.CharField(_("start event"), max_length=20, choices=StartEvent.choices)
    end_action = models.CharField(_("end action"), max_length=10, choices=EndAction.choices)
    citation = models.CharField(_("rule"), max_length=60, blank=True)  # RULES.md id: PIPL-19, AML-34 …
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.code


class RetentionRuleVersion(EntryVersion):
    """Every version a retention rule has had (append-only at the database)."""

    KEY = "code"

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("retention rule version")
        verbose_name_plural = _("retention rule versions")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="retentionrule_version_unique")]


RetentionRule.VERSIONS = RetentionRuleVersion


class RetentionRuleChange(models.Model):
    """A change to a retention rule that lowers protection (a shorter period, a harsher end action) waiting for a
    second compliance officer (ARCHITECTURE.md rule 12). Maker ≠ checker is a database constraint too."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(_("code"), max_length=60, db_index=True)
    base_version = models.PositiveIntegerField(_("version"))
    proposed = models.JSONField(_("retention rule"))
    fields = models.JSONField(_("changed fields"), default=list)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("retention rule change")
        verbose_name_plural = _("retention rule changes")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(status="pending"), name="retentionrulechange_one_pending"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")), name="retentionrulechange_checker_not_maker"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class HoldBasis(models.TextChoices):
    AML = "aml", _("Anti-money-laundering record keeping")
    LITIGATION = "litigation", _("Litigation")
    REGULATOR = "regulator", _("Regulator's order")
    OTHER = "other", _("Other legal duty")


class HoldStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LIFT_REQUESTED = "lift_requested", _("Lifting requested")
    LIFTED = "lifted", _("Lifted")


class LegalHold(models.Model):
    """A legal duty to keep a customer's data (法定保留): while active, the customer cannot be erased and is
    restricted instead (PIPL-47, GDPR-17(3)). ``category`` empty: the whole customer. ``until`` empty: open-ended
    (an AML hold on a live relationship runs until relationship end + 10 years, AML-34). Lifting is decided by a
    second compliance officer (rule 12)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    customer_id = models.UUIDField(_("customer"), db_index=True)
    category = models.CharField(_("data category"), max_length=20, choices=Category.choices, blank=True)
    basis = models.CharField(_("basis"), max_length=12, choices=HoldBasis.choices)
    reference = models.CharField(_("reference"), max_length=80, blank=True)  # case or notice number: no personal value
    starts_on = models.DateField(_("from"))
    until = models.DateField(_("until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=HoldStatus.choices, default=HoldStatus.ACTIVE)
    automatic = models.BooleanField(_("placed automatically"), default=False)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed"))
    lift_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lift_reason = models.CharField(_("reason"), max_length=300, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_by__isnull=True) | ~Q(lifted_by=models.F("lift_requested_by")), name="legalhold_checker_not_maker"
            ),
            models.UniqueConstraint(
                fields=["customer_id", "basis", "category"],
                condition=Q(automatic=True) & ~Q(status="lifted"),
                name="legalhold_one_automatic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.basis} hold on {self.customer_id}"


class ErasureState(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    QUEUED = "queued", _("Queued")
    SHREDDED = "shredded", _("Key destroyed")
    ROWS_DONE = "rows_done", _("Rows deleted")
    DELETED = "deleted", _("Deleted, certificate issued")
    RESTRICTED = "restricted", _("Restricted under a legal hold")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class Erasure(models.Model):
    """One erasure of one customer and where it stands (lifecycle/erasure.py): each step commits its state with
    its work, so a crash between steps resumes from the last committed one and never issues twice."""

    class Trigger(models.TextChoices):
        REQUEST = "request", _("Data-subject request")
        SWEEP = "sweep", _("Retention expiry")
        CONSENT = "consent", _("Consent withdrawn")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    customer_id = models.UUIDField(_("customer"), db_index=True)
    request_ref = models.CharField(_("request"), max_length=80, null=True, blank=True, unique=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    rule_codes = models.JSONField(_("retention rules"), default=list)
    state = models.CharField(_("state"), max_length=20, choices=ErasureState.choices, default=ErasureState.QUEUED)
    hold_bases = models.JSONField(_("hold bases"), default=list)
    change_request_id = models.UUIDField(_("change request"), null=True, blank=True)
    counts = models.JSONField(_("rows"), default=dict)  # {"table": {"deleted": n, "anonymised": m}}
    event_ids = models.JSONField(_("audit events"), default=list)
    key_shredded = models.BooleanField(_("key destroyed"), default=False)
    error_code = models.CharField(_("error"), max_length=40, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "updated_at"], name="erasure_state")]
        constraints = [
            # One erasure in progress per customer (a request and the sweep cannot race each other).
            models.UniqueConstraint(
                fields=["customer_id"], condition=Q(state__in=["queued", "shredded", "rows_done"]), name="erasure_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"erasure {self.pk} ({self.state})"


class DeletionCertificate(models.Model):
    """A signed statement of one erasure (删除证明, JRT0171-DELETE): ``document`` is the canonical JSON body the
    Ed25519 ``signature`` covers (scripts/verify_deletion_certificate.py checks it offline). Written once."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    erasure = models.OneToOneField(Erasure, on_delete=models.PROTECT, related_name="certificate")
    customer_id = models.UUIDField(_("customer"), db_index=True)
    issued_at = models.DateTimeField(_("issued"))
    document = models.TextField(_("certificate"))
    signature = models.CharField(_("signature"), max_length=120)
    key_id = models.CharField(_("signing key"), max_length=16)

    class Meta:
        verbose_name = _("deletion certificate")
        verbose_name_plural = _("deletion certificates")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"certificate {self.pk}"


class SweepCandidate(models.Model):
    """A customer whose data may have lost its last purpose (PIPL-47: consent withdrawn): the next sweep looks at
    them first. ``categories`` are the data categories held only for the withdrawn purpose."""

    customer_id = models.UUIDField(_("customer"), primary_key=True)
    categories = models.JSONField(_("data categories"), default=list)
    noted_at = models.DateTimeField(_("noted"))

    class Meta:
        verbose_name = _("sweep candidate")
        verbose_name_plural = _("sweep candidates")

    def __str__(self) -> str:
        return str(self.customer_id)
