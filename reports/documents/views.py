"""The self-analysis documents' progress pages and their Excel exports: thin views over
``reports.documents.selectors``.

The figures come from the documents' ledger rows; only the list of one unit's members
reads that page's documents. Each page asks the scoping module first: the action
("documents.progress"), then the unit through ``get_object_for_user`` (404 outside the
user's scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.excel import response
from core.pages import paginate
from reports.documents import exports as document_exports
from reports.documents import selectors as document_selectors
from reports.documents.forms import MemberFilterForm, ProgressFilterForm
from reports.documents.selectors import Line, MemberLine
from reports.ledger import figures as ledger
from reports.ledger.groups import grouped

ACTION = "documents.progress"
EXPORT_CHUNK = 500


def _units(request: HttpRequest, campaign: Campaign | None) -> tuple[ProgressFilterForm, QuerySet[OrgUnit], bool]:
    """The filter form, the organisations it selects, and whether any filter is set."""
    form = ProgressFilterForm(request.GET or None, user=request.user, campaign=campaign)
    params = form.cleaned_data if form.is_valid() else {}
    if campaign is None:
        return form, OrgUnit.objects.none(), False
    units = document_selectors.progress_units(
        request.user,
        campaign,
        committee=params.get("committee"),
        search=params.get("q", ""),
        behind=bool(params.get("behind")),
    )
    return form, units, any(params.values())


@login_required
@require_GET
def documents_progress(request: HttpRequest) -> HttpResponse:
    """Written, submitted, awaiting, returned, approved and the average review time: for
    the county, each party committee and each organisation with members."""
    require(request, ACTION)
    campaign = current_campaign_for(request.user)
    form, units, filtered = _units(request, campaign)
    context: dict[str, Any] = {"campaign": campaign, "form": form, "filtered": filtered}
    if campaign is not None:
        page = paginate(request, units)
        committees = document_selectors.committee_lines(request.user, campaign)
        lines = document_selectors.unit_lines(campaign, page.object_list)
        context.update(
            whole=ledger.sees_whole(scope_for(request.user), campaign),
            county=document_selectors.county_figures(request.user, campaign),
            committees=committees,
            page=page,
            lines=lines,
            groups=grouped(lines, [(line.unit, line.figures) for line in committees]),
            totals=document_selectors.units_total(campaign, units),
            state=ledger.ledger_state(campaign),
        )
    return render(request, "reports/documents/progress.html", context)


@login_required
@require_GET
def documents_progress_export(request: HttpRequest) -> FileResponse:
    """The progress table as shown (the same filters), in the office's layout."""
    require(request, ACTION)
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    _form, units, _filtered = _units(request, campaign)

    def lines() -> Iterator[Line]:
        # A chunk of organisations, then their figures in one query.
        paginator = Paginator(units, EXPORT_CHUNK)
        for number in paginator.page_range:
            yield from document_selectors.unit_lines(campaign, paginator.page(number).object_list)

    book = document_exports.progress_workbook(campaign, lines(), document_selectors.units_total(campaign, units))
    return response(book, _("Self-analysis documents by unit"))


def _unit(request: HttpRequest, pk: int) -> OrgUnit:
    return get_object_for_user(request.user, OrgUnit.objects.select_related("parent", "campaign"), pk=pk)


def _members(request: HttpRequest, unit: OrgUnit) -> tuple[MemberFilterForm, QuerySet]:
    form = MemberFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    members = document_selectors.unit_members(
        request.user, unit, search=params.get("q", ""), state=params.get("state", "")
    )
    return form, members


@login_required
@require_GET
def documents_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """One organisation: its figures, and its members with their documents' state."""
    require(request, ACTION)
    unit = _unit(request, pk)
    form, members = _members(request, unit)
    page = paginate(request, members)
    context = {
        "unit": unit,
        "campaign": unit.campaign,
        "figures": document_selectors.unit_figures(unit),
        "form": form,
        "page": page,
        "lines": document_selectors.member_lines(request.user, unit.campaign, page.object_list),
        "committee": _committee_of(request, unit),
    }
    return render(request, "reports/documents/unit.html", context)


def _committee_of(request: HttpRequest, unit: OrgUnit) -> OrgUnit | None:
    """The party committee above the unit, if the user reaches it (for the way back)."""
    return scope_for(request.user).filter(unit.ancestors().filter(kind=OrgUnitKind.PARTY_COMMITTEE)).first()


@login_required
@require_GET
def documents_unit_export(request: HttpRequest, pk: int) -> FileResponse:
    """The members' list as shown (the same filters), in the office's layout."""
    require(request, ACTION)
    unit = _unit(request, pk)
    _form, members = _members(request, unit)

    def lines() -> Iterator[MemberLine]:
        paginator = Paginator(members, EXPORT_CHUNK)
        for number in paginator.page_range:
            yield from document_selectors.member_lines(request.user, unit.campaign, paginator.page(number).object_list)

    book = document_exports.members_workbook(unit, lines())
    return response(book, _("Self-analysis documents of %(unit)s") % {"unit": unit.name})
