"""A corpus of office-shaped spreadsheets, generated here: title rows, two-row headers
under a merged group row, blank rows, notes and totals after the data (填表人, 合计,
制表, 审核), instruction and tally sheets, full-width codes and headers typed by a
Chinese input method, date cells with times, Excel serials in General cells, columns
with data and no header, a code whose name contradicts it, codes that lost their
leading zeros, formulas without a saved result, and files that are not what an import
reads (empty, UTF-16, encrypted, .xls, .ods).

Each file either imports with figures equal to a count made here from the rows the test
wrote (never from the import's own report), or is refused — nothing written — with its
own message."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections import Counter
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from campaign.forms import OrgImportForm
from campaign.models import Member, OrgUnit
from campaign.services import org_import
from opinions.imports import opinions_import
from opinions.models import Opinion
from tests import factories as f

HEADERS = ["序号", "意见建议内容", "类型", "对象类型", "对象代码", "反映对象", "征求渠道", "征求时间", "记录单位代码"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def day(world, offset: int = 10) -> datetime.date:
    return world.campaign.starts_on + datetime.timedelta(days=offset)


def workbook(sheets: dict[str, list[list[Any]]], merges: dict[str, list[str]] | None = None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in (merges or {}).get(title, []):
            sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def opinions(world, data: bytes, filename: str = "意见.xlsx", *, dry_run: bool = False):
    return opinions_import(
        campaign=world.campaign, user=None, source=io.BytesIO(data), filename=filename, dry_run=dry_run
    )


def errors(report) -> list[str]:
    return [str(error) for error in report.errors]


def data_rows(world, count: int, *, start: int = 1, when: Any = None) -> list[list[Any]]:
    """Opinions about the world's member and unit, alternating, one a day."""
    rows = []
    for i in range(start, start + count):
        member = i % 2
        rows.append(
            [
                i,
                f"第{i}条意见：会议太多",
                "意见" if i % 3 else "建议",
                "党员" if member else "单位",
                world.member.number if member else world.other_unit.code,
                world.member.name if member else world.other_unit.name,
                "座谈会",
                when if when is not None else day(world, i).isoformat(),
                world.unit.code,
            ]
        )
    return rows


def expected(rows: list[list[Any]]) -> Counter:
    """What the rows say, counted here: opinions per (target type, code, kind)."""
    return Counter((row[3], str(row[4]), row[2]) for row in rows)


def recorded(world) -> Counter:
    counts: Counter = Counter()
    for opinion in Opinion.objects.filter(campaign=world.campaign).select_related("target_member", "target_unit"):
        member = opinion.target_member
        key = ("党员", member.number) if member else ("单位", opinion.target_unit.code)
        counts[(*key, "意见" if opinion.kind == "opinion" else "建议")] += 1
    return counts


def assert_imported(world, report, rows: list[list[Any]]) -> None:
    assert report.ok, errors(report)
    assert report.rows == len(rows)
    assert recorded(world) == expected(rows)


def assert_refused(world, report, *fragments: str) -> None:
    assert not report.ok
    text = "\n".join(errors(report))
    for fragment in fragments:
        assert fragment in text, text
    assert not Opinion.objects.filter(campaign=world.campaign).exists()


# --- Layouts that import ----------------------------------------------------------------


def test_a_title_row_blank_rows_and_notes_and_totals_after_the_data_are_not_data(world):
    rows = data_rows(world, 5)
    data = workbook(
        {
            "意见建议": [
                ["示范县2026年度征求意见建议汇总表"],
                ["填报单位：城关镇党委", None, None, None, None, None, "填报日期：2026年2月1日"],
                [],
                HEADERS,
                *rows[:2],
                [],
                *rows[2:],
                [],
                ["合计", None, None, None, None, None, None, 5],
                ["填表人：张三", None, None, "审核：李四", None, None, "制表：王五"],
                ["制表日期：2026年2月20日"],
                ["注：对象代码填党员编号或单位代码。"],
            ]
        },
        {"意见建议": ["A1:I1"]},
    )
    report = opinions(world, data)
    assert_imported(world, report, rows)
    # Rows are numbered as Excel shows them, the header being row 4.
    first = Opinion.objects.get(text=rows[0][1])
    assert first.received_on == day(world, 1)


def test_a_two_row_header_under_merged_group_cells(world):
    rows = data_rows(world, 4)
    top = ["序号", "意见建议内容", "类型", "反映对象", None, None, "征求渠道", "征求时间", "记录单位代码"]
    bottom = [None, None, None, "类型", "代码", "名称", None, None, None]
    merges = ["A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:G3", "H2:H3", "I2:I3", "A1:I1"]
    data = workbook({"Sheet1": [["意见建议登记表"], top, bottom, *rows]}, {"Sheet1": merges})
    assert_imported(world, opinions(world, data), rows)


