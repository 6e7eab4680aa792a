"""The reading layer's parts on their own (no database): where the header is, what a
note row is, how codes and dates are normalised, what a file is by its first bytes."""

from __future__ import annotations

import datetime
import io

import pytest

from core.importing import (
    file_refusal,
    find_header,
    is_note,
    normalise_name,
    parse_date,
    read_code,
    read_date,
)
from talks.resources import FORMAT as TALKS
from talks.resources import TALKS as TALK_KIND


def rows(*lines: list[str]) -> list[tuple[int, list[str]]]:
    return list(enumerate(lines, start=1))


def test_the_header_is_found_below_a_title_and_blank_rows():
    found = find_header(
        rows(
            ["谈心谈话登记表"],
            [],
            ["填报单位：城关镇"],
            ["谈话人编号", "谈话对象编号", "谈话类型", "谈话时间", "谈话主题"],
        ),
        TALKS,
        None,
    )
    assert found is not None
    assert (found.index, found.kind) == (3, TALK_KIND)


def test_a_group_row_over_its_columns_is_joined_with_them():
    top = ["序号", "谈话人", "", "谈话对象", "", "", "谈话时间", "谈话类型", "谈话主题"]
    bottom = ["", "编号", "姓名", "编号", "姓名", "身份", "", "", ""]
    found = find_header(
        rows(top, bottom, ["1", "M1", "张三", "M2", "李四", "", "2026-02-15", "党员之间", "谈心"]), TALKS, None
    )
    assert found is not None and found.index == 1
    assert found.headers == [
        "序号",
        "谈话人编号",
        "谈话人姓名",
        "谈话对象编号",
        "谈话对象姓名",
        "身份",
        "谈话时间",
        "谈话类型",
        "谈话主题",
    ]


def test_a_single_header_row_is_not_joined_with_the_data_below_it():
    header = ["谈话人编号", "谈话对象编号", "谈话类型", "谈话时间", "谈话主题"]
    found = find_header(rows(header, ["M1", "M2", "党员之间", "2026-02-15", "谈心"]), TALKS, None)
    assert found is not None and (found.index, found.headers) == (0, header)


@pytest.mark.parametrize(
    ("texts", "note"),
    [
        (["合计", "", "", "5"], True),
        (["填表人：张三", "", "审核：李四"], True),
        (["", "制 表：王五"], True),
        (["注：对象代码填党员编号"], True),
        (["Total", "", "3"], True),
        (["1", "合计发放问卷"], False),
        (["注重调查研究"], False),
        (["第1条意见"], False),
    ],
)
def test_note_rows(texts, note):
    assert is_note(texts) is note


def test_codes_and_headers_are_compared_after_nfkc():
    assert read_code("　Ｕ００１２　") == "U0012"
    assert read_code("Ｍ００１，Ｍ００２") == "M001,M002"
    assert normalise_name("姓　　名") == normalise_name("姓名")
    assert normalise_name("意见建议内容＊") == normalise_name("意见建议内容")
    assert normalise_name("Target code") == normalise_name("target_code")


def test_dates_keep_their_day_and_serials_are_days():
    day = datetime.date(2026, 2, 15)
    serial = (day - datetime.date(1899, 12, 30)).days
    assert read_date(datetime.datetime.combine(day, datetime.time(23, 59, 59)), "") == "2026-02-15"
    assert read_date(serial, str(serial)) == "2026-02-15"
    assert read_date(serial + 0.75, "") == "2026-02-15"
    assert read_date(None, str(serial)) == "2026-02-15"  # a CSV written from a General cell
    assert parse_date(read_date(None, "２０２６年２月１５日")) == day
    for typed in ("2026/2/15 14:30", "2026-02-15T08:00:00", "20260215", "2026.2.15"):
        assert parse_date(read_date(None, typed)) == day, typed
    assert parse_date(read_date(None, "2026-13-01")) is None


@pytest.mark.parametrize(
    ("name", "data", "refused"),
    [
        ("a.csv", b"", "empty"),
        ("a.csv", b"\xef\xbb\xbf\r\n", "empty"),
        ("a.csv", "a\tb\r\n".encode("utf-16"), "UTF-16"),
        ("a.csv", "a,b\r\n".encode("utf-16-le"), "UTF-16"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
        ("a.ods", b"PK\x03\x04", ".ods"),
        ("a.pdf", b"%PDF-1.4", "Choose an .xlsx or .csv file."),
        ("a.csv", "代码,名称\r\n".encode("gb18030"), None),
        ("a.csv", b"\xef\xbb\xbfcode,name\r\n", None),
    ],
)
def test_what_a_file_is_by_its_first_bytes(name, data, refused):
    message = file_refusal(io.BytesIO(data), name.rsplit(".", 1)[1])
    if refused is None:
        assert message is None
    else:
        assert message is not None and refused in message
