"""Reads of staff accounts (no customer personal data here)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from clientvault.accounts.models import ApiToken, User
from clientvault.audit import services as audit
from clientvault.context import Context


def staff_list() -> QuerySet[User]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.select_related("department").prefetch_related("roles").annotate(mfa_enrolled=Exists(devices)).order_by("username")


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


@transaction.atomic
def set_language(*, ctx: Context, user: User, language: str) -> None:
    """Remember the user's interface language."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        audit.record(ctx, "user.updated", obj=user, fields=["language"])
