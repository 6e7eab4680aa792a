"""Reads of the talk figures of the ledger (``Dimension.TALKS``) for the progress pages:
named accessors over the ledger's one read layer (``reports.ledger.figures``).

Everything here reads ledger rows, never the talk cards: a page costs the same few
queries with ten cards or a hundred thousand. The keys and what they count are in
``reports.talks.source`` (unit rows: cards by review state filed under the unit of the
card's first person, talks and quotas summed over the unit's members, required pairs
filed under the unit of the lower-id member; member rows: one member's figures).

Scoping as in ``reports.ledger.figures``: the caller has checked the action and fetched
the unit or member through ``campaign.scoping``; a visible unit's subtree is visible.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind, SupervisoryTeam
from campaign.scoping import AnyUser, outermost_paths, scope_for
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures, Row
from reports.models import LedgerLevel, LedgerRow
from reports.talks import source as keys
from reports.talks.source import Dimension

TALKS = Dimension.TALKS

CARD_KEYS = (keys.CARDS, keys.CARDS_REVIEWED, keys.CARDS_AWAITING, keys.CARDS_RETURNED, keys.CARDS_FLAGGED)


class TalkFigures(Figures):
    """The talk figures of one scope (a missing figure is 0)."""

    DIMENSIONS = (TALKS,)

    def talk(self, key: str) -> int:
        return self.get(TALKS, key)

    # Cards and their review.
    @property
    def cards(self) -> int:
        return self.talk(keys.CARDS)

    @property
    def cards_reviewed(self) -> int:
        return self.talk(keys.CARDS_REVIEWED)

    @property
    def cards_awaiting(self) -> int:
        return self.talk(keys.CARDS_AWAITING)

    @property
    def cards_returned(self) -> int:
        return self.talk(keys.CARDS_RETURNED)

    @property
    def cards_flagged(self) -> int:
        return self.talk(keys.CARDS_FLAGGED)

    # Talks against quota.
    @property
    def talks(self) -> int:
        return self.talk(keys.TALKS_HELD)

    @property
    def talks_members(self) -> int:
        return self.talk(keys.TALKS_WITH_MEMBERS)

    @property
    def talks_public(self) -> int:
        return self.talk(keys.TALKS_WITH_PUBLIC)

    @property
    def talks_required(self) -> int:
        return self.talk(keys.TALKS_REQUIRED)

    @property
    def members_total(self) -> int:
        return self.talk(keys.MEMBERS_TOTAL)

    @property
    def members_meeting_quota(self) -> int:
        return self.talk(keys.MEMBERS_MEETING_QUOTA)

    @property
    def members_below_quota(self) -> int:
        return max(self.members_total - self.members_meeting_quota, 0)

    # Required pairs.
    @property
    def required_pairs(self) -> int:
        return self.talk(keys.REQUIRED_PAIRS)

    @property
    def required_pairs_done(self) -> int:
        return self.talk(keys.REQUIRED_PAIRS_DONE)

    @property
    def required_pairs_missing(self) -> int:
        return max(self.required_pairs - self.required_pairs_done, 0)

    # A member's own figures (member rows).
    @property
    def meets_quota(self) -> bool:
        return self.members_meeting_quota > 0

    @property
    def talks_lacking(self) -> int:
        return max(self.talks_required - self.talks, 0)


def _talk_rows(*args: Any, **filters: Any) -> QuerySet[LedgerRow]:
    return ledger.rows(TalkFigures, *args, **filters)


def county_talks(user: AnyUser, campaign: Campaign) -> TalkFigures:
    """The county's talk figures as the user may see them: the county rows for those who
    see the campaign whole, otherwise the unit rows of the user's subtrees summed."""
    return ledger.county(TalkFigures, user, campaign)


def subtree_talks(unit: OrgUnit) -> TalkFigures:
    """An organisation's figures: the unit rows of it and everything below it. A branch
    has no unit rows of its own: its figures are its members'."""
    if unit.kind == OrgUnitKind.BRANCH:
        return branch_talks([unit])[unit.pk]
    return ledger.subtree(TalkFigures, unit)


def member_talks(member: Member) -> TalkFigures:
    return ledger.member(TalkFigures, member)


def members_talks(members: Iterable[Member]) -> dict[int, TalkFigures]:
    """The figures of some members (a page of them), in one query."""
    return ledger.members(TalkFigures, members)


def subtree_members_talks(unit: OrgUnit) -> dict[int, TalkFigures]:
    """The figures of every member of an organisation's subtree (a branch: its members),
    in one query: what an export of the whole subtree needs."""
    rows = _talk_rows(level=LedgerLevel.MEMBER, campaign_id=unit.campaign_id)
    if unit.kind == OrgUnitKind.BRANCH:
        rows = rows.filter(member__branch=unit)
    else:
        rows = rows.filter(unit__path__startswith=unit.path)
    per_member: dict[int, list[Row]] = defaultdict(list)
    for member_id, dimension, key, value in rows.values_list("member_id", "dimension", "key", "value"):
        per_member[member_id].append((dimension, key, value))
    return defaultdict(TalkFigures, {pk: TalkFigures.from_rows(items) for pk, items in per_member.items()})


# --- The county page: one row per party committee or unit ----------------------------


@dataclass(frozen=True)
class UnitTalks:
    unit: OrgUnit
    figures: TalkFigures


def summary_rows(campaign: Campaign, units: Iterable[OrgUnit], *, fold: bool) -> list[UnitTalks]:
    """The figures of a page of organisations, in one query."""
    return [
        UnitTalks(unit=unit, figures=figures)
        for unit, figures in ledger.by_owner(TalkFigures, campaign, units, fold=fold)
    ]


