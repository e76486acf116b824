"""Merges of duplicate customer records (issue #14): survivorship rules (a versioned catalogue) and lineage.

A ``Merge`` is the lineage of one merge of N records into a survivor: who and which records, the picks,
the rule versions used, and two snapshots of every row it touched — ``before`` (as they were) and ``after``
(as the merge left them) — column by column, ciphertext as the bytes it is. It holds no plaintext personal
value: every personal column of those rows is ciphertext under its own customer's key, so erasing a customer
(crypto-shredding) erases their part of the snapshot too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.core.catalogues import EntryVersion, VersionedEntry
from clientvault.core.ids import new_id


class Rule(models.TextChoices):
    MOST_RECENT = "most_recent", _("Most recent")
    MOST_TRUSTED_SOURCE = "most_trusted_source", _("Most trusted source")
    MOST_COMPLETE = "most_complete", _("Most complete record")
    NON_NULL = "non_null", _("First non-empty")
    MANUAL = "manual", _("Manual pick")


class SurvivorshipRule(VersionedEntry):
    """How a merge chooses one field's value among the records (存续规则): versioned data, not code."""

    KEY = "field"
    EDITABLE = ("rule", "source_order", "description")

    field = models.SlugField(_("field"), max_length=40, unique=True)
    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    # For most_trusted_source: customer sources, most trusted first (a source not listed ranks last).
    source_order = models.JSONField(_("source trust order"), default=list, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("survivorship rule")
        verbose_name_plural = _("survivorship rules")
        ordering = ["field"]

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class SurvivorshipRuleVersion(EntryVersion):
    """Every version a survivorship rule has had (append-only at the database)."""

    KEY = "field"

    field = models.SlugField(_("field"), max_length=40, db_index=True)

    class Meta:
        verbose_name = _("survivorship rule version")
        verbose_name_plural = _("survivorship rule versions")
        ordering = ["field", "-version"]
        constraints = [models.UniqueConstraint(fields=["field", "version"], name="survivorshiprule_version_unique")]


SurvivorshipRule.VERSIONS = SurvivorshipRuleVersion


class SurvivorshipChange(models.Model):
    """A change to a survivorship rule waiting for a second compliance officer (rule 12): the rules decide whose
    data becomes a merged customer's record. ``proposed`` is the rule's values as they would become; maker ≠
    checker is a database constraint too."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    field = models.SlugField(_("field"), max_length=40, db_index=True)
    base_version = models.PositiveIntegerField(_("version"))
    proposed = models.JSONField(_("survivorship rule"))
    fields = models.JSONField(_("changed fields"), default=list)
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
        verbose_name = _("survivorship rule change")
        verbose_name_plural = _("survivorship rule changes")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["field"], condition=Q(status="pending"), name="survivorshipchange_one_pending"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")), name="survivorshipchange_checker_not_maker"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field} ({self.status})"


class MergeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for approval")
    APPLIED = "applied", _("Merged")
    CANCELLED = "cancelled", _("Not merged")
    UNMERGED = "unmerged", _("Unmerged")


class Merge(models.Model):
    """One merge of N customer records into a survivor, and everything needed to undo it exactly."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    legal_entity = models.ForeignKey("accounts.LegalEntity", on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity"))
    survivor = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("surviving record"))
    member_ids = models.JSONField(_("merged records"), default=list)  # ids (str) of the records merged away
    status = models.CharField(_("status"), max_length=10, choices=MergeStatus.choices, default=MergeStatus.PROPOSED, db_index=True)
    picks = models.JSONField(_("source of each field"), default=dict)  # field code -> customer id (str); no values
    rules = models.JSONField(_("rules used"), default=dict)  # field code -> [rule, version]
    cluster_id = models.UUIDField(_("duplicate cluster"), null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    request = models.ForeignKey("approvals.ChangeRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unmerge_request = models.ForeignKey("approvals.ChangeRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    applied_at = models.DateTimeField(_("merged"), null=True, blank=True)
    unmerged_at = models.DateTimeField(_("unmerged"), null=True, blank=True)
    before = models.JSONField(default=list)  # rows as they were (customers.lineage dump format)
    after = models.JSONField(default=list)  # the same rows (and those the merge added) as the merge left them

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"merge {self.id}"

    @property
    def customer_ids(self) -> list[str]:
        return [str(self.survivor_id), *self.member_ids]
