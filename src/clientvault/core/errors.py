"""Domain exceptions. Services raise these; ``api.py`` and views map them to HTTP in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Message = str | Promise


class DomainError(Exception):
    """Base for errors a user can act on. ``code`` is stable; ``message`` is translated."""

    code = "error"
    status = 400
    default_message: Message = _("The request could not be completed.")

    def __init__(self, message: Message | None = None, *, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        super().__init__(str(self.code))

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """Missing, or outside the actor's scope: the two are indistinguishable on purpose."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    """The actor may see the object but may not perform this action on it."""

    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to perform this action.")


class Conflict(DomainError):
    """The object changed or is in a state that does not allow the action."""

    code = "conflict"
    status = 409
    default_message = _("The record was changed by someone else. Reload it and try again.")


class ValidationFailed(DomainError):
    """Input failed validation; ``fields`` maps field names to lists of translated messages."""

    code = "validation_failed"
    status = 422
    default_message = _("Some fields are not valid.")

    def __init__(
        self,
        fields: Mapping[str, Sequence[Message]] | None = None,
        message: Message | None = None,
    ) -> None:
        super().__init__(message)
        self.fields: dict[str, list[Message]] = {k: list(v) for k, v in (fields or {}).items()}

    def as_dict(self) -> dict[str, list[str]]:
        return {k: [str(m) for m in v] for k, v in self.fields.items()}
