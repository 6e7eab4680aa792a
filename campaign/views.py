"""Pages of the organisation: thin views that parse, ask the scope, select and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campaign import resources, selectors, services
from campaign.forms import (
    MemberFilterForm,
    OrgImportForm,
    SupervisoryTeamFilterForm,
    TeamFilterForm,
    UnitFilterForm,
)
from campaign.import_pages import ImportFlow
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, SupervisoryTeam
from campaign.scoping import get_object_for_user, scope_for
from core.once import creates
from core.pages import paginate
from core.uploads import upload_limit


def require(request: HttpRequest, action: str) -> None:
    if not scope_for(request.user).can(action):
        raise PermissionDenied


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    campaign = selectors.current_campaign_for(request.user)
    context = {
        "scope": scope,
        "campaign": campaign,
        "stages": selectors.stages_with_steps(campaign) if campaign else [],
        "tree": selectors.visible_tree(request.user, campaign) if campaign else [],
        "member": scope.member,
        "supervisor": scope.supervisor,
    }
    return render(request, "campaign/home.html", context)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "org.view")
    campaign = get_object_for_user(request.user, Campaign.objects.all(), pk=pk)
    return render(
        request,
        "campaign/campaign_detail.html",
        {"campaign": campaign, "stages": selectors.stages_with_steps(campaign)},
    )


def _unit_rows(request: HttpRequest) -> tuple[UnitFilterForm, QuerySet[OrgUnit]]:
    form = UnitFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    units = selectors.units_for(
        request.user,
        campaign=selectors.current_campaign_for(request.user),
        search=params.get("q", ""),
        kind=params.get("kind", ""),
    )
    return form, units


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    require(request, "org.browse")
    form, units = _unit_rows(request)
    return render(request, "campaign/unit_list.html", {"form": form, "page": paginate(request, units)})


@login_required
def unit_export(request: HttpRequest) -> HttpResponse:
    require(request, "org.export")
    _form, units = _unit_rows(request)
    return resources.xlsx_response("units", units, filename=_("organisations"))


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "org.view")
    unit = get_object_for_user(request.user, OrgUnit.objects.select_related("parent", "responsible_leader"), pk=pk)
    scope = scope_for(request.user)
    children = selectors.units_for(request.user).filter(parent=unit)
    members = selectors.members_for(request.user).filter(Q(unit=unit) | Q(branch=unit))
    context = {
        "unit": unit,
        "ancestors": scope.filter(unit.ancestors().exclude(pk=unit.pk)),
        "children": children,
        "members_page": paginate(request, members.order_by("name")),
        "teams": selectors.teams_for(request.user).filter(unit=unit),
        "supervisory_teams": selectors.supervisory_teams_for(request.user).filter(units=unit),
        "can_browse": scope.can("org.browse"),
    }
    return render(request, "campaign/unit_detail.html", context)


def _member_rows(request: HttpRequest) -> tuple[MemberFilterForm, QuerySet[Member]]:
    form = MemberFilterForm(request.GET or None, user=request.user)
    params = form.cleaned_data if form.is_valid() else {}
    members = selectors.members_for(
        request.user,
        campaign=selectors.current_campaign_for(request.user),
        search=params.get("q", ""),
        rank=params.get("rank", ""),
        unit=params.get("unit"),
    )
    return form, members


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    require(request, "org.browse")
    form, members = _member_rows(request)
    return render(request, "campaign/member_list.html", {"form": form, "page": paginate(request, members)})


@login_required
def member_export(request: HttpRequest) -> HttpResponse:
    require(request, "org.export")
    _form, members = _member_rows(request)
    return resources.xlsx_response("members", members, filename=_("members"))


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "org.view")
    member = get_object_for_user(
        request.user,
        Member.objects.select_related("unit", "branch").prefetch_related(
            Prefetch("in_charge_of", queryset=OrgUnit.objects.order_by("path"))
        ),
        pk=pk,
    )
    teams = selectors.teams_for(request.user).filter(members=member)
    return render(request, "campaign/member_detail.html", {"member": member, "teams": teams})


def _team_rows(request: HttpRequest) -> tuple[TeamFilterForm, QuerySet[LeadershipTeam]]:
    form = TeamFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    teams = selectors.teams_for(
        request.user,
        campaign=selectors.current_campaign_for(request.user),
        search=params.get("q", ""),
        kind=params.get("kind", ""),
    )
    return form, teams


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    require(request, "org.browse")
    form, teams = _team_rows(request)
    return render(request, "campaign/team_list.html", {"form": form, "page": paginate(request, teams)})


@login_required
def team_export(request: HttpRequest) -> HttpResponse:
    require(request, "org.export")
    _form, teams = _team_rows(request)
    return resources.xlsx_response("teams", teams, filename=_("leadership teams"))


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "org.view")
    team = get_object_for_user(
        request.user,
        LeadershipTeam.objects.select_related("unit", "head").prefetch_related(
            Prefetch("members", queryset=Member.objects.select_related("unit").order_by("rank", "name"))
        ),
        pk=pk,
    )
    return render(request, "campaign/team_detail.html", {"team": team})


def _supervisory_rows(request: HttpRequest) -> tuple[SupervisoryTeamFilterForm, QuerySet[SupervisoryTeam]]:
    form = SupervisoryTeamFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    teams = selectors.supervisory_teams_for(
        request.user,
        campaign=selectors.current_campaign_for(request.user),
        search=params.get("q", ""),
        level=params.get("level", ""),
    )
    return form, teams


@login_required
def supervisory_team_list(request: HttpRequest) -> HttpResponse:
    require(request, "org.browse")
    form, teams = _supervisory_rows(request)
    return render(request, "campaign/supervisory_team_list.html", {"form": form, "page": paginate(request, teams)})


@login_required
def supervisory_team_export(request: HttpRequest) -> HttpResponse:
    require(request, "org.export")
    _form, teams = _supervisory_rows(request)
    return resources.xlsx_response("supervisory_teams", teams, filename=_("supervisory teams"))


@login_required
def supervisory_team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "org.view")
    team = get_object_for_user(request.user, selectors.supervisory_teams_for(request.user), pk=pk)
    return render(request, "campaign/supervisory_team_detail.html", {"team": team})


# --- Import ---------------------------------------------------------------------

ORG_IMPORT = ImportFlow(
    session_key="org_import",
    url_name="campaign:org_import",
    template="campaign/org_import.html",
    form_class=OrgImportForm,
    run=services.org_import,
    options=lambda form: {"kind": form.cleaned_data["kind"] or None},
    context=lambda request, campaign: {"formats": resources.format_description()},
)


# The import pages' cap on a file is DATA_UPLOAD_MAX_MEMORY_SIZE (UPLOAD_MAX_BYTES).
@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def org_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (bad rows, or what would be created and updated) → confirm
    (``campaign.import_pages``)."""
    require(request, "org.import")
    campaign = selectors.current_campaign_for(request.user)
    if campaign is None:
        messages.error(request, _("There is no campaign to import into."))
        return redirect("campaign:home")
    return ORG_IMPORT.page(request, campaign)
