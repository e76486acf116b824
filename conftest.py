"""Shared pytest fixtures. The suite runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import os
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import subprocess
        import sys

        ok = subprocess.run([sys.executable, "scripts/pg_ready.py", url], check=False).returncode == 0
        if not ok:
            message = f"PostgreSQL is not reachable at {url}"
            if os.environ.get("CI") == "true":
                pytest.exit(message + " (required under CI=true)", returncode=1)
            pytest.exit(message + ": start it or unset DATABASE_URL", returncode=1)


@pytest.fixture
def org(db: Any) -> Any:
    from clientvault.testing.organisation import make_org

    return make_org()


@pytest.fixture
def audit_events(db: Any) -> Any:
    """A callable returning the audit events recorded since the fixture was created."""
    from clientvault.audit.models import AuditEvent

    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def events(event_type: str | None = None) -> list[AuditEvent]:
        qs = AuditEvent.objects.filter(id__gt=start).order_by("id")
        if event_type:
            qs = qs.filter(event_type=event_type)
        return list(qs)

    return events


@pytest.fixture(autouse=True, scope="session")
def _private_keysets(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Each test process (and xdist worker) gets its own keyset files, created on first use."""
    from django.conf import settings

    from clientvault.audit import signing
    from clientvault.crypto import keyring

    settings.CLIENTVAULT_KEYS_DIR = str(tmp_path_factory.mktemp("keys"))
    settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET = str(tmp_path_factory.mktemp("audit-key") / "audit-signing.keyset.json")
    keyring.reset_cache()
    signing.reset_cache()
    yield
    keyring.reset_cache()
    signing.reset_cache()


DATABASES = ["default", "keys"]


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup", "org", "audit_events"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every database test may use the key store too: customer data is sealed with keys kept there.

    A test marked ``db_independent`` runs only in the SQLite pass (deselected here when the test database is
    PostgreSQL, whatever else ``-m`` or ``-k`` chose), so it must not touch the test database: one that asks for it
    is refused here rather than silently run once.
    """
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        once = [item for item in items if item.get_closest_marker("db_independent") is not None]
        if once:
            config.hook.pytest_deselected(items=once)
            items[:] = [item for item in items if item.get_closest_marker("db_independent") is None]
    for item in items:
        if item.get_closest_marker("db_independent") is not None:
            asks = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
            if item.get_closest_marker("django_db") is not None or asks:
                raise pytest.UsageError(f"{item.nodeid} is marked db_independent but uses the test database ({sorted(asks)})")
            continue
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            if "databases" not in marker.kwargs:
                item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "databases": DATABASES}), append=False)
        elif {"db", "transactional_db", "live_server"} & (names := set(getattr(item, "fixturenames", ()))):
            transactional = bool({"transactional_db", "live_server"} & names)
            item.add_marker(pytest.mark.django_db(transaction=transactional, databases=DATABASES), append=False)
