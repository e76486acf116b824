from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKey(models.Model):
    """A customer's data key (a Tink AES-256-GCM keyset), wrapped by the key-encryption keyset.

    Lives in the separate ``keys`` database: a copy of the data database holds ciphertext only,
    and deleting this row (crypto-shredding) leaves every copy of the customer's fields unreadable.
    """

    customer_id = models.UUIDField(_("customer id"), primary_key=True)
    wrapped = models.BinaryField(_("wrapped key"))
    kek_key_id = models.BigIntegerField(_("key-encryption key id"), db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rewrapped_at = models.DateTimeField(_("rewrapped"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer key")
        verbose_name_plural = _("customer keys")

    def __str__(self) -> str:
        return f"key of customer {self.customer_id}"


class ShreddedKey(models.Model):
    """A tombstone: this customer's key was destroyed on purpose and must never be recreated."""

    customer_id = models.UUIDField(_("customer id"), primary_key=True)
    shredded_at = models.DateTimeField(_("shredded"), auto_now_add=True)

    class Meta:
        verbose_name = _("shredded key")
        verbose_name_plural = _("shredded keys")

    def __str__(self) -> str:
        return f"shredded key of customer {self.customer_id}"
