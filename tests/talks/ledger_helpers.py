"""A naive recount of the talk figures: Python loops over the rows, sharing no code with
the roll-up's SQL (reports.talks.source) or the plan's selectors (talks.selectors), so
that each of those can be checked against it."""

from __future__ import annotations

from collections import Counter, defaultdict

from campaign.models import LEADING_RANKS, Campaign, LeadershipTeam, Member
from reports.models import LedgerRow
from reports.talks.source import Dimension
from talks.models import Talk

FigureKey = tuple[str, int | None, str, str]


def naive_required_pairs(campaign: Campaign) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for team in LeadershipTeam.objects.filter(campaign=campaign).prefetch_related("members"):
        seats = {member.pk for member in team.members.all()}
        if team.head_id:
            seats.add(team.head_id)
        pairs |= {(a, b) for a in seats for b in seats if a < b}
    for member in Member.objects.filter(campaign=campaign).prefetch_related("in_charge_of"):
        if member.rank not in LEADING_RANKS:
            continue
        for unit in member.in_charge_of.all():
            head = unit.responsible_leader_id
            if head is not None and head != member.pk:
                pairs.add((min(member.pk, head), max(member.pk, head)))
    return pairs


def naive_talk_ledger(campaign: Campaign) -> dict[FigureKey, int]:
    """Every talk figure the ledger should hold, counted one row at a time."""
    figures: Counter[FigureKey] = Counter()
    members = {member.pk: member for member in Member.objects.filter(campaign=campaign)}
    talks = list(Talk.objects.filter(campaign=campaign))
    required = naive_required_pairs(campaign)
    talked = {
        (min(t.member_id, t.other_member_id), max(t.member_id, t.other_member_id)) for t in talks if t.other_member_id
    }

    def unit_figure(unit_id: int, key: str, n: int = 1) -> None:
        figures[(f"unit:{unit_id}", unit_id, "talks", key)] += n
        figures[("county", None, "talks", key)] += n

    with_members: dict[int, int] = defaultdict(int)
    with_public: dict[int, int] = defaultdict(int)
    for talk in talks:
        if talk.other_member_id is None:
            with_public[talk.member_id] += 1
        else:
            with_members[talk.member_id] += 1
            with_members[talk.other_member_id] += 1
        unit_id = members[talk.member_id].unit_id
        unit_figure(unit_id, "cards")
        if talk.state == "adequate":
            unit_figure(unit_id, "cards_reviewed")
        if talk.state in ("recorded", "revised"):
            unit_figure(unit_id, "cards_awaiting")
        if talk.state == "returned":
            unit_figure(unit_id, "cards_returned")
        if talk.times_returned >= 2:
            unit_figure(unit_id, "cards_flagged")

    for pk, member in members.items():
        quota = campaign.talk_quota_leader if member.rank in LEADING_RANKS else campaign.talk_quota_member
        held = with_members[pk] + with_public[pk]
        mine = [pair for pair in required if pk in pair]
        own = {
            "talks": held,
            "talks_members": with_members[pk],
            "talks_public": with_public[pk],
            "talks_required": quota,
            "members_meeting_quota": int(held >= quota),
            "required_pairs": len(mine),
            "required_pairs_done": sum(1 for pair in mine if pair in talked),
        }
        for key, value in own.items():
            figures[(f"member:{pk}", member.unit_id, "talks", key)] += value
            if key not in ("required_pairs", "required_pairs_done"):
                unit_figure(member.unit_id, key, value)
        unit_figure(member.unit_id, "members_total")

    for low, high in required:
        unit_figure(members[low].unit_id, "required_pairs")
        if (low, high) in talked:
            unit_figure(members[low].unit_id, "required_pairs_done")
    return {key: value for key, value in figures.items() if value}


def stored_talk_ledger(campaign: Campaign) -> dict[FigureKey, int]:
    rows = LedgerRow.objects.filter(campaign=campaign, dimension=Dimension.TALKS).values_list(
        "scope", "unit_id", "dimension", "key", "value"
    )
    return {(scope, unit_id, dimension, key): value for scope, unit_id, dimension, key, value in rows}


def differences(stored: dict[FigureKey, int], expected: dict[FigureKey, int]) -> dict[FigureKey, tuple[int, int]]:
    return {
        key: (stored.get(key, 0), expected.get(key, 0))
        for key in set(stored) | set(expected)
        if stored.get(key, 0) != expected.get(key, 0)
    }


def assert_talk_ledger_matches(campaign: Campaign) -> None:
    wrong = differences(stored_talk_ledger(campaign), naive_talk_ledger(campaign))
    assert not wrong, f"(stored, recounted) differ: {sorted(wrong.items(), key=str)[:20]}"
