"""The look-back on the dashboards (reports/dashboard): training coverage, the checks and
the remedial orders as panels, and the look-back step's column of the heat map (a unit
done when its check has a verdict). Ledger figures only (docs/reports.md)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaign.models import OrgUnit, StepKind
from reports.dashboard.registry import (
    Context,
    Panel,
    PanelSpec,
    Progress,
    StepColumn,
    register_panel,
    register_step_column,
)
from reports.dashboard.stages import progress_panel
from reports.ledger.figures import Figures
from reports.lookback import source as lookback

NUMBER = "column of a dashboard table"


def training_coverage(ctx: Context) -> Panel | None:
    if not ctx.figures.get(lookback.Dimension.TRAINING, lookback.BRANCH_SECRETARIES):
        return None
    return progress_panel(
        ctx,
        "lookback_training",
        _("Training of branch secretaries"),
        lookback.Dimension.TRAINING,
        [
            (lookback.BRANCH_SECRETARIES, _("Branch secretaries")),
            (lookback.TRAINED, _("Trained")),
            (lookback.TRAINED_ON_TIME, _("Trained before the deadline")),
        ],
        reverse("lookback:training"),
        pgettext(NUMBER, "Number"),
    )


def checks_coverage(ctx: Context) -> Panel | None:
    if not ctx.figures.get(lookback.Dimension.LOOKBACK, lookback.UNITS):
        return None
    return progress_panel(
        ctx,
        "lookback_checks",
        _("Look-back checks"),
        lookback.Dimension.LOOKBACK,
        [
            (lookback.UNITS, _("Units")),
            (lookback.UNITS_SELF_CHECKED, _("Self-checked")),
            (lookback.UNITS_CHECKED, _("Verdict given")),
            (lookback.UNITS_SHORT, _("Found short")),
        ],
        reverse("lookback:check_list"),
        pgettext(NUMBER, "Number"),
    )


def orders(ctx: Context) -> Panel | None:
    if not ctx.figures.get(lookback.Dimension.ORDERS, lookback.ORDERS_ISSUED):
        return None
    return progress_panel(
        ctx,
        "lookback_orders",
        _("Remedial orders"),
        lookback.Dimension.ORDERS,
        [
            (lookback.ORDERS_ISSUED, _("Issued")),
            (lookback.ORDERS_OPEN, pgettext("order state", "Open")),
            (lookback.ORDERS_OVERDUE, _("Overdue")),
            (lookback.ORDERS_CLOSED, _("Closed")),
        ],
        reverse("lookback:order_list"),
        pgettext(NUMBER, "Number"),
    )


def _checked(f: Figures) -> Progress:
    units = f.get(lookback.Dimension.LOOKBACK, lookback.UNITS)
    return Progress(
        done=f.get(lookback.Dimension.LOOKBACK, lookback.UNITS_CHECKED)
        - f.get(lookback.Dimension.LOOKBACK, lookback.UNITS_SHORT),
        of=units,
        started=bool(f.get(lookback.Dimension.LOOKBACK, lookback.UNITS_SELF_CHECKED)),
    )


def _check_page(unit: OrgUnit) -> str:
    return reverse("lookback:check_detail", args=[unit.pk])


register_panel(PanelSpec("lookback_training", 70, (lookback.Dimension.TRAINING,), training_coverage))
register_panel(PanelSpec("lookback_checks", 72, (lookback.Dimension.LOOKBACK,), checks_coverage))
register_panel(PanelSpec("lookback_orders", 74, (lookback.Dimension.ORDERS,), orders))
register_step_column(StepColumn(StepKind.LOOKBACK, (lookback.Dimension.LOOKBACK,), _checked, _check_page))
