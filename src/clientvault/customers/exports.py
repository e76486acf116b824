"""The CSV of a customer export: what ``selectors.export_customers`` decided to show, one row per customer."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from clientvault.core.spreadsheets import safe_cell


def as_csv(customers: Sequence[Any]) -> str:
    """UTF-8 with a byte order mark so spreadsheet programs read the Chinese; withheld values are empty."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [_("Customer id"), _("Customer type"), _("Status"), _("Name"), _("Mobile"), _("E-mail"), _("Credit code"), _("Owner"), _("Tags")]
    )
    for c in customers:
        writer.writerow(
            safe_cell("" if v is None else str(v))
            for v in (
                c.pk,
                c.get_kind_display(),
                c.get_status_display(),
                c.name,
                c.mobile,
                c.email,
                c.uscc,
                str(c.owner) if c.owner_id else "",  # the display name people know, as the list shows it
                " ".join(getattr(c, "shown_tags", None) or ()),
            )
        )
    return out.getvalue()
