"""``clientvault worker``: run background tasks and keep the periodic schedule."""

from __future__ import annotations

import logging
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from clientvault.audit import sealing
from clientvault.core.schedule import enqueue_due
from clientvault.core.tasks import worker_id

log = logging.getLogger("clientvault.worker")


class Command(BaseCommand):
    help = "Run background tasks and the periodic schedule."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--schedule-interval", type=float, default=30.0, help="Seconds between schedule checks.")
        parser.add_argument("--no-schedule", action="store_true", help="Run tasks only; another worker keeps the schedule.")
        parser.add_argument("--batch", action="store_true", help="Run what is queued (and due), then exit.")
        parser.add_argument("--no-seal", action="store_true", help="Do not seal audit events; another worker does.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["no_schedule"]:
            if options["batch"]:
                enqueue_due()
            else:
                threading.Thread(target=self._schedule_loop, args=(stop, options["schedule_interval"]), daemon=True).start()
        if not options["no_seal"]:
            if options["batch"]:
                sealing.seal()
            else:
                threading.Thread(target=self._seal_loop, args=(stop, settings.CLIENTVAULT_AUDIT_SEAL_SECONDS), daemon=True).start()
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id(),
            excluded_queue_names=[],
        )
        self.stdout.write("clientvault worker started")
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            worker.reset_signals()

    @staticmethod
    def _schedule_loop(stop: threading.Event, every: float) -> None:
        while not stop.is_set():
            try:
                enqueue_due()
            except Exception:  # keep the schedule alive through a transient database error
                log.exception("schedule check failed")
            finally:
                close_old_connections()
            stop.wait(every)
            time.sleep(0)

    @staticmethod
    def _seal_loop(stop: threading.Event, every: float) -> None:
        """Seal pending audit events every few seconds, so sealing lag stays about this interval."""
        while not stop.is_set():
            try:
                sealing.seal()
            except Exception:  # a locked database or a missing key must not stop the worker
                log.exception("audit sealing failed")
            finally:
                close_old_connections()
            stop.wait(every)