def summary_totals(campaign: Campaign, units: QuerySet[OrgUnit], *, fold: bool) -> TalkFigures:
    """The foot of the county page: every organisation that matches, not one page."""
    return ledger.owner_totals(TalkFigures, campaign, units, fold=fold)


# --- A unit's page: its branches and its members ---------------------------------------


def subtree_branches(user: AnyUser, unit: OrgUnit) -> QuerySet[OrgUnit]:
    branches = OrgUnit.objects.filter(campaign_id=unit.campaign_id, kind=OrgUnitKind.BRANCH)
    branches = (
        branches.filter(pk=unit.pk) if unit.kind == OrgUnitKind.BRANCH else branches.filter(path__startswith=unit.path)
    )
    return scope_for(user).filter(branches).select_related("parent").order_by("path")


def branch_talks(branches: Iterable[OrgUnit]) -> dict[int, TalkFigures]:
    """Each branch's figures, from the member rows of its members: one aggregate query
    for the figures, one for the number of members (who may have no row at all)."""
    ids = [branch.pk for branch in branches]
    per_branch: dict[int, list[Row]] = defaultdict(list)
    if ids:
        rows = (
            _talk_rows(level=LedgerLevel.MEMBER, member__branch_id__in=ids)
            .order_by()
            .values("member__branch_id", "dimension", "key")
            .annotate(v=Sum("value"))
        )
        for row in rows:
            per_branch[row["member__branch_id"]].append((row["dimension"], row["key"], row["v"]))
        counts = Member.objects.filter(branch_id__in=ids).order_by().values("branch_id").annotate(n=Count("pk"))
        for row in counts:
            per_branch[row["branch_id"]].append((TALKS, keys.MEMBERS_TOTAL, row["n"]))
    return {pk: TalkFigures.from_rows(per_branch[pk]) for pk in ids}


def subtree_members(user: AnyUser, unit: OrgUnit, *, search: str = "", below_quota: bool = False) -> QuerySet[Member]:
    """The members of an organisation's subtree (a branch: its members) the user may
    see; ``below_quota``: only those whose member rows say they do not meet it."""
    members = Member.objects.filter(campaign_id=unit.campaign_id)
    if unit.kind == OrgUnitKind.BRANCH:
        members = members.filter(branch=unit)
    else:
        members = members.filter(unit__path__startswith=unit.path)
    members = scope_for(user).filter(members)
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(number__icontains=search) | Q(position__icontains=search)
        )
    if below_quota:
        meets = _talk_rows(level=LedgerLevel.MEMBER, member=OuterRef("pk"), key=keys.MEMBERS_MEETING_QUOTA, value__gt=0)
        members = members.exclude(Exists(meets))
    return members.select_related("unit", "branch").order_by("unit__path", "name", "pk")


# --- Review progress per supervisory team -----------------------------------------------


@dataclass(frozen=True)
class TeamReview:
    team: SupervisoryTeam | None  # None: the units no team supervises
    units: tuple[str, ...]
    figures: TalkFigures


@dataclass
class ReviewProgress:
    rows: list[TeamReview]
    unsupervised: TalkFigures
    total: TalkFigures


def visible_teams(user: AnyUser, campaign: Campaign) -> QuerySet[SupervisoryTeam]:
    return scope_for(user).filter(SupervisoryTeam.objects.filter(campaign=campaign)).order_by("-level", "pk")


def review_progress(user: AnyUser, campaign: Campaign, teams: Iterable[SupervisoryTeam]) -> ReviewProgress:
    """Cards reviewed, awaiting, returned and flagged in the units each team supervises
    (and everything below them), summed from the unit rows the user may see by path
    prefix. Three queries: the teams' units, the unit rows of the cards, and nothing
    per team. ``total`` counts each unit once, however many teams supervise it."""
    teams = list(teams)
    supervised: dict[int, list[tuple[str, str]]] = defaultdict(list)
    through = SupervisoryTeam.units.through
    for team_id, path, name in (
        through.objects.filter(supervisoryteam_id__in=[team.pk for team in teams])
        .order_by("orgunit__path")
        .values_list("supervisoryteam_id", "orgunit__path", "orgunit__name")
    ):
        supervised[team_id].append((path, name))
    rows = (
        scope_for(user)
        .filter(_talk_rows(campaign=campaign, level=LedgerLevel.UNIT, key__in=CARD_KEYS, unit__isnull=False))
        .values_list("unit__path", "dimension", "key", "value")
    )
    by_path: dict[str, list[Row]] = defaultdict(list)
    for path, dimension, key, value in rows:
        by_path[path].append((dimension, key, value))

    # Every team of the campaign counts for "no team supervises it", not only the visible ones.
    all_paths = outermost_paths(
        through.objects.filter(supervisoryteam__campaign=campaign).values_list("orgunit__path", flat=True)
    )
    result = ReviewProgress(rows=[], unsupervised=TalkFigures(), total=TalkFigures())
    for team in teams:
        paths = outermost_paths(path for path, _name in supervised[team.pk])
        figures = [item for path, items in by_path.items() if path.startswith(tuple(paths)) for item in items]
        result.rows.append(
            TeamReview(
                team=team,
                units=tuple(name for _path, name in supervised[team.pk]),
                figures=TalkFigures.from_rows(figures),
            )
        )
    covered = tuple(all_paths)
    result.unsupervised = TalkFigures.from_rows(
        item for path, items in by_path.items() if not (covered and path.startswith(covered)) for item in items
    )
    result.total = TalkFigures.from_rows(item for items in by_path.values() for item in items)
    return result
