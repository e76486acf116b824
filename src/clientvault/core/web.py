"""Request helpers the apps share: the client's address, the channel, and the session keys of the declared
purpose. The middleware that sets the context (``clientvault/middleware.py``) uses them too."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

PURPOSE_SESSION_KEY = "cv_purpose"
# The page the purpose picker sent the user back to after a switch (read once, on the next request).
PURPOSE_SWITCH_SESSION_KEY = "cv_purpose_switched_to"


def client_ip(request: HttpRequest) -> str:
    """The client's address: behind the (one, trusted) reverse proxy, the entry that proxy appended to
    X-Forwarded-For — the last one; earlier entries are whatever the client chose to send. Anything that
    is not an IP address is ignored (audit rows and rate limits key on it)."""
    import ipaddress

    candidate = str(request.META.get("REMOTE_ADDR") or "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        if forwarded.strip():
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


def channel_for(request: HttpRequest) -> str:
    return "api" if request.path.startswith("/api/") else "web"
