"""Per-address sign-in throttle against password spraying.

django-axes locks a (username, address) pair after a few failures, so one address could still try a few
passwords on every account. Here every failure from an address counts, whatever username was typed; past
``CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT`` within ``CLIENTVAULT_LOGIN_ADDRESS_WINDOW_MINUTES`` the address is
refused without the password being checked (PIPL-51 security measures).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from clientvault.accounts.models import LoginFailure
from clientvault.core import clock


def _window_start() -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=settings.CLIENTVAULT_LOGIN_ADDRESS_WINDOW_MINUTES)


def address_blocked(ip: str) -> bool:
    """Whether sign-ins from ``ip`` are refused for now (no address known: never)."""
    if not ip:
        return False
    recent = LoginFailure.objects.filter(ip=ip, at__gte=_window_start()).count()
    return recent >= settings.CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT


def note_failure(ip: str) -> None:
    """Count one failed sign-in from ``ip``; rows older than the window are dropped on the way."""
    if not ip:
        return
    LoginFailure.objects.filter(at__lt=_window_start()).delete()
    LoginFailure.objects.create(ip=ip, at=clock.now())
