"""Reads of staff accounts (no customer personal data here)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from clientvault.accounts.models import ApiToken, User


def staff_list() -> QuerySet[User]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.select_related("department").prefetch_related("roles").annotate(mfa_enrolled=Exists(devices)).order_by("username")


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
