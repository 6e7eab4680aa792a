"""The search in the top bar: a person, an organisation, a leadership team, a talk card
or a problem by its number, within what the user may see.

Each kind of record is a ``SearchKind`` registered here, by this app for the
organisation and by a stage app in its own ``search.py`` (found with
``autodiscover_modules``, so that this app imports no stage). A kind is searched only
by a user whose roles allow its ``action``, through ``campaign.scoping``, one query for
at most ``LIMIT`` rows: a search costs the same few queries in a county or a province.
Opinions are not searched: a hit could tell a target who wrote about him or her, or
narrow it down (docs/privacy.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from campaign.scoping import AnyUser, Scope, scope_for
from campaign.selectors import current_campaign_for

# Hits shown per kind, and the longest query read.
LIMIT = 10
MAX_QUERY = 100
# "#123", "No. 123", "123号": a record's number.
NUMBER = re.compile(r"^(?:#|no\.?\s*|第)?\s*(\d{1,12})\s*号?$", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    title: str
    detail: str = ""
    url: str | None = None


@dataclass(frozen=True)
class SearchKind:
    name: str
    label: Any
    action: str
    # (scope, campaign, text, number or None) -> hits, at most LIMIT.
    find: Callable[[Scope, Campaign, str, int | None], list[Hit]]


@dataclass
class Results:
    query: str
    groups: list[tuple[SearchKind, list[Hit]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(hits) for _kind, hits in self.groups)


KINDS: dict[str, SearchKind] = {}


def register_search(kind: SearchKind) -> None:
    KINDS[kind.name] = kind


def url_or_none(name: str, *args: Any) -> str | None:
    """The page of a hit, if its app has one (a stage still without pages: no link)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def search(user: AnyUser, query: str) -> Results:
    query = " ".join(query.split())[:MAX_QUERY]
    results = Results(query=query)
    campaign = current_campaign_for(user)
    if not query or campaign is None:
        return results
    autodiscover_modules("search")
    match = NUMBER.match(query)
    number = int(match.group(1)) if match else None
    scope = scope_for(user)
    for kind in KINDS.values():
        if scope.can(kind.action):
            hits = kind.find(scope, campaign, query, number)[:LIMIT]
            if hits:
                results.groups.append((kind, hits))
    return results


def _members(scope: Scope, campaign: Campaign, text: str, number: int | None) -> list[Hit]:
    members = scope.filter(Member.objects.filter(campaign=campaign)).filter(Q(name__icontains=text) | Q(number=text))
    return [
        Hit(
            member.name,
            f"{member.unit.name} · {member.get_rank_display()}",
            reverse("campaign:member_detail", args=[member.pk]),
        )
        for member in members.select_related("unit").order_by("name", "pk")[:LIMIT]
    ]


def _units(scope: Scope, campaign: Campaign, text: str, number: int | None) -> list[Hit]:
    units = scope.filter(OrgUnit.objects.filter(campaign=campaign)).filter(Q(name__icontains=text) | Q(code=text))
    return [
        Hit(unit.name, str(unit.get_kind_display()), reverse("campaign:unit_detail", args=[unit.pk]))
        for unit in units.order_by("path")[:LIMIT]
    ]


def _teams(scope: Scope, campaign: Campaign, text: str, number: int | None) -> list[Hit]:
    teams = scope.filter(LeadershipTeam.objects.filter(campaign=campaign, name__icontains=text))
    return [
        Hit(team.name, str(team.get_kind_display()), reverse("campaign:team_detail", args=[team.pk]))
        for team in teams.order_by("name", "pk")[:LIMIT]
    ]


register_search(SearchKind("members", _("People"), "org.view", _members))
register_search(SearchKind("units", _("Organisations"), "org.view", _units))
register_search(SearchKind("teams", _("Leadership teams"), "org.view", _teams))
