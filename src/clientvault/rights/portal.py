"""The portal's session: which customer records the signed-in person may act on, and for how long.

The portal never uses Django's staff authentication: its own session keys hold the customer ids a code
signed in, and the time of the last request (idle timeout ``CLIENTVAULT_PORTAL_SESSION_MINUTES``).
"""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.http import HttpRequest

from clientvault.core.context import Context
from clientvault.rights.services import SUBJECT_ROLE

SUBJECT_KEY = "cv_portal_subjects"
SEEN_KEY = "cv_portal_seen"
PENDING_KEY = "cv_portal_pending"


def sign_in(request: HttpRequest, customer_ids: list[uuid.UUID]) -> None:
    request.session.cycle_key()  # a new session id at sign-in (no fixation)
    request.session[SUBJECT_KEY] = [str(i) for i in customer_ids]
    request.session[SEEN_KEY] = time.time()
    request.session.pop(PENDING_KEY, None)


def sign_out(request: HttpRequest) -> None:
    for key in (SUBJECT_KEY, SEEN_KEY, PENDING_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def subject_ids(request: HttpRequest) -> frozenset[uuid.UUID]:
    """The customer ids of the signed-in person, or empty when nobody is signed in or the session idled out."""
    ids = request.session.get(SUBJECT_KEY) or []
    seen = float(request.session.get(SEEN_KEY) or 0)
    if not ids:
        return frozenset()
    if time.time() - seen > settings.CLIENTVAULT_PORTAL_SESSION_MINUTES * 60:
        sign_out(request)
        return frozenset()
    request.session[SEEN_KEY] = time.time()
    return frozenset(uuid.UUID(i) for i in ids)


def context(request: HttpRequest, ids: frozenset[uuid.UUID] = frozenset()) -> Context:
    """The context of portal requests: no staff actor, the data-subject role, the rights-request purpose."""
    base: Context = request.cv_ctx  # type: ignore[attr-defined]
    return Context(
        actor=None,
        roles=frozenset({SUBJECT_ROLE}),
        purpose="rights_request",
        request_id=base.request_id,
        ip=base.ip,
        channel="portal",
        subject_ids=ids,
    )
