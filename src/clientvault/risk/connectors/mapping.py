"""Record → Indicator, once for both providers: each provider only names its fields (a table, not code)."""

from __future__ import annotations

from collections.abc import Mapping

from clientvault.risk.connectors import records
from clientvault.risk.connectors.base import Connector, Record
from clientvault.risk.connectors.indicators import Indicator, IndicatorKind

# Per kind, the provider's field names for each role, tried in order.
FieldMap = Mapping[IndicatorKind, Mapping[str, tuple[str, ...]]]


def to_indicator(connector: Connector, fields: FieldMap, kind: IndicatorKind, record: Record) -> Indicator | None:
    f = fields[kind]
    if kind is IndicatorKind.LEGAL_REP_CHANGE:
        if not records.is_legal_rep_change(records.text(record, *f["item"])):
            return None  # other register changes (address, capital, scope) are not early warnings here
        when = records.first_date(record, *f["date"])
        return connector.indicator(
            kind, record, occurred_on=when, reference=f"legal_rep:{when.isoformat()}" if when else "", codes=["legal_rep_changed"]
        )
    if kind is IndicatorKind.BUSINESS_ANOMALY:
        listed = records.first_date(record, *f["date"])
        status = "status:removed" if records.first_date(record, *f["removed"]) else "status:listed"
        codes = [status, records.anomaly_reason(records.text(record, *f["reason"]))]
        # Keyed by the listing date: the same listing reported by both providers is one indicator.
        reference = f"anomaly:{listed.isoformat()}" if listed else ""
        return connector.indicator(kind, record, occurred_on=listed, reference=reference, codes=codes)
    if kind is IndicatorKind.JUDGEMENT:
        codes = [records.doc_type(records.text(record, *f["doc_type"])), records.case_type(records.text(record, *f["case_type"]))]
    elif kind is IndicatorKind.ENFORCEMENT:
        codes = [records.amount_band(next((record.get(n) for n in f["amount"] if record.get(n) not in (None, "")), None))]
    else:
        codes = [records.performance(records.text(record, *f["performance"]))]
    return connector.indicator(
        kind, record, occurred_on=records.first_date(record, *f["date"]), reference=_case_reference(connector, record, f), codes=codes
    )


def _case_reference(connector: Connector, record: Record, f: Mapping[str, tuple[str, ...]]) -> str:
    number = records.text(record, *f["case_number"])
    if number:
        return records.normalise_case_number(number)
    ident = records.text(record, *f.get("id", ()))
    return f"{connector.source}:{ident}" if ident else ""
