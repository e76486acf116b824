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


class KeyDestruction(models.Model):
    """The intent to destroy a customer's data key, kept in the DATA database (not the key store).

    It commits in the same transaction as the audit event of the act that destroys the key; the key is
    deleted from the key store only after that commit (``transaction.on_commit``), and the worker's sweep
    finishes any destruction still pending (the key store was down, the process died). While pending,
    the key is treated as destroyed: it decrypts nothing new.
    """

    customer_id = models.UUIDField(_("customer id"), primary_key=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    destroyed_at = models.DateTimeField(_("destroyed"), null=True, blank=True)

    class Meta:
        verbose_name = _("key destruction")
        verbose_name_plural = _("key destructions")

    def __str__(self) -> str:
        return f"destruction of the key of customer {self.customer_id}"
