"""Excel exports of the ledgers in the office's layout (DESIGN §7).

Every sheet: a title row across the table, the headers below it (Chinese under zh-hans,
English under en), the rows, totals at the foot, printed A4 landscape with the headers
repeated on every page, each row as tall as its wrapped text. Every text cell is
neutralised: a text that a spreadsheet would read as a formula is typed as text with
Excel's quote prefix (``core.excel``), which is not printed.

The headers and titles are the office's paper format, spelt out here in both languages
(as in ``campaign.resources``) rather than looked up in the catalogue. Choice labels come
from the catalogue, with the office's Chinese wording when the catalogue lacks one.

The general ledger of opinions is written row by row with openpyxl's write-only mode
from a server-side iteration of the opinions: memory stays flat however many there are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import models
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, TargetCategory, member_category, team_category
from core.excel import XLSX, Column, Sheet, Text, chinese, response  # noqa: F401 (the office layout)
from opinions.models import Aspect, Channel, FeedbackList, Opinion, OpinionKind, OpinionStatus
from reports.ledger.exports import NO, TOTAL, label, register_chinese, today
from reports.opinions.selectors import OpinionFigures as Figures
from reports.opinions.selectors import SummaryRow
from reports.opinions.source import Dimension

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

CHUNK = 2000

# The office's Chinese wording of each choice, used when the catalogue has none.
CHINESE: dict[str, str] = {
    TargetCategory.STANDING_COMMITTEE_TEAM: "县委常委会班子",
    TargetCategory.COUNTY_LEADERSHIP_TEAMS: "县四套领导班子",
    TargetCategory.DEPARTMENT_TEAMS: "部门领导班子",
    TargetCategory.STANDING_COMMITTEE_MEMBERS: "县委常委个人",
    TargetCategory.COUNTY_LEVEL_LEADERS: "其他县级领导干部",
    TargetCategory.OTHER_MEMBERS: "其他党员",
    OpinionKind.OPINION: "意见",
    OpinionKind.SUGGESTION: "建议",
    Channel.FORUM: "座谈会",
    Channel.QUESTIONNAIRE: "征求意见表",
    Channel.SUGGESTION_BOX: "意见箱",
    Channel.TV_NOTICE: "电视公告",
    Channel.HOTLINE: "热线电话",
    Channel.OPEN_LETTER: "公开信",
    Channel.MESSAGE_BOARD: "留言板",
    Channel.VISIT: "走访",
    Channel.ONLINE: "网上意见箱",
    Aspect.IDEALS: "理想信念",
    Aspect.PURPOSE: "宗旨意识",
    Aspect.DISCIPLINE: "组织纪律",
    Aspect.IDEOLOGY: "思想作风",
    Aspect.WORK_STYLE: "工作作风",
    Aspect.INTEGRITY: "廉洁自律",
}
CHINESE_BY_CHOICES: dict[type[models.TextChoices], dict[str, str]] = {
    OpinionStatus: {
        OpinionStatus.RECORDED: "已登记",
        OpinionStatus.SORTED: "已梳理",
        OpinionStatus.FED_BACK: "已反馈",
        OpinionStatus.ACKNOWLEDGED: "已签收",
        OpinionStatus.IN_RECTIFICATION: "整改中",
        OpinionStatus.CLOSED: "已办结",
    },
    FeedbackList.Status: {
        FeedbackList.Status.DRAFT: "整理中",
        FeedbackList.Status.RELEASED: "已反馈",
        FeedbackList.Status.SIGNED: "已签收",
    },
}


_choices: type[models.TextChoices]
for _choices in (TargetCategory, OpinionKind, Channel, Aspect):
    register_chinese(_choices, {value: CHINESE[value] for value in _choices.values if value in CHINESE})
for _choices, _wording in CHINESE_BY_CHOICES.items():
    register_chinese(_choices, _wording)


# --- 汇总表: the summary by unit -------------------------------------------------------

CATEGORY_HEADERS: dict[str, Text] = {
    TargetCategory.STANDING_COMMITTEE_TEAM: Text("县委常委会班子", "Standing Committee as a team"),
    TargetCategory.COUNTY_LEADERSHIP_TEAMS: Text("县四套领导班子", "County leadership teams"),
    TargetCategory.DEPARTMENT_TEAMS: Text("部门领导班子", "Department teams"),
    TargetCategory.STANDING_COMMITTEE_MEMBERS: Text("县委常委个人", "Standing Committee members"),
    TargetCategory.COUNTY_LEVEL_LEADERS: Text("其他县级领导干部", "Other county-level leaders"),
    TargetCategory.OTHER_MEMBERS: Text("其他党员", "Other members"),
}
LISTS_RELEASED = Text("已反馈清单", "Lists released")
LISTS_SIGNED = Text("已签收清单", "Lists signed")


def summary_workbook(
    campaign: Campaign, rows: Iterable[SummaryRow], totals: Figures, *, unassigned: Figures | None = None
) -> Workbook:
    book = Workbook(write_only=True)
    columns = [
        Column(NO, 6),
        Column(Text("单位", "Unit"), 30, wrap=True),
        *(Column(CATEGORY_HEADERS[category], 12) for category in TargetCategory.values),
        Column(TOTAL, 10),
        Column(LISTS_RELEASED, 11),
        Column(LISTS_SIGNED, 11),
    ]
    title = Text(f"{campaign.name}征求意见建议汇总表", f"{campaign.name}: summary of opinions by unit")
    sheet = Sheet(book, Text("汇总表", "Summary"), str(title), columns)
    number = 0
    for number, row in enumerate(rows, start=1):  # noqa: B007 (the last number is the count)
        sheet.row([number, row.unit.name if row.unit else "", *_summary_figures(row.figures)])
    if unassigned is not None and unassigned.total:
        sheet.row(["", str(Text("尚未指定对象", "No target assigned yet")), *_summary_figures(unassigned)])
    sheet.foot([str(TOTAL), str(Text(f"共{number}个单位", f"{number} units")), *_summary_figures(totals)])
    return book


def _summary_figures(figures: Figures) -> list[int]:
    return [
        *(figures.get(Dimension.CATEGORY, category) for category in TargetCategory.values),
        figures.total,
        figures.get(Dimension.FEEDBACK, "lists_released"),
        figures.get(Dimension.FEEDBACK, "lists_signed"),
    ]


# --- 分账: a unit's sub-ledger ---------------------------------------------------------

LIST_STATES = {
    "draft": FeedbackList.Status.DRAFT,
    "released": FeedbackList.Status.RELEASED,
    "signed": FeedbackList.Status.SIGNED,
}


def unit_ledger_workbook(
    unit: OrgUnit,
    figures: Figures,
    subjects: Iterator[tuple[LeadershipTeam | Member, Figures]],
) -> Workbook:
    """The sub-ledger of a unit: one row per team and member of its subtree with their
    figures, a row for the opinions about its units as a whole, then a second sheet of
    the subtree's figures by dimension. The foot's total is the subtree's."""
    book = Workbook(write_only=True)
    columns = [
        Column(NO, 6),
        Column(Text("反映对象", "Target"), 24, wrap=True),
        Column(Text("对象类别", "Category"), 16),
        Column(Text("所属单位", "Unit"), 24, wrap=True),
        Column(Text("意见", "Opinions"), 9),
        Column(Text("建议", "Suggestions"), 9),
        Column(TOTAL, 9),
        Column(Text("反馈情况", "Feedback"), 11),
    ]
    title = Text(f"{unit.name}征求意见建议分账", f"{unit.name}: sub-ledger of opinions")
    sheet = Sheet(book, Text("分账", "Sub-ledger"), str(title), columns)
    sums: Counter[str] = Counter()
    number = 0
    for subject, subject_figures in subjects:
        number += 1
        category = team_category(subject.kind) if isinstance(subject, LeadershipTeam) else member_category(subject.rank)
        opinions = subject_figures.get(Dimension.KIND, OpinionKind.OPINION)
        suggestions = subject_figures.get(Dimension.KIND, OpinionKind.SUGGESTION)
        state = LIST_STATES.get(subject_figures.list_status, "")
        sheet.row(
            [
                number,
                subject.name,
                label(TargetCategory, category),
                subject.unit.name,
                opinions,
                suggestions,
                subject_figures.total,
                label(FeedbackList.Status, state),
            ]
        )
        sums.update(opinions=opinions, suggestions=suggestions, total=subject_figures.total)
    # The opinions about a unit of the subtree as a whole (or not yet given a target) are
    # in no team's or member's row; one row of their own makes the foot the ledger's total.
    whole = {
        "opinions": figures.get(Dimension.KIND, OpinionKind.OPINION) - sums["opinions"],
        "suggestions": figures.get(Dimension.KIND, OpinionKind.SUGGESTION) - sums["suggestions"],
        "total": figures.total - sums["total"],
    }
    targets = number
    if any(whole.values()):
        number += 1
        sheet.row(
            [
                number,
                str(Text("单位整体（含未定对象）", "Units as a whole (or no target yet)")),
                "",
                unit.name,
                whole["opinions"],
                whole["suggestions"],
                whole["total"],
                "",
            ]
        )
        sums.update(whole)
    sheet.foot(
        [
            str(TOTAL),
            str(Text(f"共{targets}个对象", f"{targets} targets")),
            "",
            "",
            sums["opinions"],
            sums["suggestions"],
            sums["total"],
            "",
        ]
    )
    _figures_sheet(book, unit, figures)
    return book


