"""The ledgers behind the stage summary report, as one Excel workbook in the office's layout
(``core.excel.Sheet``: title row, headers, boxed rows, totals, A4 landscape): a sheet per
level — the county (every figure of the report, as the report states it), the party
committees and the units (their branches folded in) — read from ledger rows only.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook

from campaign.models import Campaign, TargetCategory
from campaign.scoping import AnyUser
from core.excel import Column, Sheet, Text
from reports.documents import source as documents
from reports.ledger import figures as ledger
from reports.ledger.exports import NO, TOTAL
from reports.ledger.figures import Figures
from reports.meetings import source as meetings
from reports.models import TOTAL_KEY
from reports.opinions import source as opinions
from reports.summary_report.report import Report
from reports.talks import source as talks

CAT = opinions.Dimension.CATEGORY

# The figures of each organisation's line: (header, dimension, key).
LINE_FIGURES: Sequence[tuple[Text, str, str]] = (
    (Text("意见建议（条）", "Opinions"), opinions.Dimension.TOTAL, TOTAL_KEY),
    (
        Text("对县委常委会班子", "Standing Committee as a team"),
        opinions.Dimension.CATEGORY,
        TargetCategory.STANDING_COMMITTEE_TEAM,
    ),
    (
        Text("对县四套班子", "Four leadership teams"),
        opinions.Dimension.CATEGORY,
        TargetCategory.COUNTY_LEADERSHIP_TEAMS,
    ),
    (Text("对部门班子", "Department teams"), CAT, TargetCategory.DEPARTMENT_TEAMS),
    (
        Text("对县委常委个人", "Standing Committee members"),
        opinions.Dimension.CATEGORY,
        TargetCategory.STANDING_COMMITTEE_MEMBERS,
    ),
    (
        Text("对其他县级干部", "Other county-level cadres"),
        opinions.Dimension.CATEGORY,
        TargetCategory.COUNTY_LEVEL_LEADERS,
    ),
    (Text("对其他党员", "Other members"), CAT, TargetCategory.OTHER_MEMBERS),
    (Text("反馈清单（份）", "Lists fed back"), opinions.Dimension.FEEDBACK, opinions.LISTS_RELEASED),
    (Text("已签收", "Signed for"), opinions.Dimension.FEEDBACK, opinions.LISTS_SIGNED),
    (Text("谈心卡（张）", "Talk cards"), talks.Dimension.TALKS, talks.CARDS),
    (Text("党员数", "Members"), talks.Dimension.TALKS, talks.MEMBERS_TOTAL),
    (Text("谈话达标", "At their talk quota"), talks.Dimension.TALKS, talks.MEMBERS_MEETING_QUOTA),
    (Text("分析材料已提交", "Documents submitted"), documents.Dimension.DOCUMENTS, documents.DOC_SUBMITTED),
    (Text("分析材料已通过", "Documents approved"), documents.Dimension.DOCUMENTS, documents.DOC_APPROVED),
    (Text("已召开会议", "Meetings held"), meetings.Dimension.MEETINGS, meetings.MEET_HELD),
    (Text("评议票数", "Appraisal ballots"), meetings.Dimension.APPRAISAL, "ballots"),
)
DIMENSIONS = tuple(sorted({dimension for _text, dimension, _key in LINE_FIGURES}))


class LineFigures(Figures):
    DIMENSIONS = DIMENSIONS


def _values(figures: Figures) -> list[int]:
    return [figures.get(dimension, key) for _text, dimension, key in LINE_FIGURES]


def _columns() -> list[Column]:
    return [Column(text, 10) for text, _dimension, _key in LINE_FIGURES]


def stage_workbook(report: Report, user: AnyUser) -> Workbook:
    campaign: Campaign = report.campaign
    book = Workbook(write_only=True)
    county = Sheet(
        book,
        Text("总账", "General ledger"),
        str(Text(f"{report.title}（数据总账）", f"{report.title}: the figures")),
        [
            Column(NO, 6),
            Column(Text("部分", "Section"), 26, wrap=True),
            Column(Text("数据", "Figure"), 44, wrap=True),
            Column(Text("数值", "Value"), 12),
            Column(Text("所在语句", "Sentence"), 80, wrap=True),
        ],
    )
    number = 0
    for section in report.sections:
        for sentence in section.sentences:
            for part in sentence.parts:
                if isinstance(part, str):
                    continue
                number += 1
                county.row([number, section.heading, part.fig.name, part.value, sentence.text])

    committees = Sheet(
        book,
        Text("分账（按党委）", "By party committee"),
        str(Text(f"{campaign.name}各党委（党工委）数据汇总表", f"{campaign.name}: figures by party committee")),
        [Column(NO, 6), Column(Text("党委（党工委）", "Party committee"), 26, wrap=True), *_columns()],
    )
    lines = ledger.by_committee(LineFigures, user, campaign)
    for index, (unit, figures) in enumerate(lines, start=1):
        committees.row([index, unit.name, *_values(figures)])
    committees.foot([str(TOTAL), "", *_values(ledger.county(LineFigures, user, campaign))])

    units_sheet = Sheet(
        book,
        Text("分账（按单位）", "By unit"),
        str(Text(f"{campaign.name}各单位数据汇总表", f"{campaign.name}: figures by unit")),
        [
            Column(NO, 6),
            Column(Text("单位", "Unit"), 26, wrap=True),
            Column(Text("上级组织", "Above"), 18, wrap=True),
            *_columns(),
        ],
    )
    units, fold = ledger.summary_units(user, campaign)
    count = 0
    for count, (unit, figures) in enumerate(ledger.by_owner(LineFigures, campaign, units, fold=fold), start=1):  # noqa: B007
        units_sheet.row([count, unit.name, unit.parent.name if unit.parent else "", *_values(figures)])
    units_sheet.foot(
        [
            str(TOTAL),
            str(Text(f"共{count}个单位", f"{count} units")),
            "",
            *_values(ledger.owner_totals(LineFigures, campaign, units, fold=fold)),
        ]
    )
    return book
