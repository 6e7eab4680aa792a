"""The opinions' ledger pages and their Excel exports: thin views over
``reports.opinions.selectors``; and the request for the general ledger of opinions,
written by a task (``reports.export_jobs``).

No view counts opinions: the figures come from ledger rows. Each page asks the scoping
module first: the action ("ledgers.view", "ledgers.export"), then the unit or member
through ``get_object_for_user`` (404 outside the user's scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.jobs import job_start
from core.pages import paginate
from opinions.models import FeedbackList, OpinionKind
from reports import export_jobs, tasks
from reports.ledger import figures as ledger
from reports.ledger.forms import SummaryFilterForm, summary_filter
from reports.ledger.groups import Group, grouped
from reports.models import ExportJob
from reports.opinions import exports, selectors
from reports.opinions.forms import MemberSearchForm
from reports.opinions.selectors import OpinionFigures as Figures
from reports.opinions.source import OPINION_DIMENSIONS, Dimension

# The opinions list filters by these GET parameters; a figure links to the opinions behind it.
OPINION_LIST = "opinions:opinion_list"
EXPORT_CHUNK = 500
TEAMS_PAGE = "teams_page"

DIMENSION_TITLES: dict[str, Promise] = {
    Dimension.CATEGORY: gettext_lazy("By ledger category"),
    Dimension.KIND: gettext_lazy("By kind"),
    Dimension.CHANNEL: gettext_lazy("By channel"),
    Dimension.ASPECT: gettext_lazy("By aspect"),
    Dimension.STATUS: gettext_lazy("By status"),
}


@dataclass(frozen=True)
class Link:
    label: str
    value: int
    url: str | None


@dataclass(frozen=True)
class Block:
    title: str
    links: list[Link]


@dataclass(frozen=True)
class SubjectRow:
    """A member or team in a sub-ledger, with its list's figures."""

    subject: LeadershipTeam | Member
    figures: Figures
    url: str | None

    @property
    def opinions(self) -> int:
        return self.figures.get(Dimension.KIND, OpinionKind.OPINION)

    @property
    def suggestions(self) -> int:
        return self.figures.get(Dimension.KIND, OpinionKind.SUGGESTION)

    @property
    def list_label(self) -> str:
        return list_label(self.figures)


def list_label(figures: Figures) -> str:
    status = figures.list_status
    return str(FeedbackList.Status(status).label) if status else "—"


class Drill:
    """Links from a figure to the opinions behind it, on the opinions list page."""

    def __init__(self, **fixed: int) -> None:
        try:
            self.base: str | None = reverse(OPINION_LIST)
        except NoReverseMatch:  # the opinions list is not installed: figures without links
            self.base = None
        self.fixed = fixed

    def url(self, **params: str) -> str | None:
        if self.base is None:
            return None
        return f"{self.base}?{urlencode({**self.fixed, **params})}"

    def blocks(self, figures: Figures, dimensions: tuple[str, ...] = OPINION_DIMENSIONS) -> list[Block]:
        return [
            Block(
                title=str(DIMENSION_TITLES[dimension]),
                links=[
                    Link(
                        label=figure.label,
                        value=figure.value,
                        # An unset key has no filter value of its own: no link.
                        url=self.url(**{dimension: figure.key}) if figure.value and figure.key else None,
                    )
                    for figure in figures.breakdown(dimension)
                ],
            )
            for dimension in dimensions
        ]


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


# The general ledger's figures, table and filter are kept in the cache this long at most
# for those who see the campaign whole (the same page for all of them); any roll-up or
# change waiting for one gives the page a new key at once. The bound covers what reaches
# the page without passing through the ledger (a unit renamed in the admin).
PAGE_CACHE_SECONDS = 60