def test_instruction_and_tally_sheets_are_passed_over(world):
    rows = data_rows(world, 3)
    data = workbook(
        {
            "填表说明": [["填表说明"], ["1. 每条意见一行。"], ["2. 对象代码填党员编号或单位代码。"]],
            "统计": [["单位", "意见数", "建议数", "合计"], ["城关镇", 2, 1, 3]],
            "Sheet3": [HEADERS, *rows],
        }
    )
    assert_imported(world, opinions(world, data), rows)


def test_full_width_codes_digits_and_headers_typed_by_a_chinese_input_method(world):
    rows = data_rows(world, 4)
    wide = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
    typed = [list(row) for row in rows]
    for row in typed:
        row[4] = "　" + str(row[4]).translate(wide) + "　"  # full-width, with ideographic spaces
        row[7] = datetime.date.fromisoformat(row[7]).strftime("%Y年%m月%d日").translate(wide)
        row[8] = row[8].translate(wide)
    headers = [
        "序　号",
        "意见建议内容＊",
        "类　型＊",
        "对象类型",
        "对象代码",
        "反映对象",
        "征求渠道",
        "征求时间＊",
        "记录单位代码",
    ]
    report = opinions(world, workbook({"意见建议": [headers, *typed]}))
    assert_imported(world, report, rows)
    assert set(Opinion.objects.values_list("received_on", flat=True)) == {day(world, i) for i in range(1, 5)}


def test_date_cells_with_a_time_keep_their_day_and_serials_in_general_cells_are_dates(world):
    rows = data_rows(world, 6)
    cells = [list(row) for row in rows]
    for i, row in enumerate(cells):
        when = day(world, i + 1)
        if i % 3 == 0:
            row[7] = datetime.datetime.combine(when, datetime.time(23, 45))  # a date cell with a time
        elif i % 3 == 1:
            row[7] = (when - datetime.date(1899, 12, 30)).days  # a General cell: Excel's serial
        else:
            row[7] = f"{when:%Y/%m/%d} 09:30"  # typed with a time
    report = opinions(world, workbook({"意见建议": [HEADERS, *cells]}))
    assert_imported(world, report, rows)
    got = dict(Opinion.objects.values_list("text", "received_on"))
    assert got == {row[1]: day(world, i + 1) for i, row in enumerate(rows)}


def test_a_csv_with_a_title_row_and_a_total_row_and_gb18030(world):
    rows = data_rows(world, 3)
    lines = [["意见建议汇总表"], [], HEADERS, *rows, ["合计", "", "", "", "", "", "", "3"]]
    text = "\r\n".join(",".join(str(cell) for cell in line) for line in lines) + "\r\n"
    assert_imported(world, opinions(world, text.encode("gb18030"), "意见.csv"), rows)


def test_a_row_that_starts_like_a_total_but_is_complete_is_data(world):
    rows = data_rows(world, 2)
    rows.append(
        [
            3,
            "合计发放的问卷太多",
            "意见",
            "党员",
            world.member.number,
            world.member.name,
            "座谈会",
            day(world).isoformat(),
            world.unit.code,
        ]
    )
    assert_imported(world, opinions(world, workbook({"意见建议": [HEADERS, *rows]})), rows)


def test_a_note_row_with_data_after_it_is_read_as_data_not_dropped(world):
    rows = data_rows(world, 3)
    sheet = [HEADERS, rows[0], ["备注：以下为补报"], rows[1], rows[2]]
    report = opinions(world, workbook({"意见建议": sheet}))
    assert_refused(world, report, "意见建议 row 3")


def test_a_formula_in_a_total_row_after_the_data_is_not_read(world):
    rows = data_rows(world, 2)
    sheet = [HEADERS, *rows, ["合计", None, None, None, None, None, None, "=COUNTA(H2:H3)"]]
    assert_imported(world, opinions(world, workbook({"意见建议": sheet})), rows)


# --- Files that are refused, each with its own message -------------------------------------


def test_data_under_a_blank_header_names_the_column(world):
    rows = [[*row, "多出来的一列"] for row in data_rows(world, 2)]
    report = opinions(world, workbook({"意见建议": [HEADERS, *rows]}))
    assert_refused(world, report, "Column J has no header, yet row 2 holds data in it")


def test_a_code_whose_name_contradicts_it_is_refused_naming_both(world):
    rows = data_rows(world, 2)
    rows[0][5] = world.other_member.name
    report = opinions(world, workbook({"意见建议": [HEADERS, *rows]}))
    assert_refused(world, report, world.other_member.name, world.member.name)


