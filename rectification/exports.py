"""The problem list (整改台账) and the practical results (为民办实事统计表) as workbooks in
the office's layout (``core.excel.Sheet``: a title row, the headers, boxed rows, totals
at the foot, A4 landscape). Headers are Chinese with the Chinese interface, English
otherwise. Nothing about who raised an opinion is ever written: a problem's row says
how many opinions are behind it, not whose."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from campaign.models import Campaign
from core.excel import Column, Sheet, Text
from rectification.models import PracticalResult, Problem, ProblemCategory, ProblemSource, ProblemState

T = Text


def title(campaign: Campaign) -> str:
    return f"{campaign.name} {T('整改台账', 'problem list (rectification ledger)')}"


def results_title(campaign: Campaign) -> str:
    return f"{campaign.name} {T('为民办实事统计表', 'practical results for the people')}"


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


PROBLEM_COLUMNS = [
    Column(T("序号", "No."), 6),
    Column(T("问题", "Problem"), 40, wrap=True),
    Column(T("类别", "Category"), 14, wrap=True),
    Column(T("来源", "Source"), 12, wrap=True),
    Column(T("意见数", "Opinions"), 8),
    Column(T("责任单位", "Owner"), 18, wrap=True),
    Column(T("责任人", "Responsible"), 10, wrap=True),
    Column(T("整改措施", "Measures"), 36, wrap=True),
    Column(T("整改时限", "Due"), 11),
    Column(T("状态", "State"), 12, wrap=True),
    Column(T("移交情况", "Handover"), 16, wrap=True),
    Column(T("完成时间", "Solved on"), 11),
]


def problems_workbook(campaign: Campaign, problems: Iterable[Problem]) -> Workbook:
    book = Workbook(write_only=True)
    sheet = Sheet(book, T("整改台账", "Problems"), title(campaign), PROBLEM_COLUMNS)
    count = solved = overdue = 0
    for number, problem in enumerate(problems, start=1):
        count = number
        solved += problem.state == ProblemState.SOLVED
        overdue += problem.overdue
        state = ProblemState(problem.state).label
        if problem.overdue:
            state = f"{state} ({T('逾期', 'overdue')})"
        sheet.row(
            [
                number,
                f"{problem.heading}\n{problem.text}" if problem.title else problem.text,
                str(ProblemCategory(problem.category).label),
                str(ProblemSource(problem.source).label),
                getattr(problem, "opinion_count", 0) or None,
                problem.unit.name,
                problem.responsible,
                problem.measures,
                _day(problem.due_on),
                str(state),
                problem.handover_to.name if problem.handover_to_id else "",
                _day(problem.solved_on),
            ]
        )
    sheet.foot(
        [
            str(T("合计", "Total")),
            str(T("共%(n)d个问题，已解决%(s)d个，逾期%(o)d个", "%(n)d problems, %(s)d solved, %(o)d overdue"))
            % {"n": count, "s": solved, "o": overdue},
        ]
        + [None] * (len(PROBLEM_COLUMNS) - 2)
    )
    return book


RESULT_COLUMNS = [
    Column(T("序号", "No."), 6),
    Column(T("单位", "Organisation"), 18, wrap=True),
    Column(T("工作组", "Working team"), 12, wrap=True),
    Column(T("日期", "Date"), 11),
    Column(T("走访户数", "Households visited"), 9),
    Column(T("走访人次", "Person-times"), 9),
    Column(T("办实事件数", "Practical things"), 9),
    Column(T("捐款（元）", "Donations (yuan)"), 13),
    Column(T("春耕资金（元）", "Spring farming (yuan)"), 13),
    Column(T("结构调整资金（元）", "Structure adjustment (yuan)"), 14),
    Column(T("慰问资金（元）", "Condolences (yuan)"), 13),
    Column(T("种植帮扶", "Planting help"), 16, wrap=True),
    Column(T("养殖帮扶", "Livestock help"), 16, wrap=True),
    Column(T("排查纠纷", "Disputes investigated"), 9),
    Column(T("化解", "Solved"), 7),
    Column(T("移交", "Handed over"), 7),
]


def results_workbook(campaign: Campaign, results: Iterable[PracticalResult]) -> Workbook:
    book = Workbook(write_only=True)
    sheet = Sheet(book, T("为民办实事", "Practical results"), results_title(campaign), RESULT_COLUMNS)
    totals = [0] * 3 + [Decimal("0.00")] * 4 + [0] * 3
    for number, r in enumerate(results, start=1):
        numbers = [
            r.households_visited,
            r.person_times,
            r.practical_things,
            r.donations_yuan,
            r.spring_farming_yuan,
            r.structure_adjustment_yuan,
            r.condolence_yuan,
            getattr(r, "disputes_investigated", 0),
            getattr(r, "disputes_solved", 0),
            getattr(r, "disputes_handed_over", 0),
        ]
        totals = [a + b for a, b in zip(totals, numbers, strict=True)]
        planting = f"{r.households_planting}户 {r.planted_mu}亩 {r.crop}" if r.households_planting else ""
        livestock = (
            f"{r.households_livestock}户 {r.livestock_head}头 {r.livestock_kind}" if r.households_livestock else ""
        )
        sheet.row(
            [
                number,
                r.unit.name,
                r.working_team,
                _day(r.done_on),
                *numbers[:3],
                *numbers[3:7],
                planting,
                livestock,
                *numbers[7:],
            ]
        )
    sheet.foot(
        [
            str(T("合计", "Total")),
            None,
            None,
            None,
            *totals[:3],
            *[f"{n:.2f}" for n in totals[3:7]],
            None,
            None,
            *totals[7:],
        ]
    )
    return book
