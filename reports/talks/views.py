"""The talk progress pages and their Excel exports: thin views over
``reports.talks.selectors``, which read ledger rows only (never the talk cards).

Each page asks the scoping module first: the action ("talks.progress", "talks.export"),
then the unit or member through ``get_object_for_user`` (404 outside the user's scope).
The list of who still has to talk with whom is the talk plan's (``talks.plan``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel as exports
from core.pages import paginate
from reports.ledger import figures as ledger
from reports.ledger.forms import summary_filter
from reports.ledger.groups import grouped
from reports.talks import exports as talk_exports
from reports.talks import selectors as talks
from reports.talks.forms import MemberFilterForm
from talks.plan import missing_pairs_of

EXPORT_CHUNK = 500
BRANCHES_PAGE = "branches_page"
SOURCE = "talks"
PLAN_PARAMETER: dict[str, str] = {
    OrgUnitKind.PARTY_COMMITTEE: "committee",
    OrgUnitKind.UNIT: "unit",
    OrgUnitKind.BRANCH: "branch",
}


def plan_url(unit: OrgUnit | None = None) -> str:
    """The talk plan narrowed to an organisation (the county: not narrowed)."""
    url = reverse("talks:plan")
    if unit is None or unit.kind not in PLAN_PARAMETER:
        return url
    return f"{url}?{urlencode({PLAN_PARAMETER[unit.kind]: unit.pk})}"


def _state(campaign: Campaign) -> dict[str, Any]:
    return {
        "state": ledger.ledger_state(campaign),
        "pending": ledger.pending_changes(campaign, source=SOURCE),
    }


# --- The county ------------------------------------------------------------------------


@login_required
@require_GET
def talks_county(request: HttpRequest) -> HttpResponse:
    require(request, "talks.progress")
    campaign = current_campaign_for(request.user)
    form, units, fold = summary_filter(request, campaign)
    context: dict[str, Any] = {"campaign": campaign, "form": form}
    if campaign is not None:
        page = paginate(request, units)
        rows = talks.summary_rows(campaign, page.object_list, fold=fold)
        context.update(
            whole=ledger.sees_whole(scope_for(request.user), campaign),
            figures=talks.county_talks(request.user, campaign),
            page=page,
            rows=rows,
            groups=grouped(rows, ledger.by_committee(talks.TalkFigures, request.user, campaign)),
            totals=talks.summary_totals(campaign, units, fold=fold),
            plan_url=plan_url(),
            **_state(campaign),
        )
    return render(request, "reports/talks/county.html", context)


@login_required
@require_GET
def talks_county_export(request: HttpRequest) -> FileResponse:
    require(request, "talks.export")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    _form, units, fold = summary_filter(request, campaign)

    def rows() -> Iterator[talks.UnitTalks]:
        paginator = Paginator(units, EXPORT_CHUNK)
        for number in paginator.page_range:
            yield from talks.summary_rows(campaign, paginator.page(number).object_list, fold=fold)

    book = talk_exports.county_workbook(campaign, rows(), talks.summary_totals(campaign, units, fold=fold))
    return exports.response(book, _("Heart-to-heart talks by unit"))


# --- A unit ------------------------------------------------------------------------------


def _visible_unit(request: HttpRequest, pk: int) -> OrgUnit:
    return get_object_for_user(request.user, OrgUnit.objects.select_related("parent", "campaign"), pk=pk)


def _member_filters(request: HttpRequest) -> tuple[MemberFilterForm, str, bool]:
    form = MemberFilterForm(request.GET or None)
    if not form.is_valid():
        return form, "", False
    return form, form.cleaned_data["q"].strip(), form.cleaned_data["below"]


@login_required
@require_GET
def talks_unit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "talks.progress")
    unit = _visible_unit(request, pk)
    form, search, below = _member_filters(request)
    members_page = paginate(request, talks.subtree_members(request.user, unit, search=search, below_quota=below))
    member_figures = talks.members_talks(members_page.object_list)
    branches_page = Paginator(talks.subtree_branches(request.user, unit), 50).get_page(request.GET.get(BRANCHES_PAGE))
    branch_figures = talks.branch_talks(branches_page.object_list)
    context = {
        "unit": unit,
        "is_branch": unit.kind == OrgUnitKind.BRANCH,
        "ancestors": scope_for(request.user).filter(unit.ancestors().exclude(pk=unit.pk)),
        "figures": talks.subtree_talks(unit),
        "form": form,
        "page": members_page,
        "member_rows": [(member, member_figures[member.pk]) for member in members_page.object_list],
        "branches_page": branches_page,
        "branch_rows": [(branch, branch_figures[branch.pk]) for branch in branches_page.object_list],
        "plan_url": plan_url(unit),
        **_state(unit.campaign),
    }
    return render(request, "reports/talks/unit.html", context)


@login_required
@require_GET
def talks_unit_export(request: HttpRequest, pk: int) -> FileResponse:
    require(request, "talks.export")
    unit = _visible_unit(request, pk)
    _form, search, below = _member_filters(request)
    members = talks.subtree_members(request.user, unit, search=search, below_quota=below)
    branches = list(talks.subtree_branches(request.user, unit))
    branch_figures = talks.branch_talks(branches)

    figures = talks.subtree_members_talks(unit)
    # One query for the members, one for all their figures: bounded however many.
    member_rows = ((member, figures[member.pk]) for member in members.iterator(chunk_size=EXPORT_CHUNK))

    book = talk_exports.unit_workbook(
        unit,
        talks.subtree_talks(unit),
        member_rows,
        [(branch, branch_figures[branch.pk]) for branch in branches],
    )
    return exports.response(book, _("Heart-to-heart talks of %(unit)s") % {"unit": unit.name})


# --- A member ------------------------------------------------------------------------------


def _visible_member(request: HttpRequest, pk: int) -> Member:
    return get_object_for_user(request.user, Member.objects.select_related("unit", "branch", "campaign"), pk=pk)


@login_required
@require_GET
def talks_member(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "talks.progress")
    member = _visible_member(request, pk)
    pairs = missing_pairs_of(member)
    scope = scope_for(request.user)
    reachable = set(
        scope.filter(Member.objects.filter(pk__in=[pair.partner_of(member).pk for pair in pairs])).values_list(
            "pk", flat=True
        )
    )
    context = {
        "member": member,
        "figures": talks.member_talks(member),
        "pairs": [(pair, pair.partner_of(member)) for pair in pairs],
        "reachable": reachable,
    }
    return render(request, "reports/talks/member.html", context)


@login_required
@require_GET
def talks_member_export(request: HttpRequest, pk: int) -> FileResponse:
    require(request, "talks.export")
    member = _visible_member(request, pk)
    book = talk_exports.member_workbook(member, talks.member_talks(member), missing_pairs_of(member))
    return exports.response(book, _("Heart-to-heart talks of %(name)s") % {"name": member.name})


# --- Review per supervisory team -------------------------------------------------------------


@login_required
@require_GET
def talks_review(request: HttpRequest) -> HttpResponse:
    require(request, "talks.progress")
    campaign = current_campaign_for(request.user)
    context: dict[str, Any] = {"campaign": campaign}
    if campaign is not None:
        page = paginate(request, talks.visible_teams(request.user, campaign))
        context.update(page=page, progress=talks.review_progress(request.user, campaign, page.object_list))
        context.update(_state(campaign))
    return render(request, "reports/talks/review.html", context)


@login_required
@require_GET
def talks_review_export(request: HttpRequest) -> FileResponse:
    require(request, "talks.export")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    progress = talks.review_progress(request.user, campaign, talks.visible_teams(request.user, campaign))
    book = talk_exports.review_workbook(campaign, progress)
    return exports.response(book, _("Review of talk cards by supervisory team"))
