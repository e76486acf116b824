"""One-time sign-in codes of the customer portal. No identifier or destination is stored in clear."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientvault.core.ids import new_id
from clientvault.rights.querysets import PortalCodeQuerySet


class PortalCode(models.Model):
    """A code sent to a customer who asked to sign in. Rows exist for unknown identifiers too (with no
    customers), so asking about someone we do not hold looks and counts the same (no enumeration)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # Keyed blind index of the normalised ID number or mobile (rate limits per identifier).
    identifier_bidx = models.BinaryField(max_length=16)
    customer_ids = models.JSONField(_("customers"), default=list)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # The message to send (destination and text), encrypted under the key of the first customer in
    # ``customer_ids``, until the worker has sent it; then blanked.
    message_ct = models.BinaryField(default=b"")

    objects = PortalCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("portal sign-in code")
        verbose_name_plural = _("portal sign-in codes")
        indexes = [
            models.Index(fields=["identifier_bidx", "created_at"], name="portalcode_identifier_time"),
            models.Index(fields=["ip", "created_at"], name="portalcode_ip_time"),
        ]

    def __str__(self) -> str:
        return f"portal code {self.pk}"
