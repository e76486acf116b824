"""Test helpers for imports: files written for real (CSV in each encoding, XLSX through the tiny writer)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from clientvault.core.context import Context, system_context
from clientvault.intake import services
from clientvault.intake.models import ImportBatch
from clientvault.testing.identifiers import mobile, resident_id

HEADER = ["姓名", "身份证号", "手机号", "邮箱", "标签"]


def rows(n: int, *, start: int = 0) -> list[list[str]]:
    return [
        [f"导入客户{start + i}", resident_id(50_000 + start + i), mobile(70_000 + start + i), f"c{start + i}@example.cn", "导入"]
        for i in range(n)
    ]


def csv_bytes(header: Sequence[str], body: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    lines = [",".join(str(c) for c in header)] + [",".join(str(c) for c in r) for r in body]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def cli() -> Context:
    return system_context(channel="cli")


def provenance(owner_id: int, **kw: Any) -> services.Provenance:
    values: dict[str, Any] = {"source_system": "旧CRM", "lawful_basis": "contract", "owner_id": owner_id, **kw}
    return services.Provenance(**values)


def stage_csv(ctx: Context, data: bytes, owner_id: int, *, filename: str = "客户.csv", **kw: Any) -> ImportBatch:
    return services.stage(ctx, file=io.BytesIO(data), filename=filename, provenance=provenance(owner_id, **kw))


def run(ctx: Context, batch: ImportBatch) -> ImportBatch:
    services.start(ctx, batch, enqueue=False)
    return services.run_chunks(batch.pk)
