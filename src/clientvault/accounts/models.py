from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientvault.core.ids import new_id


class LegalEntity(models.Model):
    """A legal person (法人主体) holding customer data; cross-border volumes count per entity."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A node of the organisation tree: head office → branches → teams.

    ``path`` is the materialised chain of ids (``/a/b/c/``) so a subtree is one prefix query.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="departments", verbose_name=_("legal entity"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent department")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    path = models.CharField(max_length=1000, db_index=True, editable=False)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name_in_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Role(models.Model):
    """A role as data: a stable code, names in both languages, a description."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code

    def label(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


class User(AbstractUser):
    """A member of staff. Belongs to one department and holds one or more roles."""

    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("department")
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("roles"))
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, choices=[("zh-hans", "简体中文"), ("en", "English")])
    time_zone = models.CharField(_("time zone"), max_length=60, default="Asia/Shanghai")
    # Set when an administrator gives the user a temporary password: nothing but the password change until done.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def role_codes(self) -> list[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = list(self.roles.values_list("code", flat=True))
            self._role_codes = cached
        return list(cached)


class UserSession(models.Model):
    """Links a session key to its user so deactivation can end every session at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tracked_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the secret is shown once."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # The purposes this token may act for (ARCHITECTURE.md rule 3); a request names one with X-Purpose
    # unless the token has exactly one. Empty: none — the token reaches no customer data.
    purposes = models.JSONField(_("purposes"), default=list, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="apitoken_expires_after_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """One failed sign-in from an address, whatever username was typed: the per-address throttle counts these
    (password spraying tries few passwords on many accounts; the per-account lockout never fires)."""

    ip = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [models.Index(fields=["ip", "at"], name="loginfailure_ip_at")]

    def __str__(self) -> str:
        return f"failure from {self.ip}"


class PasswordHistory(models.Model):
    """A hash a user's password once had; a new password may be none of the last few."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("former password")
        verbose_name_plural = _("former passwords")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"former password of user {self.user_id}"


class MfaResetRequest(models.Model):
    """An administrator's request to remove the second factor of a user whose role requires one; a second
    person (another administrator or a compliance officer, neither the requester nor the target) approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Approved and done")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    target = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mfa_reset_requests", verbose_name=_("user"))
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"))
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)

    class Meta:
        verbose_name = _("second-factor reset request")
        verbose_name_plural = _("second-factor reset requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["target"], condition=Q(status="pending"), name="mfareset_one_pending_per_user"),
            models.CheckConstraint(condition=~Q(requested_by=models.F("target")), name="mfareset_not_own"),
        ]

    def __str__(self) -> str:
        return f"second-factor reset of user {self.target_id}"


from clientvault.accounts.grant_models import RoleGrant as RoleGrant  # noqa: E402  (registered with the app; accounts/grants.py)
