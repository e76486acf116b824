"""The access package's "your requests" section (issue #15, PIPL-45/GDPR-15): every data-subject request about
the person — kind, channel, dates, deadline, status, refusal reason code. Metadata only: the request's sealed
free text is the person's own words and is not repeated; the refusal's reason code and status say what was decided.

Read through the person's own view (``Gathering.view``: the portal subject), so the default-deny queryset
returns their requests and nothing else.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from clientvault.rights.models import RightsRequest
from clientvault.rights.package import Gathering, Section, register_section
from clientvault.rights.package_sections import columns, text


def requests_section(work: Gathering) -> Section:
    found = RightsRequest.objects.visible_to(work.view).filter(subject_id=work.customer_id).order_by("received_at")
    rows = tuple(
        {
            "received_at": text(r.received_at),
            "kind": r.get_kind_display(),
            "channel": r.get_channel_display(),
            "status": r.get_status_display(),
            "due_on": text(r.extended_due_on or r.due_on),
            "outer_due_on": text(r.outer_due_on),
            "refusal_code": r.refusal_code or None,
            "closed_at": text(r.closed_at),
        }
        for r in found
    )
    return Section(
        "requests",
        _("Your requests"),
        columns(
            ("received_at", _("Received")),
            ("kind", _("Request")),
            ("channel", _("Channel")),
            ("status", _("Status")),
            ("due_on", _("Due")),
            ("outer_due_on", _("Outer limit")),
            ("refusal_code", _("Refusal reason")),
            ("closed_at", _("Closed")),
        ),
        rows,
    )


register_section("requests", requests_section, order=85)