def test_a_code_that_lost_its_leading_zeros_is_suggested_never_guessed(world):
    f.OrgUnitFactory(campaign=world.campaign, parent=world.unit, code="0101", name="零一零一单位")
    rows = data_rows(world, 1)
    rows[0][3:6] = ["单位", 101, ""]  # 0101 typed into a General cell shows as 101
    report = opinions(world, workbook({"意见建议": [HEADERS, *rows]}))
    assert_refused(world, report, "No organisation has the code 101 in this campaign. Did you mean 0101?")
    with translation.override("zh-hans"):
        report = opinions(world, workbook({"意见建议": [HEADERS, *rows]}))
        assert "没有代码为 101 的组织。是否为 0101？" in str(report.errors[0])


def test_a_formula_without_a_saved_result_is_named_as_a_formula(world):
    rows = data_rows(world, 2)
    rows[1][7] = "=DATE(2026,2,15)"  # openpyxl writes the formula, not its result
    report = opinions(world, workbook({"意见建议": [HEADERS, *rows]}))
    assert_refused(world, report, "Cell H3 holds a formula (=DATE(2026,2,15)) whose result was not saved")


def test_a_workbook_of_only_an_instruction_sheet_names_the_sheet(world):
    data = workbook({"填表说明": [["填表说明"], ["每条意见一行。"]]})
    report = opinions(world, data)
    assert_refused(world, report, "填表说明 row 1: ", "Cannot tell what this sheet holds")


def test_two_sheets_of_opinions_say_which_sheet_to_use(world):
    rows = data_rows(world, 1)
    data = workbook({"一月": [HEADERS, *rows], "二月": [HEADERS, *rows]})
    report = opinions(world, data)
    assert_refused(world, report, "二月 row 1: The sheet 一月 already holds")


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(stream_name: str) -> bytes:
    """The start of an Office compound file with one named stream in its directory."""
    return OLE + b"\x00" * 504 + stream_name.encode("utf-16-le") + b"\x00" * 2000


def _ods() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


REFUSED_FILES = {
    "empty csv": ("意见.csv", b"", "The file is empty"),
    "bom only": ("意见.csv", b"\xef\xbb\xbf", "The file is empty"),
    "bom and blank lines": ("意见.csv", b"\xef\xbb\xbf\r\n,,,\r\n", "The file is empty"),
    "utf-16 unicode text": ("意见.csv", "意见建议内容\t类型\r\n会议多\t意见\r\n".encode("utf-16"), "UTF-16 text file"),
    "utf-16 named txt": ("意见.txt", "意见建议内容\t类型\r\n".encode("utf-16"), "UTF-16 text file"),
    "encrypted workbook": ("意见.xlsx", _ole("EncryptionInfo"), "protected by a password"),
    "old xls": ("意见.xls", _ole("Workbook"), "old Excel 97–2003 workbook (.xls)"),
    "old xls renamed xlsx": ("意见.xlsx", _ole("Workbook"), "old Excel 97–2003 workbook (.xls)"),
    "ods": ("意见.ods", _ods(), "OpenDocument spreadsheet (.ods)"),
    "ods renamed xlsx": ("意见.xlsx", _ods(), "OpenDocument spreadsheet (.ods)"),
}


@pytest.mark.parametrize("case", REFUSED_FILES, ids=list(REFUSED_FILES))
def test_files_an_import_cannot_read_each_get_their_own_message(world, case):
    filename, data, message = REFUSED_FILES[case]
    report = opinions(world, data, filename)
    assert_refused(world, report, message)


@pytest.mark.parametrize("case", [c for c in REFUSED_FILES if c != "empty csv"], ids=lambda c: c)
def test_the_browser_form_is_as_precise_as_the_command_line(case):
    # (Django itself calls a file of no bytes at all empty: "The submitted file is empty.")
    filename, data, message = REFUSED_FILES[case]
    form = OrgImportForm(data={}, files={"file": SimpleUploadedFile(filename, data)})
    assert not form.is_valid()
    assert message in form.errors["file"][0]


