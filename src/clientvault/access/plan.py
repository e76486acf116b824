"""The disclosure plan: plain, masked or withheld for every row and field of a read, decided in one step.

``disclosure_plan(ctx, rows, fields)`` takes everything the decision depends on as inputs — the compiled
policies, the actor's facts (roles, purpose, department), the field catalogue (class, mask profile,
category, sensitivity) and each row's facts (owner, department, entity, core) and consent state, a fact
handed in by the consents app's registered provider (``access.facts``) — and returns the decision for
each (row, field), why it is not plain, and the mask profile to apply. The caller (a selector) then
fetches keys and decrypts exactly the fields the plan shows, masks those it masks, and records the plan
in the read's audit event (``DisclosurePlan.audit_codes``). Nothing is called back during the read.

Fail closed (ARCHITECTURE.md rules 3 and 5): a field missing from the catalogue is C3, hidden and
sensitive; under a purpose that rests on consent, a row without a consent fact — no live consent, or no
provider registered at all — shows nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clientvault.access import engine, facts
from clientvault.access.policies import CUSTOMER, Decision, FieldView, RowFacts
from clientvault.core.context import Context

# Why a field is not shown in clear (recorded in the audit event).
POLICY = "policy"  # the actor's rules for the purpose mask or withhold its class on this row
CONSENT = "consent"  # the live consent does not cover it (PIPL-14/29-31)
NO_CONSENT_FACT = "no_fact"  # the purpose rests on consent and no consent state was provided
UNCLASSIFIED: tuple[str, str, str, bool] = ("C3", "hidden", "other", True)  # an unknown field: C3, hidden, sensitive


@dataclass(frozen=True)
class PlanRow:
    """One row to plan for: its key, its facts for the policy, and the object consent providers read
    (which must have ``pk`` and, for customers, ``minor_until``)."""

    key: Hashable
    facts: RowFacts
    subject: Any


@dataclass(frozen=True)
class PlannedField:
    decision: Decision
    revealable: bool = False
    profile: str = "hidden"  # the catalogue's mask profile, applied when masked
    why: str = ""  # empty when plain; else POLICY, CONSENT or NO_CONSENT_FACT

    @property
    def view(self) -> FieldView:
        return FieldView(self.decision, self.revealable)

    @property
    def shown(self) -> bool:
        return self.decision is not Decision.WITHHELD

    def code(self, name: str) -> str:
        """``name:decision`` or ``name:decision:why``, as the read's audit event records it."""
        return f"{name}:{self.decision}" + (f":{self.why}" if self.why else "")


@dataclass(frozen=True)
class RowPlan:
    fields: Mapping[str, PlannedField]

    def __getitem__(self, name: str) -> PlannedField:
        return self.fields[name]

    def views(self, names: Iterable[str] | None = None) -> dict[str, FieldView]:
        wanted = self.fields if names is None else names
        return {n: self.fields[n].view for n in wanted}

    def shown(self, names: Iterable[str]) -> list[str]:
        """Of ``names``, those the plan shows in some form (what the vault decrypts)."""
        return [n for n in names if self.fields[n].shown]


@dataclass(frozen=True)
class DisclosurePlan:
    rows: Mapping[Hashable, RowPlan]
    consent_gated: bool = False

    def __getitem__(self, key: Hashable) -> RowPlan:
        return self.rows[key]

    def withheld_for_consent(self, keys: Iterable[Hashable] | None = None) -> list[str]:
        """Fields withheld because the consent did not cover them (or no consent state was provided)."""
        wanted = self.rows.keys() if keys is None else keys
        return sorted({n for k in wanted for n, f in self.rows[k].fields.items() if f.why in (CONSENT, NO_CONSENT_FACT)})

    def audit_codes(self, keys: Iterable[Hashable] | None = None) -> list[str]:
        """The plan as audit codes (no values), every row's merged: a page reads as one line per field
        and decision."""
        wanted = self.rows.keys() if keys is None else keys
        return sorted({f.code(n) for k in wanted for n, f in self.rows[k].fields.items()})


def disclosure_plan(ctx: Context, rows: Sequence[PlanRow], fields: Mapping[str, str], resource: str = CUSTOMER) -> DisclosurePlan:
    """Plain / masked / withheld for every row in ``rows`` and every field in ``fields`` (name →
    catalogue key), for this actor under the declared purpose."""
    rules = engine.policies(ctx)
    catalogue = engine.field_classes(ctx)
    meta = {name: catalogue.get(key, UNCLASSIFIED) for name, key in fields.items()}
    classes = {name: m[0] for name, m in meta.items()}
    gated = bool(ctx.purpose) and ctx.purpose in rules.consent_purposes
    consent: Mapping[Hashable, facts.ConsentFact] | None = {}
    if gated:
        wanted = {name: facts.FieldMeta(m[2], m[3]) for name, m in meta.items()}
        consent = facts.consent_facts(ctx, [r.subject for r in rows], wanted)
    actor = engine.actor_facts(ctx)
    planned: dict[Hashable, RowPlan] = {}
    for row in rows:
        views = rules.decide(ctx.roles, ctx.purpose, actor, row.facts, classes, resource)
        fact = consent.get(row.key) if consent is not None else None
        out: dict[str, PlannedField] = {}
        for name, view in views.items():
            profile = meta[name][1]
            if view.decision is Decision.WITHHELD:
                out[name] = PlannedField(Decision.WITHHELD, False, profile, POLICY)
            elif gated and consent is None:
                out[name] = PlannedField(Decision.WITHHELD, False, profile, NO_CONSENT_FACT)
            elif gated and (fact is None or name not in fact.covered):
                out[name] = PlannedField(Decision.WITHHELD, False, profile, CONSENT)
            else:
                why = "" if view.decision is Decision.PLAIN else POLICY
                out[name] = PlannedField(view.decision, view.revealable, profile, why)
        planned[row.key] = RowPlan(out)
    return DisclosurePlan(planned, gated)
