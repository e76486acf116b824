from __future__ import annotations

from django.contrib.sessions.models import Session
from django_tasks import task

from clientvault.accounts.models import UserSession
from clientvault.core import clock


@task()
def purge_expired_sessions() -> int:
    """Delete expired sessions and the tracking rows that point at sessions no longer there."""
    Session.objects.filter(expire_date__lt=clock.now()).delete()
    orphans = UserSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
    deleted, _ = orphans.delete()
    return deleted