DIMENSION_HEADERS: dict[str, tuple[Text, type[models.TextChoices]]] = {
    Dimension.CATEGORY: (Text("对象类别", "Category"), TargetCategory),
    Dimension.KIND: (Text("类型", "Kind"), OpinionKind),
    Dimension.CHANNEL: (Text("征求渠道", "Channel"), Channel),
    Dimension.ASPECT: (Text("所属方面", "Aspect"), Aspect),
    Dimension.STATUS: (Text("办理状态", "Status"), OpinionStatus),
}


def _figures_sheet(book: Workbook, unit: OrgUnit, figures: Figures) -> None:
    columns = [
        Column(Text("项目", "Dimension"), 16),
        Column(Text("分类", "Item"), 24),
        Column(Text("数量", "Count"), 10),
    ]
    title = Text(f"{unit.name}征求意见建议分类统计", f"{unit.name}: opinions by dimension")
    sheet = Sheet(book, Text("分类统计", "By dimension"), str(title), columns)
    for dimension, (header, choices) in DIMENSION_HEADERS.items():
        for figure in figures.breakdown(dimension):
            sheet.row([str(header), label(choices, figure.key) or figure.label, figure.value])
    sheet.foot([str(TOTAL), "", figures.total])


# --- 征求意见建议总台账: the general ledger of opinions ---------------------------------

