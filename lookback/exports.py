"""The look-back's workbooks in the office's layout (``core.excel.Sheet``: a title row,
the headers, boxed rows, a foot, A4 landscape): the order register (整改通知登记表) and
the look-back table of a party committee (回头看情况表: each unit, the six items'
verdicts, its order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook

from campaign.models import Campaign, OrgUnit
from core import excel
from core.excel import Column, Sheet, Text, chinese
from lookback.models import Item, OrderState, RemedialOrder

T = Text
STATE = {
    OrderState.OPEN: T("未整改", "open"),
    OrderState.REPORTED: T("已报整改情况", "redo reported"),
    OrderState.RETURNED: T("退回", "returned"),
    OrderState.CLOSED: T("已销号", "closed"),
}
ITEM_SHORT = {
    Item.AWARENESS: T("认识与责任", "Awareness"),
    Item.STANDARDS: T("标准要求", "Standards"),
    Item.PRINCIPLES: T("政策原则", "Principles"),
    Item.PROGRESS: T("工作推进", "Progress"),
    Item.LEADERSHIP: T("领导指导", "Leadership"),
    Item.SATISFACTION: T("群众满意", "Satisfaction"),
}
MET, NOT_MET, PROPOSED = T("达标", "met"), T("不达标", "not met"), T("（数据提示不达标）", " (figures: short)")
OVERDUE = T("逾期", "overdue")
SEP = T("、", ", ")


def attachment(name: str) -> str:
    """A Content-Disposition for a file kept under ``name`` (already cleaned)."""
    return f"attachment; filename*=UTF-8''{quote(excel.printable(name), safe='')}"


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def order_items(order: RemedialOrder) -> str:
    return str(SEP).join(str(ITEM_SHORT[Item(n)]) for n in order.items if n in Item.values)


def order_register(campaign: Campaign | None, orders: Iterable[RemedialOrder]) -> HttpResponse:
    name = campaign.name if campaign else ""
    title = f"{name}回头看整改通知登记表" if chinese() else f"{name}: register of remedial orders"
    book = Workbook(write_only=True)
    columns = [
        Column(T("序号", "No."), 6),
        Column(T("单位", "Unit"), 24, wrap=True),
        Column(T("不达标项目", "Items"), 22, wrap=True),
        Column(T("整改要求", "Remedial work"), 40, wrap=True),
        Column(T("下发日期", "Issued on"), 12),
        Column(T("整改期限", "Deadline"), 12),
        Column(T("状态", "State"), 12),
        Column(T("整改情况", "What was redone"), 40, wrap=True),
        Column(T("督导组意见", "Supervisory team's comment"), 30, wrap=True),
        Column(T("销号日期", "Closed on"), 12),
    ]
    sheet = Sheet(book, T("整改通知", "Orders"), title, columns)
    count = overdue = 0
    for number, order in enumerate(orders, start=1):
        count += 1
        state = str(STATE[OrderState(order.state)])
        if order.is_overdue:
            overdue += 1
            state = f"{state}（{OVERDUE}）" if chinese() else f"{state} ({OVERDUE})"
        sheet.row(
            [
                number,
                order.unit.name,
                order_items(order),
                order.work,
                _day(order.issued_on),
                _day(order.deadline),
                state,
                order.redo,
                order.comment,
                _day(order.closed_on),
            ]
        )
    total = f"合计 {count} 份，逾期 {overdue} 份" if chinese() else f"Total {count}, overdue {overdue}"
    sheet.foot([total, *[""] * (len(columns) - 1)])
    return excel.response(book, title)


def lookback_table(
    campaign: Campaign, committee: OrgUnit, rows: Sequence[tuple[OrgUnit, dict[int, Any], list[int], Any]]
) -> HttpResponse:
    """One row per unit of the committee: its dates, each item's verdict (or the
    self-check while no verdict), the items its figures propose not met, its latest order."""
    title = f"{committee.name}回头看情况表" if chinese() else f"{committee.name}: look-back checks"
    book = Workbook(write_only=True)
    columns = [
        Column(T("序号", "No."), 6),
        Column(T("单位", "Unit"), 24, wrap=True),
        Column(T("自查日期", "Self-checked"), 12),
        Column(T("督导组评定日期", "Verdict given"), 12),
        *[Column(ITEM_SHORT[Item(n)], 11, wrap=True) for n in Item.values],
        Column(T("数据提示不达标", "Figures short"), 18, wrap=True),
        Column(T("整改通知", "Order"), 18, wrap=True),
    ]
    sheet = Sheet(book, T("回头看", "Look-back"), title, columns)
    checked = short = 0
    for number, (unit, items, proposed, order) in enumerate(rows, start=1):
        check = getattr(unit, "lookback_check", None)
        judged = check is not None and check.is_judged
        checked += 1 if judged else 0
        marks = []
        unit_short = False
        for n in Item.values:
            record = items.get(n)
            if record is None:
                marks.append("")
                continue
            met = record.verdict_met if judged else record.self_met
            unit_short = unit_short or (judged and met is False)
            marks.append(str(MET if met else NOT_MET))
        short += 1 if unit_short else 0
        order_text = ""
        if order is not None:
            order_text = f"{STATE[OrderState(order.state)]} · {_day(order.deadline)}"
        sheet.row(
            [
                number,
                unit.name,
                _day(check.self_checked_on) if check else "",
                _day(check.judged_on) if check else "",
                *marks,
                str(SEP).join(str(ITEM_SHORT[Item(n)]) for n in proposed),
                order_text,
            ]
        )
    if chinese():
        total = f"合计 {len(rows)} 个单位，督导组已评定 {checked} 个，不达标 {short} 个"
    else:
        total = f"{len(rows)} units, {checked} with a verdict, {short} short"
    sheet.foot([total, *[""] * (len(columns) - 1)])
    return excel.response(book, title)
