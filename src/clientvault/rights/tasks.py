from __future__ import annotations

import datetime as dt

from django_tasks import task

from clientvault.core import clock
from clientvault.rights.models import PortalCode

# Codes count against the hourly rate limits, then serve no purpose: a day later they are gone.
KEEP = dt.timedelta(days=1)


@task()
def purge_portal_codes() -> int:
    """Delete sign-in codes older than a day (they hold a blind index of the identifier asked about)."""
    deleted, _ = PortalCode.objects.filter(created_at__lt=clock.now() - KEEP).delete()
    return deleted
