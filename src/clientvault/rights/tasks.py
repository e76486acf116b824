"""The portal's work in the worker: sending sign-in codes, and purging old ones."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

from django_tasks import task

from clientvault.core import clock
from clientvault.crypto import fields as crypto
from clientvault.rights.models import PortalCode
from clientvault.rights.senders import Message, get_sender

logger = logging.getLogger(__name__)

# Codes count against the hourly rate limits, then serve no purpose: a day later they are gone.
KEEP = dt.timedelta(days=1)


@task()
def purge_portal_codes() -> int:
    """Delete sign-in codes older than a day (they hold a blind index of the identifier asked about)."""
    old = PortalCode.objects.unrestricted(reason="the schedule purges every code older than a day")
    deleted, _ = old.filter(created_at__lt=clock.now() - KEEP).delete()
    return deleted


@task()
def send_portal_code(code_id: str) -> bool:
    """Send one sign-in code (worker): open the sealed message, hand it to the sender, blank it."""
    codes = PortalCode.objects.unrestricted(reason="the worker sends the message sealed in one code and blanks it")
    row = codes.filter(pk=code_id).first()
    if row is None or not bytes(row.message_ct) or not row.customer_ids:
        return False
    sealed, row_id = bytes(row.message_ct), row.pk
    codes.filter(pk=row_id).update(message_ct=b"")  # at most once, even if the sender fails
    if row.expires_at <= clock.now() or row.used_at is not None:
        return False
    try:
        opened = json.loads(crypto.decrypt(uuid.UUID(row.customer_ids[0]), "rights.portalcode", "message", sealed))
    except crypto.KeyDestroyed:
        return False
    _send(Message(opened["kind"], opened["to"], opened["text"]))
    return True


def _send(message: Message) -> None:
    try:
        get_sender().send(message)
    except Exception as exc:  # the customer sees the same page; operators see the failure
        # Only the error's type: gateway and SMTP errors often echo the number or address (no personal data in logs).
        logger.error("portal code could not be sent to a %s: %s", message.kind, type(exc).__name__)
