"""Pure normalisers and validators for PRC identifiers; messages never echo input."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.cn import ric, uscc

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    Message = str | _StrPromise

__all__ = [
    "InvalidIdentifier",
    "ResidentIdInfo",
    "convert_legacy_resident_id",
    "luhn_check_digit",
    "luhn_valid",
    "normalize_bank_card",
    "normalize_digits",
    "normalize_email",
    "normalize_mobile",
    "normalize_resident_id",
    "normalize_uscc",
    "organisation_code_check_char",
    "parse_resident_id",
    "resident_id_check_char",
    "uscc_check_char",
    "uscc_org_code_valid",
    "validate_bank_card",
    "validate_email",
    "validate_mobile",
    "validate_uscc",
]


class InvalidIdentifier(ValueError):
    """An identifier failed validation: stable ``code``, translated ``message``."""

    def __init__(self, code: str, message: Message) -> None:
        self.code = code
        self.message = message
        # Only the code goes into ``args``: repr() and logs never force translation.
        super().__init__(code)

    def __str__(self) -> str:
        return str(self.message)

    def __reduce__(self) -> tuple[type[InvalidIdentifier], tuple[str, Message]]:
        """Pickle with both constructor arguments (``args`` holds only the code)."""
        return (type(self), (self.code, self.message))


# --- Normalisation --------------------------------------------------------------------

_DELETE_CHARS = " \t\u00a0\u3000-\u2010\u2011\u2012\u2013\u2014\u2212\uff0d"
_NORMALIZE_TABLE: dict[int, int | None] = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},  # full-width 0-9
    **{0xFF21 + i: ord("A") + i for i in range(26)},  # full-width A-Z
    **{0xFF41 + i: ord("a") + i for i in range(26)},  # full-width a-z
    **{ord(c): None for c in _DELETE_CHARS},
}
_MOBILE_TABLE: dict[int, int | None] = {
    0xFF0B: ord("+"),  # full-width plus sign
    **{ord(c): None for c in "()\uff08\uff09"},
}


def normalize_digits(value: str) -> str:
    """Fold full-width digits and letters to ASCII and drop spaces and hyphens."""
    return value.translate(_NORMALIZE_TABLE)


def normalize_resident_id(value: str) -> str:
    """Normalise a resident ID number; a trailing ``x`` becomes ``X``."""
    return normalize_digits(value).upper()


def normalize_mobile(value: str) -> str:
    """Normalise a mobile number and drop a +86/0086/86 prefix in front of 11 digits."""
    number = normalize_digits(value).translate(_MOBILE_TABLE)
    for prefix in ("+86", "0086", "86"):
        rest = number.removeprefix(prefix)
        if rest != number and len(rest) == 11 and rest.isascii() and rest.isdigit():
            return rest
    return number


def normalize_uscc(value: str) -> str:
    """Normalise a unified social credit code to upper-case ASCII."""
    return normalize_digits(value).upper()


def normalize_bank_card(value: str) -> str:
    """Normalise a bank card number (full-width digits, spaces and hyphens)."""
    return normalize_digits(value)


def normalize_email(value: str) -> str:
    """Trim and lower-case an email address."""
    return value.strip().lower()


def _is_ascii_digits(value: str) -> bool:
    """Whether ``value`` is non-empty and made only of ASCII digits."""
    return value.isascii() and value.isdigit()


# --- Resident identity card: RULES.md §11.1 GB 11643-1999 -----------------------------

# RULES.md §11.1 GB 11643-1999 / GB/T 2260: province-level codes (first two digits).
_RESIDENT_ID_PROVINCES = frozenset(
    {
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    }
)
# RULES.md §11.1 2023 Foreign Permanent Residence ID: leading "9", same MOD 11-2.
_FOREIGN_PERMANENT_RESIDENT_PREFIX = "9"
_RESIDENT_ID_RE = re.compile(r"\d{17}[\dX]")
_LEGACY_RESIDENT_ID_RE = re.compile(r"\d{15}")
_MIN_BIRTH_YEAR = 1900

_MSG_RESIDENT_ID_FORMAT = _("Enter a valid 18-character resident ID number.")
_MSG_RESIDENT_ID_REGION = _("The resident ID number has an unknown region code.")
_MSG_RESIDENT_ID_BIRTH_DATE = _("The resident ID number contains an invalid date of birth.")
_MSG_RESIDENT_ID_CHECKSUM = _("The resident ID number's check digit does not match.")
_MSG_RESIDENT_ID_PREFIX = _("The first 17 characters of a resident ID number must be digits.")
_MSG_LEGACY_RESIDENT_ID_FORMAT = _("Enter a valid 15-digit resident ID number.")


@dataclass(frozen=True, slots=True)
class ResidentIdInfo:
    """Facts derived from a valid resident ID number."""

    number: str = field(repr=False)
    birth_date: datetime.date = field(repr=False)
    sex: Literal["M", "F"]
    region_code: str

    @property
    def is_foreign_permanent_resident(self) -> bool:
        """Whether this is a 2023 Foreign Permanent Residence ID (leading ``9``)."""
        return self.number.startswith(_FOREIGN_PERMANENT_RESIDENT_PREFIX)


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643-1999 check character for the first 17 digits."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise InvalidIdentifier("format", _MSG_RESIDENT_ID_PREFIX)
    # RULES.md §11.1 GB 11643-1999: ISO 7064 MOD 11-2 (python-stdnum; it reads all but the last character).
    return ric.calc_check_digit(first17 + "0")


def parse_resident_id(value: str, *, today: datetime.date | None = None) -> ResidentIdInfo:
    """Validate an 18-character resident ID number; derive birth date, sex, region."""
    number = normalize_resident_id(value)
    if not _RESIDENT_ID_RE.fullmatch(number):
        raise InvalidIdentifier("format", _MSG_RESIDENT_ID_FORMAT)
    # RULES.md §11.1: no region check for Foreign Permanent Residence IDs.
    is_foreign = number.startswith(_FOREIGN_PERMANENT_RESIDENT_PREFIX)
    if not is_foreign and int(number[:2]) not in _RESIDENT_ID_PROVINCES:
        raise InvalidIdentifier("region", _MSG_RESIDENT_ID_REGION)
    # RULES.md §11.1 GB 11643-1999: positions 7-14 are the birth date YYYYMMDD.
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentifier("birth_date", _MSG_RESIDENT_ID_BIRTH_DATE) from None
    # Callers pass the business date (Asia/Shanghai); the host date is only a fallback.
    if birth_date.year < _MIN_BIRTH_YEAR or birth_date > (today or datetime.date.today()):  # noqa: DTZ011
        raise InvalidIdentifier("birth_date", _MSG_RESIDENT_ID_BIRTH_DATE)
    if resident_id_check_char(number[:17]) != number[17]:
        raise InvalidIdentifier("checksum", _MSG_RESIDENT_ID_CHECKSUM)
    # RULES.md §11.1 GB 11643-1999: 17th digit odd for men, even for women.
    sex: Literal["M", "F"] = "M" if int(number[16]) % 2 else "F"
    return ResidentIdInfo(number=number, birth_date=birth_date, sex=sex, region_code=number[:6])


def convert_legacy_resident_id(fifteen: str) -> str:
    """Convert a 15-digit (GB 11643-1989) number to 18 characters and validate it."""
    legacy = normalize_resident_id(fifteen)
    if not _LEGACY_RESIDENT_ID_RE.fullmatch(legacy):
        raise InvalidIdentifier("format", _MSG_LEGACY_RESIDENT_ID_FORMAT)
    # RULES.md §11.1 GB 11643-1999: insert "19" before YYMMDD, append the check char.
    first17 = f"{legacy[:6]}19{legacy[6:]}"
    return parse_resident_id(first17 + resident_id_check_char(first17)).number


# --- Unified social credit code: RULES.md §11.2 GB 32100-2015 -------------------------

# RULES.md §11.2 GB 32100-2015: code character set (a character's value is its index).
_USCC_CHARSET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
# RULES.md §11.2 GB 11714-1997: organisation code weights for its first 8 characters.
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_RE = re.compile(r"[0-9A-Z]{8}[0-9X]")

_MSG_USCC_FORMAT = _("Enter a valid 18-character unified social credit code.")
_MSG_USCC_CHECKSUM = _("The unified social credit code's check character does not match.")
_MSG_USCC_PREFIX = _("The first 17 characters of the unified social credit code are not valid.")


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters."""
    if len(first17) != 17 or any(c not in _USCC_CHARSET for c in first17):
        raise InvalidIdentifier("format", _MSG_USCC_PREFIX)
    # RULES.md §11.2 GB 32100-2015: C18 = 31 - (sum of C_i * 3^(i-1) mod 31), 31 -> 0 (python-stdnum).
    return uscc.calc_check_digit(first17)


