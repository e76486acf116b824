"""Files for the wizard's tests: small Chinese customer tables written in a chosen encoding."""

from __future__ import annotations

import csv
import datetime as dt
import io

from clientvault.testing.identifiers import mobile, resident_id

HEADERS = ["姓名", "身份证号", "手机", "邮箱", "备注"]
BAD_ID = "110101199003071234"  # a check digit that fails: rejected, and never echoed in a report
SECRET_NOTE = "不应出现的备注"
BIRTHS = dt.date(1960, 1, 1)  # an unmapped column: never shown, never stored


def people(n: int, *, bad_rows: tuple[int, ...] = (), seed: int = 7000) -> list[list[str]]:
    """``n`` data rows; rows (1-based) in ``bad_rows`` carry an invalid ID number."""
    rows = []
    for i in range(1, n + 1):
        # 400 people per birth date with distinct sequence numbers: unique ID numbers for files of any size
        id_number = BAD_ID if i in bad_rows else resident_id(seed + i, birth=BIRTHS + dt.timedelta(days=(seed + i) // 400))
        rows.append([f"导入客户{i:04d}", id_number, mobile(seed + i), f"user{seed + i}@example.cn", SECRET_NOTE])
    return rows


def csv_bytes(rows: list[list[str]], *, encoding: str = "gb18030", headers: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers or HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
