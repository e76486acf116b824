"""A pending or decided role grant (ARCHITECTURE.md rule 12): a data role takes effect only when a
compliance officer who neither asked for it nor receives it approves it. Maker ≠ checker is a database
constraint as well as a rule (accounts/grants.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clientvault.core.ids import new_id


class RoleGrant(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants", verbose_name=_("user"))
    role = models.ForeignKey("accounts.Role", on_delete=models.PROTECT, related_name="+", verbose_name=_("role"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], condition=Q(status="pending"), name="rolegrant_one_pending"),
            models.CheckConstraint(condition=~Q(requested_by=F("user")), name="rolegrant_not_requested_for_self"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | (~Q(decided_by=F("requested_by")) & ~Q(decided_by=F("user"))),
                name="rolegrant_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="rolegrant_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_id} → {self.user_id} ({self.status})"
