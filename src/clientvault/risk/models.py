"""Credit files, scores, limits, terms, holds, reviews and early warnings (issue #16).

Every row here describes one customer's credit standing: personal financial information (RULES.md §10:
credit and loan records are PIPL-28 / GB/T 35273 sensitive, JR/T 0171 C2). By construction (ARCHITECTURE.md
rule 11) each model with a customer's data is named in the field catalogue (``creditfile.*``, ``creditscore.*``…),
its default manager refuses unscoped queries (``CreditQuerySet``: through the customer, like the asset ledger),
and its free text and score details are sealed under the customer's own key (erased with it).

Amounts (limits, the tier, the score's total) stay plaintext columns for the same reason as asset balances: the
portfolio, the control rules and the stability check aggregate over them in the database; their sight is
decided per field (catalogue keys ``creditlimit.amount``, ``creditfile.tier``, ``creditscore.score``).

The catalogues of credit-control rules and tier policies are versioned data (rule 9): ``ControlRule`` and
``TierPolicy`` with their append-only version tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientvault.accounts.models import LegalEntity
from clientvault.core.catalogue_changes import CatalogueChange, change_constraints
from clientvault.core.catalogues import EntryVersion, VersionedEntry
from clientvault.core.ids import new_id
from clientvault.risk.querysets import CreditFileQuerySet, CreditQuerySet


class Tier(models.TextChoices):
    HIGH = "high", _("High risk")
    MEDIUM = "medium", _("Medium risk")
    LOW = "low", _("Low risk")


class CreditFile(models.Model):
    """One customer's credit file (信用档案): current tier, payment terms, review dates, last evaluation.
    Limits, terms history, scores, holds, reviews and warnings hang off it."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    customer = models.OneToOneField("customers.Customer", on_delete=models.PROTECT, related_name="credit_file", verbose_name=_("customer"))
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)  # limits and exposure are expressed in it
    tier = models.CharField(_("risk tier"), max_length=10, choices=Tier.choices, blank=True)  # "" = not scored yet
    terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=0)  # current 账期; history: PaymentTerms
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("last evaluated"), null=True, blank=True)
    # The last control evaluation: rule codes, actions and measured figures (amounts, days, ratios) — no text.
    evaluation = models.JSONField(default=dict, blank=True)
    version = models.BigIntegerField(default=0)  # bumped by every write: change requests compare it (stale)
    created_at = models.DateTimeField(_("created"))

    objects = CreditFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit file")
        verbose_name_plural = _("credit files")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["legal_entity", "tier"], name="creditfile_entity_tier"),
            models.Index(fields=["next_review_on"], name="creditfile_next_review"),
        ]

    def __str__(self) -> str:
        return f"credit file {self.pk}"


class LimitKind(models.TextChoices):
    PERMANENT = "permanent", _("Permanent limit")
    TEMPORARY = "temporary", _("Temporary limit")


class CreditLimit(models.Model):
    """A limit granted (信用额度): permanent, or temporary with its validity. Append-only history: a new permanent
    limit ends the one before (``ended_at``); a temporary limit lapses at ``valid_until``."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    credit_file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="limits")
    kind = models.CharField(_("type"), max_length=10, choices=LimitKind.choices)
    amount = models.BigIntegerField(_("amount (minor units)"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    approval = models.ForeignKey("approvals.ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"))

    objects = CreditQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit limit")
        verbose_name_plural = _("credit limits")
        ordering = ["credit_file", "-valid_from", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="creditlimit_amount_not_negative"),
            models.CheckConstraint(condition=Q(kind="permanent") | Q(valid_until__isnull=False), name="creditlimit_temporary_has_end"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")), name="creditlimit_valid_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class PaymentTerms(models.Model):
    """A payment-terms decision (账期): the days granted from a given date. Append-only history; the file's
    ``terms_days`` is the one in force."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    credit_file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="terms_history")
    days = models.PositiveIntegerField(_("payment terms (days)"))
    valid_from = models.DateField(_("valid from"))
    approval = models.ForeignKey("approvals.ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"))

    objects = CreditQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["credit_file", "-valid_from", "-created_at"]

    def __str__(self) -> str:
        return f"{self.days} days from {self.valid_from}"


class Trigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly re-evaluation")
    PAYMENT = "payment", _("Payment received")
    CHECKPOINT = "checkpoint", _("Credit checkpoint")
    MANUAL = "manual", _("Scored by a risk officer")
    REVIEW = "review", _("Periodic review")


class CreditScore(models.Model):
    """One automated score (PIPL-24: the decision log keeps the features and model version). The total and tier
    are columns (portfolio, stability); the record — points per characteristic, bins, inputs by field code,
    reason codes — is sealed under the customer's key (``record_ct``, JSON of ``Score.as_record()``)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    credit_file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="scores")
    scored_at = models.DateTimeField(_("scored"))
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    model_id = models.CharField(_("model"), max_length=80)
    model_version = models.CharField(_("model version"), max_length=40)
    spec_digest = models.CharField(max_length=64)
    tier_policy_version = models.PositiveIntegerField(_("tier policy version"))
    score = models.FloatField(_("score"))
    tier = models.CharField(_("risk tier"), max_length=10, choices=Tier.choices)
    record_ct = models.BinaryField(_("score record (encrypted)"), default=b"")

    objects = CreditQuerySet.as_manager()

    if TYPE_CHECKING:  # what a selector decided to show; not columns
        record: dict[str, Any] | None

    class Meta:
        verbose_name = _("credit score")
        verbose_name_plural = _("credit scores")
        ordering = ["credit_file", "-scored_at"]
        indexes = [
            models.Index(fields=["credit_file", "scored_at"], name="creditscore_file_time"),
            models.Index(fields=["scored_at"], name="creditscore_time"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} {self.scored_at:%Y-%m-%d}"


class HoldKind(models.TextChoices):
    FORCED = "forced", _("Forced hold")  # placed by a person or a critical warning; never released automatically
    RULE = "rule", _("Rule hold")  # placed by a control rule; re-evaluated nightly and on payment


class HoldStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    RELEASED = "released", _("Released")


class CreditHold(models.Model):
    """A credit hold (信用冻结): while active, new credit, drawdowns and longer terms are blocked at the checkpoints.
    A forced hold carries a reason and is released only through an approved change request (rule 12)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    credit_file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(_("type"), max_length=10, choices=HoldKind.choices)
    reason_code = models.CharField(_("reason"), max_length=60)  # a control rule's or a warning kind's code, or "manual"
    note_ct = models.BinaryField(_("note (encrypted)"), default=b"")  # the person's words, sealed
    warning = models.ForeignKey("risk.EarlyWarning", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    placed_at = models.DateTimeField(_("placed"))
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    release_request = models.ForeignKey("approvals.ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = CreditQuerySet.as_manager()

    if TYPE_CHECKING:
        note: str | None

    class Meta:
        verbose_name = _("credit hold")
        verbose_name_plural = _("credit holds")
        ordering = ["credit_file", "-placed_at"]
        indexes = [models.Index(fields=["status", "kind"], name="credithold_status_kind")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason_code=""), name="credithold_has_reason"),
            models.CheckConstraint(
                condition=Q(status="active", released_at__isnull=True) | Q(status="released", released_at__isnull=False),
                name="credithold_release_dated",
            ),
            # A rule holds a file once: re-evaluation finds it rather than stacking copies.
            models.UniqueConstraint(
                fields=["credit_file", "reason_code"], condition=Q(status="active", kind="rule"), name="credithold_one_active_rule_hold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reason_code}"


class ReviewKind(models.TextChoices):
    PERIODIC = "periodic", _("Periodic review")
    WARNING = "warning", _("Early-warning review")
    HUMAN = "human", _("Human review of an automated decision")  # PIPL-24


class ReviewStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("credit review or warning status", "Open")
    DONE = "done", _("Done")


class ReviewOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Decision confirmed")
    CHANGED = "changed", _("Decision changed")


class CreditReview(models.Model):
    """A review task (复核): periodic (its date follows the tier), opened by a critical warning, or asked for by the
    customer about an automated decision (PIPL-24; then it carries the rights request with the clock, and its
    outcome is recorded beside the automated score)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    credit_file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("type"), max_length=10, choices=ReviewKind.choices)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    score = models.ForeignKey(CreditScore, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    warning = models.ForeignKey("risk.EarlyWarning", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rights_request = models.ForeignKey("rights.RightsRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReviewOutcome.choices, blank=True)
    outcome_tier = models.CharField(_("tier after review"), max_length=10, choices=Tier.choices, blank=True)
    note_ct = models.BinaryField(_("note (encrypted)"), default=b"")
    opened_at = models.DateTimeField(_("opened"))
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    objects = CreditQuerySet.as_manager()

    if TYPE_CHECKING:
        note: str | None

    class Meta:
        verbose_name = _("credit review")
        verbose_name_plural = _("credit reviews")
        ordering = ["due_on", "opened_at"]
        indexes = [models.Index(fields=["status", "due_on"], name="creditreview_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", completed_at__isnull=True, outcome="")
                | Q(status="done", completed_at__isnull=False) & ~Q(outcome=""),
                name="creditreview_done_has_outcome",
            ),
            # One open periodic review per file: the schedule finds it rather than stacking copies.
            models.UniqueConstraint(
                fields=["credit_file"], condition=Q(status="open", kind="periodic"), name="creditreview_one_open_periodic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} review due {self.due_on}"


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class WarningSource(models.TextChoices):
    INTERNAL = "internal", _("Internal indicator")
    TIANYANCHA = "tianyancha", _("Tianyancha")
    QICHACHA = "qichacha", _("Qichacha")


class WarningStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("credit review or warning status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class EarlyWarning(models.Model):
    """An early-warning signal (风险预警) about one customer, with its evidence sealed under the customer's key.
    ``reference`` identifies the fact (a judgement's case number digest, a month, a ledger entry id) so the same
    fact found twice is one warning."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    credit_file = models.ForeignKey(CreditFile, on_delete=models.CASCADE, related_name="warnings")
    kind = models.CharField(_("indicator"), max_length=40)
    source = models.CharField(_("source"), max_length=12, choices=WarningSource.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    reference = models.CharField(max_length=80)  # never personal: a digest, a month or an id
    evidence_ct = models.BinaryField(_("evidence (encrypted)"), default=b"")
    detected_at = models.DateTimeField(_("detected"))
    status = models.CharField(_("status"), max_length=14, choices=WarningStatus.choices, default=WarningStatus.OPEN)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    objects = CreditQuerySet.as_manager()

    if TYPE_CHECKING:
        evidence: dict[str, Any] | None

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["status", "severity", "detected_at"], name="earlywarning_queue")]
        constraints = [models.UniqueConstraint(fields=["credit_file", "kind", "reference"], name="earlywarning_fact_once")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity})"


class StabilityCheck(models.Model):
    """The month's population stability index of a scorecard's scores against its baseline (no personal data:
    bin counts only). ``alert`` when the PSI exceeds the configured threshold (0.25 by default)."""

    month = models.DateField(_("month"))  # the first day of the month checked
    model_id = models.CharField(_("model"), max_length=80)
    baseline = models.JSONField(default=dict)  # bin edges and shares of the reference population
    actual = models.JSONField(default=dict)  # the month's shares in the same bins
    psi = models.FloatField(_("PSI"))
    threshold = models.FloatField()
    alert = models.BooleanField(_("alert"), default=False)
    population = models.PositiveIntegerField(_("scores in the month"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("stability check")
        verbose_name_plural = _("stability checks")
        ordering = ["-month", "model_id"]
        constraints = [models.UniqueConstraint(fields=["month", "model_id"], name="stabilitycheck_month_model")]

    def __str__(self) -> str:
        return f"{self.model_id} {self.month:%Y-%m} PSI {self.psi:.3f}"


# --- Versioned catalogues (rule 9) ---------------------------------------------------------------------


class Checkpoint(models.TextChoices):
    NEW_CREDIT = "new_credit", _("New loan or credit line")
    DRAWDOWN = "drawdown", _("Drawdown")
    TERMS_CHANGE = "terms_change", _("Payment-terms change")
    EVALUATION = "evaluation", _("Re-evaluation (nightly or on payment)")


class Action(models.TextChoices):
    WARN = "warn", _("Warn")
    HOLD = "hold", _("Hold")
    BLOCK = "block", _("Block")


class ControlRule(VersionedEntry):
    """One credit-control rule (信用控制规则): what it measures (``measure``, a code the engine knows), its
    threshold (``params``), the action and the checkpoints it acts at. Editable by risk officers; every change is
    a new version with its reason and audit event."""

    KEY = "code"
    EDITABLE = ("measure", "params", "action", "checkpoints", "active", "citation", "description")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    measure = models.CharField(_("measure"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    checkpoints = models.JSONField(_("checkpoints"), default=list)
    active = models.BooleanField(_("active"), default=True)
    citation = models.CharField(_("rule"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("credit-control rule")
        verbose_name_plural = _("credit-control rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ControlRuleVersion(EntryVersion):
    KEY = "code"

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("credit-control rule version")
        verbose_name_plural = _("credit-control rule versions")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="controlrule_version_unique")]


ControlRule.VERSIONS = ControlRuleVersion


class TierPolicy(VersionedEntry):
    """Tier thresholds on the score and the review interval per tier (data, not constants). ``code`` "default"
    is the one in force; ``model_id`` binds the thresholds to the scorecard whose scaling they were set for."""

    KEY = "code"
    EDITABLE = ("model_id", "high_risk_below", "low_risk_from", "review_months_high", "review_months_medium", "review_months_low")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    model_id = models.CharField(_("model"), max_length=80)
    high_risk_below = models.FloatField(_("high risk below"))
    low_risk_from = models.FloatField(_("low risk from"))
    review_months_high = models.PositiveSmallIntegerField(_("review every (months), high risk"))
    review_months_medium = models.PositiveSmallIntegerField(_("review every (months), medium risk"))
    review_months_low = models.PositiveSmallIntegerField(_("review every (months), low risk"))

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(high_risk_below__lte=models.F("low_risk_from")), name="tierpolicy_threshold_order"),
            models.CheckConstraint(
                condition=Q(review_months_high__gte=1, review_months_medium__gte=1, review_months_low__gte=1),
                name="tierpolicy_review_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class TierPolicyVersion(EntryVersion):
    KEY = "code"

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("tier policy version")
        verbose_name_plural = _("tier policy versions")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="tierpolicy_version_unique")]


TierPolicy.VERSIONS = TierPolicyVersion


class ControlRuleChange(CatalogueChange):
    """A change to a credit-control rule that loosens it (a higher threshold, a softer action, fewer checkpoints, a
    rule switched off, a new collateral advance), waiting for a second risk officer (ARCHITECTURE.md rule 12)."""

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta(CatalogueChange.Meta):
        verbose_name = _("credit-control rule change")
        verbose_name_plural = _("credit-control rule changes")
        constraints = change_constraints("controlrulechange")


class TierPolicyChange(CatalogueChange):
    """A change to the tier policy that lowers protection (fewer customers in the high-risk tier, more in the low,
    longer review intervals, another scorecard), waiting for a second risk officer (rule 12)."""

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta(CatalogueChange.Meta):
        verbose_name = _("tier policy change")
        verbose_name_plural = _("tier policy changes")
        constraints = change_constraints("tierpolicychange")
