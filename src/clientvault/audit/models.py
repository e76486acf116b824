from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only record of who did what to which object, why, and with what outcome.

    It never holds plaintext personal data: only ids, field *names* and non-personal detail.
    Sealing into a Merkle tree comes later (issue #4); rows are never updated or deleted.
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
