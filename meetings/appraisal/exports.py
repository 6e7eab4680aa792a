"""The appraisal's files: the results list as the office prints it (a title row, the
headers, one numbered row per member, the total at the foot); and the tellers' tally
sheet of a branch's paper ballots (计票表) in the office's layout, as a workbook and as
a Word document (A4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from core import excel
from core.docx import Document
from meetings.appraisal.models import PaperSheet
from meetings.appraisal.selectors import LOW_APPROVAL, UNQUALIFIED, MemberRow


def _count(name: str):
    return lambda row: getattr(row.tally, name) if row.shown else None


def _flag(row: MemberRow) -> str:
    if not row.shown:
        return _("Too few ballots")
    labels = {
        UNQUALIFIED: _("Unqualified at or above the set share"),
        LOW_APPROVAL: _("Excellent and qualified below the set share"),
    }
    return "; ".join(labels[flag] for flag in row.flags)


def results_workbook(title: str, rows: Iterable[MemberRow]) -> bytes:
    columns = [
        excel.ListColumn(_("No."), lambda row: None, 6),
        excel.ListColumn(_("Member"), lambda row: row.member.name, 14),
        excel.ListColumn(_("Branch"), lambda row: row.member.branch.name if row.member.branch_id else "", 22),
        excel.ListColumn(_("Unit"), lambda row: row.member.unit.name, 22),
        excel.ListColumn(_("Excellent"), _count("excellent"), 9),
        excel.ListColumn(_("Qualified"), _count("qualified"), 9),
        excel.ListColumn(_("Basically qualified"), _count("basic"), 11),
        excel.ListColumn(_("Unqualified"), _count("unqualified"), 9),
        excel.ListColumn(_("Valid ballots"), _count("valid"), 9),
        excel.ListColumn(_("Flag"), _flag, 30),
    ]
    return excel.workbook(title, columns, rows, sheet_name=_("Appraisal results"))


# --- The tellers' tally sheet (计票表) ------------------------------------------------------

T = excel.Text
NO = T("序号", "No.")


def tally_title(sheet: PaperSheet) -> str:
    return f"{sheet.window.branch.name}{T('民主评议党员计票表', ' — tally of the paper ballots')}"


def _tellers(sheet: PaperSheet) -> list[tuple[str, str]]:
    def name(user: Any) -> str:
        return (user.get_full_name() or user.get_username()) if user is not None else ""

    state = T("已确认", "confirmed") if sheet.is_confirmed else T("待第二名计票人确认", "awaiting a second teller")
    return [
        (str(T("实到人数", "Members present")), str(sheet.present)),
        (str(T("录入计票人", "Entered by")), name(sheet.entered_by)),
        (str(T("确认计票人", "Confirmed by")), name(sheet.confirmed_by)),
        (str(T("状态", "State")), str(state)),
    ]


def _member_table(sheet: PaperSheet) -> tuple[list[excel.Column], list[list[Any]]]:
    columns = [
        excel.Column(NO, 6),
        excel.Column(T("姓名", "Name"), 16),
        excel.Column(T("党员编号", "Member number"), 16),
        excel.Column(T("优秀", "Excellent"), 9),
        excel.Column(T("合格", "Qualified"), 9),
        excel.Column(T("基本合格", "Basically qualified"), 11, wrap=True),
        excel.Column(T("不合格", "Unqualified"), 9),
        excel.Column(T("合计", "Total"), 9),
    ]
    counts = sheet.member_counts.select_related("member").order_by("member__name", "member__pk")
    rows = [
        [
            n,
            c.member.name,
            c.member.number,
            c.excellent,
            c.qualified,
            c.basic,
            c.unqualified,
            c.excellent + c.qualified + c.basic + c.unqualified,
        ]
        for n, c in enumerate(counts, start=1)
    ]
    return columns, rows


def _team_table(sheet: PaperSheet) -> tuple[list[excel.Column], list[list[Any]]]:
    columns = [
        excel.Column(NO, 6),
        excel.Column(T("领导班子", "Leadership team"), 30, wrap=True),
        excel.Column(T("满意", "Satisfied"), 9),
        excel.Column(T("基本满意", "Basically satisfied"), 11, wrap=True),
        excel.Column(T("不满意", "Dissatisfied"), 9),
        excel.Column(T("合计", "Total"), 9),
    ]
    counts = sheet.team_counts.select_related("team").order_by("team__code")
    rows = [
        [n, c.team.name, c.satisfied, c.basic, c.dissatisfied, c.satisfied + c.basic + c.dissatisfied]
        for n, c in enumerate(counts, start=1)
    ]
    return columns, rows


def tally_workbook(sheet: PaperSheet) -> Workbook:
    """The tally in the office's layout: the members' counts, the tellers at the foot;
    the teams' counts on a second sheet."""
    book = Workbook(write_only=True)
    title = tally_title(sheet)
    columns, rows = _member_table(sheet)
    members = excel.Sheet(book, T("党员计票", "Members"), title, columns)
    for values in rows:
        members.row(values)
    for label, value in _tellers(sheet):
        members.foot([None, label, value, None, None, None, None, None])
    columns, rows = _team_table(sheet)
    teams = excel.Sheet(
        book, T("班子满意度计票", "Teams"), f"{title} — {T('领导班子满意度', 'leadership teams')}", columns
    )
    for values in rows:
        teams.row(values)
    if not rows:
        teams.row([None, str(T("（无）", "(none)"))])
    return book


def tally_docx(sheet: PaperSheet) -> bytes:
    document = Document(tally_title(sheet), sheet.window.campaign.name)
    document.facts(_tellers(sheet))
    document.heading(str(T("党员民主评议计票", "The members")))
    columns, rows = _member_table(sheet)
    if rows:
        document.table([str(c.header) for c in columns], rows, [max(c.width, 9) for c in columns])
    else:
        document.paragraph(str(T("（无）", "(none)")))
    document.heading(str(T("领导班子满意度计票", "The leadership teams")))
    columns, rows = _team_table(sheet)
    if rows:
        document.table([str(c.header) for c in columns], rows, [max(c.width, 9) for c in columns])
    else:
        document.paragraph(str(T("（无）", "(none)")))
    return document.content()
