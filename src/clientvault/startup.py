"""Run the security system checks when a server process loads the application."""

from __future__ import annotations

import sys

from django.core import checks


def refuse_unsafe_configuration() -> None:
    errors = [m for m in checks.run_checks(tags=[checks.Tags.security]) if m.level >= checks.ERROR]
    if errors:
        for message in errors:
            print(f"clientvault: refusing to start: {message}", file=sys.stderr)
        raise SystemExit(3)
