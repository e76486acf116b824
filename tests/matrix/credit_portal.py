"""The portal's credit pages (issue #16, PIPL-24) in the permission matrix: the portal knows no staff, so a signed-in
employee is a stranger there and is sent to the portal's own sign-in, like the rest of the portal; the customer's
own sight (their scores only, another's → 404) is tested in risk/tests/test_portal_credit.py."""

from __future__ import annotations

import re
from typing import Any

from tests.matrix.world import USERS

PORTAL = re.escape("/portal/")


def web_matrix(web: Any) -> dict[str, list[Any]]:
    """The web expectations (``tables.Web`` passed in: this module is imported by ``tables``)."""
    return {
        "credit_portal:score": [web("GET", ok=USERS, success=PORTAL, anon_location=PORTAL)],
        "credit_portal:ask_review": [
            web("GET", ok=USERS, success=PORTAL, anon_location=PORTAL),
            web("POST", ok=USERS, success=PORTAL, anon_location=PORTAL, event=""),
        ],
    }
