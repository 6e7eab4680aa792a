"""The home page's panel of remedial orders overdue (campaign.home): the office's, a
supervisory team's and a secretary's, each within reach. One query."""

from __future__ import annotations

from typing import Any

from campaign.home import HomeRequest, Panel, register_panel
from campaign.scoping import Scope
from lookback.selectors import orders_overdue

SHOWN = 10


def overdue_panel(asked: HomeRequest) -> dict[str, Any] | None:
    orders = list(orders_overdue(asked.user, asked.campaign)[: SHOWN + 1])
    if not orders:
        return None
    return {"orders": orders[:SHOWN], "more": len(orders) > SHOWN}


def sees_orders(scope: Scope) -> bool:
    return scope.can("lookback.view")


register_panel(Panel("orders_overdue", "lookback/home/orders_overdue.html", sees_orders, overdue_panel, order=35))
