"""Password policy additions beyond Django's validators."""

from __future__ import annotations

import string

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """Require characters from at least ``min_classes`` of: lower, upper, digit, symbol."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                ngettext(
                    "The password must mix at least %(n)d kind of character (lower case, upper case, digits, symbols).",
                    "The password must mix at least %(n)d kinds of characters (lower case, upper case, digits, symbols).",
                    self.min_classes,
                )
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("Use at least three of: lower-case letters, upper-case letters, digits and symbols.")


class UsernameInPasswordValidator:
    """Refuse a password that contains the username, or is contained in it — ignoring case."""

    def __init__(self, min_length: int = 3) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        username = str(getattr(user, "username", "") or "").casefold()
        folded = password.casefold()
        if len(username) >= self.min_length and (username in folded or folded in username):
            raise ValidationError(_("The password may not contain your username."), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("Your password may not contain your username.")


class PasswordHistoryValidator:
    """Refuse the current password and the last ``keep`` ones; remember each new one when it is set."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep

    def _former(self, user: AbstractBaseUser) -> list[str]:
        from clientvault.accounts.models import PasswordHistory

        return list(PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: self.keep])

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        if user is None or user.pk is None:
            return
        hashes = [h for h in [user.password, *self._former(user)] if h]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                ngettext(
                    "Choose a password you have not used before (the last %(n)d are remembered).",
                    "Choose a password you have not used before (the last %(n)d are remembered).",
                    self.keep,
                )
                % {"n": self.keep},
                code="password_reused",
            )

    def password_changed(self, password: str, user: AbstractBaseUser | None = None) -> None:
        from clientvault.accounts.models import PasswordHistory

        if user is None or user.pk is None or not user.password:
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        stale = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[self.keep :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return _("You cannot reuse one of your recent passwords.")
