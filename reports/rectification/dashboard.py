"""Rectification on the dashboards (reports/dashboard): the problems by state (overdue
among them), the problems opened and solved per day, and the practical results, as
panels. Ledger figures only (docs/reports.md)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from rectification.models import ProblemState
from reports.dashboard.registry import Cell, Context, Panel, PanelSpec, Series, register_panel
from reports.dashboard.stages import progress_panel, simple_panel
from reports.rectification import source as rect

NUMBER = "column of a dashboard table"


def _problems_link(ctx: Context, **params: str) -> str:
    """The problem list (整改台账), narrowed to the dashboard's organisation."""
    query = dict(params)
    if ctx.unit is not None:
        query["unit"] = str(ctx.unit.pk)
    return reverse("rectification:problem_list") + ("?" + urlencode(query) if query else "")


def problems(ctx: Context) -> Panel | None:
    if not ctx.figures.get(rect.Dimension.RECTIFICATION, rect.PROBLEMS):
        return None
    keys: list[tuple[str, str, dict[str, str]]] = [
        (rect.PROBLEMS, _("Problems"), {}),
        (rect.OPEN, str(ProblemState.OPEN.label), {"state": ProblemState.OPEN}),
        (rect.IN_PROGRESS, _("In progress"), {"state": ProblemState.IN_PROGRESS}),
        (rect.AWAITING, _("Handed over, awaiting an answer"), {"state": ProblemState.HANDED_OVER}),
        (rect.SOLVED, _("Solved"), {"state": ProblemState.SOLVED}),
        (rect.OVERDUE, _("Overdue"), {"overdue": "on"}),
        (rect.TRANSFERRED, _("Handed over and accepted"), {}),
    ]
    entries = [
        (key, label, ctx.figures.get(rect.Dimension.RECTIFICATION, key), _problems_link(ctx, **params))
        for key, label, params in keys
    ]
    return simple_panel(
        "rectification_problems", _("Problems to rectify"), "hbar", entries, k=ctx.k, head=pgettext(NUMBER, "Number")
    )


def problems_over_time(ctx: Context) -> Panel | None:
    """Problems opened (recorded) and solved per day, and how many are overdue now: a
    line of each, the table of the same figures beside it, each linking to its problems."""
    opened = ctx.figures.values.get(rect.Dimension.OPENED, {})
    solved = ctx.figures.values.get(rect.Dimension.SOLVED_DAY, {})
    days = sorted(set(opened) | set(solved))
    if not days:
        return None
    opened_head, solved_head = _("Opened"), _("Solved")
    overdue = ctx.figures.get(rect.Dimension.RECTIFICATION, rect.OVERDUE)

    def cell(value: int, **params: str) -> Cell:
        return Cell(number_format(value, force_grouping=True), href=_problems_link(ctx, **params) if value else "")

    return Panel(
        name="rectification_days",
        title=_("Problems opened and solved per day"),
        kind="line",
        categories=days,
        series=[
            Series(opened_head, [opened.get(day, 0) for day in days]),
            Series(solved_head, [solved.get(day, 0) for day in days]),
        ],
        head=["", opened_head, solved_head],
        rows=[[Cell(day), cell(opened.get(day, 0), opened=day), cell(solved.get(day, 0), solved=day)] for day in days],
        note=_("Opened %(opened)s, solved %(solved)s; %(overdue)s past their due date and not solved.")
        % {
            "opened": number_format(sum(opened.values()), force_grouping=True),
            "solved": number_format(sum(solved.values()), force_grouping=True),
            "overdue": number_format(overdue, force_grouping=True),
        },
    )


def results(ctx: Context) -> Panel | None:
    if not ctx.figures.get(rect.Dimension.RESULTS, rect.HOUSEHOLDS_VISITED) and not ctx.figures.get(
        rect.Dimension.RESULTS, rect.PRACTICAL_THINGS
    ):
        return None
    return progress_panel(
        ctx,
        "rectification_results",
        _("Practical results for the people"),
        rect.Dimension.RESULTS,
        [
            (rect.HOUSEHOLDS_VISITED, _("Households visited")),
            (rect.PERSON_TIMES, _("Person-times")),
            (rect.PRACTICAL_THINGS, _("Practical things done")),
            (rect.DISPUTES_INVESTIGATED, _("Disputes investigated")),
            (rect.DISPUTES_SOLVED, _("Disputes solved")),
            (rect.DISPUTES_HANDED_OVER, _("Disputes handed over")),
        ],
        reverse("rectification:result_list"),
        pgettext(NUMBER, "Number"),
    )


register_panel(PanelSpec("rectification_problems", 80, (rect.Dimension.RECTIFICATION,), problems))
register_panel(
    PanelSpec(
        "rectification_days",
        81,
        (rect.Dimension.OPENED, rect.Dimension.SOLVED_DAY, rect.Dimension.RECTIFICATION),
        problems_over_time,
    )
)
register_panel(PanelSpec("rectification_results", 82, (rect.Dimension.RESULTS,), results))
