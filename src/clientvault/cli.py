"""The ``clientvault`` command: a thin wrapper around Django's management commands.

``clientvault demo``, ``clientvault worker``, ``clientvault serve``, ``clientvault migrate`` …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["clientvault", *argv])
    args[0] = "clientvault"
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")  # `clientvault demo-otp` -> the demo_otp command
        if args[1] == "import":
            args[1] = "import_file"  # `import` is a Python keyword: the command's module is import_file
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
