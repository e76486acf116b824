"""Every read of the risk desk (issue #16; ARCHITECTURE.md rules 1, 3, 4 and 11).

A credit file, its scores, the file list and the reviews due reveal one customer's credit standing (RULES.md §10:
PIPL-28 sensitive, JR/T 0171 C2). Each is reached through the default-deny ``credit`` querysets (out of scope ==
missing == 404, and the middleware records ``access.denied``), decided per field with ``access.plan.disclosure_plan``
over the catalogue keys ``creditfile.tier``, ``creditfile.evaluation``, ``creditlimit.amount``, ``paymentterms.days``,
``creditscore.score``, ``creditscore.record`` and ``credithold.note`` (a sealed value is decrypted only when the plan
shows it in clear: every credit key is classed "hidden" when masked), and records its read event with the fields
shown, in the same transaction — also when nothing changed.

The customer's name is shown as the customer pages show it (``customers.disclosure``: the customer policy for the
declared purpose decides plain / masked / withheld); the credit policy alone never shows a name.

The portfolio and the monthly report (``risk.portfolio``) are aggregates — counts and sums over the files the actor
may see, never a customer's own value — so they record one aggregate event each, without a customer id or fields,
for traceability of who looked at the book and under which purpose (decided in issue #16, see ``portfolio``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from clientvault.access import engine
from clientvault.access.plan import DisclosurePlan, PlannedField, disclosure_plan
from clientvault.access.policies import CREDIT, CUSTOMER, VIEW, Decision
from clientvault.audit import recording as audit
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.customers import disclosure
from clientvault.customers import vault as customer_vault
from clientvault.customers.models import Customer
from clientvault.risk import portfolio as book
from clientvault.risk import scorecards, vault
from clientvault.risk.models import (
    CreditFile,
    CreditHold,
    CreditLimit,
    CreditReview,
    CreditScore,
    EarlyWarning,
    HoldStatus,
    PaymentTerms,
    ReviewStatus,
    WarningStatus,
)
from clientvault.risk.shapes import (
    Exposure,
    FileFilters,
    FilePage,
    FileRow,
    FileView,
    HoldLine,
    LimitLine,
    PointsLine,
    ReasonLine,
    ReviewLine,
    ReviewRow,
    ScoreLine,
    ScoreView,
    TermsLine,
)

# Name in this read → catalogue key (classification/catalogue.py).
FIELDS = {
    "tier": "creditfile.tier",
    "evaluation": "creditfile.evaluation",
    "limit": "creditlimit.amount",
    "terms": "paymentterms.days",
    "score": "creditscore.score",
    "record": "creditscore.record",
    "hold_note": "credithold.note",
}
LIST_FIELDS = {k: FIELDS[k] for k in ("tier", "limit", "evaluation")}
PER_PAGE = 50
REVIEW_HORIZON_DAYS = 30  # "due" on the lists: overdue, or due within this many days


# --- Shared helpers -----------------------------------------------------------------------------------------


def _require(ctx: Context) -> None:
    """A declared purpose, and a credit policy for it (none: nothing to show, answered like missing)."""
    engine.require_purpose(ctx)
    if not engine.can(ctx, CREDIT, VIEW):
        raise NotFound()


def _plan(ctx: Context, customers: Sequence[Customer], fields: dict[str, str]) -> DisclosurePlan:
    return disclosure_plan(ctx, disclosure.rows_of(customers), fields, CREDIT)


def _clear(planned: PlannedField) -> bool:
    """Every credit key is masked as "hidden": only a plain decision shows the value."""
    return planned.decision is Decision.PLAIN


def _names(ctx: Context, customer_ids: Iterable[uuid.UUID]) -> tuple[dict[uuid.UUID, str | None], list[str], list[str]]:
    """The customers' names as the customer policy shows them to the actor (plain, masked, or None when withheld or
    out of the actor's customer scope), the fields shown ("customer.name" at most) and the plan's codes."""
    ids = sorted(set(customer_ids))
    if not ids or not engine.can(ctx, CUSTOMER, VIEW):
        return dict.fromkeys(ids), [], []
    qs = Customer.objects.visible_to(ctx, VIEW).select_related("department").prefetch_related("tags").filter(pk__in=ids)
    found = list(customer_vault.with_key_state(qs))
    customer_vault.load_keys(found)
    shown, plan = disclosure.disclose(ctx, found, ("name",))
    names: dict[uuid.UUID, str | None] = dict.fromkeys(ids)
    for c in found:
        names[c.pk] = getattr(c, "name", None) or None
    codes = [f"customer.{code}" for code in plan.audit_codes()]
    return names, [f"customer.{f}" for f in shown], codes


def _detail(the_plan: DisclosurePlan, name_codes: list[str], **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"disclosure": sorted({*the_plan.audit_codes(), *name_codes}), **extra}
    if the_plan.consent_gated:
        detail = {**detail, "consent_gated": True, "withheld_for_consent": the_plan.withheld_for_consent()}
    return detail


# --- One credit file ------------------------------------------------------------------------------------------


def _file(ctx: Context, file_id: uuid.UUID) -> CreditFile:
    found: CreditFile | None = CreditFile.objects.visible_to(ctx, VIEW).select_related("customer__department").filter(pk=file_id).first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def credit_file(ctx: Context, file_id: uuid.UUID) -> FileView:
    """One customer's credit file as the actor may see it; records ``credit.file_viewed`` with the fields shown."""
    _require(ctx)
    found = _file(ctx, file_id)
    customer = found.customer
    the_plan = _plan(ctx, [customer], FIELDS)
    row = the_plan[customer.pk]
    names, name_shown, name_codes = _names(ctx, [customer.pk])
    shown: set[str] = set(name_shown)
    today = clock.today()

    limit_clear, terms_clear, note_clear = _clear(row["limit"]), _clear(row["terms"]), _clear(row["hold_note"])
    limits = [LimitLine.of(lim, limit_clear, today) for lim in CreditLimit.objects.visible_to(ctx, VIEW).filter(credit_file=found)]
    if limits and limit_clear:
        shown.add("limit")
    terms = [
        TermsLine(t.days if terms_clear else None, t.valid_from)
        for t in PaymentTerms.objects.visible_to(ctx, VIEW).filter(credit_file=found)
    ]
    if terms_clear:
        shown.add("terms")
    holds = []
    for hold in CreditHold.objects.visible_to(ctx, VIEW).filter(credit_file=found).select_related("placed_by"):
        note = vault.open_text(hold, "note", customer_id=customer.pk) if note_clear and hold.note_ct else None
        if note:
            shown.add("hold_note")
        holds.append(HoldLine.of(hold, note))
    reviews = [
        ReviewLine.of(r, _clear(row["tier"]), today)
        for r in CreditReview.objects.visible_to(ctx, VIEW).filter(credit_file=found).order_by("-due_on", "-opened_at")
    ]
    score_clear = _clear(row["score"])
    tier_clear = _clear(row["tier"])
    scores = [
        ScoreLine.of(s, score_clear, tier_clear)
        for s in CreditScore.objects.visible_to(ctx, VIEW).filter(credit_file=found).order_by("-scored_at")
    ]
    if scores and score_clear:
        shown.add("score")
    if tier_clear and (found.tier or scores):
        shown.add("tier")
    exposure = Exposure.of(found, _clear(row["evaluation"]))
    if exposure is not None and exposure.exposure is not None:
        shown.add("evaluation")
    open_warnings = EarlyWarning.objects.visible_to(ctx, VIEW).filter(credit_file=found).exclude(status=WarningStatus.CLOSED).count()
    view = FileView(
        file=found,
        customer_id=customer.pk,
        customer_name=names.get(customer.pk),
        views={name: str(row[name].decision) for name in FIELDS},
        tier=(found.tier or None) if tier_clear else None,
        currency=found.currency,
        limits=limits,
        terms_days=found.terms_days if terms_clear else None,
        terms_history=terms,
        evaluated=bool(found.evaluation),
        exposure=exposure,
        holds=holds,
        reviews=reviews,
        scores=scores,
        open_warnings=open_warnings,
        may_change=engine.can(ctx, CREDIT, "change"),
        shown=sorted(shown),
    )
    audit.record(
        ctx,
        "credit.file_viewed",
        obj=found,
        customer_id=customer.pk,
        fields=view.shown,
        detail=_detail(the_plan, name_codes, holds=len(holds), scores=len(scores)),
    )
    return view


