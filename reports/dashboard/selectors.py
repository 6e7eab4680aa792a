"""The dashboards' reads: ledger rows only, a fixed number of queries whatever the size of
the county (the steps of the current stage; the scope's figures summed, one query; the
units of the heat map, one query; their figures, one query).

Three scopes: what the user sees (the county for the office, a secretary's subtree, a
supervisor's units), one organisation's subtree (a party committee or a unit), and a
supervisory team's units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaign.models import Campaign, OrgUnit, OrgUnitKind, Step, SupervisoryTeam
from campaign.scoping import AnyUser, scope_for
from reports.dashboard import registry
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.models import LedgerLevel


@dataclass(frozen=True)
class HeatCell:
    step: str
    state: str
    done: int
    of: int
    href: str


@dataclass(frozen=True)
class HeatRow:
    unit: OrgUnit
    cells: list[HeatCell]


@dataclass
class Dashboard:
    title: str
    campaign: Campaign
    steps: list[Step]
    # Steps of the stage no stage has given a heat-map column yet.
    untracked: list[Step]
    panels: list[registry.Panel]
    heat: list[HeatRow]
    # Per step: how many units in each state (the heat map's summary chart).
    states: dict[str, dict[str, int]] = field(default_factory=dict)

    def charts(self) -> list[dict[str, Any]]:
        return [panel.chart() for panel in self.panels]


def _kind(dimensions: tuple[str, ...]) -> type[Figures]:
    # Figures of exactly the dimensions the dashboard reads.
    return type("DashboardFigures", (Figures,), {"DIMENSIONS": dimensions})


def current_steps(campaign: Campaign) -> list[Step]:
    """The current stage's steps, in order (one query)."""
    return list(Step.objects.filter(stage__campaign=campaign, stage__is_current=True).order_by("order"))


def heat_units(user: AnyUser, campaign: Campaign, *, unit: OrgUnit | None = None) -> tuple[list[OrgUnit], bool]:
    units, fold = ledger.summary_units(user, campaign, committee=unit)
    if fold:
        units = units.filter(kind=OrgUnitKind.UNIT) if unit is None or unit.kind != OrgUnitKind.UNIT else units
    return list(units), fold


def build(
    user: AnyUser,
    campaign: Campaign,
    *,
    unit: OrgUnit | None = None,
    team: SupervisoryTeam | None = None,
    team_units: list[OrgUnit] | None = None,
    today: datetime.date | None = None,
) -> Dashboard:
    today = today or timezone.localdate()
    steps = current_steps(campaign)
    columns = registry.step_columns()
    tracked = [step for step in steps if step.kind in columns]
    panel_kind = _kind(registry.panel_dimensions())
    column_kind = _kind(registry.column_dimensions([step.kind for step in tracked]))

    if team is not None:
        paths = [each.path for each in team_units or []]
        condition = Q()
        for path in paths:
            condition |= Q(unit__path__startswith=path)
        found = ledger.rows(panel_kind, campaign=campaign, level=LedgerLevel.UNIT)
        summed = ledger.summed(panel_kind, scope_for(user).filter(found.filter(condition)) if paths else found.none())
        units, fold, title = list(team_units or []), True, team.name
    elif unit is not None:
        summed = ledger.subtree(panel_kind, unit)
        units, fold = heat_units(user, campaign, unit=unit)
        title = unit.name
    else:
        summed = ledger.county(panel_kind, user, campaign)
        units, fold = heat_units(user, campaign)
        title = (
            _("The county") if ledger.sees_whole(scope_for(user), campaign) else _("The organisations in your charge")
        )

    context = registry.Context(campaign=campaign, figures=summed, k=campaign.feedback_threshold, unit=unit, today=today)
    panels = [panel for spec in registry.panels() if (panel := spec.build(context)) is not None]

    heat: list[HeatRow] = []
    states: dict[str, dict[str, int]] = {step.kind: dict.fromkeys(registry.State.ORDER, 0) for step in tracked}
    if tracked and units:
        for owner, figures in ledger.by_owner(column_kind, campaign, units, fold=fold):
            cells = []
            for step in tracked:
                column = columns[step.kind]
                progress = column.progress(figures)
                state = registry.state_of(progress, step, today)
                states[step.kind][state] += 1
                cells.append(HeatCell(step.kind, state, progress.done, progress.of, column.href(owner)))
            heat.append(HeatRow(owner, cells))
    dashboard = Dashboard(
        title=title,
        campaign=campaign,
        steps=tracked,
        untracked=[step for step in steps if step.kind not in columns],
        panels=panels,
        heat=heat,
        states=states,
    )
    summary = steps_panel(dashboard)
    if summary is not None:
        dashboard.panels.insert(0, summary)
    return dashboard


def state_labels() -> dict[str, str]:
    return {
        registry.State.DONE: pgettext("state of a step", "Done"),
        registry.State.IN_PROGRESS: pgettext("state of a step", "In progress"),
        registry.State.BEHIND: pgettext("state of a step", "Behind"),
        registry.State.NOT_STARTED: pgettext("state of a step", "Not started"),
    }


def steps_panel(dashboard: Dashboard) -> registry.Panel | None:
    """The heat map summed up: per step, how many units are done, in progress, behind,
    not started (a stacked bar; the heat map itself is the table)."""
    if not dashboard.steps:
        return None
    labels = state_labels()
    names = [str(step.get_kind_display()) for step in dashboard.steps]
    series = [
        registry.Series(labels[state], [dashboard.states[step.kind][state] for step in dashboard.steps])
        for state in registry.State.ORDER
    ]
    rows = [
        [
            registry.Cell(name),
            *(registry.Cell(str(dashboard.states[step.kind][state])) for state in registry.State.ORDER),
        ]
        for name, step in zip(names, dashboard.steps, strict=True)
    ]
    return registry.Panel(
        name="steps",
        title=_("Units by state of each step"),
        kind="stacked",
        categories=names,
        series=series,
        head=["", *(labels[state] for state in registry.State.ORDER)],
        rows=rows,
    )
