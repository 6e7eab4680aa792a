"""Excel exports of the talk progress pages in the office's layout (DESIGN §7): a title
row, the headers (Chinese under zh-hans, English under en), the rows, totals at the
foot, A4 landscape — the sheet helpers of ``core.excel``, whose cells are
neutralised against formulas. Every figure comes from the ledger rows the pages read.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import translation
from openpyxl import Workbook

from campaign.models import Campaign, Member, OrgUnit, Rank
from core.excel import Column, Sheet, Text, chinese
from reports.ledger.exports import NO, TOTAL, label
from reports.talks.selectors import ReviewProgress, TalkFigures, UnitTalks
from talks.models import TalkKind
from talks.plan import MissingPair

MEMBERS = Text("党员数", "Members")
MEETING = Text("达标人数", "Meeting quota")
TALKS = Text("谈话次数", "Talks held")
WITH_MEMBERS = Text("与党员谈话", "With members")
WITH_PUBLIC = Text("与群众谈话", "With the public")
REQUIRED = Text("应谈次数", "Talks required")
PAIRS = Text("必谈对数", "Required pairs")
PAIRS_DONE = Text("已谈对数", "Pairs done")
PAIRS_MISSING = Text("未谈对数", "Pairs missing")
CARDS = Text("谈心卡", "Cards")
REVIEWED = Text("审核合格", "Reviewed")
AWAITING = Text("待审核", "Awaiting review")
RETURNED = Text("退回修改", "Returned")
FLAGGED = Text("两次退回", "Flagged")
YES = Text("是", "yes")
NO_ = Text("否", "no")

KIND_ZH: dict[str, str] = {TalkKind.TEAM: "班子成员之间必谈", TalkKind.CHARGE: "分管领导与分管单位负责人必谈"}


def _rank(rank: str) -> str:
    return label(Rank, rank)


def _kind(kind: str) -> str:
    """The catalogue's label; the office's wording under zh-hans until it is translated."""
    shown = label(TalkKind, kind)
    if chinese():
        with translation.override("en"):
            english = str(TalkKind(kind).label)
        if shown == english:
            return KIND_ZH.get(kind, shown)
    return shown


def _unit_figures(figures: TalkFigures) -> list[int]:
    return [
        figures.members_total,
        figures.members_meeting_quota,
        figures.talks,
        figures.talks_required,
        figures.required_pairs,
        figures.required_pairs_done,
        figures.cards,
        figures.cards_reviewed,
        figures.cards_awaiting,
        figures.cards_returned,
        figures.cards_flagged,
    ]


UNIT_FIGURE_COLUMNS = [
    Column(MEMBERS, 8),
    Column(MEETING, 8),
    Column(TALKS, 9),
    Column(REQUIRED, 9),
    Column(PAIRS, 9),
    Column(PAIRS_DONE, 9),
    Column(CARDS, 8),
    Column(REVIEWED, 9),
    Column(AWAITING, 9),
    Column(RETURNED, 9),
    Column(FLAGGED, 9),
]


def county_workbook(campaign: Campaign, rows: Iterable[UnitTalks], totals: TalkFigures) -> Workbook:
    """谈心谈话进度汇总表: one row per party committee or unit."""
    book = Workbook(write_only=True)
    columns = [Column(NO, 6), Column(Text("单位", "Unit"), 30, wrap=True), *UNIT_FIGURE_COLUMNS]
    title = Text(f"{campaign.name}谈心谈话进度汇总表", f"{campaign.name}: heart-to-heart talks by unit")
    sheet = Sheet(book, Text("汇总表", "Summary"), str(title), columns)
    number = 0
    for number, row in enumerate(rows, start=1):  # noqa: B007 (the last number is the count)
        sheet.row([number, row.unit.name, *_unit_figures(row.figures)])
    sheet.foot([str(TOTAL), str(Text(f"共{number}个单位", f"{number} units")), *_unit_figures(totals)])
    return book


MEMBER_COLUMNS = [
    Column(NO, 6),
    Column(Text("姓名", "Name"), 12),
    Column(Text("职级", "Rank"), 14),
    Column(Text("所在单位", "Unit"), 22, wrap=True),
    Column(Text("所在支部", "Branch"), 20, wrap=True),
    Column(WITH_MEMBERS, 9),
    Column(WITH_PUBLIC, 9),
    Column(TALKS, 9),
    Column(REQUIRED, 9),
    Column(Text("尚差次数", "Still lacking"), 9),
    Column(Text("是否达标", "Meets quota"), 9),
    Column(PAIRS, 9),
    Column(PAIRS_DONE, 9),
]


def unit_workbook(
    unit: OrgUnit,
    figures: TalkFigures,
    members: Iterable[tuple[Member, TalkFigures]],
    branches: Iterable[tuple[OrgUnit, TalkFigures]],
) -> Workbook:
    """A unit's talks: its members with their figures, its branches, its figures."""
    book = Workbook(write_only=True)
    title = Text(f"{unit.name}党员谈心谈话情况统计表", f"{unit.name}: members' heart-to-heart talks")
    sheet = Sheet(book, Text("党员", "Members"), str(title), MEMBER_COLUMNS)
    sums = TalkFigures()
    number = 0
    below = 0
    for member, member_figures in members:
        number += 1
        below += not member_figures.meets_quota
        sums = sums.plus(member_figures)
        sheet.row(
            [
                number,
                member.name,
                _rank(member.rank),
                member.unit.name,
                member.branch.name if member.branch is not None else "",
                member_figures.talks_members,
                member_figures.talks_public,
                member_figures.talks,
                member_figures.talks_required,
                member_figures.talks_lacking,
                str(YES if member_figures.meets_quota else NO_),
                member_figures.required_pairs,
                member_figures.required_pairs_done,
            ]
        )
    sheet.foot(
        [
            str(TOTAL),
            str(Text(f"共{number}人，未达标{below}人", f"{number} members, {below} below quota")),
            "",
            "",
            "",
            sums.talks_members,
            sums.talks_public,
            sums.talks,
            sums.talks_required,
            "",
            number - below,
            "",
            "",
        ]
    )
    _branch_sheet(book, unit, branches)
    _figures_sheet(book, unit.name, figures)
    return book


