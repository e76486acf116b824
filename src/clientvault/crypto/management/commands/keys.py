"""``clientvault keys init|status|rotate|rewrap``: manage the keysets and customer data keys."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clientvault.core.context import system_context
from clientvault.crypto import keyring, keystore, services


class Command(BaseCommand):
    help = "Manage encryption keys: init, status, rotate (re-wraps in the background), rewrap."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create the keysets if missing")
        sub.add_parser("status", help="keys per key-encryption key and re-wrap progress (JSON)")
        rotate = sub.add_parser("rotate", help="new primary key-encryption key; the worker re-wraps customer keys")
        rotate.add_argument("--now", action="store_true", help="re-wrap in this process instead of the worker")
        rotate.add_argument("--batch", type=int, default=500, help="customer keys per re-wrap transaction (with --now)")
        sub.add_parser("pkcs11-genkey", help="create the AES-256 key-encryption key on the PKCS#11 token (CLIENTVAULT_PKCS11_*)")
        rewrap = sub.add_parser("rewrap", help="re-wrap pending customer keys now")
        rewrap.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = system_context(channel="cli")
        action = options["action"]
        try:
            if action == "init":
                created = services.initialise_keys(ctx=ctx)
                self.stdout.write("keysets created" if created else "keysets already present")
            elif action == "pkcs11-genkey":
                self._pkcs11_genkey()
            elif action == "status":
                self.stdout.write(json.dumps(keystore.status(), indent=2, sort_keys=True))
            elif action == "rotate":
                new_id = services.rotate_keys(ctx=ctx, rewrap_now=options["now"], batch=options["batch"])
                tail = "customer keys re-wrapped" if options["now"] else "the worker re-wraps customer keys in the background"
                self.stdout.write(f"new primary key-encryption key {new_id}; {tail}")
            elif action == "rewrap":
                counts = services.rewrap_keys(ctx=ctx, batch=options["batch"])
                self.stdout.write(f"re-wrapped {counts['rewrapped']} customer keys; {counts['remaining']} pending")
        except keyring.KeysMissing as exc:
            raise CommandError(f"keyset file missing: {exc}. Run `clientvault keys init`.") from None

    def _pkcs11_genkey(self) -> None:
        from django.conf import settings

        from clientvault.crypto.kek import pkcs11_config
        from clientvault.crypto.pkcs11_kek import Pkcs11Unavailable, generate_key

        config = pkcs11_config(settings)
        if config is None:
            raise CommandError("CLIENTVAULT_PKCS11_MODULE is not set")
        try:
            created = generate_key(config)
        except Pkcs11Unavailable as exc:
            raise CommandError(str(exc)) from None
        label = f"{config.key_label!r} on token {config.token_label!r}"
        self.stdout.write(f"key {label} created" if created else f"key {label} already present")
