"""Privacy notices (versioned), consent records (immutable) and the current state of each consent.

A ``ConsentRecord`` is never updated: giving, renewing and withdrawing each add a record, so the history
of every consent is complete (PIPL-14, PIPL-15, GDPR-7 "able to prove consent"). ``Consent`` is the one
mutable row per customer and purpose: which record is current, kept by the services in the same
transaction, so enforcement is one indexed EXISTS at the queryset (ARCHITECTURE.md rule 5).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.consents.choices import Action, Audience, CaptureChannel, ConsentType, GuardianRelation
from clientvault.consents.querysets import ConsentEvidenceQuerySet, ConsentQuerySet, ConsentRecordQuerySet
from clientvault.core.ids import new_id
from clientvault.customers.models import Customer


class NoticeVersion(models.Model):
    """One published version of a privacy notice (PIPL-17): what it says and what it covers. Never updated."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    notice = models.SlugField(_("notice"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.GENERAL)
    title_zh = models.CharField(_("Chinese title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200)
    body_zh = models.TextField(_("Chinese text"), max_length=20_000)
    body_en = models.TextField(_("English text"), max_length=20_000)
    purposes = models.JSONField(_("purposes covered"), default=list)
    categories = models.JSONField(_("data categories"), default=list)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    destination_countries = models.JSONField(_("destination countries"), default=list, blank=True)
    retention_days = models.PositiveIntegerField(_("retention (days)"))
    rights_zh = models.TextField(_("how to exercise rights (Chinese)"), max_length=4000)
    rights_en = models.TextField(_("how to exercise rights (English)"), max_length=4000)
    # PIPL-29-30: a notice asking for consent to sensitive data says why it is necessary and how it affects the person.
    necessity_zh = models.TextField(_("necessity statement (Chinese)"), max_length=4000, blank=True)
    necessity_en = models.TextField(_("necessity statement (English)"), max_length=4000, blank=True)
    impact_zh = models.TextField(_("impact statement (Chinese)"), max_length=4000, blank=True)
    impact_en = models.TextField(_("impact statement (English)"), max_length=4000, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("privacy notice version")
        verbose_name_plural = _("privacy notice versions")
        ordering = ["notice", "-version"]
        constraints = [models.UniqueConstraint(fields=["notice", "version"], name="notice_version_unique")]

    def __str__(self) -> str:
        return f"{self.notice} v{self.version}"

    def title(self, language: str | None) -> str:
        return self.title_en if (language or "").startswith("en") else self.title_zh

    def text(self, part: str, language: str | None) -> str:
        return str(getattr(self, f"{part}_en" if (language or "").startswith("en") else f"{part}_zh"))


class ConsentRecord(models.Model):
    """One act of giving or withdrawing consent for one purpose, with its evidence. Never updated."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consent_records", verbose_name=_("customer"))
    purpose = models.SlugField(_("purpose"), max_length=40)
    seq = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    consent_type = models.CharField(_("consent type"), max_length=10, choices=ConsentType.choices)
    notice = models.ForeignKey(NoticeVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("notice version"))
    categories = models.JSONField(_("data categories"), default=list)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    destination_country = models.CharField(_("destination country"), max_length=2, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=CaptureChannel.choices)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("captured by")
    )
    by_subject = models.BooleanField(_("by the customer themselves"), default=False)
    guardian_relation = models.CharField(_("guardian"), max_length=10, choices=GuardianRelation.choices, blank=True)
    guardian_name_ct = models.BinaryField(_("guardian's name (encrypted)"), default=b"")
    # GDPR-7 / PIPL-14: the capture showed an unticked box of its own, not bundled with other matters.
    not_preticked = models.BooleanField(_("box was not pre-ticked"), default=False)
    not_bundled = models.BooleanField(_("asked separately from other matters"), default=False)
    occurred_at = models.DateTimeField(_("time"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # Issue #14: a copy carried over to a merge's survivor of a merged-away record's consent record (the
    # original stays on that record, unchanged). Removed again by an unmerge (consents/repointers.py).
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("carried over from")
    )

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["customer", "purpose", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose", "seq"], name="consentrecord_seq_unique"),
            # PIPL-31: a guardian's consent names the guardian's relation to the child.
            models.CheckConstraint(
                condition=~Q(consent_type=ConsentType.GUARDIAN, action=Action.GIVEN) | ~Q(guardian_relation=""),
                name="consentrecord_guardian_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.action} #{self.seq}"


class ConsentEvidence(models.Model):
    """A scan of a signed form, encrypted under the customer's own key (crypto-shredding erases it too)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    record = models.OneToOneField(ConsentRecord, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("consent record"))
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    filename_ct = models.BinaryField(_("file name (encrypted)"))
    data_ct = models.BinaryField(_("file (encrypted)"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = ConsentEvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent evidence")
        verbose_name_plural = _("consent evidence")

    def __str__(self) -> str:
        return f"evidence {self.record_id}"


class Consent(models.Model):
    """The current consent of one customer for one purpose: the latest record, as the queryset reads it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consents", verbose_name=_("customer"))
    purpose = models.SlugField(_("purpose"), max_length=40)
    record = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="+", verbose_name=_("current record"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    consent_type = models.CharField(_("consent type"), max_length=10, choices=ConsentType.choices)
    categories = models.JSONField(_("data categories"), default=list)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # PIPL-14: the notice grew since this consent was given; the old scope stays covered, the new one is not.
    needs_renewal = models.BooleanField(_("needs renewal"), default=False)
    changed_at = models.DateTimeField(_("changed"))

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [models.UniqueConstraint(fields=["customer", "purpose"], name="consent_customer_purpose_unique")]
        indexes = [models.Index(fields=["purpose", "action", "expires_at"], name="consent_purpose_state")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose} {self.action}"
