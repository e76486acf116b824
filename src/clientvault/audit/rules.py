"""Pure rules for using the audit trail: search filters, time ranges, evidence-pack limits — no database."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext_lazy as _

from clientvault.core.context import Context
from clientvault.core.errors import DomainError, Message, ValidationFailed

EXPORT_FORMATS = ("json", "csv")


@dataclass(frozen=True)
class EventFilters:
    """What a search asks for. ``start`` is inclusive, ``end`` exclusive (both aware datetimes)."""

    customer_id: uuid.UUID | None = None
    actor: str = ""
    event_type: str = ""
    purpose: str = ""
    outcome: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def active_keys(self) -> list[str]:
        """The *names* of the filters in use (what an audit event may record; never the values typed)."""
        named = {
            "customer": self.customer_id is not None,
            "actor": bool(self.actor),
            "event_type": bool(self.event_type),
            "purpose": bool(self.purpose),
            "outcome": bool(self.outcome),
            "from": self.start is not None,
            "to": self.end is not None,
        }
        return [name for name, used in named.items() if used]

    @property
    def has_evidence_scope(self) -> bool:
        """An evidence pack covers one customer or a time range (or both), never the whole trail."""
        return self.customer_id is not None or self.start is not None or self.end is not None


class EvidenceScopeRequired(ValidationFailed):
    code = "filter_required"


class EvidenceTooLarge(DomainError):
    code = "evidence_too_large"
    status = 422


class NotSealedYet(DomainError):
    code = "not_sealed"
    status = 409
    default_message = _("The event is not sealed yet: the sealer adds new events within seconds. Try again shortly.")


class TrailInconsistent(DomainError):
    code = "audit_trail_inconsistent"
    status = 409
    default_message = _(
        "The stored audit trail does not match its signed checkpoint, so no proof can be given. "
        "Ask an administrator to run `clientvault audit verify`."
    )


def require_evidence_scope(filters: EventFilters) -> None:
    if not filters.has_evidence_scope:
        message = _("Choose a customer or a time range for the evidence pack.")
        raise EvidenceScopeRequired({"customer": [message], "from": [message]}, message=message)


def check_evidence_size(count: int, maximum: int) -> None:
    """Refuse a pack above ``maximum`` events: it is built in memory, and so large a pack is rarely meant."""
    if count > maximum:
        raise EvidenceTooLarge(
            _(
                "The evidence pack would hold %(count)d events; at most %(maximum)d can be exported at once. "
                "Narrow the customer or the time range."
            )
            % {"count": count, "maximum": maximum}
        )


def check_format(export_format: str) -> str:
    if export_format not in EXPORT_FORMATS:
        raise ValidationFailed({"format": [_("Choose json or csv.")]})
    return export_format


def user_zone(name: str | None, default: str) -> ZoneInfo:
    """The user's time zone, or the deployment's when the stored name is empty or unknown."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def actor_zone(ctx: Context) -> ZoneInfo:
    """The acting user's time zone (web and API alike), else the deployment's."""
    from django.conf import settings

    return user_zone(getattr(ctx.actor, "time_zone", ""), settings.TIME_ZONE)


def day_range(first: dt.date | None, last: dt.date | None, zone: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Whole days in the user's time zone: from the start of ``first`` to the end of ``last`` (inclusive)."""
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone) if first else None
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone) if last else None
    return start, end


def _bound(text: str, zone: dt.tzinfo, *, is_end: bool) -> dt.datetime:
    """``YYYY-MM-DD`` (a whole day in ``zone``) or an ISO 8601 date-time (naive = in ``zone``)."""
    text = text.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        start, end = day_range(day, day, zone)
        assert start is not None and end is not None
        return end if is_end else start
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_range(first: str, last: str, zone: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Parse ``from``/``to`` query values; a date ``to`` includes that whole day, a date-time ``to`` is exclusive."""
    errors: dict[str, list[Message]] = {}
    bounds: dict[str, dt.datetime | None] = {"from": None, "to": None}
    for name, text in (("from", first), ("to", last)):
        if not text:
            continue
        try:
            bounds[name] = _bound(text, zone, is_end=name == "to")
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD or a date and time as YYYY-MM-DDTHH:MM.")]
    if errors:
        raise ValidationFailed(errors)
    check_order(bounds["from"], bounds["to"])
    return bounds["from"], bounds["to"]


def check_order(start: dt.datetime | None, end: dt.datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ValidationFailed({"to": [_("The end of the time range must be after its start.")]})


def parse_customer(raw: str) -> uuid.UUID | None:
    """A customer id from a query string; empty means none."""
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed({"customer": [_("Enter a valid customer id.")]}) from None


def check_filters(filters: EventFilters) -> EventFilters:
    """An API search names registered event types and known outcomes (a typo would silently match nothing)."""
    from clientvault.audit import registry
    from clientvault.audit.models import AuditEvent

    errors: dict[str, list[Message]] = {}
    if filters.event_type and filters.event_type not in registry.EVENT_TYPES:
        errors["event_type"] = [_("Unknown event type.")]
    if filters.outcome and filters.outcome not in AuditEvent.Outcome.values:
        errors["outcome"] = [_("Choose success, denied or failed.")]
    if errors:
        raise ValidationFailed(errors)
    return filters
