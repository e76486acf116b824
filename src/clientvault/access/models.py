from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientvault.access.purposes import LegalBasis
from clientvault.access.querysets import BreakGlassSessionQuerySet
from clientvault.core.catalogues import EntryVersion, VersionedEntry
from clientvault.core.ids import new_id


class Purpose(VersionedEntry):
    """A purpose of processing: every access to customer data names one (ARCHITECTURE.md rule 3)."""

    EDITABLE = ("name_zh", "name_en", "legal_basis", "needs_consent", "description", "active")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    legal_basis = models.CharField(_("legal basis"), max_length=12, choices=LegalBasis.choices)
    needs_consent = models.BooleanField(_("needs consent"), default=False)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["id"]
        constraints = [
            # PIPL-13: a purpose based on consent is one that needs consent, and only such a purpose.
            models.CheckConstraint(
                condition=models.Q(legal_basis=LegalBasis.CONSENT, needs_consent=True) | ~models.Q(legal_basis=LegalBasis.CONSENT),
                name="purpose_consent_basis_needs_consent",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


class PurposeVersion(EntryVersion):
    """Every version a purpose has had (append-only at the database)."""

    code = models.SlugField(_("code"), max_length=40, db_index=True)

    class Meta:
        verbose_name = _("purpose version")
        verbose_name_plural = _("purpose versions")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="purpose_version_unique")]


class Policy(VersionedEntry):
    """One access rule (ARCHITECTURE.md rule 3): a role may take some actions on a resource, for some
    purposes, over a row scope, seeing fields up to a class in clear and masking or withholding the rest."""

    EDITABLE = ("role", "resource", "actions", "purposes", "scope", "max_clear_class", "masking", "description", "active")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    role = models.CharField(_("role"), max_length=40, db_index=True)
    resource = models.CharField(_("resource"), max_length=20)
    actions = models.JSONField(_("actions"), default=list)
    purposes = models.JSONField(_("purposes"), default=list)
    scope = models.PositiveSmallIntegerField(_("row scope"))
    max_clear_class = models.CharField(_("highest class in clear"), max_length=2, blank=True)
    masking = models.JSONField(_("above that class"), default=dict)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("access policy")
        verbose_name_plural = _("access policies")
        ordering = ["role", "resource", "code"]

    def __str__(self) -> str:
        return self.code


class PolicyVersion(EntryVersion):
    """Every version a policy has had (append-only at the database)."""

    code = models.SlugField(_("code"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="policy_version_unique")]


Purpose.VERSIONS = PurposeVersion
Policy.VERSIONS = PolicyVersion


class BreakGlassSession(models.Model):
    """Time-boxed emergency access (紧急访问): who, why, from when until when, and how it ended."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_sessions", verbose_name=_("user")
    )
    reason = models.CharField(_("reason"), max_length=500)
    started_at = models.DateTimeField(_("started"))
    expires_at = models.DateTimeField(_("expires"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_cause = models.CharField(_("ended because"), max_length=12, blank=True)

    objects = BreakGlassSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("break-glass session")
        verbose_name_plural = _("break-glass sessions")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("started_at")), name="breakglass_expires_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started_at:%Y-%m-%d %H:%M}"


class PolicyChange(models.Model):
    """A change to an access policy that widens sight, waiting for a second compliance officer
    (ARCHITECTURE.md rule 12). ``proposed`` is the whole policy as it would become; ``base_version`` the
    version it changes (None: a new policy). Maker ≠ checker is a database constraint too."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(_("code"), max_length=60, db_index=True)
    base_version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    proposed = models.JSONField(_("policy"))
    fields = models.JSONField(_("changed fields"), default=list)
    widens = models.JSONField(_("widens"), default=list)
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
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(status="pending"), name="policychange_one_pending"),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("proposed_by")),
                name="policychange_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="policychange_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"