def validate_uscc(value: str) -> str:
    """Validate a unified social credit code and return it normalised."""
    code = normalize_uscc(value)
    if not _USCC_RE.fullmatch(code):
        raise InvalidIdentifier("format", _MSG_USCC_FORMAT)
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidIdentifier("checksum", _MSG_USCC_CHECKSUM)
    return code


def organisation_code_check_char(first8: str) -> str:
    """Return the GB 11714-1997 check character for the first 8 characters of an organisation code
    (python-stdnum has no module for it; the USCC embeds it at positions 9-17)."""
    if not _ORG_CODE_RE.fullmatch(first8 + "0"):
        raise InvalidIdentifier("format", _MSG_USCC_PREFIX)
    # RULES.md §11.2 GB 11714-1997: 0-9 and A-Z = 10-35; C = 11 - (sum mod 11); 10 -> X, 11 -> 0.
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_org_code_valid(code: str) -> bool:
    """Whether the GB 11714 organisation code (in a USCC, or bare) checks out."""
    # RULES.md §11.2: informational only; pilot-area codes fail it, never reject on it.
    normalised = normalize_uscc(code)
    org = normalised[8:17] if len(normalised) == 18 else normalised
    if not _ORG_CODE_RE.fullmatch(org):
        return False
    return org[8] == organisation_code_check_char(org[:8])


