"""Test doubles of the portal's code sender (``CLIENTVAULT_PORTAL_SENDER``, rights/senders.py)."""

from __future__ import annotations

from clientvault.rights.senders import Message


class MemorySender:
    """Tests: keeps what was sent, per process."""

    outbox: list[Message] = []
    kinds: tuple[str, ...] = ("mobile", "email")

    def send(self, message: Message) -> None:
        MemorySender.outbox.append(message)
