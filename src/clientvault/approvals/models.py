"""Maker-checker (双人复核) change requests, the rules that route them, and the decisions on them (issue #13).

ARCHITECTURE.md rule 12: nobody widens their own sight, and maker ≠ checker is enforced by the rules and
by the database — the triggers installed by ``migrations/0001_initial.py`` (``approvals/db.py``) refuse a
decision by the maker, by someone of another legal entity, or on a request that is not waiting, and refuse
any change to a decision once written.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.approvals.querysets import ChangeRequestQuerySet
from clientvault.core.catalogues import EntryVersion, VersionedEntry
from clientvault.core.ids import new_id


class ApprovalRule(VersionedEntry):
    """Which change needs whose approval: matched on the request's facts, lower ``priority`` first.

    ``steps`` is a list of ``{"stage": n, "roles": [role codes], "required": k}``: steps sharing a stage run in
    parallel, stages run in order. Above ``supervisor_threshold_minor`` an extra last stage of
    ``supervisor_roles`` follows (主管复核)."""

    EDITABLE = (
        "change_type",
        "priority",
        "active",
        "conditions",
        "steps",
        "supervisor_threshold_minor",
        "supervisor_roles",
        "sla_working_days",
        "escalate_to",
        "expire_after_days",
        "description",
    )

    code = models.SlugField(_("code"), max_length=60, unique=True)
    change_type = models.CharField(_("change type"), max_length=60, db_index=True)
    priority = models.IntegerField(_("priority"), default=100)
    active = models.BooleanField(_("active"), default=True)
    conditions = models.JSONField(_("conditions"), default=dict)
    steps = models.JSONField(_("approval steps"), default=list)
    supervisor_threshold_minor = models.BigIntegerField(_("supervisor re-check from (minor units)"), null=True, blank=True)
    supervisor_roles = models.JSONField(_("supervisor roles"), default=list)
    sla_working_days = models.PositiveSmallIntegerField(_("due within (working days)"), default=2)
    escalate_to = models.JSONField(_("escalate to"), default=list)
    expire_after_days = models.PositiveSmallIntegerField(_("expires after (days)"), default=30)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["change_type", "priority", "code"]

    def __str__(self) -> str:
        return self.code


class ApprovalRuleVersion(EntryVersion):
    """Every version an approval rule has had (append-only at the database)."""

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("approval rule version")
        verbose_name_plural = _("approval rule versions")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="approvalrule_version_unique")]


ApprovalRule.VERSIONS = ApprovalRuleVersion


class ChangeRequest(models.Model):
    """A change proposed by one person (经办人) waiting for others (复核人) to decide it.

    The proposed and current values are sealed under the subject customer's key (``values_ct``,
    ``before_ct``); everything else is non-personal (codes, ids, a one-line summary)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        APPLIED = "applied", _("Applied")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    OPEN = (Status.SUBMITTED, Status.APPROVED)
    CLOSED = (Status.REJECTED, Status.WITHDRAWN, Status.APPLIED, Status.EXPIRED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    change_type = models.CharField(_("change type"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target"), max_length=64)
    field_key = models.CharField(_("what changes"), max_length=100, blank=True)
    subject_id = models.UUIDField(_("customer"), db_index=True)
    legal_entity = models.ForeignKey("accounts.LegalEntity", on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity"))
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("maker"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    values_ct = models.BinaryField(_("proposed values"))
    before_ct = models.BinaryField(_("values before"))
    fingerprint = models.CharField(max_length=128)
    fields = models.JSONField(_("fields"), default=list)
    facts = models.JSONField(default=dict)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    rule_code = models.CharField(_("rule"), max_length=60)
    rule_version = models.PositiveIntegerField(_("rule version"))
    plan = models.JSONField(default=list)
    # ",role_a,role_b," — every role the plan names, so that ``visible_to`` can filter on it in SQL on both
    # databases (JSON containment is not portable to SQLite).
    plan_roles = models.CharField(max_length=400, blank=True)
    stage = models.PositiveSmallIntegerField(_("stage"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    failure_reason = models.CharField(_("why it failed"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at"]
        constraints = [
            # One open request per thing changed: a second is refused (Conflict), not queued.
            models.UniqueConstraint(
                fields=["target_type", "target_id", "field_key"],
                condition=Q(status__in=["submitted", "approved"]),
                name="changerequest_one_open_per_target",
            ),
            models.CheckConstraint(condition=Q(stage__gte=1), name="changerequest_stage_positive"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="changerequest_status_due")]

    def __str__(self) -> str:
        return f"{self.change_type} {self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def stage_steps(self, stage: int | None = None) -> list[dict[str, Any]]:
        n = self.stage if stage is None else stage
        return [s for s in self.plan if int(s["stage"]) == n]

    @property
    def last_stage(self) -> int:
        return max((int(s["stage"]) for s in self.plan), default=1)


class Decision(models.Model):
    """One checker's approval or rejection of a request. Append-only at the database."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")

    request = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("change request"))
    stage = models.PositiveSmallIntegerField(_("stage"))
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("approver"))
    approver_role = models.CharField(_("as"), max_length=40)
    outcome = models.CharField(_("decision"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="decision_one_per_approver")]

    def __str__(self) -> str:
        return f"{self.outcome} by {self.approver_id} on {self.request_id}"


class RuleChange(models.Model):
    """A change to the approval rules that weakens them, waiting for a second compliance officer (rule 12).

    The approval rules are themselves the control: a compliance officer who could alone drop an approval
    step, raise a threshold or deactivate a rule could let their own (or a colleague's) changes through
    unchecked. ``proposed`` is the whole rule as it would become; ``base_version`` the version it changes
    (None: a new rule). Maker ≠ checker is a database constraint too."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(_("code"), max_length=60, db_index=True)
    base_version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    proposed = models.JSONField(_("approval rule"))
    fields = models.JSONField(_("changed fields"), default=list)
    weakens = models.JSONField(_("weakens"), default=list)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval rule change")
        verbose_name_plural = _("approval rule changes")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(status="pending"), name="rulechange_one_pending"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="rulechange_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="rulechange_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"