def _branch_sheet(book: Workbook, unit: OrgUnit, branches: Iterable[tuple[OrgUnit, TalkFigures]]) -> None:
    columns = [
        Column(NO, 6),
        Column(Text("支部", "Branch"), 30, wrap=True),
        Column(MEMBERS, 8),
        Column(MEETING, 8),
        Column(WITH_MEMBERS, 9),
        Column(WITH_PUBLIC, 9),
        Column(TALKS, 9),
        Column(REQUIRED, 9),
    ]
    title = Text(f"{unit.name}各支部谈心谈话情况", f"{unit.name}: talks by branch")
    sheet = Sheet(book, Text("支部", "Branches"), str(title), columns)
    sums = TalkFigures()
    number = 0
    for number, (branch, figures) in enumerate(branches, start=1):  # noqa: B007
        sums = sums.plus(figures)
        sheet.row([number, branch.name, *_branch_figures(figures)])
    sheet.foot([str(TOTAL), str(Text(f"共{number}个支部", f"{number} branches")), *_branch_figures(sums)])


def _branch_figures(figures: TalkFigures) -> list[int]:
    return [
        figures.members_total,
        figures.members_meeting_quota,
        figures.talks_members,
        figures.talks_public,
        figures.talks,
        figures.talks_required,
    ]


def _figures_sheet(book: Workbook, name: str, figures: TalkFigures) -> None:
    columns = [Column(Text("项目", "Item"), 30), Column(Text("数量", "Count"), 12)]
    title = Text(f"{name}谈心谈话进度", f"{name}: heart-to-heart talks")
    sheet = Sheet(book, Text("进度", "Figures"), str(title), columns)
    for header, value in (
        (MEMBERS, figures.members_total),
        (MEETING, figures.members_meeting_quota),
        (Text("未达标人数", "Below quota"), figures.members_below_quota),
        (TALKS, figures.talks),
        (WITH_MEMBERS, figures.talks_members),
        (WITH_PUBLIC, figures.talks_public),
        (REQUIRED, figures.talks_required),
        (PAIRS, figures.required_pairs),
        (PAIRS_DONE, figures.required_pairs_done),
        (PAIRS_MISSING, figures.required_pairs_missing),
        (CARDS, figures.cards),
        (REVIEWED, figures.cards_reviewed),
        (AWAITING, figures.cards_awaiting),
        (RETURNED, figures.cards_returned),
        (FLAGGED, figures.cards_flagged),
    ):
        sheet.row([str(header), value])


