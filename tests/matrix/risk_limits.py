"""The permission matrix's credit limits, terms, hold releases and reviews (issue #16, risk/limit_api.py and
risk/limit_views.py).

The risk desk writes (risk officers, ``RISK_DESK`` change) on the files of their own legal entity through the
``credit`` policy; compliance and auditors read the review list; everyone else is refused (403 over the API, 404 on
pages). A file, hold or review of the other legal entity answers 404 to the desk of this one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from clientvault.approvals.models import ChangeRequest
from clientvault.core import clock
from clientvault.core.context import system_context
from clientvault.risk.models import CreditFile, CreditHold, CreditReview, HoldKind, ReviewKind
from tests.matrix import risk as matrix_risk
from tests.matrix.world import USERS, World

DESK = ("risk",)
NOT_DESK = tuple(u for u in USERS if u not in ("risk", "risk_other"))
DESK_OUT = ("risk_other", "risk@foreign")
READERS = ("risk", "risk_other", "compliance", "auditor")
NOT_READERS = tuple(u for u in USERS if u not in READERS)


def credit_file_id(w: World, foreign: bool) -> str:
    """The case customer's one credit file (shared with the desk's and the warnings' rows: one file per customer)."""
    return str(matrix_risk.credit_file(w, foreign).pk)


def credit_hold_id(w: World, foreign: bool) -> str:
    """A forced hold placed by a critical warning (no person placed it: the desk may ask for its release)."""
    key = "credit_hold:foreign" if foreign else "credit_hold:target"
    if key not in w.change_requests:
        hold = CreditHold(credit_file_id=credit_file_id(w, foreign), kind=HoldKind.FORCED, reason_code="matrix", placed_at=clock.now())
        hold.save(force_insert=True)
        w.change_requests[key] = str(hold.pk)
    return w.change_requests[key]


def credit_review_id(w: World, foreign: bool) -> str:
    key = "credit_review:foreign" if foreign else "credit_review:target"
    if key not in w.change_requests:
        from clientvault.risk import reviews

        review = reviews.open_review(
            system_context(channel="task"),
            file_id=uuid.UUID(credit_file_id(w, foreign)),
            kind=ReviewKind.WARNING,
            due_on=dt.date(2026, 12, 31),
        )
        w.change_requests[key] = str(review.pk)
    return w.change_requests[key]


def _requests(target_id: str, change_type: str) -> int:
    rows = ChangeRequest.objects.unrestricted(reason="matrix: the request a case made")
    return rows.filter(target_id=target_id, change_type=change_type).count()


def limit_payload(w: World, foreign: bool) -> dict[str, object]:
    return {"kind": "permanent", "amount_minor": 50_000_000, "reason": "matrix"}


def limit_proposed(w: World, foreign: bool, ok: bool) -> None:
    assert _requests(credit_file_id(w, foreign), "risk.limit") == (1 if ok else 0)


def terms_payload(w: World, foreign: bool) -> dict[str, object]:
    return {"days": 10, "reason": "matrix"}  # shorter than 30: applied at once


def terms_changed(w: World, foreign: bool, ok: bool) -> None:
    row = CreditFile.objects.unrestricted(reason="matrix").get(pk=credit_file_id(w, foreign))
    assert (row.terms_days == 10) is ok


def release_requested(w: World, foreign: bool, ok: bool) -> None:
    assert _requests(credit_hold_id(w, foreign), "risk.hold_release") == (1 if ok else 0)


def complete_payload(w: World, foreign: bool) -> dict[str, object]:
    return {"outcome": "confirmed", "note": "matrix"}


def review_completed(w: World, foreign: bool, ok: bool) -> None:
    row = CreditReview.objects.unrestricted(reason="matrix").get(pk=credit_review_id(w, foreign))
    assert (row.status == "done") is ok


def api_matrix(Api: Any, P: str) -> dict[tuple[str, str], Any]:
    """The API rows (``tables.API_MATRIX``)."""
    return {
        ("POST", f"{P}/risk/files/{{credit_file_id}}/limits"): Api(
            ok=DESK, ok_status=202, denied=NOT_DESK, out=DESK_OUT, payload=limit_payload, effect=limit_proposed, event="approval.submitted"
        ),
        ("POST", f"{P}/risk/files/{{credit_file_id}}/terms"): Api(
            ok=DESK, ok_status=200, denied=NOT_DESK, out=DESK_OUT, payload=terms_payload, effect=terms_changed, event="credit.terms_changed"
        ),
        ("POST", f"{P}/risk/holds/{{credit_hold_id}}/release"): Api(
            ok=DESK,
            ok_status=202,
            denied=NOT_DESK,
            out=DESK_OUT,
            payload=lambda w, f: {"reason": "matrix"},
            effect=release_requested,
            event="approval.submitted",
        ),
        ("POST", f"{P}/risk/reviews/{{credit_review_id}}/complete"): Api(
            ok=DESK,
            ok_status=200,
            denied=NOT_DESK,
            out=DESK_OUT,
            payload=complete_payload,
            effect=review_completed,
            event="credit.review_completed",
        ),
        ("GET", f"{P}/risk/reviews"): Api(ok=READERS, ok_status=200, denied=NOT_READERS),
    }


def web_matrix(Web: Any) -> dict[str, list[Any]]:
    """The page rows (``tables.WEB_MATRIX``): a form each (GET), and its submission (POST)."""
    approval = r"/approvals/[0-9a-f-]{36}/"
    credit_file = r"/risk/files/[0-9a-f-]{36}/"

    def form(name: str, data: Any, success: str, effect: Any, event: str) -> tuple[str, list[Any]]:
        return name, [
            Web("GET", ok=DESK, wrong=NOT_DESK, out=DESK_OUT),
            Web("POST", ok=DESK, wrong=NOT_DESK, out=DESK_OUT, success=success, data=data, effect=effect, event=event),
        ]

    limit_form = lambda w, f: {"kind": "permanent", "amount": "500000.00", "reason": "matrix"}  # noqa: E731
    return dict(
        [
            form("risk_limits:limit_new", limit_form, approval, limit_proposed, "approval.submitted"),
            form("risk_limits:terms_change", terms_payload, credit_file, terms_changed, "credit.terms_changed"),
            form("risk_limits:hold_release", lambda w, f: {"reason": "matrix"}, approval, release_requested, "approval.submitted"),
            form("risk_limits:review_complete", complete_payload, credit_file, review_completed, "credit.review_completed"),
        ]
    )