OPINION_COLUMNS = [
    Column(NO, 6),
    Column(Text("意见建议内容", "Content"), 48, wrap=True),
    Column(Text("类型", "Kind"), 7),
    Column(Text("反映对象", "Target"), 18, wrap=True),
    Column(Text("对象类别", "Category"), 14),
    Column(Text("所属单位", "Unit"), 18, wrap=True),
    Column(Text("征求渠道", "Channel"), 11),
    Column(Text("征求时间", "Date"), 11, date=True),
    Column(Text("所属方面", "Aspect"), 11),
    Column(Text("反馈情况", "Feedback"), 9),
    Column(Text("签收人", "Signed by"), 10),
    Column(Text("签收时间", "Signed on"), 11, date=True),
    Column(Text("整改情况", "Rectification"), 10),
    Column(Text("备注", "Notes"), 16, wrap=True),
]
RECTIFICATION_STATES = frozenset({OpinionStatus.IN_RECTIFICATION, OpinionStatus.CLOSED})


class _Merged(TypedDict):
    duplicates: int  # the opinions merged into this one


def ledger_opinions(opinions: QuerySet[Opinion]) -> QuerySet[WithAnnotations[Opinion, _Merged]]:
    """What a row of the general ledger needs, loaded with the opinion in one query."""
    merged = Opinion.objects.filter(merged_into=OuterRef("pk")).order_by().values("merged_into").annotate(n=Count("pk"))
    return (
        opinions.filter(merged_into__isnull=True)
        .select_related(
            "target_team__feedback_list__signed_by",
            "target_member__feedback_list__signed_by",
            "target_unit",
            "ledger_unit",
        )
        .annotate(duplicates=Coalesce(Subquery(merged.values("n")), 0))
        .order_by("ledger_unit__path", "category", "received_on", "pk")
    )


