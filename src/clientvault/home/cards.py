"""The home page's cards (issue #13): what needs the person today, each a count linking to the filtered list.

Home is the top domain layer: it imports the owning apps' selectors directly (no registration). Each card
shows only for a person whose capabilities open the list it links to ("never a link that ends in
forbidden", UI.md); counts carry no personal data, so no read event is recorded for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.core.context import Context
from clientvault.customers import reminders

OK, NEAR, OVERDUE = "ok", "near", "overdue"


@dataclass(frozen=True)
class Part:
    """A sub-count of a card (e.g. "3 overdue"), with its own link and colour."""

    label: str | Promise
    count: int
    link: str
    tone: str = ""


@dataclass(frozen=True)
class Card:
    key: str
    title: str | Promise
    count: int
    link: str
    icon: str
    tone: str = OK  # green ok, amber near, red overdue (UI.md: colours follow status meaning)
    parts: tuple[Part, ...] = field(default_factory=tuple)


def _followups_card(ctx: Context) -> Card | None:
    counts = reminders.my_due_counts(ctx)
    if counts is None:
        return None
    base = reverse("customers:list")
    tone = OVERDUE if counts.overdue else (NEAR if counts.today else OK)
    return Card(
        key="followups",
        title=_("My follow-ups due today"),
        count=counts.today,
        link=f"{base}?due={reminders.TODAY}",
        icon="bi-telephone-forward",
        tone=tone,
        parts=(Part(_("overdue"), counts.overdue, f"{base}?due={reminders.OVERDUE}", OVERDUE if counts.overdue else ""),),
    )


def cards(ctx: Context) -> list[Card]:
    """The cards for this person, in the order of the day's work."""
    found = [_followups_card(ctx)]
    return [c for c in found if c is not None]
