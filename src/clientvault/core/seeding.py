"""Re-run the data migrations that seed catalogues (roles, purposes, access policies, field catalogue).

A ``flush`` (demo ``--reset``, transactional tests) empties those tables; these are the same seeding
functions the migrations run, and each one skips rows that already exist.
"""

from __future__ import annotations

import importlib
from typing import Any

SEED_MIGRATIONS = (
    "clientvault.accounts.migrations.0002_seed_roles",
    "clientvault.access.migrations.0002_seed_purposes",
    "clientvault.access.migrations.0004_seed_policies",
    "clientvault.classification.migrations.0002_seed_defaults",
    "clientvault.approvals.migrations.0002_seed_rules",
    "clientvault.intake.migrations.0002_batch_purpose_undo",
    "clientvault.merges.migrations.0002_seed_rules",
    "clientvault.calendars.seeding",  # issue #15: no data migration; also run after every migrate (below)
    "clientvault.lifecycle.migrations.0002_seed_rules",
    "clientvault.rights.deadline_defaults",  # deadline policies (issue #15): seeded here, no RunPython
    "clientvault.risk.migrations.0002_seed_tier_policy",  # issue #16: the tier policy in force
    "clientvault.risk.migrations.0003_files_control_rules",  # issue #16: the credit-control rules
    "clientvault.risk.migrations.0004_limits_approval_rules",  # issue #16: approval rules of limits, terms, hold release
)
# Seeds with no data migration of their own: ``clientvault migrate`` runs them once the data database is migrated.
AFTER_MIGRATE = ("clientvault.calendars.seeding",)


def tables_exist(*models: Any) -> bool:
    """Whether the models' tables exist: a re-seed after a test migrated the schema back to before them skips them."""
    from django.db import connection

    present = set(connection.introspection.table_names())
    return all(model._meta.db_table in present for model in models)


def seed_after_migrate() -> None:
    from django.apps import apps

    for module in AFTER_MIGRATE:
        importlib.import_module(module).seed(apps, None)


def reseed_catalogues() -> None:
    from django.apps import apps

    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)
