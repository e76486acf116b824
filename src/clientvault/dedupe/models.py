"""Batch duplicate detection: scans, clusters of likely duplicates, their members and scored pairs.

Nothing here holds a personal value: customer ids, probabilities, field codes ("name", "mobile") of the
evidence, and model parameters (m/u probabilities per comparison level). The values compared live only in
the worker's memory during a scan (dedupe/reading.py, dedupe/engine.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import LegalEntity
from clientvault.core.ids import new_id
from clientvault.customers.models import Customer
from clientvault.dedupe.choices import ClusterStatus, DismissReason, ScanKind, ScanState
from clientvault.dedupe.querysets import ClusterQuerySet


class DuplicateScan(models.Model):
    """One run of batch detection (full, or incremental over customers changed since the last scan)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=ScanKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=ScanState.choices, default=ScanState.RUNNING)
    legal_entity = models.ForeignKey(LegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Customers changed after this instant are what the next incremental scan compares.
    changed_since = models.DateTimeField(null=True, blank=True)
    customers_scanned = models.PositiveIntegerField(_("customers scanned"), default=0)
    customers_compared = models.PositiveIntegerField(_("customers compared"), default=0)
    pairs_scored = models.PositiveBigIntegerField(_("pairs scored"), default=0)
    pairs_above_threshold = models.PositiveIntegerField(_("likely pairs"), default=0)
    clusters_new = models.PositiveIntegerField(_("new clusters"), default=0)
    clusters_open = models.PositiveIntegerField(_("open clusters"), default=0)
    threshold = models.FloatField(_("threshold"))
    params = models.JSONField(_("parameters"), default=dict)
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    # The trained Fellegi-Sunter model (Splink settings with m/u probabilities): parameters, no values.
    model = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=60, blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class DuplicateCluster(models.Model):
    """Customers that a scan found likely to be one person or organisation. Its id stays across scans
    while its membership overlaps (dedupe/clusters.py)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity"))
    status = models.CharField(_("status"), max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.OPEN)
    best_probability = models.FloatField(_("match probability"))
    size = models.PositiveIntegerField(_("records"), default=0)
    first_seen = models.ForeignKey(DuplicateScan, on_delete=models.PROTECT, related_name="+")
    last_seen = models.ForeignKey(DuplicateScan, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    dismiss_reason = models.CharField(_("reason"), max_length=20, choices=DismissReason.choices, blank=True)
    merge_id = models.UUIDField(null=True, blank=True)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        verbose_name = _("duplicate cluster")
        verbose_name_plural = _("duplicate clusters")
        ordering = ["-best_probability", "created_at"]
        indexes = [models.Index(fields=["status", "-best_probability"], name="dedupe_cluster_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(best_probability__gte=0) & Q(best_probability__lte=1), name="dedupe_cluster_probability"),
            models.CheckConstraint(
                condition=~Q(status=ClusterStatus.DISMISSED) | ~Q(dismiss_reason=""), name="dedupe_cluster_dismissed_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class ClusterMember(models.Model):
    """A customer in a cluster. ``active`` is false once a later scan no longer places them there."""

    cluster = models.ForeignKey(DuplicateCluster, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "customer"], name="dedupe_member_once")]
        indexes = [models.Index(fields=["customer", "active"], name="dedupe_member_customer")]

    def __str__(self) -> str:
        return f"{self.cluster_id}:{self.customer_id}"


class MatchPair(models.Model):
    """Two customers a scan scored above the threshold; ``left_id`` < ``right_id`` (one row per pair).

    ``evidence`` holds field codes only: {"agree": [...], "partial": [...], "disagree": [...], "missing": [...]}.
    ``levels`` are the comparison levels (gammas) per field code, kept to tell new evidence after a dismissal.
    """

    cluster = models.ForeignKey(DuplicateCluster, on_delete=models.CASCADE, related_name="pairs")
    left = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(default=0)
    evidence = models.JSONField(default=dict)
    levels = models.JSONField(default=dict)
    scan = models.ForeignKey(DuplicateScan, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-probability"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "left", "right"], name="dedupe_pair_once"),
            models.CheckConstraint(condition=Q(left__lt=models.F("right")), name="dedupe_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id}"


class DismissedPair(models.Model):
    """A pair a reviewer said are not duplicates: later scans do not raise it again unless new evidence
    (some comparison level above the one it had when dismissed; dedupe/clusters.py)."""

    left = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    levels = models.JSONField(default=dict)
    cluster = models.ForeignKey(DuplicateCluster, on_delete=models.CASCADE, related_name="dismissed_pairs")
    dismissed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="dedupe_dismissed_pair_once"),
            models.CheckConstraint(condition=Q(left__lt=models.F("right")), name="dedupe_dismissed_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.left_id}≠{self.right_id}"
