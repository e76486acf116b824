"""What apps above ``customers`` add to a customer's pages, without ``customers`` importing them (issue #12).

An app registers a provider in its ``AppConfig.ready`` (``consents`` adds the consent badges of the record's
header); the detail view merges every provider's value into its template context under the given name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clientvault.customers.models import Customer

DetailProvider = Callable[["Customer"], object]
_detail: dict[str, DetailProvider] = {}


def add_detail_context(name: str, provider: DetailProvider) -> None:
    """Show ``provider(customer)`` as ``name`` in the customer detail page's template context."""
    _detail[name] = provider


def detail_context(customer: Customer) -> dict[str, object]:
    return {name: provider(customer) for name, provider in _detail.items()}
