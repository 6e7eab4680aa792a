"""The talk plan in the office's layout (DESIGN §7), with the sheet helpers of
``core.excel``: a title row across the table, the headers below it (Chinese under
zh-hans, English under en), one row per missing pair or member below quota, totals at
the foot; A4 landscape with the headers on every page; no cell a spreadsheet would run
as a formula.
"""

from __future__ import annotations

from django.utils import timezone
from openpyxl import Workbook

from campaign.models import Campaign, Member, Rank
from core.excel import Column, Sheet, Text
from talks.models import TalkKind
from talks.plan import MissingPair, Shortfall, TalkPlan


def kind_label(kind: str) -> str:
    return str(TalkKind(kind).label)


def rank_label(rank: str) -> str:
    return str(Rank(rank).label)


NO = Text("序号", "No.")
TOTAL = Text("合计", "Total")


def _where(member: Member) -> str:
    return f"{member.unit.name} · {member.branch.name}" if member.branch_id else member.unit.name


def _pairs_sheet(book: Workbook, title: str, pairs: list[MissingPair], plan: TalkPlan) -> None:
    columns = [
        Column(NO, 6),
        Column(Text("必谈类型", "Kind"), 22),
        Column(Text("谈话人", "Member"), 12),
        Column(Text("所在单位（支部）", "Unit (branch)"), 26, wrap=True),
        Column(Text("谈话对象", "To talk with"), 12),
        Column(Text("所在单位（支部）", "Unit (branch)"), 26, wrap=True),
        Column(Text("必谈依据", "Why required"), 30, wrap=True),
        Column(Text("备注", "Notes"), 12),
    ]
    sheet = Sheet(book, Text("未谈必谈对象", "Missing pairs"), title, columns)
    for number, pair in enumerate(pairs, start=1):
        sheet.row(
            [
                number,
                kind_label(pair.kind),
                pair.first.name,
                _where(pair.first),
                pair.second.name,
                _where(pair.second),
                pair.reason,
                "",
            ]
        )
    summary = Text(
        f"应谈{plan.required}对，已谈{plan.done}对，未谈{plan.missing}对",
        f"{plan.required} required pairs, {plan.done} done, {plan.missing} missing",
    )
    sheet.foot([str(TOTAL), str(summary), *[""] * 6])


def _shortfall_sheet(book: Workbook, title: str, shortfalls: list[Shortfall]) -> None:
    columns = [
        Column(NO, 6),
        Column(Text("姓名", "Name"), 12),
        Column(Text("职级", "Rank"), 14),
        Column(Text("所在单位", "Unit"), 24, wrap=True),
        Column(Text("所在支部", "Branch"), 22, wrap=True),
        Column(Text("与党员谈话", "With members"), 11),
        Column(Text("与群众谈话", "With the public"), 11),
        Column(Text("已谈次数", "Talks held"), 10),
        Column(Text("应谈次数", "Quota"), 10),
        Column(Text("尚差次数", "Still lacking"), 10),
    ]
    sheet = Sheet(book, Text("未达标党员", "Below quota"), title, columns)
    for number, item in enumerate(shortfalls, start=1):
        member = item.member
        sheet.row(
            [
                number,
                member.name,
                rank_label(member.rank),
                member.unit.name,
                member.branch.name if member.branch_id else "",
                item.with_members,
                item.with_public,
                item.held,
                item.quota,
                item.lacking,
            ]
        )
    sheet.foot(
        [
            str(TOTAL),
            str(Text(f"共{len(shortfalls)}人", f"{len(shortfalls)} members")),
            "",
            "",
            "",
            sum(s.with_members for s in shortfalls),
            sum(s.with_public for s in shortfalls),
            sum(s.held for s in shortfalls),
            sum(s.quota for s in shortfalls),
            sum(s.lacking for s in shortfalls),
        ]
    )


def plan_workbook(campaign: Campaign, plan: TalkPlan, *, heading: str = "") -> Workbook:
    """The missing pairs, then the members below quota, of one plan."""
    book = Workbook(write_only=True)
    name = heading or campaign.name
    today = timezone.localdate().isoformat()
    _pairs_sheet(
        book,
        str(Text(f"{name}谈心谈话未谈必谈对象清单（{today}）", f"{name}: required talks still to hold ({today})")),
        plan.pairs,
        plan,
    )
    _shortfall_sheet(
        book,
        str(Text(f"{name}谈心谈话未达标党员名单（{today}）", f"{name}: members below their talk quota ({today})")),
        plan.shortfalls,
    )
    return book
