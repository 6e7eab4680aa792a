"""The look-back's figures page: training coverage, checks and orders for the county
(or the user's reach) and each party committee, read from ledger rows only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.scoping import scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from lookback.models import Item
from lookback.selectors import settings_of
from reports.ledger import figures as ledger
from reports.lookback import selectors
from reports.lookback.source import SOURCE

ACTION = "lookback.progress"


@login_required
@require_GET
def lookback_progress(request: HttpRequest) -> HttpResponse:
    require(request, ACTION)
    campaign = current_campaign_for(request.user)
    context: dict[str, Any] = {"campaign": campaign, "items": Item.choices}
    if campaign is not None:
        context.update(
            whole=ledger.sees_whole(scope_for(request.user), campaign),
            county=selectors.county_figures(request.user, campaign),
            committees=selectors.committee_lines(request.user, campaign),
            settings=settings_of(campaign),
            state=ledger.ledger_state(campaign),
            pending=ledger.pending_changes(campaign, source=SOURCE.name),
        )
    return render(request, "reports/lookback/progress.html", context)
