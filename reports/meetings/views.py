"""The meetings' ledger page and its Excel export: thin views over
``reports.meetings.selectors``, which read ledger rows only (never the meetings).

The page asks the scoping module first: the action ("meetings.progress"); the
organisations it lists are those the user's scope reaches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaign.scoping import scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.excel import response
from core.pages import paginate
from reports.ledger import figures as ledger
from reports.ledger.forms import summary_filter
from reports.ledger.groups import grouped
from reports.meetings import exports as meeting_exports
from reports.meetings import selectors as meetings
from reports.meetings.source import SOURCE

ACTION = "meetings.progress"
EXPORT_CHUNK = 500


@login_required
@require_GET
def meetings_progress(request: HttpRequest) -> HttpResponse:
    """Meetings planned, ready, held (on the office's override too), the attendees, the
    criticisms and the problems found: for the county, each party committee and each
    organisation (its branches folded into it)."""
    require(request, ACTION)
    campaign = current_campaign_for(request.user)
    form, units, fold = summary_filter(request, campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "filtered": form.is_valid() and any(form.cleaned_data.values()),
    }
    if campaign is not None:
        page = paginate(request, units)
        committees = meetings.committee_lines(request.user, campaign)
        lines = meetings.unit_lines(campaign, page.object_list, fold=fold)
        context.update(
            whole=ledger.sees_whole(scope_for(request.user), campaign),
            county=meetings.county_figures(request.user, campaign),
            committees=committees,
            page=page,
            lines=lines,
            groups=grouped(lines, [(line.unit, line.figures) for line in committees]),
            totals=meetings.units_total(campaign, units, fold=fold),
            state=ledger.ledger_state(campaign),
            pending=ledger.pending_changes(campaign, source=SOURCE.name),
        )
    return render(request, "reports/meetings/progress.html", context)


@login_required
@require_GET
def meetings_progress_export(request: HttpRequest) -> FileResponse:
    """The page's table as shown (the same filters), in the office's layout, with the
    party committees' subtotals on a second sheet."""
    require(request, ACTION)
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    _form, units, fold = summary_filter(request, campaign)

    def lines() -> Iterator[meetings.Line]:
        # A chunk of organisations, then their figures in one query.
        paginator = Paginator(units, EXPORT_CHUNK)
        for number in paginator.page_range:
            yield from meetings.unit_lines(campaign, paginator.page(number).object_list, fold=fold)

    book = meeting_exports.progress_workbook(
        campaign,
        lines(),
        meetings.units_total(campaign, units, fold=fold),
        meetings.committee_lines(request.user, campaign),
        meetings.county_figures(request.user, campaign),
        whole=ledger.sees_whole(scope_for(request.user), campaign),
    )
    return response(book, _("Meetings by unit"))
