"""Upgrading an existing database: migration 0003 seals every plaintext customer row (issue #3)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clientvault.customers import vault
from clientvault.testing.customers import all_rows
from clientvault.testing.identifiers import resident_id
from clientvault.testing.organisation import ensure_roles, make_org

BEFORE = [("customers", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_existing_plaintext_rows_are_encrypted_by_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        ensure_roles()
        org = make_org()
        Customer = old_apps.get_model("customers", "Customer")
        number = resident_id(777)
        Customer.objects.create(
            kind="individual", name="旧数据客户", id_type="resident_id", id_number=number, mobile="13700001111",
            legal_entity_id=org.entity.pk, department_id=org.bj_team1.pk, owner_id=org["rep_bj1"].pk, custom_data={"k": "v"},
        )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state

    from clientvault.customers.models import Customer as Current

    row = all_rows(Current).get()
    assert bytes(row.name_ct) and "旧数据客户".encode() not in bytes(row.name_ct)
    opened = vault.unseal(row)
    assert (opened["name"], opened["id_number"], opened["mobile"], opened["custom_data"]) == (
        "旧数据客户",
        number,
        "13700001111",
        {"k": "v"},
    )
    assert bytes(row.id_number_bidx) == vault.index("id_number", number)
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), Current._meta.db_table)}
    assert not {"name", "id_number", "mobile", "custom_data"} & columns
