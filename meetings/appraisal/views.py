"""Pages of the democratic appraisal: the member's ballot; the branches and their
windows; a window with its turnout and, once closed, its results; the tellers' paper
sheet; the results and the flagged members across the user's reach; the settings.
Thin: parse, ask the scope, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel
from core.pages import PAGE_SIZE, paginate
from meetings.appraisal import exports, selectors, services
from meetings.appraisal.forms import BallotForm, PaperSheetForm, SearchForm, SettingsForm, apply_errors, forms_initial
from meetings.appraisal.models import PaperSheet


def _campaign(request: HttpRequest) -> Campaign:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    return campaign


def _search(request: HttpRequest) -> tuple[SearchForm, str]:
    form = SearchForm(request.GET or None)
    return form, (form.cleaned_data.get("q", "") if form.is_valid() else "")


# --- The member's ballot ---------------------------------------------------------------------


@login_required
def vote(request: HttpRequest) -> HttpResponse:
    require(request, "appraisal.vote")
    member = scope_for(request.user).member
    assert member is not None  # appraisal.vote is the member role's
    window = selectors.window_for_member(member)
    context: dict[str, Any] = {"member": member, "window": window, "form": None}
    if window is not None and window.is_closed:
        # The member's own result, on the same terms as everyone's: at least k ballots.
        rules = selectors.Rules.of(selectors.settings_for(window.campaign))
        context["own"] = selectors.member_rows([member], campaign=window.campaign, rules=rules)[0]
        context["rules"] = rules
    if window is None or not window.is_open:
        return render(request, "meetings/appraisal/vote.html", context)
    if selectors.has_voted(window, member):
        context["voted"] = True
        return render(request, "meetings/appraisal/vote.html", context)
    others = selectors.branch_members(window.campaign_id, window.branch_id).exclude(pk=member.pk)
    teams = selectors.branch_teams(window.campaign_id, window.branch)
    form = BallotForm(request.POST if request.method == "POST" else None, members=others, teams=teams)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        try:
            services.ballot_cast(
                user=request.user,
                window=window,
                member_ratings=form.member_ratings(),
                team_ratings=form.team_ratings(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your ballot was cast. It is stored without your name."))
            return redirect("appraisal:vote")
    return render(request, "meetings/appraisal/vote.html", context)


# --- Branches and their windows ---------------------------------------------------------------


@login_required
@require_GET
def window_list(request: HttpRequest) -> HttpResponse:
    require(request, "appraisal.view")
    campaign = current_campaign_for(request.user)
    form, search = _search(request)
    page = paginate(request, selectors.branches_in_reach(request.user, campaign, search=search))
    for branch in page:
        branch.manageable = services.may_manage(request.user, branch)
    context = {
        "campaign": campaign,
        "form": form,
        "page": page,
        "can_manage": scope_for(request.user).can("appraisal.manage"),
    }
    return render(request, "meetings/appraisal/window_list.html", context)


@login_required
@require_POST
def window_open(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "appraisal.manage")
    branch = get_object_for_user(request.user, OrgUnit.objects.filter(kind=OrgUnitKind.BRANCH), pk=pk)
    try:
        services.window_open(user=request.user, campaign=branch.campaign, branch=branch)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Voting is open in %(branch)s.") % {"branch": branch})
    return redirect("appraisal:window_list")


@login_required
@require_GET
def window_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "appraisal.view")
    window = selectors.window_in_reach(request.user, pk)
    settings = selectors.settings_for(window.campaign)
    rules = selectors.Rules.of(settings)
    context: dict[str, Any] = {
        "window": window,
        "turnout": selectors.turnout(window),
        "rules": rules,
        "can_manage": services.may_manage(request.user, window.branch),
        "member_rows": None,
        "team_rows": None,
    }
    if window.is_closed:
        members = selectors.branch_members(window.campaign_id, window.branch_id).select_related("unit")
        context["member_rows"] = selectors.member_rows(members, campaign=window.campaign, rules=rules)
        teams = selectors.branch_teams(window.campaign_id, window.branch)
        context["team_rows"] = selectors.team_rows(teams, campaign=window.campaign, settings=settings, rules=rules)
    return render(request, "meetings/appraisal/window_detail.html", context)


@login_required
@require_POST
def window_close(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "appraisal.manage")
    window = selectors.window_in_reach(request.user, pk)
    try:
        services.window_close(user=request.user, window=window)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Voting in %(branch)s is closed.") % {"branch": window.branch})
    return redirect("appraisal:window_detail", pk=window.pk)


# --- The tellers' paper sheet ------------------------------------------------------------------


def _sheet_initial(sheet: PaperSheet | None) -> dict[str, Any]:
    if sheet is None:
        return {}
    initial: dict[str, Any] = {"present": sheet.present}
    for row in sheet.member_counts.all():
        for name in services.MEMBER_COUNT_FIELDS:
            initial[f"member_{row.member_id}_{name}"] = getattr(row, name)
    for row in sheet.team_counts.all():
        for name in services.TEAM_COUNT_FIELDS:
            initial[f"team_{row.team_id}_{name}"] = getattr(row, name)
    return initial


@login_required
def paper_entry(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "appraisal.manage")
    window = selectors.window_in_reach(request.user, pk)
    sheet = PaperSheet.objects.filter(window=window).select_related("entered_by", "confirmed_by").first()
    members = selectors.branch_members(window.campaign_id, window.branch_id)
    teams = selectors.branch_teams(window.campaign_id, window.branch)
    form = PaperSheetForm(
        request.POST if request.method == "POST" else None,
        initial=_sheet_initial(sheet),
        members=members,
        teams=teams,
    )
    context: dict[str, Any] = {
        "window": window,
        "sheet": sheet,
        "form": form,
        "can_manage": services.may_manage(request.user, window.branch),
        "may_confirm": sheet is not None and not sheet.is_confirmed and sheet.entered_by_id != request.user.pk,
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.sheet_save(
                user=request.user,
                window=window,
                present=form.cleaned_data["present"],
                member_counts=form.member_counts(),
                team_counts=form.team_counts(),
            )
        except ValidationError as error:
            apply_errors(form, error, rows=form.row_errors)
        else:
            messages.success(request, _("The paper tally was saved. A second teller must confirm it before it counts."))
            return redirect("appraisal:paper_entry", pk=window.pk)
    return render(request, "meetings/appraisal/paper_entry.html", context)


@login_required
@require_POST
def paper_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "appraisal.manage")
    window = selectors.window_in_reach(request.user, pk)
    sheet = PaperSheet.objects.filter(window=window).select_related("window__branch").first()
    if sheet is None:
        raise Http404
    try:
        services.sheet_confirm(user=request.user, sheet=sheet)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The paper tally is confirmed and counts in the results."))
    return redirect("appraisal:paper_entry", pk=window.pk)


# --- Results across the user's reach ----------------------------------------------------------


@login_required
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    require(request, "appraisal.view")
    campaign = _campaign(request)
    settings = selectors.settings_for(campaign)
    rules = selectors.Rules.of(settings)
    form, search = _search(request)
    page = paginate(request, selectors.rated_members_in_reach(request.user, campaign, search=search))
    page.object_list = selectors.member_rows(page.object_list, campaign=campaign, rules=rules)
    context = {
        "campaign": campaign,
        "form": form,
        "page": page,
        "rules": rules,
        "export_url": reverse("appraisal:results_export"),
        # Every team in reach (a county has about a hundred), in three queries.
        "team_rows": selectors.team_rows(
            selectors.teams_in_reach(request.user, campaign), campaign=campaign, settings=settings, rules=rules
        ),
        "public_over": selectors.public_rating_is_over(settings),
    }
    return render(request, "meetings/appraisal/results.html", context)


@login_required
@require_GET
def results_export(request: HttpRequest) -> HttpResponse:
    """The results list as shown (the same search), every page of it, as a workbook."""
    require(request, "appraisal.view")
    campaign = _campaign(request)
    rules = selectors.Rules.of(selectors.settings_for(campaign))
    _form, search = _search(request)
    rows = selectors.member_rows(
        selectors.rated_members_in_reach(request.user, campaign, search=search), campaign=campaign, rules=rules
    )
    title = f"{_('Appraisal results')} · {campaign.name}"
    return excel.content_response(exports.results_workbook(title, rows), _("appraisal results"))


@login_required
@require_GET
def flagged(request: HttpRequest) -> HttpResponse:
    require(request, "appraisal.view")
    campaign = _campaign(request)
    rules = selectors.Rules.of(selectors.settings_for(campaign))
    rows = selectors.flagged_member_rows(request.user, campaign, rules=rules)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "meetings/appraisal/flagged.html", {"campaign": campaign, "page": page, "rules": rules})


@login_required
def settings_edit(request: HttpRequest) -> HttpResponse:
    require(request, "appraisal.settings")
    campaign = _campaign(request)
    current = selectors.settings_for(campaign)
    form = SettingsForm(request.POST if request.method == "POST" else None, initial=forms_initial(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(user=request.user, campaign=campaign, data=form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The appraisal settings were saved."))
            return redirect("appraisal:settings")
    return render(request, "meetings/appraisal/settings.html", {"campaign": campaign, "form": form})


__all__ = [
    "flagged",
    "paper_confirm",
    "paper_entry",
    "results",
    "results_export",
    "settings_edit",
    "vote",
    "window_close",
    "window_detail",
    "window_list",
    "window_open",
]