# --- One score and its reasons (PIPL-24) ----------------------------------------------------------------------


@transaction.atomic
def score_detail(ctx: Context, score_id: uuid.UUID, *, language: str = "zh-hans") -> ScoreView:
    """A score with its points per characteristic and its reason codes in plain Chinese and English: "reading a score
    is a purpose-bound, audited access" (issue #16, PIPL-24). Records ``credit.score_viewed`` with the fields shown."""
    _require(ctx)
    found = CreditScore.objects.visible_to(ctx, VIEW).select_related("credit_file__customer__department").filter(pk=score_id).first()
    if found is None:
        raise NotFound()
    customer = found.credit_file.customer
    fields = {k: FIELDS[k] for k in ("score", "record", "tier")}
    the_plan = _plan(ctx, [customer], fields)
    row = the_plan[customer.pk]
    names, name_shown, name_codes = _names(ctx, [customer.pk])
    shown: set[str] = set(name_shown)
    total = found.score if _clear(row["score"]) else None
    tier = found.tier if _clear(row["tier"]) else None
    if total is not None:
        shown.add("score")
    if tier is not None:
        shown.add("tier")
    record = vault.open_json(found, "record", customer_id=customer.pk) if _clear(row["record"]) and found.record_ct else None
    points: list[PointsLine] = []
    reasons: list[ReasonLine] = []
    spec = scorecards.spec_for(found.spec_digest)
    english = language.startswith("en")
    if isinstance(record, dict):
        shown.add("record")
        for code, value in sorted((record.get("points") or {}).items()):
            label, bin_label, best = scorecards.labels(spec, code, str((record.get("bins") or {}).get(code, "")), english=english)
            points.append(PointsLine(code, label, bin_label, float(value), best))
        for code in record.get("reason_codes") or []:
            text = scorecards.reason(spec, str(code))
            reasons.append(ReasonLine(str(code), text.get("zh", ""), text.get("en", "")))
    view = ScoreView(
        score=found,
        file_id=found.credit_file_id,
        customer_id=customer.pk,
        customer_name=names.get(customer.pk),
        views={name: str(row[name].decision) for name in fields},
        total=total,
        tier=tier,
        record_shown=isinstance(record, dict),
        spec_known=spec is not None,
        points=points,
        reasons=reasons,
        inputs_used=[str(f) for f in (record or {}).get("inputs_used") or []] if isinstance(record, dict) else [],
        missing=[str(f) for f in (record or {}).get("missing") or []] if isinstance(record, dict) else [],
        shown=sorted(shown),
    )
    audit.record(
        ctx,
        "credit.score_viewed",
        obj=found,
        customer_id=customer.pk,
        fields=view.shown,
        detail=_detail(the_plan, name_codes, model_id=found.model_id, reasons=len(reasons)),
    )
    return view


