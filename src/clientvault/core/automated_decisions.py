"""Automated decision-making that uses a customer's data (PIPL-24, GDPR-22, GDPR-15(1)(h)): a registry.

An app that decides about people by automated means (issue #16: credit scorecards) registers a provider
here; the explanation of processing (rights/explanation.py) asks every provider what applies to one
customer. The kernel holds the registry so that any app, whatever its layer, can register.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AutomatedDecision:
    """One automated decision that applies to the customer, in the language asked for."""

    code: str
    name: str
    logic: str  # the logic involved, in plain words
    effect: str  # the significance and envisaged consequences for the person
    human_review: str  # how to ask for a person to look at it, give a view, contest it


Provider = Callable[[uuid.UUID, str], list[AutomatedDecision]]
_PROVIDERS: dict[str, Provider] = {}


def register(code: str, provider: Provider) -> None:
    """Register the provider of an app's automated decisions (``provider(customer_id, language)``)."""
    if code in _PROVIDERS and _PROVIDERS[code] is not provider:
        raise ValueError(f"automated decision provider {code!r} registered twice")
    _PROVIDERS[code] = provider


def applying_to(customer_id: uuid.UUID, language: str) -> list[AutomatedDecision]:
    """Every registered automated decision that applies to the customer (none registered yet: empty)."""
    return [d for code in sorted(_PROVIDERS) for d in _PROVIDERS[code](customer_id, language)]
