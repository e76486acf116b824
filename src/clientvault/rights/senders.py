"""Where portal sign-in codes go: a pluggable sender (``CLIENTVAULT_PORTAL_SENDER``).

``FileSender`` (development and the demo) appends each message to a JSON-lines file only the service
account can read; ``ConsoleSender`` prints it; ``EmailSender`` sends e-mail through Django's mail backend
and refuses mobile destinations. An SMS gateway is a class with the same ``send`` method. The file and
console senders are refused in production by a system check (rights/checks.py).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from clientvault.core import clock


@dataclass(frozen=True)
class Message:
    kind: str  # "mobile" or "email"
    destination: str
    text: str


class Sender(Protocol):
    kinds: tuple[str, ...]  # the destinations it can reach: "mobile", "email"

    def send(self, message: Message) -> None: ...


class FileSender:
    """Development and demo: one JSON object per line in ``CLIENTVAULT_PORTAL_OUTBOX`` (mode 0600)."""

    _lock = threading.Lock()
    kinds = ("mobile", "email")

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path or settings.CLIENTVAULT_PORTAL_OUTBOX)

    def send(self, message: Message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": clock.now().isoformat(), "kind": message.kind, "to": message.destination, "text": message.text}, ensure_ascii=False
        )
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(line + "\n")


class ConsoleSender:
    """Development: print the message to the server's standard output (never to the log)."""

    kinds = ("mobile", "email")

    def send(self, message: Message) -> None:
        sys.stdout.write(f"[portal code to {message.kind}] {message.destination}: {message.text}\n")
        sys.stdout.flush()


class EmailSender:
    """Production without an SMS gateway: codes by e-mail only (a customer with no e-mail gets none)."""

    kinds = ("email",)

    def send(self, message: Message) -> None:
        from django.core.mail import send_mail

        if message.kind != "email":
            raise RuntimeError("EmailSender cannot send to a mobile number; configure an SMS sender")
        send_mail("clientvault", message.text, None, [message.destination])


DEVELOPMENT_ONLY = (
    "clientvault.rights.senders.FileSender",
    "clientvault.rights.senders.ConsoleSender",
    "clientvault.testing.senders.MemorySender",  # the tests' double (a string: production never imports it)
)


def get_sender() -> Sender:
    sender: Sender = import_string(settings.CLIENTVAULT_PORTAL_SENDER)()
    return sender


def get_sender_kinds() -> tuple[str, ...]:
    return tuple(getattr(import_string(settings.CLIENTVAULT_PORTAL_SENDER), "kinds", ("mobile", "email")))