# --- Lists for the risk officer -------------------------------------------------------------------------------


@transaction.atomic
def list_files(ctx: Context, filters: FileFilters, *, page: int = 1, per_page: int = PER_PAGE) -> FilePage:
    """The credit files the actor may see, filtered by tier, hold in force and review due; one ``credit.files_listed``
    per file shown (each customer's history says who listed their file), with the fields shown."""
    _require(ctx)
    today = clock.today()
    qs: QuerySet[CreditFile] = CreditFile.objects.visible_to(ctx, VIEW).select_related("customer__department")
    if filters.tier:  # only over rows whose tier the actor sees in clear (a filter on a column reveals it)
        qs = book.tier_filter(ctx, qs, filters.tier)
    if filters.held:
        held_ids = CreditHold.objects.visible_to(ctx, VIEW).filter(status=HoldStatus.ACTIVE).values("credit_file_id")
        qs = qs.filter(pk__in=held_ids)
    if filters.review_due:
        qs = qs.filter(next_review_on__lte=today + dt.timedelta(days=REVIEW_HORIZON_DAYS))
    qs = qs.order_by("next_review_on", "created_at", "id")
    total = qs.count()
    page = max(1, page)
    files = list(qs[(page - 1) * per_page : page * per_page])
    customers = [f.customer for f in files]
    the_plan = _plan(ctx, customers, LIST_FIELDS)
    names, name_shown, name_codes = _names(ctx, [c.pk for c in customers])
    held = set(
        CreditHold.objects.visible_to(ctx, VIEW)
        .filter(credit_file__in=files, status=HoldStatus.ACTIVE)
        .values_list("credit_file_id", flat=True)
    )
    limits = book.limits_in_force(ctx, files, today)
    rows: list[FileRow] = []
    events: list[tuple[str, Any, uuid.UUID | None, list[str]]] = []
    for f in files:
        row = the_plan[f.customer_id]
        tier_c, limit_c, eval_c = _clear(row["tier"]), _clear(row["limit"]), _clear(row["evaluation"])
        figures = book.figures_of(f.evaluation or {})
        shown = [*name_shown] if names.get(f.customer_id) else []
        shown += [n for n, on in (("tier", tier_c), ("limit", limit_c and f.pk in limits), ("evaluation", eval_c and bool(figures))) if on]
        rows.append(
            FileRow(
                id=f.pk,
                customer_id=f.customer_id,
                customer_name=names.get(f.customer_id),
                tier=(f.tier or None) if tier_c else None,
                tier_shown=tier_c,
                limit=limits.get(f.pk) if limit_c else None,
                currency=f.currency,
                exposure=book.int_or_none(figures.get("exposure")) if eval_c else None,
                days_overdue=book.int_or_none(figures.get("days_overdue")) if eval_c else None,
                held=f.pk in held,
                next_review_on=f.next_review_on,
                review_overdue=f.next_review_on is not None and f.next_review_on < today,
            )
        )
        events.append(("credit.files_listed", f, f.customer_id, sorted(shown)))
    audit.record_many(ctx, events, detail=_detail(the_plan, name_codes, page=page, result_count=total, filter_keys=filters.active_keys()))
    return FilePage(rows, page, total, page * per_page < total, filters, book.tier_filter_offered(ctx))


