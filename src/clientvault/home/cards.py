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

from clientvault.access.policies import VIEW, allows
from clientvault.approvals import selectors as approvals
from clientvault.core.capabilities import APPROVALS
from clientvault.core.context import Context
from clientvault.customers import reminders
from clientvault.risk.desk_counts import desk_counts

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


def _approval_cards(ctx: Context) -> list[Card | None]:
    if not allows(ctx.roles, APPROVALS, VIEW):
        return []
    counts = approvals.counts(ctx)
    inbox, mine = reverse("approvals:inbox"), reverse("approvals:mine")
    tone = OVERDUE if counts["overdue"] else (NEAR if counts["near_due"] else OK)
    waiting = Card(
        key="approvals",
        title=_("Approvals waiting for me"),
        count=counts["inbox"],
        link=inbox,
        icon="bi-inbox",
        tone=tone,
        parts=(
            Part(_("overdue"), counts["overdue"], f"{inbox}?due=overdue", OVERDUE if counts["overdue"] else ""),
            Part(_("due within a working day"), counts["near_due"], f"{inbox}?due=near", NEAR if counts["near_due"] else ""),
        ),
    )
    own = Card(key="my_requests", title=_("My open requests"), count=counts["mine_open"], link=f"{mine}?status=open", icon="bi-send")
    return [waiting, own]


def _risk_cards(ctx: Context) -> list[Card | None]:
    """The risk desk's day (issue #16): open early warnings, reviews due, rule changes waiting for a second officer."""
    counts = desk_counts(ctx)
    if counts is None:
        return []
    queue, reviews = reverse("risk_warnings:queue"), reverse("risk:reviews")
    found: list[Card | None] = [
        Card(
            key="credit_warnings",
            title=_("Open early warnings"),
            count=counts.warnings_open,
            link=f"{queue}?status=open",
            icon="bi-exclamation-triangle",
            tone=OVERDUE if counts.warnings_critical else (NEAR if counts.warnings_open else OK),
            parts=(
                Part(
                    _("critical"),
                    counts.warnings_critical,
                    f"{queue}?status=open&severity=critical",
                    OVERDUE if counts.warnings_critical else "",
                ),
            ),
        ),
        Card(
            key="credit_reviews",
            title=_("Credit reviews due"),
            count=counts.reviews_due,
            link=reviews,
            icon="bi-calendar-check",
            tone=OVERDUE if counts.reviews_overdue else (NEAR if counts.reviews_due else OK),
            parts=(Part(_("overdue"), counts.reviews_overdue, reviews, OVERDUE if counts.reviews_overdue else ""),),
        ),
    ]
    if counts.rule_changes_waiting is not None:
        found.append(
            Card(
                key="credit_rule_changes",
                title=_("Credit-control rule changes to decide"),
                count=counts.rule_changes_waiting,
                link=reverse("risk_rules:list"),
                icon="bi-sliders",
                tone=NEAR if counts.rule_changes_waiting else OK,
            )
        )
    return found


def cards(ctx: Context) -> list[Card]:
    """The cards for this person, in the order of the day's work."""
    found = [*_approval_cards(ctx), *_risk_cards(ctx), _followups_card(ctx)]
    return [c for c in found if c is not None]
