"""``clientvault calendar seed|status``: seed the working-day calendar from the installed chinese-calendar
package (each new year audited ``calendar.year_seeded``), or print which years are covered."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from clientvault.calendars import overview, services
from clientvault.core.context import system_context


class Command(BaseCommand):
    help = "The working-day calendar: seed (years the installed chinese-calendar covers), status (coverage per year)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seed", help="seed every year the installed chinese-calendar covers and the table does not")
        sub.add_parser("status", help="coverage per year (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seed":
            seeded = services.seed_from_package(ctx=system_context(channel="cli"))
            if seeded:
                for s in seeded:
                    self.stdout.write(f"{s.year}: {s.holidays} holidays, {s.workdays} make-up working days")
            else:
                self.stdout.write("nothing to seed: every year the package covers is in the table")
            covered = sorted(services.covered_years())
            self.stdout.write(f"covered years: {covered[0]}–{covered[-1]}" if covered else "no year is covered")
        else:
            rows = [
                {"year": y.year, "covered": y.covered, "source": y.source, "holidays": y.holidays, "workdays": y.workdays}
                for y in overview.years()
            ]
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
