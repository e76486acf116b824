"""The approval rules as a versioned catalogue (ARCHITECTURE.md rule 9): every change is a new version with
its reason, recorded by one audit event, through the kernel's ``core.catalogue_service``.

Slice C's rules pages call ``create_rule`` / ``change_rule`` and show ``RULES.clean``'s errors on the form;
``known_roles`` and ``change_type_choices`` feed the form's choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import Role
from clientvault.approvals import registry
from clientvault.approvals.models import ApprovalRule, RuleChange
from clientvault.approvals.rules import clean_rule, weakens
from clientvault.core import catalogue_changes as changes
from clientvault.core import catalogue_service as catalogues
from clientvault.core.capabilities import APPROVAL_RULES
from clientvault.core.catalogue_changes import ChangeFlow
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed


def known_roles() -> set[str]:
    return set(Role.objects.values_list("code", flat=True))


def change_type_choices() -> list[tuple[str, str]]:
    """Registered change types and those the seeded rules name (an app may not be installed yet)."""
    codes = set(registry.codes()) | set(ApprovalRule.objects.values_list("change_type", flat=True))
    labels = {c: str(registry.get(c).label) for c in registry.codes()}
    return [(c, labels.get(c, c)) for c in sorted(codes)]


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a whole rule against the roles and change types that exist."""
    return clean_rule(data, known_roles=known_roles(), change_types={c for c, _label in change_type_choices()})


RULES = Catalogue(
    model=ApprovalRule,
    capability=APPROVAL_RULES,
    changed_event="approval_rule.changed",
    created_event="approval_rule.created",
    reason_missing=_("Say why the approval rule changes."),
    clean=clean,
    widening=weakens,  # rule 12: a weaker rule is a second compliance officer's decision (rule_changes.py)
    propose=lambda **kw: changes.propose(CHANGES, **kw),
)

CHANGES: ChangeFlow = ChangeFlow(
    catalogue=RULES,
    change_model=RuleChange,
    object_type="approvals.approvalrule",
    proposed_event="approval_rule.change_proposed",
    approved_event="approval_rule.change_approved",
    rejected_event="approval_rule.change_rejected",
    already_waiting=_("A change to this approval rule is already waiting for approval."),
    stale=_("The approval rule changed since this was proposed; propose it again."),
    maker_is_checker=_("A second compliance officer decides a change you proposed."),
    allow_new=True,
    lowers_field="weakens",
)


def change_rule(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> ApprovalRule | RuleChange:
    """Change an approval rule, with a reason, as a new version (``approval_rule.changed``) — or, when the
    change weakens the rule, as a proposal for a second compliance officer (``approval_rule.change_proposed``)."""
    return catalogues.save_version(RULES, ctx=ctx, key=code, data=data, reason=reason)  # type: ignore[no-any-return]


@transaction.atomic
def create_rule(*, ctx: Context, code: str, data: Mapping[str, Any], reason: str) -> ApprovalRule | RuleChange:
    """Add an approval rule: always a proposal for a second compliance officer, since a new rule may win over
    an existing one (``approval_rule.change_proposed``; version 1 is written when it is approved)."""
    catalogues.require_change(ctx, RULES)
    errors: dict[str, list[Any]] = {}
    code = (code or "").strip().lower()
    if not code or len(code) > 60 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        errors["code"] = [_("Use lower-case letters, digits and hyphens.")]
    elif ApprovalRule.objects.filter(code=code).exists():
        errors["code"] = [_("An approval rule with this code already exists.")]
    if not (reason or "").strip():
        errors["reason"] = [RULES.reason_missing]
    try:
        cleaned = clean(data)
    except ValidationFailed as exc:
        errors = {**exc.fields, **errors}
        cleaned = {}
    if errors:
        raise ValidationFailed(errors)
    return catalogues.create_entry(RULES, ctx=ctx, key=code, cleaned=cleaned, reason=reason)  # type: ignore[no-any-return]
