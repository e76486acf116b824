"""The portal's work in the worker: sending sign-in codes, and purging old ones."""

from __future__ import annotations

import json
import logging

from django_tasks import task

from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.crypto import cipher, keystore
from clientvault.rights.senders import Message, get_sender

logger = logging.getLogger(__name__)


@task()
def purge_portal_codes() -> int:
    """Delete sign-in codes older than a day (they hold a blind index of the identifier asked about)."""
    from clientvault.rights import services

    return services.purge_codes(ctx=system_context(channel="task"), before=clock.now() - services.KEEP)


@task()
def send_portal_code(code_id: str) -> bool:
    """Send one sign-in code (worker): take the sealed message through the service (which blanks it and
    records the event), open it, hand it to the sender."""
    from clientvault.rights import services

    taken = services.take_code_message(ctx=system_context(channel="task"), code_id=code_id)
    if taken is None:
        return False
    customer_id, sealed = taken
    try:
        opened = json.loads(cipher.decrypt(customer_id, "rights.portalcode", "message", sealed))
    except keystore.KeyDestroyed:
        return False
    _send(Message(opened["kind"], opened["to"], opened["text"]))
    return True


def _send(message: Message) -> None:
    try:
        get_sender().send(message)
    except Exception as exc:  # the customer sees the same page; operators see the failure
        # Only the error's type: gateway and SMTP errors often echo the number or address (no personal data in logs).
        logger.error("portal code could not be sent to a %s: %s", message.kind, type(exc).__name__)


@task()
def fulfil(request_id: str) -> str:
    """Run the due parts of one data-subject request (resumable: core.tasks; idempotent per part)."""
    import uuid

    from clientvault.rights import fulfilment

    return fulfilment.fulfil(uuid.UUID(request_id))


@task()
def sweep_requests() -> int:
    """Retry failed parts whose time has come, resume parts a dead worker left running, poll waiting ones."""
    from clientvault.rights import fulfilment, requests

    requests.recompute_covered_flags()  # a lost calendar hook (kill -9 after the commit) is caught up here
    due = fulfilment.due_requests()
    for request_id in due:
        fulfilment.fulfil(request_id)
    return len(due)
