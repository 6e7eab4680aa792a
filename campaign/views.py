"""Pages of the organisation: thin views that parse, ask the scope, select and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaign import accounts, resources, selectors, services
from campaign import home as home_panels
from campaign import search as campaign_search
from campaign.forms import (
    MemberFilterForm,
    OrgImportForm,
    PasswordResetForm,
    SearchForm,
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
        "member": scope.member,
        "supervisor": scope.supervisor,
        # Each role's work and figures: the panels registered in campaign.home.
        "panels": home_panels.panels_for(request, scope, campaign),
    }
    return render(request, "campaign/home.html", context)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "org.view")
    campaign = get_object_for_user(request.user, Campaign.objects.all(), pk=pk)
    return render(
        request,
        "campaign/campaign_detail.html",
        {
            "campaign": campaign,
            "stages": selectors.stages_with_steps(campaign),
            "manages": scope_for(request.user).manages(campaign.pk),
            "date_warnings": selectors.campaign_date_warnings(campaign),
        },
    )


@require_POST
@login_required
def campaign_public(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the campaign to the public box, or close it: a button of its page."""
    require(request, "campaign.manage")
    campaign = get_object_for_user(request.user, Campaign.objects.all(), pk=pk)
    if not scope_for(request.user).manages(campaign.pk):
        raise PermissionDenied  # seen through another role, run by another office
    is_public = request.POST.get("is_public") == "1"
    services.campaign_set_public(campaign=campaign, is_public=is_public)
    if is_public:
        messages.success(
            request, _("The campaign is open to the public: the suggestion box offers it within its dates.")
        )
    else:
        messages.success(request, _("The campaign is closed to the public: the suggestion box no longer offers it."))
    return redirect("campaign:campaign_detail", pk=campaign.pk)


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
    page = paginate(request, units)
    page.object_list = selectors.count_subtree_members(page.object_list)
    return render(request, "campaign/unit_list.html", {"form": form, "page": page})


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
    children = selectors.count_subtree_members(selectors.units_for(request.user).filter(parent=unit))
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
    scope = scope_for(request.user)
    can_reset = scope.can("campaign.manage") and accounts.may_reset_password(request.user, member)
    context = {
        "member": member,
        "teams": teams,
        "can_reset": can_reset,
        "must_change": can_reset and accounts.must_change_password(member.user),
    }
    return render(request, "campaign/member_detail.html", context)


@never_cache
@login_required
def member_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """The office resets a member's password: the new one is shown once, on the answer
    to the POST (never stored in a message, a session or a cache), and must be changed
    at the next log-in."""
    require(request, "campaign.manage")
    member = get_object_for_user(request.user, Member.objects.select_related("user", "unit"), pk=pk)
    if member.user is not None and not accounts.may_reset_password(request.user, member):
        raise PermissionDenied
    form = PasswordResetForm(request.POST if request.method == "POST" else None)
    if member.user is not None and request.method == "POST" and form.is_valid():
        try:
            password = accounts.member_password_reset(
                member=member, by=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            form.add_error("password", error.message_dict.get("password", error.messages))
        else:
            return render(request, "campaign/member_password_reset_done.html", {"member": member, "password": password})
    return render(request, "campaign/member_password_reset.html", {"member": member, "form": form})


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


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The top bar's search: people, organisations, teams, talk cards and problems by
    number, within the user's scope (campaign/search.py)."""
    require(request, "org.view")
    form = SearchForm(request.GET or None)
    results = campaign_search.search(request.user, form.cleaned_data["q"]) if form.is_valid() else None
    context = {"form": form, "results": results, "limit": campaign_search.LIMIT}
    return render(request, "campaign/search.html", context)
