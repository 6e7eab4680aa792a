"""The talk plan: exactly who still has to talk with whom, and who is short of quota.

Read from ``talks.selectors`` (the shared definitions of required pairs, talks counted
and quotas), never from the ledger: the plan names people, the ledger only counts. It
costs a fixed number of flat queries over one campaign whatever its size; the filtering,
scoping and ordering are done in Python over those rows.

Scoping: a required pair is in reach of a user when either of its two members is (a
secretary sees the pairs his or her members still owe, whoever the other one is); a
member short of quota when he or she is. Filters narrow the same way: a pair matches
when either member lies in the chosen party committee, unit or branch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Rank
from campaign.scoping import scope_for
from talks import selectors
from talks.models import TalkKind
from talks.selectors import Pair

# The kinds a required pair can have, in the order the plan lists them.
PAIR_KINDS: tuple[str, ...] = (selectors.TEAM, selectors.CHARGE)
RANK_ORDER = {rank: index for index, rank in enumerate(Rank.values)}


@dataclass(frozen=True)
class PlanFilters:
    """What the plan is narrowed to; every field empty shows everything in reach."""

    committee: OrgUnit | None = None
    unit: OrgUnit | None = None
    branch: OrgUnit | None = None
    kind: str = ""
    member: Member | None = None
    search: str = ""

    def matches(self, member: Member) -> bool:
        """Whether a member lies inside the chosen organisations (and search)."""
        if self.member is not None and member.pk != self.member.pk:
            return False
        for within in (self.committee, self.unit):
            if within is not None and not member.unit.path.startswith(within.path):
                return False
        if self.branch is not None and member.branch_id != self.branch.pk:
            return False
        if self.search:
            needle = self.search.casefold()
            if needle not in member.name.casefold() and needle not in member.number.casefold():
                return False
        return True


@dataclass(frozen=True)
class MissingPair:
    """A required pair no card joins yet. For a leading cadre's pair, ``first`` is the
    cadre and ``second`` the responsible leader of the unit in his or her charge."""

    kind: str
    first: Member
    second: Member
    reasons: tuple[str, ...]  # the teams they share, or the units in the cadre's charge

    @property
    def kind_label(self) -> str:
        return str(TalkKind(self.kind).label)

    @property
    def reason(self) -> str:
        return "、".join(self.reasons)

    def involves(self, member: Member) -> bool:
        return member.pk in (self.first.pk, self.second.pk)

    def partner_of(self, member: Member) -> Member:
        return self.second if self.first.pk == member.pk else self.first


@dataclass(frozen=True)
class Shortfall:
    """A member below quota, with how many talks he or she still lacks."""

    member: Member
    with_members: int
    with_public: int
    quota: int

    @property
    def held(self) -> int:
        return self.with_members + self.with_public

    @property
    def lacking(self) -> int:
        return max(self.quota - self.held, 0)


@dataclass
class TalkPlan:
    """The plan for what a user may see, narrowed by the filters. ``required`` and
    ``done`` count the required pairs in reach that match the filters."""

    pairs: list[MissingPair] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    required: int = 0
    done: int = 0
    reach: set[int] | None = None  # the members the user may see; None: all of them

    @property
    def sees_all(self) -> bool:
        return self.reach is None

    def can_open(self, member: Member) -> bool:
        return self.reach is None or member.pk in self.reach

    @property
    def missing(self) -> int:
        return len(self.pairs)

    @property
    def talks_lacking(self) -> int:
        return sum(shortfall.lacking for shortfall in self.shortfalls)


def _members(campaign: Campaign) -> dict[int, Member]:
    """Every member of the campaign with what the plan shows of him or her: one query."""
    members = (
        Member.objects.filter(campaign=campaign)
        .select_related("unit", "branch")
        .only(
            "pk",
            "campaign_id",
            "name",
            "number",
            "rank",
            "position",
            "unit__name",
            "unit__path",
            "unit__kind",
            "branch__name",
            "branch__path",
            "branch__kind",
        )
    )
    return {member.pk: member for member in members}


def _in_reach(user: Any, campaign: Campaign) -> set[int] | None:
    """The ids of the members the user may see; None when he or she sees them all."""
    if user is None:
        return None
    scope = scope_for(user)
    if scope.is_admin or campaign.pk in scope.campaign_ids:
        return None
    return set(scope.filter(Member.objects.filter(campaign=campaign)).values_list("pk", flat=True))


class _Reasons:
    """Why a pair is required: the teams both sit on, or the units in the cadre's charge
    whose responsible leader the other is. Also tells which of a charge pair is the cadre."""

    def __init__(self, campaign: Campaign) -> None:
        seats = selectors.team_seats(campaign)
        names = dict(LeadershipTeam.objects.filter(pk__in=list(seats)).values_list("pk", "name"))
        self.teams_of: dict[int, set[int]] = defaultdict(set)
        for team_id, member_ids in seats.items():
            for member_id in member_ids:
                self.teams_of[member_id].add(team_id)
        self.team_names = names
        self.units_in_charge: dict[tuple[int, int], list[str]] = defaultdict(list)
        through = Member.in_charge_of.through
        rows = through.objects.filter(member__campaign=campaign, orgunit__responsible_leader__isnull=False).values_list(
            "member_id", "orgunit__responsible_leader_id", "orgunit__name"
        )
        for leader, head, unit_name in rows:
            self.units_in_charge[(leader, head)].append(unit_name)

    def oriented(self, kind: str, pair: Pair, members: dict[int, Member]) -> MissingPair:
        low, high = pair
        if kind == selectors.CHARGE:
            if (low, high) not in self.units_in_charge and (high, low) in self.units_in_charge:
                low, high = high, low
            return MissingPair(
                kind=kind,
                first=members[low],
                second=members[high],
                reasons=tuple(sorted(self.units_in_charge.get((low, high), ()))),
            )
        shared = self.teams_of.get(low, set()) & self.teams_of.get(high, set())
        first, second = sorted((members[low], members[high]), key=_seniority)
        return MissingPair(
            kind=kind, first=first, second=second, reasons=tuple(sorted(self.team_names[t] for t in shared))
        )


def _seniority(member: Member) -> tuple[int, str, int]:
    return (RANK_ORDER.get(member.rank, len(RANK_ORDER)), member.name, member.pk)


def _pair_order(pair: MissingPair) -> tuple[int, str, str, str, int, int]:
    return (
        PAIR_KINDS.index(pair.kind) if pair.kind in PAIR_KINDS else len(PAIR_KINDS),
        pair.first.unit.path,
        pair.first.name,
        pair.second.name,
        pair.first.pk,
        pair.second.pk,
    )


def _member_order(shortfall: Shortfall) -> tuple[str, str, int]:
    return (shortfall.member.unit.path, shortfall.member.name, shortfall.member.pk)


def talk_plan(
    campaign: Campaign,
    *,
    user: Any = None,
    filters: PlanFilters | None = None,
    with_shortfalls: bool = True,
) -> TalkPlan:
    """The missing required pairs and the members below quota that ``user`` may see
    (``None``: the whole campaign), narrowed by ``filters``."""
    filters = filters or PlanFilters()
    members = _members(campaign)
    reach = _in_reach(user, campaign)

    def counts(member_id: int) -> bool:
        member = members.get(member_id)
        return member is not None and (reach is None or member_id in reach) and filters.matches(member)

    required = selectors.required_pairs(campaign)
    done = selectors.talked_pairs(campaign)
    reasons = _Reasons(campaign)
    plan = TalkPlan(reach=reach)
    for pair, kind in required.items():
        if filters.kind and kind != filters.kind:
            continue
        if not (counts(pair[0]) or counts(pair[1])):
            continue
        plan.required += 1
        if pair in done:
            plan.done += 1
        else:
            plan.pairs.append(reasons.oriented(kind, pair, members))
    plan.pairs.sort(key=_pair_order)

    if with_shortfalls:
        for member_id, standing in selectors.member_talks(campaign, pairs=required).items():
            if standing.meets_quota or not counts(member_id):
                continue
            plan.shortfalls.append(
                Shortfall(
                    member=members[member_id],
                    with_members=standing.with_members,
                    with_public=standing.with_public,
                    quota=standing.quota,
                )
            )
        plan.shortfalls.sort(key=_member_order)
    return plan


def missing_pairs_of(member: Member) -> list[MissingPair]:
    """The required pairs one member still has to hold, the other person first seen
    from him or her (a fixed number of queries, like the whole plan)."""
    plan = talk_plan(member.campaign, filters=PlanFilters(member=member), with_shortfalls=False)
    return plan.pairs


def plan_units(user: Any, campaign: Campaign, kind: str) -> QuerySet[OrgUnit]:
    """The organisations of one kind the plan can be narrowed to, as the user sees them."""
    return scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign, kind=kind)).order_by("path")
