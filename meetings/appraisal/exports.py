"""The appraisal's workbook: the results list as the office prints it (a title row, the
headers, one numbered row per member, the total at the foot)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from core import excel
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
