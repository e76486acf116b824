"""Typed connector errors with stable ``code`` values.

Messages are translated and generic: no error ever carries a credential, a company name or a credit code, so they
can be logged, shown and stored as they are. ``provider_code`` is the provider's own error code (``"300006"``,
``"112"``, ``"http_503"``) for the operator; ``retryable`` tells the client whether another attempt may help.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clientvault.core.errors import DomainError, Message, ValidationFailed


class ConnectorError(DomainError):
    """Base of every error a connector raises."""

    code = "connector_error"
    status = 502
    retryable = False
    default_message: Message = _("The external data provider could not be queried.")

    def __init__(self, source: str, *, provider_code: str | None = None, message: Message | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.provider_code = provider_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(source={self.source!r}, code={self.code!r}, provider_code={self.provider_code!r})"


class ConnectorNotConfigured(ConnectorError):
    """No credentials are configured: nothing is sent anywhere."""

    code = "connector_not_configured"
    status = 503
    default_message = _("The external data provider is not configured.")


class ConnectorAuthError(ConnectorError):
    """The provider refused the credentials (bad token or key, bad signature, no permission for the endpoint)."""

    code = "connector_auth_failed"
    default_message = _("The external data provider refused the configured credentials.")


class ConnectorQuota(ConnectorError):
    """The account's balance, remaining calls or daily limit is exhausted."""

    code = "connector_quota_exceeded"
    status = 429
    default_message = _("The quota of the external data provider is exhausted.")


class ConnectorRateLimited(ConnectorQuota):
    """Too many requests for now: worth another attempt after a pause."""

    code = "connector_rate_limited"
    retryable = True
    default_message = _("The external data provider asked us to slow down.")


class ConnectorUnavailable(ConnectorError):
    """The provider could not be reached or failed on its side."""

    code = "connector_unavailable"
    status = 503
    default_message = _("The external data provider is unavailable.")

    def __init__(self, source: str, *, provider_code: str | None = None, retryable: bool = False, message: Message | None = None) -> None:
        super().__init__(source, provider_code=provider_code, message=message)
        self.retryable = retryable


class ConnectorTimeout(ConnectorUnavailable):
    """The provider did not answer within the configured timeout (not retried: it would multiply the wait)."""

    code = "connector_timeout"
    default_message = _("The external data provider did not answer in time.")


class ConnectorBadResponse(ConnectorError):
    """The answer could not be read: not JSON, or not the documented envelope."""

    code = "connector_bad_response"
    default_message = _("The external data provider sent an answer that could not be read.")


class InvalidCompanyQuery(ValidationFailed):
    """The company identifiers given to a connector are missing or malformed (nothing was sent)."""

    code = "connector_invalid_query"
