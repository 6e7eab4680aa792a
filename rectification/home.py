"""The home page's panel of problems (campaign.home): those overdue in the user's reach,
and for a department's secretary the problems handed over to it awaiting its answer.
Two queries."""

from __future__ import annotations

from typing import Any

from campaign.home import HomeRequest, Panel, register_panel
from campaign.scoping import Scope
from rectification.selectors import awaiting_answer, overdue_problems

SHOWN = 10


def problems_panel(asked: HomeRequest) -> dict[str, Any] | None:
    overdue = overdue_problems(asked.user, asked.campaign, limit=SHOWN + 1)
    awaiting = list(awaiting_answer(asked.user, asked.campaign).select_related("unit").order_by("pk")[: SHOWN + 1])
    if not overdue and not awaiting:
        return None
    return {
        "overdue": overdue[:SHOWN],
        "more_overdue": len(overdue) > SHOWN,
        "awaiting": awaiting[:SHOWN],
        "more_awaiting": len(awaiting) > SHOWN,
    }


def sees_problems(scope: Scope) -> bool:
    return scope.can("rectification.view")


register_panel(Panel("problems", "rectification/home/problems.html", sees_problems, problems_panel, order=36))