@transaction.atomic
def reviews_due(ctx: Context, *, horizon_days: int = REVIEW_HORIZON_DAYS) -> list[ReviewRow]:
    """Open reviews overdue or due within ``horizon_days``, soonest first; one ``credit.reviews_listed`` per file."""
    _require(ctx)
    today = clock.today()
    reviews = list(
        CreditReview.objects.visible_to(ctx, VIEW)
        .filter(status=ReviewStatus.OPEN, due_on__lte=today + dt.timedelta(days=horizon_days))
        .select_related("credit_file__customer__department")
        .order_by("due_on", "opened_at")[:500]
    )
    customers = list({r.credit_file.customer_id: r.credit_file.customer for r in reviews}.values())
    the_plan = _plan(ctx, customers, {"tier": FIELDS["tier"]})
    names, name_shown, name_codes = _names(ctx, [c.pk for c in customers])
    rows = []
    for r in reviews:
        tier_c = _clear(the_plan[r.credit_file.customer_id]["tier"])
        rows.append(
            ReviewRow(
                id=r.pk,
                file_id=r.credit_file_id,
                customer_id=r.credit_file.customer_id,
                customer_name=names.get(r.credit_file.customer_id),
                kind_label=str(r.get_kind_display()),
                due_on=r.due_on,
                overdue=r.due_on < today,
                tier=(r.credit_file.tier or None) if tier_c else None,
            )
        )
    by_file = {r.credit_file_id: r.credit_file for r in reviews}
    events = []
    for f in by_file.values():
        shown = [*name_shown] if names.get(f.customer_id) else []
        shown += ["tier"] if _clear(the_plan[f.customer_id]["tier"]) else []
        events.append(("credit.reviews_listed", f, f.customer_id, shown))
    audit.record_many(ctx, events, detail=_detail(the_plan, name_codes, result_count=len(rows), horizon_days=horizon_days))
    return rows


# --- Aggregates ------------------------------------------------------------------------------------------------


@transaction.atomic
def portfolio(ctx: Context) -> book.Portfolio:
    """The book by tier, its month-over-month tier migration, overdue buckets, holds in force and reviews due — counts
    and sums only, over the files the actor may see. No customer's own value leaves, so no per-customer event is
    recorded; one aggregate ``credit.portfolio_viewed`` (no customer, no fields) says who looked and for which purpose."""
    _require(ctx)
    result = book.portfolio(ctx, clock.today())
    audit.record(ctx, "credit.portfolio_viewed", object_type="risk.creditfile", detail={"files": result.files})
    return result


@transaction.atomic
def monthly_report(ctx: Context, month: dt.date, *, output: str = "page") -> book.Report:
    """The monthly risk report (tier migration, overdue buckets, top warning kinds, model stability): aggregates
    only, like the portfolio; one ``credit.report_viewed`` with the month and the output (page or pdf)."""
    _require(ctx)
    result = book.report(ctx, month, clock.today())
    audit.record(
        ctx,
        "credit.report_viewed",
        object_type="risk.creditfile",
        detail={
            "year": result.month.year,
            "month": result.month.month,
            "output": "pdf" if output == "pdf" else "page",
            "files": result.portfolio.files,
        },
    )
    return result