class _GeneralLedger:
    """What the general ledger shows below its state line, each part computed when the
    template first asks for it: not at all when the cached page is shown."""

    def __init__(self, request: HttpRequest, campaign: Campaign, whole: bool) -> None:
        self.request, self.campaign, self.whole = request, campaign, whole

    @cached_property
    def form(self) -> SummaryFilterForm:
        # As ``summary_filter`` builds it; the units (a query to learn ``fold``) when asked.
        return SummaryFilterForm(self.request.GET or None, user=self.request.user, campaign=self.campaign)

    @cached_property
    def filtered(self) -> bool:
        """Whether a filter is asked for (and valid): an unfiltered page builds no form."""
        return bool(self.request.GET) and self.form.is_valid() and any(self.form.cleaned_data.values())

    @cached_property
    def export_committee(self) -> OrgUnit | None:
        """The committee the export button passes on: the filter's, if it is valid."""
        if not self.request.GET or not self.form.is_valid():
            return None
        committee: OrgUnit | None = self.form.cleaned_data.get("committee")
        return committee

    @cached_property
    def _units(self) -> tuple[QuerySet[OrgUnit], bool]:
        params = self.form.cleaned_data if self.form.is_valid() else {}
        return ledger.summary_units(
            self.request.user, self.campaign, committee=params.get("committee"), search=params.get("q", "")
        )

    @property
    def units(self) -> QuerySet[OrgUnit]:
        return self._units[0]

    @property
    def fold(self) -> bool:
        return self._units[1]

    @cached_property
    def figures(self) -> Figures:
        return selectors.general_figures(self.request.user, self.campaign)

    @cached_property
    def blocks(self) -> list[Block]:
        return Drill().blocks(self.figures)

    @cached_property
    def page(self) -> Any:
        return paginate(self.request, self.units)

    @cached_property
    def unassigned(self) -> Figures | None:
        # The opinions no target has been assigned to yet belong to no unit: shown (to
        # those who see the campaign whole) as a line of their own above the total.
        return selectors.unassigned_figures(self.campaign) if self.whole and not self.filtered else None

    @cached_property
    def rows(self) -> list[selectors.SummaryRow]:
        return selectors.summary_rows(self.campaign, self.page.object_list, fold=self.fold)

    @cached_property
    def groups(self) -> list[Group]:
        # The page's units under their party committees, each with its subtotal.
        return grouped(self.rows, ledger.by_committee(Figures, self.request.user, self.campaign))

    @cached_property
    def totals(self) -> Figures:
        return selectors.summary_totals(self.campaign, self.units, fold=self.fold).plus(self.unassigned)

    def context(self) -> dict[str, Any]:
        lazy = ("form", "figures", "blocks", "page", "rows", "groups", "totals", "unassigned")
        context: dict[str, Any] = {name: SimpleLazyObject(partial(getattr, self, name)) for name in lazy}
        context["export_committee"] = self.export_committee
        if not self.whole or self.filtered:
            context["unassigned"] = None  # known without a query (the filter is read already)
        return context


def _page_cache(request: HttpRequest, campaign: Campaign, whole: bool, state: Any, pending: int) -> tuple[int, str]:
    """(seconds, key) of the general ledger's cached parts. Only a page that is the same
    for everyone who sees it is kept: that of the campaign seen whole, at one state of
    the ledger, in one language, for one filter and page. Anyone else's is rendered
    afresh (kept for 0 seconds, under a key of his own)."""
    if not whole or state is None or state.rolled_up_at is None:
        return 0, f"user:{request.user.pk}"
    full = state.full_rollup_at.isoformat() if state.full_rollup_at else "-"
    return PAGE_CACHE_SECONDS, "|".join(
        [
            str(campaign.pk),
            state.rolled_up_at.isoformat(),
            full,
            str(pending),
            get_language() or "",
            request.GET.urlencode(),
        ]
    )


@login_required
def general_ledger(request: HttpRequest) -> HttpResponse:
    require(request, "ledgers.view")
    # current_campaign_for's campaign, with the ledger's state and waiting count.
    campaign, state, pending = ledger.campaign_state_and_pending(request.user)
    if campaign is None:
        form, _units, _fold = summary_filter(request, campaign)
        return render(request, "reports/opinions/general_ledger.html", {"campaign": None, "form": form})
    whole = ledger.sees_whole(scope_for(request.user), campaign)
    parts = _GeneralLedger(request, campaign, whole)
    seconds, key = _page_cache(request, campaign, whole, state, pending)
    context: dict[str, Any] = {
        "campaign": campaign,
        "whole": whole,
        "state": state,
        "pending": pending,
        "cache_seconds": seconds,
        "cache_key": key,
        **parts.context(),
    }
    return render(request, "reports/opinions/general_ledger.html", context)


@login_required
def summary_export(request: HttpRequest) -> FileResponse:
    require(request, "ledgers.export")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    form, units, fold = summary_filter(request, campaign)
    whole = ledger.sees_whole(scope_for(request.user), campaign)
    filtered = form.is_valid() and any(form.cleaned_data.values())

    def rows() -> Iterator[selectors.SummaryRow]:
        # A chunk of units, then their figures in one query: bounded however many units.
        paginator = Paginator(units, EXPORT_CHUNK)
        for number in paginator.page_range:
            yield from selectors.summary_rows(campaign, paginator.page(number).object_list, fold=fold)

    unassigned = selectors.unassigned_figures(campaign) if whole and not filtered else None
    book = exports.summary_workbook(
        campaign, rows(), selectors.summary_totals(campaign, units, fold=fold).plus(unassigned), unassigned=unassigned
    )
    return exports.response(book, _("Summary of opinions by unit"))


def _visible_unit(request: HttpRequest, pk: int) -> OrgUnit:
    return get_object_for_user(request.user, OrgUnit.objects.select_related("parent"), pk=pk)


