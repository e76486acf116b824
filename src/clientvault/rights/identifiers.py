"""How a customer names themselves at the portal: a resident ID number or a mainland mobile number."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from clientvault.core.errors import ValidationFailed

_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Identifier:
    kind: str  # "id_number" or "mobile"
    value: str


def parse_identifier(raw: str) -> Identifier:
    """A resident ID number or a mainland mobile number, normalised (full-width digits, spaces, +86)."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    text = re.sub(r"[\s-]", "", text)
    if _ID_NUMBER.match(text):
        return Identifier("id_number", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if _MOBILE.match(text):
        return Identifier("mobile", text)
    raise ValidationFailed({"identifier": [_("Enter your 18-character ID number or your 11-digit mobile number.")]})
