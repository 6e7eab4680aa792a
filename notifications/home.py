"""The home page's panel of unread notifications (campaign.home): the newest few."""

from __future__ import annotations

from typing import Any

from campaign.home import HomeRequest, Panel, register_panel
from campaign.scoping import Scope
from notifications import selectors

SHOWN = 5


def unread_panel(asked: HomeRequest) -> dict[str, Any] | None:
    unread = list(selectors.notifications_for(asked.user).filter(is_read=False)[: SHOWN + 1])
    if not unread:
        return None
    return {"shown": [selectors.Shown(each) for each in unread[:SHOWN]], "more": len(unread) > SHOWN}


def signed_in(scope: Scope) -> bool:
    return bool(scope.roles)


register_panel(Panel("notifications", "notifications/panel.html", signed_in, unread_panel, order=5))
