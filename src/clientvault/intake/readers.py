"""Reading uploaded tables (issue #14): CSV in UTF-8 (with or without BOM) or GB18030, XLSX/XLS/ODS.

The encoding of a CSV is detected, never guessed silently: a byte-order mark says UTF-8; otherwise a strict
UTF-8 decode of a sample, then a strict GB18030 decode; a file that decodes as neither is refused with a
clear error (``UnreadableFile``), and so is a later line that does not decode as the detected encoding.
Spreadsheets are read with calamine (Rust), row by row. Every cell comes out as text: numbers that are whole
(a mobile number typed as a number) without ``.0``, dates in ISO form.

Errors carry a code and a row number, never a cell's value.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from clientvault.core.errors import Message, ValidationFailed

SAMPLE = 256 * 1024
HEADER_SCAN = 20  # rows looked at for the header row
SPREADSHEET_MAGIC = {b"PK\x03\x04": "xlsx", b"\xd0\xcf\x11\xe0": "xls"}
MESSAGES = {
    "empty_file": _("The file is empty."),
    "unknown_format": _("Upload a CSV, XLSX, XLS or ODS file."),
    "bad_encoding": _("The file is neither UTF-8 nor GB18030 text. Save it as CSV UTF-8 or as an Excel workbook and upload it again."),
    "bad_spreadsheet": _("The workbook could not be read. Open it in a spreadsheet program, save it again and upload it again."),
    "no_sheet": _("The workbook has no sheet of that name."),
    "no_header": _("No header row was found in the first rows of the file."),
    "bad_csv": _("The CSV file is malformed (for example an unclosed quote)."),
}


class UnreadableFile(ValidationFailed):
    """The file cannot be read as a table; ``code`` says why, ``row`` where (no value is ever included)."""

    def __init__(self, code: str, *, row: int | None = None) -> None:
        message: Message = MESSAGES[code]
        if row is not None:
            message = _("Row %(row)d: %(reason)s") % {"row": row, "reason": message}
        super().__init__({"file": [message]})
        self.code = code
        self.row = row


def detect_format(filename: str, head: bytes) -> str:
    """``csv``, ``xlsx``, ``xls`` or ``ods`` from the content first, then the file name."""
    name = filename.lower()
    if head[:4] in SPREADSHEET_MAGIC:
        kind = SPREADSHEET_MAGIC[head[:4]]
        if kind == "xlsx" and (name.endswith(".ods") or b"opendocument.spreadsheet" in head[:200]):
            return "ods"
        return kind
    if name.endswith((".xlsx", ".xls", ".ods", ".xlsm")):
        raise UnreadableFile("bad_spreadsheet")
    if name.endswith((".csv", ".txt", ".tsv")) or b"\x00" not in head[:4096]:
        return "csv"
    raise UnreadableFile("unknown_format")


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030`` — or ``UnreadableFile('bad_encoding')``.

    The sample may end inside a character: the incremental decoders are told more may follow."""
    if not sample:
        raise UnreadableFile("empty_file")
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise UnreadableFile("bad_encoding")  # UTF-16 or binary: neither encoding has NUL bytes in text
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UnreadableFile("bad_encoding")


def cell_text(value: Any) -> str:
    """A cell as text: whole floats without ``.0``, dates and times in ISO form, booleans as 1/0."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@dataclass
class Table:
    """An opened table: its format, encoding (CSV), sheet names (spreadsheets) and the chosen sheet."""

    format: str
    encoding: str
    sheets: list[str]
    sheet: str
    _rows: Callable[[], Iterator[list[str]]]

    def rows(self) -> Iterator[list[str]]:
        """Every row of the chosen sheet from the first, as lists of text cells (trailing empty cells dropped)."""
        return self._rows()


def _csv_rows(opener: Callable[[], AbstractContextManager[IO[bytes]]], encoding: str) -> Iterator[list[str]]:
    with opener() as raw:
        sample = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="").read(65536)
    dialect = _dialect(sample)
    with opener() as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=""), dialect)
        try:
            for row in reader:
                while row and not row[-1].strip():
                    row.pop()
                yield [c.strip() for c in row]
        except UnicodeDecodeError:
            raise UnreadableFile("bad_encoding", row=reader.line_num + 1) from None
        except csv.Error:
            raise UnreadableFile("bad_csv", row=reader.line_num + 1) from None


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample[:65536], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _spreadsheet_rows(data: bytes, sheet: str) -> Iterator[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        found = workbook.get_sheet_by_name(sheet)
        for row in found.iter_rows():
            cells = [v.strip() if type(v) is str else cell_text(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            yield cells
    except UnreadableFile:
        raise
    except Exception:  # calamine's errors may quote content: replaced by a code
        raise UnreadableFile("bad_spreadsheet") from None


def open_table(opener: Callable[[], AbstractContextManager[IO[bytes]]], *, filename: str, sheet: str = "") -> Table:
    """Open the file ``opener`` yields (called again for every pass; the stored file is decrypted as it is read)."""
    with opener() as raw:
        head = raw.read(SAMPLE)
    if not head:
        raise UnreadableFile("empty_file")
    fmt = detect_format(filename, head)
    if fmt == "csv":
        encoding = detect_encoding(head)
        return Table(format=fmt, encoding=encoding, sheets=[], sheet="", _rows=lambda: _csv_rows(opener, encoding))
    from python_calamine import CalamineWorkbook

    with opener() as raw:
        data = raw.read()
    try:
        names = list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception:
        raise UnreadableFile("bad_spreadsheet") from None
    if not names:
        raise UnreadableFile("bad_spreadsheet")
    chosen = sheet or names[0]
    if chosen not in names:
        raise UnreadableFile("no_sheet")
    return Table(format=fmt, encoding="", sheets=names, sheet=chosen, _rows=lambda: _spreadsheet_rows(data, chosen))


def find_header(rows: Iterable[list[str]], score: Callable[[list[str]], int]) -> tuple[int, list[str]]:
    """(1-based row number, header cells) of the header row among the first rows: the row whose cells name the
    most known fields (``score``); without any, the first row with two or more filled cells."""
    best: tuple[int, int, list[str]] | None = None
    fallback: tuple[int, list[str]] | None = None
    for number, row in enumerate(rows, start=1):
        if number > HEADER_SCAN:
            break
        filled = [c for c in row if c]
        if fallback is None and len(filled) >= 2:
            fallback = (number, row)
        points = score(row)
        if points and (best is None or points > best[0]):
            best = (points, number, row)
    if best is not None:
        return best[1], best[2]
    if fallback is not None:
        return fallback
    raise UnreadableFile("no_header")
