"""How a customer names themselves at the portal: a resident ID number or a mainland mobile number.

Normalisation and checks are the field catalogue's own (``classification.validators``: full-width digits,
spaces, +86, the GB 11643 check character), so a number typed at the portal matches the blind index the
customer's record was stored under, and a mistyped ID number is told at once instead of silently getting
no code (the check character is public arithmetic: saying so reveals nothing about who is a customer).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from clientvault.classification import validators as V
from clientvault.core import clock
from clientvault.core.errors import ValidationFailed


@dataclass(frozen=True)
class Identifier:
    kind: str  # "id_number" or "mobile"
    value: str


def parse_identifier(raw: str) -> Identifier:
    """A valid resident ID number or mainland mobile number, normalised; ``ValidationFailed`` otherwise."""
    text = V.normalize_resident_id(raw or "")
    if len(text) == 18:
        try:
            return Identifier("id_number", V.parse_resident_id(text, today=clock.today()).number)
        except V.InvalidIdentifier as exc:
            raise ValidationFailed({"identifier": [exc.message]}) from None
    try:
        return Identifier("mobile", V.validate_mobile(raw or ""))
    except V.InvalidIdentifier:
        raise ValidationFailed({"identifier": [_("Enter your 18-character ID number or your 11-digit mobile number.")]}) from None