def test_the_command_line_prints_the_specific_message(world, tmp_path):
    path = tmp_path / "意见.xls"
    path.write_bytes(_ole("Workbook"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_opinions", str(path), campaign=world.campaign.slug, stdout=io.StringIO(), stderr=err)
    assert "old Excel 97–2003 workbook (.xls)" in err.getvalue()


# --- The organisation: what import_org stores is normalised; 序号 is accepted ------------------


def org(world, data: bytes, filename: str = "组织.xlsx", kind: str | None = None):
    return org_import(
        campaign=world.campaign, user=None, source=io.BytesIO(data), filename=filename, kind=kind, dry_run=False
    )


def test_import_org_stores_codes_and_numbers_normalised_and_accepts_a_serial_column(world):
    wide = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
    data = workbook(
        {
            "组织": [
                ["示范县组织机构表"],
                ["序号", "代码＊", "名称", "类型", "上级代码"],
                [1, "Ｘ９０１", "新单位", "单位", world.committee.code.translate(wide)],
                [2, "０９０２", "新支部", "支部", "Ｘ９０１"],
                ["合计", None, None, None, None],
            ],
            "党员": [
                ["序　号", "编　号", "姓　名", "单位代码", "支部代码"],
                [1, "００１２３", "赵六", "X901", "0902"],
                ["填表人：张三"],
            ],
        }
    )
    report = org(world, data)
    assert report.ok, errors(report)
    units = dict(OrgUnit.objects.filter(campaign=world.campaign, code__in=["X901", "0902"]).values_list("code", "name"))
    assert units == {"X901": "新单位", "0902": "新支部"}
    member = Member.objects.get(campaign=world.campaign, number="00123")
    assert (member.name, member.unit.code, member.branch.code) == ("赵六", "X901", "0902")


def test_import_org_csv_with_a_serial_column(world):
    text = "序号,代码,名称,类型,上级代码\r\n1,Y001,另一单位,单位," + world.committee.code + "\r\n"
    report = org(world, text.encode("utf-8-sig"), "组织.csv")
    assert report.ok, errors(report)
    assert OrgUnit.objects.filter(campaign=world.campaign, code="Y001").count() == 1


def test_import_org_suggests_a_code_that_lost_its_leading_zeros(world):
    f.OrgUnitFactory(campaign=world.campaign, parent=world.unit, code="0101", name="零一零一单位")
    data = workbook({"党员": [["编号", "姓名", "单位代码"], ["M777", "钱七", 101]]})
    report = org(world, data)
    assert not report.ok
    assert "No organisation has the code 101 in this campaign or earlier in the file. Did you mean 0101?" in str(
        report.errors[0]
    )
    assert not Member.objects.filter(campaign=world.campaign, number="M777").exists()


# --- Talk cards: a register kept with a two-row header, full-width numbers, date cells ---


def test_talk_cards_with_a_two_row_header_full_width_numbers_and_date_cells(world):
    from talks.imports import talks_import
    from talks.models import Talk
    from tests.talks.factories import analysis_day

    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    wide = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
    top = ["序号", "谈话人", None, "谈话对象", None, "谈话类型", "谈话时间", "谈话主题", "记录人"]
    bottom = [None, "编号", "姓名", "编号", "姓名", None, None, None, None]
    pairs = [(world.member, colleague), (colleague, world.member), (world.member, colleague)]
    rows = []
    for i, (first, other) in enumerate(pairs):
        when = analysis_day(world.campaign, i + 1)
        cell = datetime.datetime.combine(when, datetime.time(15, 0)) if i % 2 else when.strftime("%Y年%m月%d日")
        rows.append(
            [
                i + 1,
                first.number.translate(wide),
                first.name,
                other.number,
                other.name,
                "党员之间",
                cell,
                f"谈心{i}",
                "张三",
            ]
        )
    sheet = [["谈心谈话登记表"], top, bottom, *rows, ["填表人：张三", None, None, None, None, None, "审核：李四"]]
    merges = ["A1:I1", "B2:C2", "D2:E2", "A2:A3", "F2:F3", "G2:G3", "H2:H3", "I2:I3"]
    report = talks_import(
        campaign=world.campaign,
        user=None,
        source=io.BytesIO(workbook({"谈心谈话": sheet}, {"谈心谈话": merges})),
        filename="谈心.xlsx",
        dry_run=False,
    )
    assert report.ok, errors(report)
    got = Counter(Talk.objects.filter(campaign=world.campaign).values_list("member__number", "talked_on"))
    want = Counter((first.number, analysis_day(world.campaign, i + 1)) for i, (first, _o) in enumerate(pairs))
    assert got == want


def test_a_sheet_that_names_some_columns_beside_the_data_says_which_sheet_to_choose(world):
    rows = data_rows(world, 1)
    data = workbook({"意见建议": [HEADERS, *rows], "Sheet2": [["对象代码", "意见数"], [world.member.number, 3]]})
    report = opinions(world, data)
    assert_refused(
        world, report, "Sheet2 row 1: Cannot tell what this sheet holds, beside 意见建议;", "or delete it from the file"
    )
