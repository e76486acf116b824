"""The permission matrix's cast (the users of ``make_org`` and who is in which group) and the world it acts on."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from clientvault.customers.choices import Status
from clientvault.customers.models import Customer, CustomFieldDefinition, FollowUp
from clientvault.testing.customers import customer, followup
from clientvault.testing.organisation import Org, make_org
from tests.db_state import shared_atomic

# --- The cast ---------------------------------------------------------------------------------

USERS = (
    "admin", "compliance", "auditor", "risk", "manager_bj", "manager_sh",
    "rep_bj1", "rep_bj2", "rep_sh", "rep_other", "risk_other", "norole",
)  # fmt: skip
ANON = "anon"

TARGET_NAME = "MatrixTarget 机密甲"  # owned by rep_bj1 (Beijing team 1, legal entity A)
FOREIGN_NAME = "MatrixForeign 机密乙"  # owned by rep_other (legal entity B)
NEW_NAME = "MatrixNew 新客户"
EDITED_NAME = "MatrixEdited 改名"
NEW_FIELD_KEY = "matrix_note"
NEW_USERNAME = "matrix_new_user"

# Groups, read off access/policies.py for the target customer of rep_bj1.
EVERYONE = USERS
VIEW_IN = ("rep_bj1", "manager_bj", "risk", "compliance", "auditor")  # own / subtree / entity scope
VIEW_OUT = (
    "rep_bj2", "rep_sh", "manager_sh", "rep_other", "risk_other",  # another team, branch or legal entity
    "rep_bj1@foreign", "manager_bj@foreign", "risk@foreign", "compliance@foreign", "auditor@foreign",
)  # fmt: skip
NO_CUSTOMER_GRANT = ("admin", "norole")
# Revealing the target's name (C2): managers and risk see it masked and may reveal it; the owner and
# compliance see it in clear already, auditors may not reveal (access/defaults.py).
REVEAL_IN = ("manager_bj", "risk")
REVEAL_DENIED = ("rep_bj1", "compliance", "auditor")
POLICY_READERS = ("admin", "compliance", "auditor")
CHANGE_IN = ("rep_bj1", "manager_bj")
CHANGE_WRONG = ("admin", "norole", "risk", "compliance", "auditor", "risk_other")  # read-only or nothing
CHANGE_OUT = ("rep_bj2", "rep_sh", "manager_sh", "rep_other", "rep_bj1@foreign", "manager_bj@foreign")
SALES = ("manager_bj", "manager_sh", "rep_bj1", "rep_bj2", "rep_sh", "rep_other")
NOT_SALES = ("admin", "compliance", "auditor", "risk", "risk_other", "norole")
ADMIN_ONLY = ("admin",)
NOT_ADMIN = tuple(u for u in USERS if u != "admin")
# The audit trail (a code capability, access/policies.py AUDIT_TRAIL): compliance and auditors only, over every
# customer — it holds ids and field names, no personal data — so a customer of the other entity answers too.
AUDIT_READERS = ("compliance", "auditor")
NOT_AUDIT = tuple(u for u in USERS if u not in AUDIT_READERS)
AUDIT_READERS_ANY_ENTITY = (*AUDIT_READERS, "compliance@foreign", "auditor@foreign")


# --- The world each test acts on ---------------------------------------------------------------


@dataclass
class World:
    org: Org
    target: Customer
    target_followup: FollowUp
    foreign: Customer
    foreign_followup: FollowUp
    field: CustomFieldDefinition
    sealed_event: list[str] = dataclasses.field(default_factory=list)  # ``field`` is a column here
    change_requests: dict[str, str] = dataclasses.field(default_factory=dict)  # "target"/"foreign" → id (issue #13)

    def customer_for(self, foreign: bool) -> Customer:
        return self.foreign if foreign else self.target

    def followup_for(self, foreign: bool) -> FollowUp:
        return self.foreign_followup if foreign else self.target_followup


def build_world(org: Org) -> World:
    target = customer(org["rep_bj1"], name=TARGET_NAME, status=Status.PROSPECT)
    foreign = customer(org["rep_other"], name=FOREIGN_NAME, status=Status.PROSPECT)
    field_definition = CustomFieldDefinition.objects.create(key="matrix_segment", field_type="text", label_zh="客群", label_en="Segment")
    return World(
        org=org,
        target=target,
        target_followup=followup(target, org["rep_bj1"]),
        foreign=foreign,
        foreign_followup=followup(foreign, org["rep_other"]),
        field=field_definition,
    )


# Fixtures: a test module that uses them imports them by name (``from tests.matrix.world import world as world``).


@pytest.fixture
def world(org: Org) -> World:
    return build_world(org)


@pytest.fixture(scope="class")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """One organisation and its customers for every case of a class (issue #12): built once in a transaction
    that is rolled back after the class; each case runs in a savepoint inside it, rolled back after the case."""
    with shared_atomic(django_db_blocker):
        with django_db_blocker.unblock():
            built = build_world(make_org())
        yield built


@pytest.fixture
def matrix_world(shared_world: World, db: Any) -> World:
    """The shared world for one case: the database rows are restored by the case's rollback, the Python
    objects (users, customers and what a case memoises on them) are a fresh copy."""
    return copy.deepcopy(shared_world)
