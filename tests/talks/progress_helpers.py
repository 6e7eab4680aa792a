"""A world with leadership teams, units in a cadre's charge and some talks, and the
plan and figures computed directly from it with plain loops — the yardstick the talk
plan and the progress pages are measured against.

The world (on top of ``tests/conftest.py``'s): the inside team of 张三, 李四 (head) and
王二; the county leader 赵县长 in charge of the inside unit (responsible leader 李四) and
of the outside unit (王五OUTSIDE); the outside team of 王五OUTSIDE and 孙七OUTSIDE.
Talks: 张三–李四 (team), 王二–李四 (member kind, written the other way round),
赵县长–王五OUTSIDE (charge), four of 张三 with the public. Missing: 张三–王二,
赵县长–李四, 王五OUTSIDE–孙七OUTSIDE. Cards in every review state.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from campaign.models import LEADING_RANKS, Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind, Rank
from reports.ledger.rollup import ledger_rollup_full
from talks.models import AWAITING_REVIEW, FLAG_AFTER_RETURNS, CardState, Talk, TalkKind
from tests import factories as f
from tests.talks.factories import PublicTalkFactory, TalkFactory, bulk_talks


@dataclass
class TalkWorld:
    world: Any
    campaign: Campaign
    zhang: Member  # 张三INSIDE, ordinary, the member with a login
    li: Member  # 李四INSIDE, section-level cadre, head of the inside team, responsible leader of the inside unit
    wang: Member  # 王二INSIDE, ordinary, on the inside team, no branch
    leader: Member  # 赵县长, county-level leader in the county committee, in charge of both units
    outside: Member  # 王五OUTSIDE
    sun: Member  # 孙七OUTSIDE
    team: LeadershipTeam


def build_talk_world(world: Any) -> TalkWorld:
    campaign = world.campaign
    zhang = world.member
    li = Member.objects.get(campaign=campaign, name="李四INSIDE")
    wang = f.MemberFactory(campaign=campaign, unit=world.unit, name="王二INSIDE")
    leader = f.MemberFactory(campaign=campaign, unit=world.county, name="赵县长", rank=Rank.COUNTY_LEADER)
    sun = f.MemberFactory(campaign=campaign, unit=world.other_unit, branch=world.other_branch, name="孙七OUTSIDE")
    team = LeadershipTeam.objects.get(campaign=campaign, unit=world.unit)
    team.members.add(wang)
    LeadershipTeam.objects.get(campaign=campaign, unit=world.other_unit).members.add(sun)
    world.unit.responsible_leader = li
    world.unit.save()
    world.other_unit.responsible_leader = world.other_member
    world.other_unit.save()
    leader.in_charge_of.add(world.unit, world.other_unit)

    TalkFactory(member=zhang, other_member=li, kind=TalkKind.TEAM, state=CardState.ADEQUATE)
    TalkFactory(member=wang, other_member=li, kind=TalkKind.MEMBER, state=CardState.RETURNED, times_returned=1)
    TalkFactory(
        member=leader,
        other_member=world.other_member,
        kind=TalkKind.CHARGE,
        state=CardState.REVISED,
        times_returned=FLAG_AFTER_RETURNS,
    )
    for state in (CardState.ADEQUATE, CardState.RECORDED, CardState.RECORDED, CardState.RETURNED):
        PublicTalkFactory(member=zhang, state=state, times_returned=1 if state == CardState.RETURNED else 0)
    PublicTalkFactory(member=world.other_member, state=CardState.ADEQUATE)
    return TalkWorld(
        world=world,
        campaign=campaign,
        zhang=zhang,
        li=li,
        wang=wang,
        leader=leader,
        outside=world.other_member,
        sun=sun,
        team=team,
    )


# --- A large county, written in bulk --------------------------------------------------

STATES = (CardState.ADEQUATE, CardState.RECORDED, CardState.RETURNED, CardState.REVISED)


def times_returned(state: str, n: int) -> int:
    """How often a card in ``state`` may have been returned (the ``n``-th choice): never
    while first awaiting review, at least once when returned or revised."""
    if state == CardState.RECORDED:
        return 0
    if state in (CardState.RETURNED, CardState.REVISED):
        return 1 + n % 2
    return n % 3


def grow_county(tw: TalkWorld, *, units: int, members_per_unit: int, inside_members: int) -> None:
    """A large county written in bulk: ``units`` more units under the inside committee
    (two branches, a team of five, a responsible leader in 赵县长's charge each), their
    members, ``inside_members`` more members in the inside unit, two cards for every
    member (one with a neighbour, one with the public), then a full roll-up."""
    campaign, world = tw.campaign, tw.world
    new_units = f.bulk_units(campaign, [world.committee] * units)
    branches = f.bulk_units(campaign, [unit for unit in new_units for _ in range(2)], kind=OrgUnitKind.BRANCH)
    places = [(unit, branches[2 * i : 2 * i + 2], members_per_unit) for i, unit in enumerate(new_units)]
    places.append((world.unit, [world.branch], inside_members))
    people = f.bulk_members(
        campaign,
        [
            {"unit": unit, "branch": seats[i % len(seats)], "rank": Rank.SECTION_CADRE if i == 0 else Rank.ORDINARY}
            for unit, seats, count in places
            for i in range(count)
        ],
    )
    staffs, start = [], 0
    for _unit, _seats, count in places:
        staffs.append(people[start : start + count])
        start += count
    led = list(zip(new_units, staffs[:-1], strict=True))  # the inside unit has its team and leader
    f.bulk_teams(campaign, [{"unit": unit, "head": staff[0], "members": staff[1:5]} for unit, staff in led])
    f.bulk_responsible_leaders((unit, staff[0]) for unit, staff in led)
    f.bulk_in_charge(tw.leader, new_units)
    cards = []
    for staff in staffs:
        for i, person in enumerate(staff):
            mine, public = STATES[i % 4], STATES[(i + 1) % 4]
            cards.append(
                {
                    "member": person,
                    "other_member": staff[(i + 1) % len(staff)],
                    "state": mine,
                    "times_returned": times_returned(mine, i),
                }
            )
            cards.append(
                {
                    "member": person,
                    "outsider_name": f"群众{person.pk}",
                    "state": public,
                    "times_returned": times_returned(public, i),
                }
            )
    bulk_talks(campaign, cards)
    ledger_rollup_full(campaign_id=campaign.pk)


# --- Direct computations, with plain loops ------------------------------------------


def direct_required(campaign: Campaign) -> dict[frozenset[int], str]:
    """Every required pair → "team" or "charge" (a team pair wins)."""
    required: dict[frozenset[int], str] = {}
    for leader in Member.objects.filter(campaign=campaign).prefetch_related("in_charge_of"):
        if leader.rank not in LEADING_RANKS:
            continue
        for unit in leader.in_charge_of.all():
            if unit.responsible_leader_id and unit.responsible_leader_id != leader.pk:
                required[frozenset((leader.pk, unit.responsible_leader_id))] = "charge"
    for team in LeadershipTeam.objects.filter(campaign=campaign).prefetch_related("members"):
        seats = {member.pk for member in team.members.all()}
        if team.head_id:
            seats.add(team.head_id)
        for a, b in combinations(sorted(seats), 2):
            required[frozenset((a, b))] = "team"
    return required


def direct_talked(campaign: Campaign) -> set[frozenset[int]]:
    talked = set()
    for talk in Talk.objects.filter(campaign=campaign):
        if talk.other_member_id is not None:
            talked.add(frozenset((talk.member_id, talk.other_member_id)))
    return talked


def direct_missing(campaign: Campaign) -> dict[frozenset[int], str]:
    talked = direct_talked(campaign)
    return {pair: kind for pair, kind in direct_required(campaign).items() if pair not in talked}


@dataclass
class Standing:
    with_members: int = 0
    with_public: int = 0
    quota: int = 0
    pairs: int = 0
    pairs_done: int = 0

    @property
    def held(self) -> int:
        return self.with_members + self.with_public

    @property
    def meets(self) -> bool:
        return self.held >= self.quota


def direct_standing(campaign: Campaign) -> dict[int, Standing]:
    """Every member's talks, quota and required pairs, counted card by card."""
    standing = {}
    for member in Member.objects.filter(campaign=campaign):
        quota = campaign.talk_quota_leader if member.rank in LEADING_RANKS else campaign.talk_quota_member
        standing[member.pk] = Standing(quota=quota)
    for talk in Talk.objects.filter(campaign=campaign):
        if talk.other_member_id is None:
            standing[talk.member_id].with_public += 1
        else:
            standing[talk.member_id].with_members += 1
            standing[talk.other_member_id].with_members += 1
    talked = direct_talked(campaign)
    for pair in direct_required(campaign):
        for member_id in pair:
            standing[member_id].pairs += 1
            standing[member_id].pairs_done += pair in talked
    return standing


def direct_cards(talks: Any) -> Counter:
    """The review figures of some cards."""
    counted: Counter = Counter()
    for talk in talks:
        counted["cards"] += 1
        counted["reviewed"] += talk.state == CardState.ADEQUATE
        counted["awaiting"] += talk.state in AWAITING_REVIEW
        counted["returned"] += talk.state == CardState.RETURNED
        counted["flagged"] += talk.times_returned >= FLAG_AFTER_RETURNS
    return counted


def direct_unit_figures(campaign: Campaign, unit: OrgUnit, *, own: bool = False) -> dict[str, int]:
    """An organisation's figures counted from the cards and members: of its subtree, or
    (``own``) of the members, cards and pairs filed under it alone."""

    def inside(other: OrgUnit) -> bool:
        return other.pk == unit.pk if own else other.is_within(unit)

    standing = direct_standing(campaign)
    everyone = list(Member.objects.filter(campaign=campaign).select_related("unit"))
    members = [m for m in everyone if inside(m.unit)]
    ids = {m.pk for m in members}
    cards = direct_cards(
        t for t in Talk.objects.filter(campaign=campaign).select_related("member__unit") if inside(t.member.unit)
    )
    unit_of = {m.pk: m.unit for m in everyone}
    talked = direct_talked(campaign)
    filed = [pair for pair in direct_required(campaign) if inside(unit_of[min(pair)])]
    return {
        "members_total": len(members),
        "members_meeting_quota": sum(standing[pk].meets for pk in ids),
        "talks": sum(standing[pk].held for pk in ids),
        "talks_members": sum(standing[pk].with_members for pk in ids),
        "talks_public": sum(standing[pk].with_public for pk in ids),
        "talks_required": sum(standing[pk].quota for pk in ids),
        "required_pairs": len(filed),
        "required_pairs_done": sum(pair in talked for pair in filed),
        "cards": cards["cards"],
        "cards_reviewed": cards["reviewed"],
        "cards_awaiting": cards["awaiting"],
        "cards_returned": cards["returned"],
        "cards_flagged": cards["flagged"],
    }


def figures_dict(figures: Any) -> dict[str, int]:
    """A ``TalkFigures`` in the shape of ``direct_unit_figures``."""
    return {
        name: getattr(figures, name)
        for name in (
            "members_total",
            "members_meeting_quota",
            "talks",
            "talks_members",
            "talks_public",
            "talks_required",
            "required_pairs",
            "required_pairs_done",
            "cards",
            "cards_reviewed",
            "cards_awaiting",
            "cards_returned",
            "cards_flagged",
        )
    }


def plan_pairs(plan: Any) -> dict[frozenset[int], str]:
    return {frozenset((pair.first.pk, pair.second.pk)): pair.kind for pair in plan.pairs}


def by_branch(campaign: Campaign) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    for member in Member.objects.filter(campaign=campaign, branch__isnull=False):
        members[member.branch_id].append(member.pk)
    return members
