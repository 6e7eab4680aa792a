"""Problems in the top bar's search, by their number (campaign/search.py): a hit says
whose problem it is and where it was found, and links to the problem's page."""

from __future__ import annotations

from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from campaign.scoping import Scope
from campaign.search import Hit, SearchKind, register_search, url_or_none
from rectification.models import Problem


def _problems(scope: Scope, campaign: Campaign, text: str, number: int | None) -> list[Hit]:
    if number is None:
        return []
    problems = scope.filter(Problem.objects.filter(campaign=campaign, pk=number)).select_related(
        "member", "team", "unit"
    )
    return [
        Hit(
            _("Problem #%(number)d") % {"number": problem.pk},
            " · ".join(
                part
                for part in (
                    problem.member.name if problem.member else problem.team.name if problem.team else "",
                    problem.unit.name,
                    str(problem.get_source_display()),
                    Truncator(problem.title or problem.text).chars(60),
                )
                if part
            ),
            url_or_none("rectification:problem_detail", problem.pk),
        )
        for problem in problems
    ]


# Office, supervisors and secretaries: the problems of the units they look after.
register_search(SearchKind("problems", _("Problems"), "org.browse", _problems))
