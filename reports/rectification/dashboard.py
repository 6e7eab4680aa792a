"""Rectification on the dashboards (reports/dashboard): the problems by state (overdue
among them) and the practical results, as panels. Ledger figures only (docs/reports.md)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from reports.dashboard.registry import Context, Panel, PanelSpec, register_panel
from reports.dashboard.stages import progress_panel
from reports.rectification import source as rect

NUMBER = "column of a dashboard table"


def problems(ctx: Context) -> Panel | None:
    if not ctx.figures.get(rect.Dimension.RECTIFICATION, rect.PROBLEMS):
        return None
    return progress_panel(
        ctx,
        "rectification_problems",
        _("Problems to rectify"),
        rect.Dimension.RECTIFICATION,
        [
            (rect.PROBLEMS, _("Problems")),
            (rect.OPEN, _("Open")),
            (rect.IN_PROGRESS, _("In progress")),
            (rect.AWAITING, _("Handed over, awaiting an answer")),
            (rect.SOLVED, _("Solved")),
            (rect.OVERDUE, _("Overdue")),
            (rect.TRANSFERRED, _("Handed over and accepted")),
        ],
        reverse("rectification:problem_list"),
        pgettext(NUMBER, "Number"),
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
register_panel(PanelSpec("rectification_results", 82, (rect.Dimension.RESULTS,), results))
