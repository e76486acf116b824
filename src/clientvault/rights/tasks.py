"""The portal's work in the worker: sending sign-in codes, and purging old ones."""

from __future__ import annotations

import logging

from django_tasks import task

from clientvault.rights import services
from clientvault.rights.senders import Message, get_sender

logger = logging.getLogger(__name__)


@task()
def purge_portal_codes() -> int:
    """Delete sign-in codes older than a day (they hold a blind index of the identifier asked about)."""
    return services.purge_codes()


@task()
def send_portal_code(code_id: str) -> bool:
    """Send one sign-in code (worker): the service opens the sealed message and blanks it; this sends it."""
    message = services.take_message(code_id)
    if message is None:
        return False
    _send(message)
    return True


def _send(message: Message) -> None:
    try:
        get_sender().send(message)
    except Exception as exc:  # the customer sees the same page; operators see the failure
        # Only the error's type: gateway and SMTP errors often echo the number or address (no personal data in logs).
        logger.error("portal code could not be sent to a %s: %s", message.kind, type(exc).__name__)