# --- Bank card: RULES.md §11.3 ISO/IEC 7812-1 Luhn ------------------------------------

_BANK_CARD_RE = re.compile(r"\d{12,19}")

_MSG_BANK_CARD_FORMAT = _("Enter a valid bank card number of 12 to 19 digits.")
_MSG_BANK_CARD_CHECKSUM = _("The bank card number's check digit does not match.")
_MSG_DIGITS_ONLY = _("Enter digits only.")


def luhn_valid(number: str) -> bool:
    """Whether an ASCII digit string passes the Luhn (mod 10) check."""
    # RULES.md §11.3 ISO/IEC 7812-1 Annex B: the rightmost digit is the check digit (python-stdnum).
    return _is_ascii_digits(number) and luhn.checksum(number) == 0


def luhn_check_digit(partial: str) -> str:
    """Return the Luhn check digit to append to ``partial``."""
    if not _is_ascii_digits(partial):
        raise InvalidIdentifier("format", _MSG_DIGITS_ONLY)
    return luhn.calc_check_digit(partial)


def validate_bank_card(value: str) -> str:
    """Validate a bank card number (12-19 digits, Luhn) and return it normalised."""
    number = normalize_bank_card(value)
    if not _BANK_CARD_RE.fullmatch(number):
        raise InvalidIdentifier("format", _MSG_BANK_CARD_FORMAT)
    if not luhn_valid(number):
        raise InvalidIdentifier("checksum", _MSG_BANK_CARD_CHECKSUM)
    return number


# --- Mobile and email: RULES.md §11.4 -------------------------------------------------

# RULES.md §11.4: mainland mobile numbers; deliberately no carrier prefix allowlist.
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_EMAIL_LOCAL_RE = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")

_MSG_MOBILE_FORMAT = _("Enter a valid mainland China mobile number.")
_MSG_EMAIL_FORMAT = _("Enter a valid email address.")


def validate_mobile(value: str) -> str:
    """Validate a mainland China mobile number and return its 11 digits."""
    number = normalize_mobile(value)
    if not _MOBILE_RE.fullmatch(number):
        raise InvalidIdentifier("format", _MSG_MOBILE_FORMAT)
    return number


def validate_email(value: str) -> str:
    """Validate an email address conservatively (ASCII dot-atom); return it."""
    # RULES.md §11.4 RFC 5321 §4.5.3.1: local part <= 64, address <= 254 octets.
    address = normalize_email(value)
    local, at, domain = address.partition("@")
    labels = domain.split(".")
    valid = (
        bool(at)
        and len(address) <= 254
        and 0 < len(local) <= 64
        and _EMAIL_LOCAL_RE.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels)
        and _EMAIL_TLD_RE.fullmatch(labels[-1]) is not None
    )
    if not valid:
        raise InvalidIdentifier("format", _MSG_EMAIL_FORMAT)
    return address
