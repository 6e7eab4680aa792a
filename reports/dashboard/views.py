"""The dashboards: the user's reach (the county for the office), one organisation's subtree
(a party committee or a unit) and a supervisory team's units. Thin views over
``reports.dashboard.selectors``, which read ledger rows only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.models import OrgUnit, OrgUnitKind, SupervisoryTeam
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from reports.dashboard import selectors
from reports.ledger import figures as ledger

ACTION = "dashboards.view"


def _render(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    dashboard = context.get("dashboard")
    if dashboard is not None:
        context.update(
            charts=dashboard.charts(),
            labels=selectors.state_labels(),
            state=ledger.ledger_state(dashboard.campaign),
            pending=ledger.pending_changes(dashboard.campaign),
            can_report=scope_for(request.user).can("stage_report.view"),
        )
    return render(request, "reports/dashboard/dashboard.html", context)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Everything the user sees: the county for the office and the municipal team."""
    require(request, ACTION)
    campaign = current_campaign_for(request.user)
    context: dict[str, Any] = {"campaign": campaign}
    if campaign is not None:
        context["dashboard"] = selectors.build(request.user, campaign)
        context["committees"] = list(
            scope_for(request.user)
            .filter(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE))
            .order_by("path")
        )
        context["teams"] = list(
            scope_for(request.user).filter(SupervisoryTeam.objects.filter(campaign=campaign)).order_by("-level", "name")
        )
    return _render(request, context)


@login_required
@require_GET
def dashboard_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """A party committee's or a unit's subtree."""
    require(request, ACTION)
    unit = get_object_for_user(request.user, OrgUnit.objects.select_related("parent", "campaign"), pk=pk)
    context: dict[str, Any] = {"campaign": unit.campaign, "unit": unit}
    context["dashboard"] = selectors.build(request.user, unit.campaign, unit=unit)
    return _render(request, context)


@login_required
@require_GET
def dashboard_team(request: HttpRequest, pk: int) -> HttpResponse:
    """The units a supervisory team supervises (as far as the user sees them)."""
    require(request, ACTION)
    team = get_object_for_user(request.user, SupervisoryTeam.objects.select_related("campaign").distinct(), pk=pk)
    units = list(scope_for(request.user).filter(team.units.all()).order_by("path"))
    context: dict[str, Any] = {"campaign": team.campaign, "team": team}
    context["dashboard"] = selectors.build(request.user, team.campaign, team=team, team_units=units)
    return _render(request, context)
