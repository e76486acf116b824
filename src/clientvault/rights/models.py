"""One-time sign-in codes of the customer portal (no identifier or destination stored in clear), and
data-subject requests with their parts and deadline policies (issue #15)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientvault.core.ids import new_id
from clientvault.rights.choices import (
    DeadlineUnit,
    Jurisdiction,
    PartKind,
    PartStatus,
    RefusalCode,
    RequestChannel,
    RequestKind,
    Status,
    VerificationMethod,
)
from clientvault.rights.querysets import PortalCodeQuerySet, RequestPartQuerySet, RightsRequestQuerySet


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


# --- Data-subject requests (issue #15) ---------------------------------------------------------------


class DeadlinePolicy(models.Model):
    """How long a request may take, per jurisdiction and channel (data, versioned: the highest version of a
    pair is in force; a request keeps the version it was received under). RULES.md PIPL-44-48, APP-15WD,
    GBT35273-8.7, GDPR-12; the [M] values are seeded as editable defaults (``rights/deadline_defaults.py``)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=RequestChannel.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    unit = models.CharField(_("unit"), max_length=14, choices=DeadlineUnit.choices)
    amount = models.PositiveSmallIntegerField(_("time limit"))
    outer_limit_days = models.PositiveSmallIntegerField(_("outer limit (calendar days)"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("extension (months)"), default=0)
    notify_extension_within_months = models.PositiveSmallIntegerField(_("extension must be told within (months)"), default=0)
    source = models.CharField(_("source"), max_length=200, blank=True)  # rule ids, e.g. "APP-15WD; GBT35273-8.7"
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "channel", "version"], name="rights_deadline_policy_version_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="rights_deadline_policy_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction}/{self.channel} v{self.version}"


class RightsRequest(models.Model):
    """One request of a data subject (个人信息权利请求), with its clock. No personal value in clear: the
    customer's description and correction values, and a refusal's text, are sealed under the customer's key
    (erased with it); the row itself keeps the request's metadata as the record that it was handled."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=RequestKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=RequestChannel.choices)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices, default=Jurisdiction.CN)
    # SET_NULL: once a customer is erased the request stays as the (non-personal) record that it was handled.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    subject_id = models.UUIDField(_("customer id"), db_index=True)  # kept after erasure: the key the sealed values were under
    legal_entity = models.ForeignKey("accounts.LegalEntity", on_delete=models.PROTECT, related_name="+", verbose_name=_("legal entity"))
    received_at = models.DateTimeField(_("received"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("logged by")
    )
    # Identity verification: while it is pending the clock is paused (``pauses``: [{"from": date, "to": date | null}]).
    verification_method = models.CharField(_("verification method"), max_length=16, choices=VerificationMethod.choices, blank=True)
    verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("verified by")
    )
    pauses = models.JSONField(_("clock pauses"), default=list, blank=True)
    # The compliance officer handling the request: corrections are written, and deletions proposed, in their name.
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("handled by")
    )

    policy = models.ForeignKey(DeadlinePolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("deadline policy"))
    due_on = models.DateField(_("due"), null=True, blank=True)  # NULL with calendar_flag: fail closed, never a guess
    outer_due_on = models.DateField(_("outer limit"), null=True, blank=True)
    extended_due_on = models.DateField(_("extended to"), null=True, blank=True)
    extension_notified_at = models.DateTimeField(_("extension told"), null=True, blank=True)
    calendar_flag = models.CharField(_("calendar"), max_length=24, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VERIFYING, db_index=True)
    refusal_code = models.CharField(_("refusal reason"), max_length=24, choices=RefusalCode.choices, blank=True)
    # Sealed under the customer's key, bound to this row (cipher.encrypt(..., row=id)).
    details_ct = models.BinaryField(_("details (encrypted)"), default=b"")
    refusal_text_ct = models.BinaryField(_("refusal text (encrypted)"), default=b"")
    extension_reason_ct = models.BinaryField(_("extension reasons (encrypted)"), default=b"")
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)  # codes only (hold bases, certificate id)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RightsRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_on", "received_at"]
        indexes = [models.Index(fields=["legal_entity", "status", "due_on"], name="rights_request_entity_due")]
        constraints = [
            # PIPL-50: a refused request carries its reason code.
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_code=""), name="rights_request_refusal_has_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.pk)[:8]}"


class RequestPart(models.Model):
    """One automated step of a request (a package format, a correction, an erasure…), run idempotently by the
    worker: a failed part shows failed with its code and is retried; it never shows done unless it is."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="parts", verbose_name=_("request"))
    kind = models.CharField(_("kind"), max_length=14, choices=PartKind.choices)
    status = models.CharField(_("status"), max_length=8, choices=PartStatus.choices, default=PartStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("error"), max_length=50, blank=True)  # a code, never a value
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # The idempotency key handed to other apps (lifecycle's request_ref): the same on every attempt.
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    # Sealed under the customer's key: the package bytes (PDF, JSON, CSV ZIP) or the rendered explanation.
    result_ct = models.BinaryField(_("result (encrypted)"), default=b"")
    result_ref = models.CharField(_("reference"), max_length=80, blank=True)  # certificate / change request id
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = RequestPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("request part")
        verbose_name_plural = _("request parts")
        ordering = ["request", "kind"]
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="rights_part_request_kind_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
