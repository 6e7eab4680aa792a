"""The look-back's section of the stage summary report (reports/summary_report): the
branch secretaries trained, the units checked and found short, the remedial orders —
every figure a county ledger row, named by its ``stage_summary --json`` path."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from campaign.models import StepKind
from reports.lookback import source as lookback
from reports.summary_report.sections import Context, Fig, ReportSection, Sentence, fill, register_section


def _lookback(ctx: Context) -> list[Sentence]:
    training, checks, orders = lookback.Dimension.TRAINING, lookback.Dimension.LOOKBACK, lookback.Dimension.ORDERS
    trained_page = _page("lookback:training")
    checks_page = _page("lookback:check_list")
    orders_page = _page("lookback:order_list")
    figs = {
        "committees": Fig.row("training.committees_training", training, lookback.COMMITTEES_TRAINING, trained_page),
        "trained": Fig.row("training.trained", training, lookback.TRAINED, trained_page),
        "secretaries": Fig.row("training.branch_secretaries", training, lookback.BRANCH_SECRETARIES, trained_page),
        "units": Fig.row("lookback.units", checks, lookback.UNITS, checks_page),
        "checked": Fig.row("lookback.units_checked", checks, lookback.UNITS_CHECKED, checks_page),
        "short": Fig.row("lookback.units_short", checks, lookback.UNITS_SHORT, checks_page),
        "closed": Fig.row("lookback.orders_closed", orders, lookback.ORDERS_CLOSED, orders_page),
        "open": Fig.row("lookback.orders_open", orders, lookback.ORDERS_OPEN, orders_page),
        "overdue": Fig.row("lookback.orders_overdue", orders, lookback.ORDERS_OVERDUE, orders_page),
    }
    return [
        fill(
            _(
                "%(committees)s party committees trained the branch secretaries of the batch on the procedure, "
                "the policy and the questions they raised: %(trained)s of %(secretaries)s secretaries were trained."
            ),
            **figs,
        ),
        fill(
            _(
                "In the look-back %(checked)s of %(units)s units were checked against the six look-and-see items; "
                "%(short)s units fell short and were ordered to redo the work: %(closed)s orders closed, "
                "%(open)s still open, %(overdue)s of them overdue."
            ),
            **figs,
        ),
    ]


def _page(name: str) -> str:
    return reverse(name)


register_section(ReportSection("lookback", StepKind.LOOKBACK, 60, lambda: _("The look-back"), _lookback))
