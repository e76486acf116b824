from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only record of who did what to which object, why, and with what outcome.

    It never holds plaintext personal data: only ids, field *names* and non-personal detail.
    Rows are never updated; the sealer gives each one a leaf in the Merkle tree (``AuditLeaf``), and
    only the retention archive removes a row, after writing it out with its proof (``AuditArchive``).
    Database triggers refuse UPDATE always and DELETE outside that maintenance (migration 0002).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    purpose = models.CharField(_("purpose"), max_length=60, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    event_type = models.CharField(_("event type"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    customer_id = models.UUIDField(_("customer id"), null=True, blank=True, db_index=True)
    fields = models.JSONField(_("field names"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["id"]
        indexes = [models.Index(fields=["customer_id", "occurred_at"], name="audit_customer_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event_type} {self.object_type}:{self.object_id}"


class AuditLeaf(models.Model):
    """Leaf ``index`` of the audit tree, assigned by the sealer in the order it sealed the events.

    Commit order is not primary-key order (ARCHITECTURE.md pitfalls), so the sealer, not the id,
    decides the position; ``verify`` proves every event has exactly one leaf. The leaf hash stays
    when the retention archive removes an old event, so the tree remains checkable without it.
    """

    index = models.BigIntegerField(_("leaf index"), primary_key=True)
    event_pk = models.BigIntegerField(_("event"), unique=True)
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)

    class Meta:
        verbose_name = _("audit leaf")
        verbose_name_plural = _("audit leaves")
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index} → event {self.event_pk}"


class AuditNode(models.Model):
    """An interior node of the audit tree: the hash of the perfect subtree over the leaves
    ``[index·2^level, (index+1)·2^level)``, written by the sealer with the leaves that complete it
    (levels from ``audit.interior.STORED_FROM`` up), so an inclusion proof reads O(log n) rows.

    Insert-only like the leaves. A changed node cannot hide anything: a proof built from it no
    longer leads to the signed root, and ``verify`` never trusts it (it rebuilds the tree from the
    leaves); ``audit backfill-nodes`` fills in the nodes of a log sealed before this table existed.
    """

    key = models.BigIntegerField(_("node key"), primary_key=True)  # index << 6 | level
    level = models.SmallIntegerField(_("level"))
    index = models.BigIntegerField(_("index within the level"))
    node_hash = models.BinaryField(_("node hash"), max_length=32)

    class Meta:
        verbose_name = _("audit tree node")
        verbose_name_plural = _("audit tree nodes")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class Checkpoint(models.Model):
    """A signed tree head: size, root, time and the hash of the previous checkpoint (a chain).

    The signed text is rebuilt from these columns by ``audit.sealing.checkpoint_body`` — editing any
    column breaks the signature. ``frontier`` lets the next sealing run continue in O(log n).
    """

    tree_size = models.BigIntegerField(_("tree size"), primary_key=True)
    origin = models.CharField(_("log name"), max_length=100)
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    created_at = models.DateTimeField(_("time"))
    previous_hash = models.BinaryField(_("previous checkpoint hash"), max_length=32)
    max_event_pk = models.BigIntegerField(_("highest sealed event"))
    frontier = models.JSONField(_("frontier"), default=list)
    key_id = models.CharField(_("signing key"), max_length=64)
    signature = models.BinaryField(_("signature"), max_length=64)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["tree_size"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class WitnessPublication(models.Model):
    """The witness acknowledged checkpoint ``tree_size`` (issue #11).

    From then on the witness must be there: ``verify`` fails when the witness is missing, cannot be
    read, or holds less than the largest checkpoint recorded here — and when the database no longer
    has a checkpoint recorded here. Insert-only, like the other audit tables.
    """

    id = models.BigAutoField(primary_key=True)
    tree_size = models.BigIntegerField(_("tree size"), db_index=True)
    published_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("witness publication")
        verbose_name_plural = _("witness publications")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size} published"


class AuditArchive(models.Model):
    """A retention archive file: the events it removed, each with its leaf index and inclusion proof."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("time"))
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    checkpoint_size = models.BigIntegerField(_("proved against tree size"))
    event_count = models.IntegerField(_("events"))
    cutoff = models.JSONField(_("cut-off per event class"), default=dict)

    class Meta:
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file_name


class ArchivedLeaf(models.Model):
    """A leaf whose event row went to an archive file; ``verify`` accepts the missing row only here."""

    index = models.BigIntegerField(_("leaf index"), primary_key=True)
    archive = models.ForeignKey(AuditArchive, on_delete=models.PROTECT, related_name="leaves")

    class Meta:
        verbose_name = _("archived leaf")
        verbose_name_plural = _("archived leaves")
        ordering = ["index"]

    def __str__(self) -> str:
        return f"leaf {self.index} in archive {self.archive_id}"


class DeniedAccessWindow(models.Model):
    """How many accesses one actor had denied in one minute (issue #11), so a flood of 404s cannot fill
    the trail: the first ``CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE`` become ``access.denied`` events,
    the rest one ``access.denied_suppressed`` event with their count when the window is flushed.

    A counter, not part of the trail: updated in place and deleted once flushed. It keeps what the
    suppressed event needs to name the actor (ids and codes, no personal data).
    """

    key = models.CharField(_("actor key"), max_length=100)
    window_start = models.DateTimeField(_("minute"), db_index=True)
    count = models.IntegerField(_("denied accesses"), default=0)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=40, blank=True)
    purpose = models.CharField(_("purpose"), max_length=60, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("denied access counter")
        verbose_name_plural = _("denied access counters")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="audit_denied_window_unique")]

    def __str__(self) -> str:
        return f"{self.key} {self.window_start:%H:%M} x{self.count}"
