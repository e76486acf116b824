"""The "Imported" panel on the customer page (issue #14): batch, sheet, row, source system and lawful basis.

``customers`` knows nothing of imports: this provider is registered with ``customers.extensions`` and runs
only when the customer page is rendered, i.e. for someone the customer's page already let in. It shows
provenance metadata, no personal value; the batch is linked only for those who may open the batch page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse

from clientvault.access.purposes import LegalBasis
from clientvault.core import context as cv_context
from clientvault.core.capabilities import IMPORTS, VIEW, allows
from clientvault.core.errors import NotFound
from clientvault.intake import selectors

if TYPE_CHECKING:
    from clientvault.customers.models import Customer


def customer_provenance(customer: Customer) -> dict[str, Any] | None:
    ctx = cv_context.current()
    if ctx is None:
        return None
    try:
        record = selectors.provenance_for(ctx, customer)
    except NotFound:
        return None
    if record is None:
        return None
    batch = record.batch
    may_open = allows(ctx.roles, IMPORTS, VIEW) and selectors.batches_for(ctx).filter(pk=batch.pk).exists()
    return {
        "file_name": batch.file_name,
        "imported_at": batch.created_at,
        "link": reverse("intake:detail", args=[batch.pk]) if may_open else "",
        "sheet": record.sheet,
        "row_number": record.row_number,
        "source_system": batch.source_system,
        "lawful_basis": LegalBasis(batch.lawful_basis).label if batch.lawful_basis in LegalBasis.values else batch.lawful_basis,
        "consent_evidence_ref": batch.consent_evidence_ref,
    }