def _feedback_list(opinion: Opinion) -> FeedbackList | None:
    for target in (opinion.target_member, opinion.target_team):
        if target is not None:
            return getattr(target, "feedback_list", None)
    return None


def _opinion_row(number: int, opinion: WithAnnotations[Opinion, _Merged]) -> list[Any]:
    feedback_list = _feedback_list(opinion)
    signed_list = None
    if feedback_list is not None and feedback_list.status == FeedbackList.Status.SIGNED:
        signed_list = feedback_list
    signed_at = (
        timezone.localtime(signed_list.signed_at).date() if signed_list is not None and signed_list.signed_at else None
    )
    target = opinion.target
    notes = []
    if opinion.duplicates:
        notes.append(str(Text(f"合并重复意见{opinion.duplicates}条", f"{opinion.duplicates} duplicates merged")))
    if target is None and opinion.target_text:
        notes.append(str(Text(f"待指定对象：{opinion.target_text}", f"Target to assign: {opinion.target_text}")))
    return [
        number,
        opinion.text,
        label(OpinionKind, opinion.kind),
        target.name if target is not None else opinion.target_text,
        label(TargetCategory, opinion.category),
        opinion.ledger_unit.name if opinion.ledger_unit else "",
        label(Channel, opinion.channel),
        opinion.received_on,
        label(Aspect, opinion.aspect),
        label(FeedbackList.Status, feedback_list.status) if feedback_list is not None else "",
        signed_list.signed_by.name if signed_list is not None and signed_list.signed_by else "",
        signed_at,
        label(OpinionStatus, opinion.status) if opinion.status in RECTIFICATION_STATES else "",
        "；".join(notes) if chinese() else "; ".join(notes),
    ]


def opinion_ledger_workbook(
    campaign: Campaign,
    opinions: QuerySet[Opinion],
    *,
    heading: str = "",
    progress: Callable[[int], None] | None = None,
) -> Workbook:
    """``progress(rows written)`` is called every CHUNK rows and at the end (the export
    job's progress bar)."""
    book = Workbook(write_only=True)
    name = heading or campaign.name
    title = Text(f"{name}征求意见建议总台账", f"{name}: general ledger of opinions and suggestions")
    sheet = Sheet(book, Text("总台账", "General ledger"), str(title), OPINION_COLUMNS)
    kinds: Counter[str] = Counter()
    number = 0
    for number, opinion in enumerate(ledger_opinions(opinions).iterator(chunk_size=CHUNK), start=1):
        sheet.row(_opinion_row(number, opinion))
        kinds[opinion.kind] += 1
        if progress is not None and number % CHUNK == 0:
            progress(number)
    if progress is not None:
        progress(number)
    summary = Text(
        f"共{number}条：意见{kinds[OpinionKind.OPINION]}条，建议{kinds[OpinionKind.SUGGESTION]}条",
        f"{number} in all: {kinds[OpinionKind.OPINION]} opinions, {kinds[OpinionKind.SUGGESTION]} suggestions",
    )
    sheet.foot([str(TOTAL), str(summary), *[""] * 11, str(Text(f"导出日期 {today()}", f"Exported {today()}"))])
    return book