def member_workbook(member: Member, figures: TalkFigures, pairs: list[MissingPair]) -> Workbook:
    """A member's talks against quota, and the required pairs he or she still owes."""
    book = Workbook(write_only=True)
    columns = [
        Column(NO, 6),
        Column(Text("必谈类型", "Kind"), 24),
        Column(Text("谈话对象", "To talk with"), 14),
        Column(Text("职级", "Rank"), 14),
        Column(Text("所在单位（支部）", "Unit (branch)"), 28, wrap=True),
        Column(Text("必谈依据", "Why required"), 30, wrap=True),
    ]
    title = Text(f"{member.name}同志未谈必谈对象", f"{member.name}: required talks still to hold")
    sheet = Sheet(book, Text("未谈对象", "Missing pairs"), str(title), columns)
    for number, pair in enumerate(pairs, start=1):
        other = pair.partner_of(member)
        where = f"{other.unit.name} · {other.branch.name}" if other.branch is not None else other.unit.name
        sheet.row([number, _kind(pair.kind), other.name, _rank(other.rank), where, pair.reason])
    sheet.foot(
        [
            str(TOTAL),
            str(
                Text(
                    f"应谈{figures.required_pairs}对，已谈{figures.required_pairs_done}对，未谈{len(pairs)}对",
                    f"{figures.required_pairs} required, {figures.required_pairs_done} done, {len(pairs)} missing",
                )
            ),
            "",
            "",
            "",
            "",
        ]
    )
    rows = [
        (TALKS, figures.talks),
        (WITH_MEMBERS, figures.talks_members),
        (WITH_PUBLIC, figures.talks_public),
        (REQUIRED, figures.talks_required),
        (Text("尚差次数", "Still lacking"), figures.talks_lacking),
        (PAIRS, figures.required_pairs),
        (PAIRS_DONE, figures.required_pairs_done),
    ]
    columns = [Column(Text("项目", "Item"), 30), Column(Text("数量", "Count"), 12)]
    figures_sheet = Sheet(
        book, Text("进度", "Figures"), str(Text(f"{member.name}同志谈心谈话情况", f"{member.name}: talks")), columns
    )
    for header, value in rows:
        figures_sheet.row([str(header), value])
    figures_sheet.foot([str(Text("是否达标", "Meets quota")), str(YES if figures.meets_quota else NO_)])
    return book


def review_workbook(campaign: Campaign, progress: ReviewProgress) -> Workbook:
    """督导组审核进度: one row per supervisory team, the units no team supervises, total."""
    book = Workbook(write_only=True)
    columns = [
        Column(NO, 6),
        Column(Text("督导组", "Supervisory team"), 24, wrap=True),
        Column(Text("督导单位", "Units supervised"), 40, wrap=True),
        Column(CARDS, 9),
        Column(REVIEWED, 9),
        Column(AWAITING, 9),
        Column(RETURNED, 9),
        Column(FLAGGED, 9),
    ]
    title = Text(f"{campaign.name}谈心卡督导审核进度表", f"{campaign.name}: review of talk cards by supervisory team")
    sheet = Sheet(book, Text("审核进度", "Review"), str(title), columns)
    number = 0
    for number, row in enumerate(progress.rows, start=1):  # noqa: B007
        assert row.team is not None
        sheet.row([number, row.team.name, "、".join(row.units), *_card_figures(row.figures)])
    if progress.unsupervised.cards:
        sheet.row(
            ["", str(Text("未安排督导组的单位", "Units no team supervises")), "", *_card_figures(progress.unsupervised)]
        )
    sheet.foot([str(TOTAL), str(Text(f"共{number}个督导组", f"{number} teams")), "", *_card_figures(progress.total)])
    return book


def _card_figures(figures: TalkFigures) -> list[int]:
    return [
        figures.cards,
        figures.cards_reviewed,
        figures.cards_awaiting,
        figures.cards_returned,
        figures.cards_flagged,
    ]
