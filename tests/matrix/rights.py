"""The permission matrix's data-subject requests (issue #15).

The case's request is logged by rep_bj1 for the target customer (a letter, EU, identity not yet verified), with a
failed correction part and a done PDF package; the foreign one by rep_other for the foreign customer. Who sees a
request: the compliance team and auditors of its legal entity, and whoever logged it; only compliance decides
(verify, extend, refuse, retry, take over) and downloads. Sales reps and managers log requests for customers they
see. Everyone else has no request pages at all.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.urls import reverse

from clientvault.audit.models import AuditEvent
from clientvault.rights import fulfilment, requests
from clientvault.rights.choices import PartStatus, Status
from clientvault.rights.models import RequestPart, RightsRequest
from clientvault.testing.actors import ctx
from tests.matrix.world import USERS, World

VIEWERS = ("compliance", "auditor", "manager_bj", "manager_sh", "rep_bj1", "rep_bj2", "rep_sh", "rep_other")
NOT_VIEWERS = tuple(u for u in USERS if u not in VIEWERS)
CREATORS = tuple(u for u in VIEWERS if u != "auditor")
NOT_CREATORS = tuple(u for u in USERS if u not in CREATORS)
LOGGERS = ("compliance", "manager_bj", "rep_bj1")  # may log a request for the target customer
LOGGERS_OUT = ("manager_sh", "rep_bj2", "rep_sh", "rep_other", "compliance@foreign", "manager_bj@foreign", "rep_bj1@foreign")
SEES = ("compliance", "auditor", "rep_bj1")  # the target's request
HIDDEN = ("manager_bj", "manager_sh", "rep_bj2", "rep_sh", "rep_other")  # may log requests, do not see this one
NOT_SEES = tuple(u for u in USERS if u not in SEES)
OUT = ("compliance@foreign", "auditor@foreign")
DECIDERS = ("compliance",)
NOT_DECIDERS = tuple(u for u in USERS if u != "compliance")
DECIDER_OUT = ("compliance@foreign",)
# The API answers 403 to a role without the capability or that sees the request but may not decide it.
API_DENIED = (*NOT_VIEWERS, "rep_bj1", "auditor")


def rights_request_id(w: World, foreign: bool) -> uuid.UUID:
    key = "rights:foreign" if foreign else "rights:target"
    if key not in w.change_requests:
        logger = w.org["rep_other" if foreign else "rep_bj1"]
        subject = w.customer_for(foreign)
        row = requests.submit_request(
            ctx=ctx(logger), customer_id=subject.pk, kind="correction", channel="letter", jurisdiction="EU",
            text="matrix", changes={"email": "matrix@example.cn"},
        )  # fmt: skip
        RequestPart.objects.create(
            request=row, kind="correction", status=PartStatus.FAILED, attempts=1, last_error="permission_denied",
            idempotency_key=f"rights:{row.pk}:correction",
        )  # fmt: skip
        RequestPart.objects.create(
            request=row, kind="package_pdf", status=PartStatus.DONE, idempotency_key=f"rights:{row.pk}:package_pdf",
            result_ct=fulfilment.seal_result(row, b"%PDF-1.7 matrix"),
        )  # fmt: skip
        w.change_requests[key] = str(row.pk)
    return uuid.UUID(w.change_requests[key])


def _row(w: World, foreign: bool) -> RightsRequest:
    found: RightsRequest = RightsRequest.objects.unrestricted(reason="matrix").get(pk=rights_request_id(w, foreign))
    return found


def detail_url(w: World, user: str, foreign: bool) -> str:
    return re.escape(reverse("rights_staff:detail", args=[rights_request_id(w, foreign)]))


def new_form(w: World, foreign: bool) -> dict[str, object]:
    return {"customer": str(w.customer_for(foreign).pk), "kind": "access", "channel": "counter", "jurisdiction": "CN"}


def new_payload(w: World, foreign: bool) -> dict[str, object]:
    return {"customer_id": str(w.customer_for(foreign).pk), "kind": "access", "channel": "counter", "verification_method": "id_document"}


def submitted(w: World, foreign: bool, ok: bool) -> None:
    made = RightsRequest.objects.unrestricted(reason="matrix").filter(subject_id=w.customer_for(foreign).pk, kind="access")
    assert made.count() == (1 if ok else 0)


def _count(event: str, w: World, foreign: bool, ok: bool) -> None:
    assert AuditEvent.objects.filter(event_type=event, object_id=str(rights_request_id(w, foreign))).count() == (1 if ok else 0)


def viewed(w: World, foreign: bool, ok: bool) -> None:
    _count("rights.request_viewed", w, foreign, ok)


def verified(w: World, foreign: bool, ok: bool) -> None:
    assert (_row(w, foreign).status == Status.IN_PROGRESS) is ok


def extended(w: World, foreign: bool, ok: bool) -> None:
    assert (_row(w, foreign).extension_notified_at is not None) is ok


def refused(w: World, foreign: bool, ok: bool) -> None:
    assert (_row(w, foreign).status == Status.REFUSED) is ok


def retried(w: World, foreign: bool, ok: bool) -> None:
    part = RequestPart.objects.unrestricted(reason="matrix").get(request_id=rights_request_id(w, foreign), kind="correction")
    assert (part.status == PartStatus.PENDING) is ok


def taken(w: World, foreign: bool, ok: bool) -> None:
    assert (_row(w, foreign).handler_id == w.org["compliance"].pk) is ok


def downloaded(w: World, foreign: bool, ok: bool) -> None:
    assert AuditEvent.objects.filter(event_type="rights.package_downloaded").count() == (1 if ok else 0)


def web_matrix(web: Any) -> dict[str, list[Any]]:
    """The web expectations (``tables.Web`` passed in: this module is imported by ``tables``)."""

    def decide(name: str, data: Any, effect: Any, event: str) -> list[Any]:
        return [web("POST", ok=DECIDERS, wrong=NOT_DECIDERS, out=DECIDER_OUT, success=detail_url, data=data, effect=effect, event=event)]

    return {
        "rights_staff:dashboard": [web("GET", ok=VIEWERS, wrong=NOT_VIEWERS)],
        "rights_staff:new": [
            web("GET", ok=CREATORS, wrong=NOT_CREATORS),
            web(
                "POST",
                ok=LOGGERS,
                wrong=NOT_CREATORS,
                out=LOGGERS_OUT,
                success=r"/rights/[0-9a-f-]{36}/",
                data=new_form,
                effect=submitted,
                event="rights.request_submitted",
            ),
        ],
        "rights_staff:detail": [web("GET", ok=SEES, wrong=NOT_SEES, out=OUT, effect=viewed)],
        "rights_staff:verify": decide("verify", lambda w, f: {"method": "signed_letter"}, verified, "rights.identity_verified"),
        "rights_staff:extend": decide("extend", lambda w, f: {"reason": "matrix"}, extended, "rights.request_extended"),
        "rights_staff:refuse": decide("refuse", lambda w, f: {"code": "other", "text": "matrix"}, refused, "rights.request_refused"),
        "rights_staff:retry": decide("retry", lambda w, f: {"part": "correction"}, retried, "rights.part_retried"),
        "rights_staff:take": decide("take", None, taken, "rights.request_taken"),
        "rights_staff:download": [web("GET", ok=DECIDERS, wrong=NOT_DECIDERS, out=DECIDER_OUT, effect=downloaded)],
        # The portal's download: staff are not signed in to the portal, so it sends them to the portal's sign-in.
        "rights:request_download": [web("GET", ok=USERS, success=re.escape("/portal/"), anon_location=re.escape("/portal/"))],
    }


def api_matrix(api: Any, prefix: str) -> dict[tuple[str, str], Any]:
    """The API expectations (``tables.Api`` passed in)."""
    one = f"{prefix}/rights/requests/{{rights_request_id}}"

    def decide(step: str, payload: Any, effect: Any, event: str) -> Any:
        denied = tuple(u for u in API_DENIED if u != "compliance")
        hidden = tuple(u for u in HIDDEN if u not in denied)
        return api(ok=DECIDERS, ok_status=200, denied=denied, hidden=hidden, out=DECIDER_OUT, payload=payload, effect=effect, event=event)

    return {
        ("GET", f"{prefix}/rights/requests"): api(ok=VIEWERS, ok_status=200, denied=NOT_VIEWERS),
        ("POST", f"{prefix}/rights/requests"): api(
            ok=LOGGERS,
            ok_status=201,
            denied=NOT_CREATORS,
            out=LOGGERS_OUT,
            payload=new_payload,
            effect=submitted,
            event="rights.request_submitted",
        ),
        ("GET", one): api(ok=SEES, ok_status=200, denied=NOT_VIEWERS, hidden=HIDDEN, out=OUT, effect=viewed),
        ("POST", f"{one}/verify"): decide("verify", lambda w, f: {"method": "signed_letter"}, verified, "rights.identity_verified"),
        ("POST", f"{one}/extend"): decide("extend", lambda w, f: {"reason": "matrix"}, extended, "rights.request_extended"),
        ("POST", f"{one}/refuse"): decide("refuse", lambda w, f: {"code": "other", "text": "matrix"}, refused, "rights.request_refused"),
        ("POST", f"{one}/retry"): decide("retry", lambda w, f: {"part": "correction"}, retried, "rights.part_retried"),
        ("POST", f"{one}/take"): decide("take", None, taken, "rights.request_taken"),
        ("GET", f"{one}/parts/{{part}}/download"): decide("download", None, downloaded, ""),
    }
