"""The policy rules as pure functions: scopes per purpose, field decisions, reveal, union of roles."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clientvault.access.defaults import DEFAULT_POLICIES
from clientvault.access.policies import (
    BREAK_GLASS,
    CUSTOMER,
    FOLLOWUP,
    MANAGE_POLICIES,
    MANAGE_USERS,
    ActorFacts,
    Decision,
    PolicySet,
    RowFacts,
    Rule,
    Scope,
    allows,
    class_rank,
    code_capabilities,
    covers,
)

ALL_PURPOSES = frozenset(p for d in DEFAULT_POLICIES for p in d.purposes)


def _seeded() -> PolicySet:
    return PolicySet(
        tuple(
            Rule(d.code, d.role, d.resource, frozenset(d.actions), frozenset(d.purposes), d.scope, d.max_clear_class, dict(d.masking))
            for d in DEFAULT_POLICIES
        )
    )


P = _seeded()
ME = ActorFacts(7, "/1/2/", 1)
OWN_ROW = RowFacts(7, "/1/2/", 1)
TEAM_ROW = RowFacts(8, "/1/2/5/", 1)
OTHER_BRANCH = RowFacts(9, "/1/3/", 1)
OTHER_ENTITY = RowFacts(10, "/9/", 2)
CLASSES = {"name": "C2", "sex": "C1", "secret": "C3"}


def test_default_deny_without_role_rule_or_purpose():
    assert P.scope([], CUSTOMER, "view", "sales_followup") is Scope.NONE
    assert P.scope(["unknown_role"], CUSTOMER, "view", "sales_followup") is Scope.NONE
    assert P.scope(["sales_rep"], CUSTOMER, "view", "") is Scope.NONE, "no purpose, no data (rule 3)"
    assert P.scope(["sales_rep"], CUSTOMER, "export", "sales_followup") is Scope.NONE


def test_scopes_follow_role_and_purpose():
    assert P.scope(["sales_rep"], CUSTOMER, "change", "sales_followup") is Scope.OWN
    assert P.scope(["sales_manager"], CUSTOMER, "change", "customer_service") is Scope.SUBTREE
    assert P.scope(["risk_officer"], CUSTOMER, "view", "credit_assessment") is Scope.ENTITY
    assert P.scope(["risk_officer"], CUSTOMER, "view", "sales_followup") is Scope.NONE, "wrong purpose for the role"
    assert P.scope(["risk_officer"], CUSTOMER, "change", "credit_assessment") is Scope.NONE
    assert P.scope(["auditor"], FOLLOWUP, "create", "audit") is Scope.NONE
    assert P.scope(["sales_rep"], CUSTOMER, "change", "marketing") is Scope.NONE, "marketing is read-only"


def test_administrators_reach_customer_data_only_by_break_glass():
    for purpose in ALL_PURPOSES - {BREAK_GLASS}:
        for action in ("view", "create", "change", "delete", "export", "reveal"):
            assert P.scope(["administrator"], CUSTOMER, action, purpose) is Scope.NONE
    assert P.scope(["administrator"], CUSTOMER, "view", BREAK_GLASS) is Scope.ENTITY
    assert P.scope(["administrator"], CUSTOMER, "change", BREAK_GLASS) is Scope.NONE
    assert allows(["administrator"], MANAGE_USERS, "change")
    assert "customer.view" not in P.capabilities(["administrator"]), "break-glass is not a navigation capability"


def test_union_of_roles_takes_every_scope():
    assert P.scopes(["sales_rep", "sales_manager"], CUSTOMER, "change", "sales_followup") == {Scope.OWN, Scope.SUBTREE}
    assert P.scope(["sales_rep", "risk_officer"], CUSTOMER, "view", "credit_assessment") is Scope.ENTITY
    assert P.scope(["sales_rep", "risk_officer"], CUSTOMER, "change", "credit_assessment") is Scope.NONE


def test_purposes_and_capabilities():
    assert P.purposes_for(["sales_rep"]) == {"customer_service", "sales_followup", "marketing"}
    assert P.purposes_for(["auditor"]) == {"audit"}
    assert "customer.view" in P.capabilities(["sales_rep"])
    assert P.capabilities([]) == frozenset()
    assert "manage_users.view" not in code_capabilities(["sales_rep"])
    assert allows(["compliance_officer"], MANAGE_POLICIES, "change") and not allows(["sales_rep"], MANAGE_POLICIES, "view")


def test_covers_mirrors_the_queryset_scopes():
    assert covers(Scope.OWN, ME, OWN_ROW) and not covers(Scope.OWN, ME, TEAM_ROW)
    assert covers(Scope.SUBTREE, ME, TEAM_ROW) and not covers(Scope.SUBTREE, ME, OTHER_BRANCH)
    assert covers(Scope.ENTITY, ME, OTHER_BRANCH) and not covers(Scope.ENTITY, ME, OTHER_ENTITY)
    assert covers(Scope.ALL, ME, OTHER_ENTITY) and not covers(Scope.NONE, ME, OWN_ROW)
    assert not covers(Scope.SUBTREE, ActorFacts(7, None, None), TEAM_ROW), "no department, no subtree"


def test_rep_sees_own_customer_in_clear_up_to_c2_and_core_masked_with_reveal():
    views = P.decide(["sales_rep"], "sales_followup", ME, OWN_ROW, CLASSES)
    assert views["name"].decision is Decision.PLAIN and views["sex"].decision is Decision.PLAIN
    assert views["secret"].decision is Decision.MASKED and views["secret"].revealable
    core = P.decide(["sales_rep"], "sales_followup", ME, RowFacts(7, "/1/2/", 1, is_core=True), CLASSES)
    assert {v.decision for v in core.values()} == {Decision.MASKED}, "a core customer's fields are all C3"
    assert all(v.revealable for v in core.values())


def test_marketing_purpose_masks_what_service_shows():
    views = P.decide(["sales_rep"], "marketing", ME, OWN_ROW, CLASSES)
    assert views["name"].decision is Decision.MASKED and not views["name"].revealable, "no reveal rule for marketing"
    assert views["secret"].decision is Decision.WITHHELD


def test_manager_masks_c2_of_the_team_and_row_outside_scope_gets_nothing():
    views = P.decide(["sales_manager"], "sales_followup", ME, TEAM_ROW, CLASSES)
    assert views["name"].decision is Decision.MASKED and views["name"].revealable
    assert views["sex"].decision is Decision.PLAIN
    outside = P.decide(["sales_manager"], "sales_followup", ME, OTHER_BRANCH, CLASSES)
    assert {v.decision for v in outside.values()} == {Decision.WITHHELD}


def test_auditor_cannot_reveal_and_c3_is_withheld():
    views = P.decide(["auditor"], "audit", ME, OTHER_BRANCH, CLASSES)
    assert views["name"].decision is Decision.MASKED and not views["name"].revealable
    assert views["secret"].decision is Decision.WITHHELD


def test_break_glass_shows_everything_in_clear_within_the_entity():
    views = P.decide(["administrator"], BREAK_GLASS, ME, OTHER_BRANCH, CLASSES)
    assert {v.decision for v in views.values()} == {Decision.PLAIN}
    assert {v.decision for v in P.decide(["administrator"], BREAK_GLASS, ME, OTHER_ENTITY, CLASSES).values()} == {Decision.WITHHELD}


def test_a_wider_rule_only_opens_rows_it_covers():
    # An OWN rule with C3 clearance must not clear fields on team rows seen through a SUBTREE rule with C1.
    rules = PolicySet(
        (
            Rule("a", "r", CUSTOMER, frozenset({"view"}), frozenset({"p"}), Scope.OWN, "C3", {}),
            Rule("b", "r", CUSTOMER, frozenset({"view"}), frozenset({"p"}), Scope.SUBTREE, "C1", {"C2": "masked"}),
        )
    )
    assert rules.decide(["r"], "p", ME, OWN_ROW, CLASSES)["name"].decision is Decision.PLAIN
    assert rules.decide(["r"], "p", ME, TEAM_ROW, CLASSES)["name"].decision is Decision.MASKED


def test_unknown_class_ranks_as_strictest():
    assert class_rank("C1") < class_rank("C2") < class_rank("C3") == class_rank("") == class_rank("C9")


@given(
    clear=st.sampled_from(["", "C1", "C2", "C3"]),
    c2=st.sampled_from(["masked", "withheld"]),
    c3=st.sampled_from(["masked", "withheld"]),
    cls=st.sampled_from(["C1", "C2", "C3"]),
)
def test_field_decision_is_monotone_in_clearance(clear, c2, c3, cls):
    """Raising a rule's clear class never turns a shown field into a hidden one."""
    order = [Decision.WITHHELD, Decision.MASKED, Decision.PLAIN]
    low = Rule("x", "r", CUSTOMER, frozenset({"view"}), frozenset({"p"}), Scope.OWN, clear, {"C2": c2, "C3": c3})
    high = Rule("x", "r", CUSTOMER, frozenset({"view"}), frozenset({"p"}), Scope.OWN, "C3", {"C2": c2, "C3": c3})
    assert order.index(high.field_decision(cls)) >= order.index(low.field_decision(cls))
    if clear and class_rank(cls) <= class_rank(clear):
        assert low.field_decision(cls) is Decision.PLAIN


def test_in_scope_view_is_what_decide_gives_on_a_covered_row():
    for role, purpose in (("sales_rep", "sales_followup"), ("sales_manager", "sales_followup"), ("auditor", "audit")):
        row = OWN_ROW if role == "sales_rep" else TEAM_ROW
        for name, cls in CLASSES.items():
            assert P.in_scope_view(role, purpose, cls) == P.decide([role], purpose, ME, row, {name: cls})[name]
    assert P.in_scope_view("auditor", "sales_followup", "C1") is None, "no rule for the purpose: no access"