@login_required
def unit_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "ledgers.view")
    unit = _visible_unit(request, pk)
    scope = scope_for(request.user)
    figures = selectors.subtree_figures(unit)
    form = MemberSearchForm(request.GET or None)
    search = form.cleaned_data.get("q", "") if form.is_valid() else ""
    members_page = paginate(request, selectors.subtree_members(request.user, unit, search=search))
    teams_page = Paginator(selectors.subtree_teams(request.user, unit), 50).get_page(request.GET.get(TEAMS_PAGE))
    member_figures, team_figures = selectors.subject_figures(
        members=members_page.object_list, teams=teams_page.object_list
    )
    drill = Drill(ledger_unit=unit.pk)
    context = {
        "unit": unit,
        "ancestors": scope.filter(unit.ancestors().exclude(pk=unit.pk)),
        "figures": figures,
        "blocks": drill.blocks(figures),
        "form": form,
        "members_page": members_page,
        "member_rows": [
            SubjectRow(
                member, member_figures[member.pk], _list_url(Drill(target_member=member.pk), member_figures[member.pk])
            )
            for member in members_page.object_list
        ],
        "teams_page": teams_page,
        "team_rows": [
            SubjectRow(team, team_figures[team.pk], _list_url(Drill(target_team=team.pk), team_figures[team.pk]))
            for team in teams_page.object_list
        ],
        "total_url": drill.url() if figures.total else None,
    }
    return render(request, "reports/opinions/unit_ledger.html", context)


def _list_url(drill: Drill, figures: Figures) -> str | None:
    return drill.url() if figures.total else None


def _subjects(request: HttpRequest, unit: OrgUnit) -> Iterator[tuple[LeadershipTeam | Member, Figures]]:
    for queryset, kind in (
        (selectors.subtree_teams(request.user, unit), "teams"),
        (selectors.subtree_members(request.user, unit), "members"),
    ):
        paginator = Paginator(queryset, EXPORT_CHUNK)
        for number in paginator.page_range:
            chunk = list(paginator.page(number).object_list)
            member_figures, team_figures = selectors.subject_figures(
                members=chunk if kind == "members" else (), teams=chunk if kind == "teams" else ()
            )
            by_pk = team_figures if kind == "teams" else member_figures
            for subject in chunk:
                yield subject, by_pk[subject.pk]


@login_required
def unit_ledger_export(request: HttpRequest, pk: int) -> FileResponse:
    require(request, "ledgers.export")
    unit = _visible_unit(request, pk)
    book = exports.unit_ledger_workbook(unit, selectors.subtree_figures(unit), _subjects(request, unit))
    return exports.response(book, _("Sub-ledger of %(unit)s") % {"unit": unit.name})


@login_required
def member_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "ledgers.view")
    member = get_object_for_user(request.user, Member.objects.select_related("unit", "branch"), pk=pk)
    scope = scope_for(request.user)
    if (
        scope.member is not None
        and scope.member.pk == member.pk
        and not (scope.is_admin or member.campaign_id in scope.office_campaign_ids)
    ):
        # Nobody but the office reads the raw figures about himself or herself (by
        # channel, by status…); members see their consolidated list elsewhere.
        raise Http404
    figures = selectors.member_figures(member)
    drill = Drill(target_member=member.pk)
    context = {
        "member": member,
        "figures": figures,
        "blocks": drill.blocks(figures),
        "total_url": drill.url() if figures.total else None,
        "list_label": list_label(figures),
    }
    return render(request, "reports/opinions/member_ledger.html", context)


@login_required
@require_POST
def opinion_ledger_export(request: HttpRequest) -> HttpResponse:
    """Ask for the general ledger of opinions (征求意见建议总台账): one row per opinion the
    user may see; ``unit`` or ``committee`` narrows it to that organisation's subtree."""
    require(request, "ledgers.export")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    unit = None
    within = request.POST.get("unit") or request.POST.get("committee")
    if within:
        if not within.isdigit():
            raise Http404
        unit = get_object_for_user(request.user, OrgUnit.objects.filter(campaign=campaign), pk=int(within))
    # Behind @login_required, and require() lets no anonymous user through: a user row.
    assert request.user.is_authenticated
    language = get_language() or "zh-hans"
    pending = export_jobs.export_job_pending(user=request.user, campaign=campaign, unit=unit, language=language)
    if pending is not None:
        # A second click, or the same export asked again while the first is written:
        # no second job; the user is shown the one under way.
        messages.info(request, _("This export is already being written; follow it below. No second one was started."))
    job = pending or export_jobs.export_job_create(user=request.user, campaign=campaign, unit=unit, language=language)
    if job.status == ExportJob.Status.WAITING:
        # Also when the same export was asked for already and waits: should its message
        # have been lost, this one starts it (a job is written once however often sent;
        # one already in a thread of this server is not started again).
        transaction.on_commit(partial(job_start, tasks.run_export_job, job.pk))
    return redirect("reports:export_job", pk=job.pk)
