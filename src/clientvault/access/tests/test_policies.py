"""Pure policy tests: default deny, union of roles, widest scope wins, administrators see no customers."""

from __future__ import annotations

from clientvault.access.policies import CUSTOMER, FOLLOWUP, MANAGE_USERS, Scope, allows, capabilities, scope_for


def test_default_deny():
    assert scope_for([], CUSTOMER, "view") is Scope.NONE
    assert scope_for(["unknown_role"], CUSTOMER, "view") is Scope.NONE
    assert not allows(["sales_rep"], CUSTOMER, "export")


def test_role_scopes():
    assert scope_for(["sales_rep"], CUSTOMER, "change") is Scope.OWN
    assert scope_for(["sales_manager"], CUSTOMER, "change") is Scope.SUBTREE
    assert scope_for(["risk_officer"], CUSTOMER, "view") is Scope.ENTITY
    assert scope_for(["risk_officer"], CUSTOMER, "change") is Scope.NONE
    assert scope_for(["auditor"], FOLLOWUP, "create") is Scope.NONE


def test_administrators_get_no_customer_data():
    # ARCHITECTURE.md rule 3: no superuser bypass.
    for action in ("view", "create", "change", "delete"):
        assert scope_for(["administrator"], CUSTOMER, action) is Scope.NONE
    assert allows(["administrator"], MANAGE_USERS, "change")


def test_union_of_roles_takes_the_widest_scope():
    assert scope_for(["sales_rep", "sales_manager"], CUSTOMER, "change") is Scope.SUBTREE
    assert scope_for(["sales_rep", "risk_officer"], CUSTOMER, "view") is Scope.ENTITY
    assert scope_for(["sales_rep", "risk_officer"], CUSTOMER, "change") is Scope.OWN


def test_capabilities_drive_navigation():
    assert "customer.view" in capabilities(["sales_rep"])
    assert "manage_users.view" not in capabilities(["sales_rep"])
    assert capabilities([]) == frozenset()
