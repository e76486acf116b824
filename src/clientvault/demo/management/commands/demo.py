"""``clientvault demo``: migrate, seed a demo organisation, serve it with the worker beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from clientvault.accounts.models import LegalEntity, User
from clientvault.audit import sealing
from clientvault.core.management.commands.serve import gunicorn_argv
from clientvault.core.seeding import reseed_catalogues
from clientvault.demo import seeding


class Command(BaseCommand):
    help = "Migrate, seed a demo organisation with N customers, then serve it (Ctrl-C stops)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=2000, help="How many customers to seed (default 2000).")
        parser.add_argument("--no-serve", action="store_true", help="Seed and exit (for scripts).")
        parser.add_argument("--reset", action="store_true", help="Delete all data first and seed again.")
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
        if not settings.CLIENTVAULT_DEMO:
            raise CommandError("Demo data may only be seeded with CLIENTVAULT_DEMO enabled (never in production).")
        if not 0 <= options["customers"] <= 1_000_000:
            raise CommandError("--customers takes a number from 0 to 1,000,000.")
        call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            self._reset()
        if LegalEntity.objects.exists():
            self.stdout.write("The database already holds data; seeding skipped (use --reset to start again).")
        else:
            started = time.monotonic()
            seeding.seed(options["customers"], mfa_roles=settings.CLIENTVAULT_MFA_REQUIRED_ROLES)
            self.stdout.write(f"Seeded {options['customers']} customers in {time.monotonic() - started:.1f}s.")
        sealed = sealing.seal()  # so `clientvault audit verify` and `audit prove` work at once; the worker goes on
        self.stdout.write(f"Audit trail sealed: {sealed.tree_size} events in the signed tree.")
        if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self._print_logins(options["bind"])
        if not options["no_serve"]:
            self._serve(options["bind"], options["workers"])

    def _reset(self) -> None:
        call_command("flush", interactive=False, verbosity=0)
        witness = Path(settings.CLIENTVAULT_AUDIT_WITNESS) if settings.CLIENTVAULT_AUDIT_WITNESS else None
        if witness is not None and not settings.CLIENTVAULT_AUDIT_WITNESS.startswith(("http://", "https://")) and witness.exists():
            # The emptied log starts a new history; the old witness file would (rightly) call it a rewrite.
            witness.rename(witness.with_name(f"{witness.name}.before-reset-{int(time.time())}"))
        reseed_catalogues()

    def _print_logins(self, bind: str) -> None:
        w = self.stdout.write
        w("")
        w(f"  clientvault demo: http://{bind}/")
        w(f"  Every demo user's password: {seeding.DEMO_PASSWORD}")
        w("")
        w(f"  {'username':<12} {'role':<20} second factor")
        for spec in seeding.DEMO_USERS:
            user = User.objects.filter(username=spec.username).first()
            secret = seeding.totp_secret(user) if user else None
            mfa = f"TOTP secret {secret} (current code: clientvault demo-otp {spec.username})" if secret else "-"
            w(f"  {spec.username:<12} {spec.role:<20} {mfa}")
        w("")

    def _serve(self, bind: str, workers: int) -> None:
        web = subprocess.Popen(gunicorn_argv(bind, workers, 4))
        worker = subprocess.Popen([sys.executable, "-m", "clientvault", "worker"])
        children = [web, worker]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write("  Press Ctrl-C to stop.")
        try:
            while not stopping and all(c.poll() is None for c in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("clientvault demo stopped.")
        failed = [str(c.args) for c in children if c.returncode not in (0, -signal.SIGTERM, None) and not stopping]
        if failed:
            raise CommandError(f"A demo process exited unexpectedly: {failed}")
