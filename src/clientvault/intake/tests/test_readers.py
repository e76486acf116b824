"""Readers (issue #14): CSV encodings detected (BOM, UTF-8, GB18030) or refused clearly; XLSX through calamine."""

from __future__ import annotations

import codecs
import io
from contextlib import contextmanager

import pytest

from clientvault.intake import mapping, readers
from clientvault.testing import xlsx

ROWS = [["姓名", "手机号", "出生日期"], ["张三", "13900000001", "1990-01-02"], ["李四", "13900000002", ""]]


def _opener(data: bytes):
    @contextmanager
    def open_():
        yield io.BytesIO(data)

    return open_


def _csv(encoding: str, *, bom: bool = False) -> bytes:
    text = "\r\n".join(",".join(r) for r in ROWS) + "\r\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [(_csv("utf-8"), "utf-8"), (_csv("utf-8", bom=True), "utf-8-sig"), (_csv("gb18030"), "gb18030")],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_each_encoding_is_detected_and_read(data, encoding):
    table = readers.open_table(_opener(data), filename="a.csv")
    assert (table.format, table.encoding) == ("csv", encoding)
    assert list(table.rows()) == [r if r[-1] else r[:-1] for r in ROWS]


def test_a_sample_cut_inside_a_character_is_still_utf8():
    data = ("姓名\r\n" + "张" * 100_000).encode()
    assert readers.detect_encoding(data[: readers.SAMPLE]) == "utf-8"


def test_a_file_in_neither_encoding_is_refused_clearly():
    data = b"\xff\xfe" + "姓名,手机\r\n".encode("utf-16-le")  # UTF-16: NUL bytes
    with pytest.raises(readers.UnreadableFile) as exc:
        readers.open_table(_opener(data), filename="a.csv")
    assert exc.value.code == "bad_encoding"
    assert "UTF-8" in str(exc.value.fields["file"][0])
    with pytest.raises(readers.UnreadableFile):
        readers.detect_encoding(b"\x80\x81\xff\xfe\x80")


def test_a_bad_line_later_in_the_file_names_its_row_not_its_value():
    lines = 30_000  # past the detection sample
    data = ("姓名,手机\r\n" * lines).encode() + b"\xff\xfe\xfa,1\r\n"
    assert len(data) > readers.SAMPLE
    with pytest.raises(readers.UnreadableFile) as exc:
        list(readers.open_table(_opener(data), filename="a.csv").rows())
    assert exc.value.code == "bad_encoding" and exc.value.row is not None and exc.value.row > lines - 1000
    assert "\ufffd" not in str(exc.value.fields["file"][0])


def test_an_empty_file_is_refused():
    with pytest.raises(readers.UnreadableFile) as exc:
        readers.open_table(_opener(b""), filename="a.csv")
    assert exc.value.code == "empty_file"


def test_xlsx_sheets_are_listed_chosen_and_cells_come_out_as_text():
    buf = io.BytesIO()
    xlsx.write(buf, [("说明", [["本表为客户名单"]]), ("客户", [["姓名", "手机号"], ["张三", 13900000001], ["李四", 13900000002.0]])])
    table = readers.open_table(_opener(buf.getvalue()), filename="客户.xlsx", sheet="客户")
    assert table.format == "xlsx" and table.sheets == ["说明", "客户"] and table.sheet == "客户"
    assert list(table.rows()) == [["姓名", "手机号"], ["张三", "13900000001"], ["李四", "13900000002"]]
    with pytest.raises(readers.UnreadableFile) as exc:
        readers.open_table(_opener(buf.getvalue()), filename="客户.xlsx", sheet="无此表")
    assert exc.value.code == "no_sheet"


def test_a_broken_workbook_is_refused_with_a_code():
    with pytest.raises(readers.UnreadableFile) as exc:
        list(readers.open_table(_opener(b"PK\x03\x04broken"), filename="a.xlsx").rows())
    assert exc.value.code == "bad_spreadsheet"


def test_the_header_row_is_found_below_a_title():
    rows = [["2026年客户名单"], [], ["序号", "姓名", "身份证号", "手机号"], ["1", "张三", "x", "y"]]
    number, header = readers.find_header(rows, mapping.header_score)
    assert number == 3 and header[1] == "姓名"


def test_mapping_guesses_zh_and_en_headers_and_custom_labels():
    headers = [
        "客户名称",
        "证件号码",
        "Mobile",
        "E-mail",
        "统一社会信用代码",
        "出生日期",
        "性别",
        "地址",
        "职业",
        "客户类型",
        "标签",
        "客户经理",
        "风险偏好",
        "备注",
    ]
    guessed = mapping.guess(headers, custom_labels={"风险偏好": "risk_appetite"})
    assert guessed == {
        "客户名称": "name", "证件号码": "id_number", "Mobile": "mobile", "E-mail": "email", "统一社会信用代码": "uscc",
        "出生日期": "birth_date", "性别": "sex", "地址": "address", "职业": "occupation", "客户类型": "kind", "标签": "tags",
        "客户经理": "owner", "风险偏好": "custom.risk_appetite",
    }  # fmt: skip


def test_a_field_goes_to_its_first_column_and_a_template_wins():
    assert mapping.guess(["手机", "电话"]) == {"手机": "mobile"}
    assert mapping.guess(["手机", "电话"], template={"电话": "mobile"}) == {"电话": "mobile"}


def test_row_values_convert_labels_dates_and_flags():
    columns = [(0, "name"), (1, "sex"), (2, "birth_date"), (3, "is_core"), (4, "kind"), (5, "tags")]
    values = mapping.row_values(["张三", "男", "1990年1月2日", "是", "个人", "高净值，VIP"], columns, default_kind="organisation")
    assert values.kind == "individual" and values.tags == ["高净值", "VIP"]
    assert values.data["sex"] == "M" and values.data["is_core"] is True and str(values.data["birth_date"]) == "1990-01-02"
