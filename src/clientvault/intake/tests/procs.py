"""Helper process for the crash test: ``python -m clientvault.intake.tests.procs seed N FILE`` creates a test
organisation in the deployment's database and writes a CSV of N valid rows to FILE; prints the owner's username."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientvault.settings")
    import django

    django.setup()
    from clientvault.intake.tests.helpers import HEADER, csv_bytes, rows
    from clientvault.testing.organisation import make_org

    action, n, path = argv[0], int(argv[1]), argv[2]
    assert action == "seed"
    org = make_org()
    with open(path, "wb") as out:
        out.write(csv_bytes(HEADER, rows(n)))
    print(org["rep_bj1"].username)


if __name__ == "__main__":
    main(sys.argv[1:])
