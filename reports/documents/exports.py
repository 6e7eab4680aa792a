"""Excel exports of the documents' progress in the office's layout (DESIGN §7): a title
row, the headers (Chinese under zh-hans, English under en), the rows, totals at the
foot, A4 landscape; every text cell neutralised against formulas. The sheet itself is
``core.excel.Sheet``; only the columns and rows are spelt out here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from openpyxl import Workbook

from campaign.models import Campaign, OrgUnit, Rank
from core.excel import Column, Sheet, Text
from reports.documents.selectors import DocumentFigures, Line, MemberLine
from reports.ledger.exports import NO, TOTAL, label
from reviews.models import DocumentState

UNIT = Text("单位", "Unit")
FIGURE_COLUMNS = [
    Column(Text("党员数", "Members"), 9),
    Column(Text("已撰写", "Written"), 9),
    Column(Text("已提交", "Submitted"), 9),
    Column(Text("待审阅", "Awaiting review"), 10),
    Column(Text("退回待修改", "Returned, awaiting revision"), 12),
    Column(Text("曾被退回", "Returned at least once"), 11),
    Column(Text("已审批", "Approved"), 9),
    Column(Text("未审批", "Not yet approved"), 10),
    Column(Text("平均审阅时间（小时）", "Average review time (hours)"), 13),
]
NOT_STARTED = Text("未撰写", "Not started")


def _figures(figures: DocumentFigures) -> list[int | float | str]:
    return [
        figures.members,
        figures.written,
        figures.submitted,
        figures.awaiting,
        figures.returned,
        figures.returned_once,
        figures.approved,
        figures.not_approved,
        figures.average_hours if figures.average_hours is not None else "",
    ]


def progress_workbook(campaign: Campaign, lines: Iterable[Line], totals: DocumentFigures) -> Workbook:
    """党性分析材料进度表: one row per organisation, the totals of every row at the foot."""
    book = Workbook(write_only=True)
    columns = [Column(NO, 6), Column(UNIT, 28, wrap=True), Column(Text("上级组织", "Above"), 20, wrap=True)]
    title = Text(f"{campaign.name}党性分析材料进度表", f"{campaign.name}: self-analysis documents by unit")
    sheet = Sheet(book, Text("进度表", "Progress"), str(title), [*columns, *FIGURE_COLUMNS])
    number = 0
    for number, line in enumerate(lines, start=1):  # noqa: B007 (the last number is the count)
        parent = line.unit.parent.name if line.unit.parent is not None else ""
        sheet.row([number, line.unit.name, parent, *_figures(line.figures)])
    sheet.foot([str(TOTAL), str(Text(f"共{number}个单位", f"{number} units")), "", *_figures(totals)])
    return book


def _date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(value).date() if value else None


def members_workbook(unit: OrgUnit, lines: Iterable[MemberLine]) -> Workbook:
    """党员党性分析材料情况表: one row per member of the unit, with his or her document."""
    book = Workbook(write_only=True)
    columns = [
        Column(NO, 6),
        Column(Text("姓名", "Name"), 12),
        Column(Text("编号", "Number"), 12),
        Column(Text("职级", "Rank"), 14),
        Column(Text("职务", "Position"), 16, wrap=True),
        Column(Text("所在支部", "Branch"), 18, wrap=True),
        Column(Text("材料状态", "Document"), 12),
        Column(Text("字数", "Words"), 8),
        Column(Text("最低字数", "Minimum"), 9),
        Column(Text("提交次数", "Versions"), 8),
        Column(Text("退回次数", "Times returned"), 8),
        Column(Text("审阅人", "Reviewer"), 16, wrap=True),
        Column(Text("最后提交", "Last submitted"), 12, date=True),
        Column(Text("审批日期", "Approved on"), 12, date=True),
    ]
    title = Text(f"{unit.name}党员党性分析材料情况表", f"{unit.name}: members' self-analysis documents")
    sheet = Sheet(book, Text("党性分析材料", "Documents"), str(title), columns)
    count = approved = 0
    for count, line in enumerate(lines, start=1):  # noqa: B007 (the last number is the count)
        document = line.document
        approved += int(document is not None and document.state == DocumentState.APPROVED)
        sheet.row(
            [
                count,
                line.member.name,
                line.member.number,
                label(Rank, line.member.rank),
                line.member.position,
                line.member.branch.name if line.member.branch is not None else "",
                label(DocumentState, document.state) if document else str(NOT_STARTED),
                line.words,
                line.minimum,
                line.versions,
                line.times_returned,
                line.reviewer,
                _date(document.submitted_at) if document else None,
                _date(document.approved_at) if document else None,
            ]
        )
    approved_text = Text(f"已审批{approved}人", f"{approved} approved")
    sheet.foot([str(TOTAL), str(Text(f"共{count}人", f"{count} members")), *[""] * 4, str(approved_text), *[""] * 7])
    return book
