"""The home page: a column of panels, each a small piece of work or figures for a role.

A panel is registered once (``register_panel``) by the app that knows its figures —
``reports.home`` for the stages' progress and queues, a later stage (look-back orders
overdue, rectification problems overdue) or the dashboards for theirs — and the home
view (``campaign.views.home``) draws every panel whose ``applies`` accepts the user's
scope, in ``order``, without knowing any of them. campaign is the ground floor: this
module imports no other app; the panels come to it.

A panel's ``build`` takes the request's ``HomeRequest`` and returns the context of its
template, or None when it has nothing to show. It must run a fixed number of queries,
whatever the size of the campaign (tests/campaign/test_home.py counts them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from campaign.models import Campaign
from campaign.scoping import Scope


@dataclass(frozen=True)
class HomeRequest:
    request: HttpRequest
    scope: Scope
    campaign: Campaign

    @property
    def user(self) -> Any:
        return self.request.user


@dataclass(frozen=True)
class Panel:
    key: str  # unique; also the panel's HTML id
    template: str
    applies: Callable[[Scope], bool]
    build: Callable[[HomeRequest], dict[str, Any] | None]
    order: int = 100  # smaller first: work waiting (10–40) before figures (50–90)


@dataclass(frozen=True)
class Drawn:
    panel: Panel
    context: dict[str, Any]


PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    """Add (or replace, by key) a panel of the home page."""
    PANELS[panel.key] = panel
    return panel


def panels_for(request: HttpRequest, scope: Scope, campaign: Campaign | None) -> list[Drawn]:
    if campaign is None:
        return []
    asked = HomeRequest(request=request, scope=scope, campaign=campaign)
    drawn = []
    for panel in sorted(PANELS.values(), key=lambda each: (each.order, each.key)):
        if not panel.applies(scope):
            continue
        context = panel.build(asked)
        if context is not None:
            drawn.append(Drawn(panel, context))
    return drawn
