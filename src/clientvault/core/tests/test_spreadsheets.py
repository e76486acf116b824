from __future__ import annotations

import pytest

from clientvault.core.spreadsheets import safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "138****5678", "", 42, None])
def test_everything_else_is_left_alone(value: object) -> None:
    assert safe_cell(value) == value
