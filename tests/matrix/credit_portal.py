"""The portal's credit pages (issue #16, PIPL-24) in the permission matrix: the portal knows no staff, so a signed-in
employee is a stranger there and is sent to the portal's own sign-in, like the rest of the portal; the customer's
own sight (their scores only, another's → 404) is tested in risk/tests/test_portal_credit.py."""

from __future__ import annotations

import re
import uuid
from typing import Any

from clientvault.risk.tests.credit_factory import credit_file, credit_score
from tests.matrix.world import USERS, World

PORTAL = re.escape("/portal/")


def score_id(w: World, foreign: bool) -> uuid.UUID:
    key = "credit_score:foreign" if foreign else "credit_score:target"
    if key not in w.change_requests:
        w.change_requests[key] = str(credit_score(credit_file(w.customer_for(foreign))).pk)
    return uuid.UUID(w.change_requests[key])


def web_matrix(web: Any) -> dict[str, list[Any]]:
    """The web expectations (``tables.Web`` passed in: this module is imported by ``tables``)."""
    return {
        "credit_portal:score": [web("GET", ok=USERS, success=PORTAL, anon_location=PORTAL)],
        "credit_portal:ask_review": [
            web("GET", ok=USERS, success=PORTAL, anon_location=PORTAL),
            web("POST", ok=USERS, success=PORTAL, anon_location=PORTAL, event=""),
        ],
    }
