"""Excel export of the meetings' ledger in the office's layout (DESIGN §7): a title row,
the headers (Chinese under zh-hans, English under en), the rows, totals at the foot, A4
landscape; every text cell neutralised against formulas. The sheet itself is
``core.excel.Sheet``; only the columns and rows are spelt out here."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl import Workbook

from campaign.models import Campaign
from core.excel import Column, Sheet, Text
from reports.ledger.exports import NO, TOTAL
from reports.meetings.selectors import Line, MeetingFigures

FIGURE_COLUMNS = [
    Column(Text("待具备条件", "Planned, conditions open"), 11),
    Column(Text("具备召开条件", "Ready to convene"), 11),
    Column(Text("已召开", "Held"), 9),
    Column(Text("其中经批准召开", "Of which on the office's override"), 12),
    Column(Text("已会后跟踪", "Followed up"), 10),
    Column(Text("已取消", "Cancelled"), 9),
    Column(Text("参会人次", "Attendees present"), 10),
    Column(Text("批评意见（条）", "Criticisms"), 11),
    Column(Text("转整改问题（个）", "Problems found"), 12),
    Column(Text("民主评议票数", "Appraisal ballots"), 11),
    Column(Text("参评党员", "Members rated"), 10),
    Column(Text("其中需关注", "Members flagged"), 10),
    Column(Text("参评班子", "Teams rated"), 10),
]


def _figures(figures: MeetingFigures) -> list[int]:
    return [
        figures.planned,
        figures.ready,
        figures.held,
        figures.held_with_override,
        figures.followed_up,
        figures.cancelled,
        figures.attendees,
        figures.criticisms,
        figures.problems_found,
        figures.ballots,
        figures.members_rated,
        figures.members_flagged,
        figures.teams_rated,
    ]


def progress_workbook(
    campaign: Campaign,
    lines: Iterable[Line],
    totals: MeetingFigures,
    committees: Iterable[Line],
    county: MeetingFigures,
    *,
    whole: bool,
) -> Workbook:
    """民主生活会和专题组织生活会情况统计表: one row per organisation (its branches
    folded in), the totals of every row at the foot; the party committees' subtotals and
    the county (``whole``; otherwise what is in the user's reach) on a second sheet."""
    book = Workbook(write_only=True)
    columns = [
        Column(NO, 6),
        Column(Text("单位", "Unit"), 28, wrap=True),
        Column(Text("上级组织", "Above"), 20, wrap=True),
    ]
    title = Text(
        f"{campaign.name}民主生活会和专题组织生活会情况统计表",
        f"{campaign.name}: democratic life and organisational life meetings by unit",
    )
    sheet = Sheet(book, Text("统计表", "By unit"), str(title), [*columns, *FIGURE_COLUMNS])
    number = 0
    for number, line in enumerate(lines, start=1):  # noqa: B007 (the last number is the count)
        parent = line.unit.parent.name if line.unit.parent is not None else ""
        sheet.row([number, line.unit.name, parent, *_figures(line.figures)])
    sheet.foot([str(TOTAL), str(Text(f"共{number}个单位", f"{number} units")), "", *_figures(totals)])

    title = Text(
        f"{campaign.name}民主生活会和专题组织生活会情况汇总表（按党委）",
        f"{campaign.name}: meetings by party committee",
    )
    columns = [Column(NO, 6), Column(Text("党委（党工委）", "Party committee"), 30, wrap=True)]
    summary = Sheet(book, Text("按党委汇总", "By party committee"), str(title), [*columns, *FIGURE_COLUMNS])
    for number, line in enumerate(committees, start=1):
        summary.row([number, line.unit.name, *_figures(line.figures)])
    foot = Text("全县", "The county") if whole else Text("所辖合计", "In your charge")
    summary.foot([str(foot), "", *_figures(county)])
    return book
