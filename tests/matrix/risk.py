"""The permission matrix's risk desk (issue #16): credit files, scores, the desk's lists and report, forced holds.

A credit file follows its customer for the ``credit`` resource (access/defaults.py "*-credit"): risk officers of the
legal entity read and change it (credit_assessment), the owner and their managers read it with amounts hidden,
compliance and auditors read it; administrators and users without a role see none. The desk's own pages (portfolio,
file list, reviews due, monthly report) need the ``risk_desk`` capability (risk officers, compliance, auditors), each
over the files of its own legal entity. The files are written directly when a case first needs them.
"""

from __future__ import annotations

import uuid
from typing import Any

from clientvault.core import clock
from clientvault.risk.models import CreditFile, CreditHold, CreditScore
from tests.matrix.world import USERS, VIEW_IN, VIEW_OUT, World

REASON = "permission matrix fixture"
FILE_READERS = VIEW_IN  # owner, manager, risk, compliance, auditor
FILE_OUT = VIEW_OUT
FILE_NO_SIGHT = ("admin", "norole")
DESK = ("risk", "risk_other", "compliance", "auditor")  # risk_other sees its own entity's book (not the target's)
NOT_DESK = tuple(u for u in USERS if u not in DESK)
HOLD_MAKERS = ("risk",)
HOLD_OUT = ("risk_other", "risk@foreign")
NOT_HOLD_MAKERS = tuple(u for u in USERS if u not in (*HOLD_MAKERS, "risk_other"))
READ_ONLY = ("rep_bj1", "manager_bj", "compliance", "auditor")  # see the file, may not hold it (API 403)


def _memo(w: World) -> dict[str, Any]:
    memo: dict[str, Any] | None = getattr(w, "_risk_memo", None)
    if memo is None:
        memo = {}
        w._risk_memo = memo  # type: ignore[attr-defined]
    return memo


def credit_file(w: World, foreign: bool) -> CreditFile:
    memo = _memo(w)
    key = "foreign" if foreign else "target"
    if key not in memo:
        c = w.customer_for(foreign)
        f = CreditFile(customer=c, legal_entity_id=c.legal_entity_id, currency="CNY", tier="medium", terms_days=30, created_at=clock.now())
        f.save(force_insert=True)
        memo[key] = f
    return memo[key]  # type: ignore[no-any-return]


def file_id(w: World, foreign: bool) -> uuid.UUID:
    return credit_file(w, foreign).pk


def score_id(w: World, foreign: bool) -> uuid.UUID:
    memo = _memo(w)
    key = "score:foreign" if foreign else "score:target"
    if key not in memo:
        s = CreditScore(
            credit_file=credit_file(w, foreign),
            scored_at=clock.now(),
            trigger="manual",
            model_id="matrix",
            model_version="1",
            spec_digest="0" * 64,
            tier_policy_version=1,
            score=560.0,
            tier="medium",
        )
        s.save(force_insert=True)
        memo[key] = s.pk
    return memo[key]  # type: ignore[no-any-return]


def hold_form(w: World, foreign: bool) -> dict[str, Any]:
    credit_file(w, foreign)
    return {"reason_code": "legal_action", "note": "矩阵冻结"}


def hold_placed(w: World, foreign: bool, ok: bool) -> None:
    f = credit_file(w, foreign)
    n = CreditHold.objects.unrestricted(reason=REASON).filter(credit_file=f, reason_code="legal_action").count()
    assert n == (1 if ok else 0), f"expected {1 if ok else 0} forced hold, got {n}"
