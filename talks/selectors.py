"""The talk plan's arithmetic over one campaign: required pairs, talks counted, quotas.

These are the shared definitions (notes/talks.md "Definitions everyone must share"),
computed in Python from a handful of flat queries. The progress pages and the ledger's
reconciliation recount read them; the ledger's roll-up writes the same figures with its
own SQL (``reports.talks.source``), and a test checks that the two agree.

- Talks counted for a member: every card where he or she is the first person or the
  other member, in any review state; with members = cards with another member, with
  the public = cards with a person outside the membership.
- Quota: the campaign's leader quota for a leading cadre, else its member quota; a
  member meets it when the talks counted reach it.
- Required pairs, unordered and each once: every two members of one leadership team
  (its members and its head), and every leading cadre with the responsible leader of
  each unit in his or her charge. A pair is done when any card joins the two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from django.db.models import Count, Q

from campaign.models import LEADING_RANKS, Campaign, LeadershipTeam, Member
from talks.models import AWAITING_REVIEW, FLAG_AFTER_RETURNS, CardState, Talk, TalkKind

Pair = tuple[int, int]

# The kind of a required pair: a leadership team's, or a cadre's with a unit in charge.
TEAM = TalkKind.TEAM.value
CHARGE = TalkKind.CHARGE.value


def ordered_pair(first: int, second: int) -> Pair:
    """The pair of two members as the plan keys it: (lower id, higher id)."""
    return (first, second) if first < second else (second, first)


def team_seats(campaign: Campaign | int) -> dict[int, set[int]]:
    """Team id → the ids of its members and its head."""
    seats: dict[int, set[int]] = defaultdict(set)
    through = LeadershipTeam.members.through
    for team_id, member_id in through.objects.filter(leadershipteam__campaign=campaign).values_list(
        "leadershipteam_id", "member_id"
    ):
        seats[team_id].add(member_id)
    for team_id, head_id in LeadershipTeam.objects.filter(campaign=campaign).values_list("pk", "head_id"):
        if head_id is not None:
            seats[team_id].add(head_id)
    return dict(seats)


def charge_links(campaign: Campaign | int) -> list[Pair]:
    """(leading cadre id, responsible leader id) for each unit in a leading cadre's
    charge that has a responsible leader other than the cadre."""
    through = Member.in_charge_of.through
    rows = through.objects.filter(
        member__campaign=campaign,
        member__rank__in=LEADING_RANKS,
        orgunit__responsible_leader__isnull=False,
    ).values_list("member_id", "orgunit__responsible_leader_id")
    return [(leader, head) for leader, head in rows if leader != head]


def required_pairs(campaign: Campaign | int) -> dict[Pair, str]:
    """Every required pair, (low id, high id) → "team" or "charge" (team wins when both)."""
    pairs: dict[Pair, str] = {}
    for leader, head in charge_links(campaign):
        pairs[ordered_pair(leader, head)] = CHARGE
    for seats in team_seats(campaign).values():
        for pair in combinations(sorted(seats), 2):
            pairs[pair] = TEAM
    return pairs


def talked_pairs(campaign: Campaign | int) -> set[Pair]:
    """Every two members joined by at least one card (either order, any kind or state)."""
    rows = (
        Talk.objects.filter(campaign=campaign, other_member__isnull=False)
        .order_by()
        .values_list("member_id", "other_member_id")
        .distinct()
    )
    return {ordered_pair(first, second) for first, second in rows}


def missing_pairs(campaign: Campaign | int) -> dict[Pair, str]:
    """The required pairs no card joins yet: exactly who still has to talk with whom."""
    done = talked_pairs(campaign)
    return {pair: kind for pair, kind in required_pairs(campaign).items() if pair not in done}


def talk_counts(campaign: Campaign | int) -> dict[int, tuple[int, int]]:
    """Member id → (talks with members, talks with the public), for every member of the
    campaign (a member with no talk has (0, 0))."""
    with_members: dict[int, int] = defaultdict(int)
    with_public: dict[int, int] = defaultdict(int)
    cards = Talk.objects.filter(campaign=campaign).order_by()
    for member_id, other_id, n in cards.values_list("member_id", "other_member_id").annotate(n=Count("pk")):
        if other_id is None:
            with_public[member_id] += n
        else:
            with_members[member_id] += n
    for other_id, n in cards.filter(other_member__isnull=False).values_list("other_member_id").annotate(n=Count("pk")):
        with_members[other_id] += n
    member_ids = Member.objects.filter(campaign=campaign).values_list("pk", flat=True)
    return {pk: (with_members.get(pk, 0), with_public.get(pk, 0)) for pk in member_ids}


def quota_for(member: Member, campaign: Campaign) -> int:
    """The talks a member must hold: the leader quota for a leading cadre."""
    return quota_for_rank(member.rank, campaign)


def quota_for_rank(rank: str, campaign: Campaign) -> int:
    return campaign.talk_quota_leader if rank in LEADING_RANKS else campaign.talk_quota_member


@dataclass(frozen=True)
class MemberTalks:
    """One member's standing against the plan."""

    member_id: int
    unit_id: int
    with_members: int
    with_public: int
    quota: int
    pairs: int  # required pairs he or she is part of
    pairs_done: int

    @property
    def held(self) -> int:
        return self.with_members + self.with_public

    @property
    def meets_quota(self) -> bool:
        return self.held >= self.quota

    @property
    def short_by(self) -> int:
        return max(self.quota - self.held, 0)


def member_talks(campaign: Campaign, *, pairs: Mapping[Pair, str] | None = None) -> dict[int, MemberTalks]:
    """Member id → his or her talks, quota and required pairs, for every member."""
    counts = talk_counts(campaign)
    pairs = required_pairs(campaign) if pairs is None else pairs
    done = talked_pairs(campaign)
    per_member: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pair in pairs:
        is_done = pair in done
        for member_id in pair:
            per_member[member_id][0] += 1
            per_member[member_id][1] += is_done
    result = {}
    for pk, unit_id, rank in Member.objects.filter(campaign=campaign).values_list("pk", "unit_id", "rank"):
        with_members, with_public = counts.get(pk, (0, 0))
        n_pairs, n_done = per_member.get(pk, (0, 0))
        result[pk] = MemberTalks(
            member_id=pk,
            unit_id=unit_id,
            with_members=with_members,
            with_public=with_public,
            quota=quota_for_rank(rank, campaign),
            pairs=n_pairs,
            pairs_done=n_done,
        )
    return result


@dataclass(frozen=True)
class CardCounts:
    """Cards by review state (one card in exactly one of awaiting/returned/adequate)."""

    cards: int = 0
    reviewed: int = 0  # adequate
    awaiting: int = 0  # recorded or revised
    returned: int = 0  # returned, awaiting the recorder's revision
    flagged: int = 0  # returned FLAG_AFTER_RETURNS times or more


def card_counts_by_unit(campaign: Campaign | int) -> dict[int, CardCounts]:
    """Unit id of the card's first person → its cards by review state."""
    rows = (
        Talk.objects.filter(campaign=campaign)
        .order_by()
        .values("member__unit_id")
        .annotate(
            cards=Count("pk"),
            reviewed=Count("pk", filter=Q(state=CardState.ADEQUATE)),
            awaiting=Count("pk", filter=Q(state__in=AWAITING_REVIEW)),
            returned=Count("pk", filter=Q(state=CardState.RETURNED)),
            flagged=Count("pk", filter=Q(times_returned__gte=FLAG_AFTER_RETURNS)),
        )
    )
    return {
        row["member__unit_id"]: CardCounts(
            cards=row["cards"],
            reviewed=row["reviewed"],
            awaiting=row["awaiting"],
            returned=row["returned"],
            flagged=row["flagged"],
        )
        for row in rows
    }


def units_of_members(member_ids: Iterable[int | None]) -> set[int]:
    """The current units of some members (None and unknown ids are skipped)."""
    ids = {pk for pk in member_ids if pk is not None}
    if not ids:
        return set()
    return set(Member.objects.filter(pk__in=ids).values_list("unit_id", flat=True))


@dataclass(frozen=True)
class TalkStanding:
    """One member against the plan, as another stage asks it: the talks counted, the
    quota, and the members he or she still has to talk with (required pairs no card
    joins yet)."""

    held: int
    quota: int
    missing_partners: tuple[int, ...]

    @property
    def meets_quota(self) -> bool:
        return self.held >= self.quota

    @property
    def short_by(self) -> int:
        return max(self.quota - self.held, 0)


def talk_standing(campaign: Campaign, member_ids: Iterable[int]) -> dict[int, TalkStanding]:
    """Member id → his or her standing, for the members asked about, with the shared
    definitions above; a fixed number of queries (the required pairs of the campaign,
    the cards of these members, their ranks) whatever their number."""
    ids = set(member_ids)
    if not ids:
        return {}
    held: dict[int, int] = defaultdict(int)
    talked: set[Pair] = set()
    cards = (
        Talk.objects.filter(campaign=campaign)
        .filter(Q(member_id__in=ids) | Q(other_member_id__in=ids))
        .order_by()
        .values_list("member_id", "other_member_id")
        .annotate(n=Count("pk"))
    )
    for member_id, other_id, n in cards:
        held[member_id] += n
        if other_id is not None:
            held[other_id] += n
            talked.add(ordered_pair(member_id, other_id))
    missing: dict[int, list[int]] = defaultdict(list)
    for pair in required_pairs(campaign):
        if pair in talked:
            continue
        low, high = pair
        if low in ids:
            missing[low].append(high)
        if high in ids:
            missing[high].append(low)
    ranks = Member.objects.filter(campaign=campaign, pk__in=ids).values_list("pk", "rank")
    return {
        pk: TalkStanding(
            held=held.get(pk, 0), quota=quota_for_rank(rank, campaign), missing_partners=tuple(sorted(missing[pk]))
        )
        for pk, rank in ranks
    }


def own_required_pairs(member: Member) -> dict[int, tuple[str, bool]]:
    """One member's required pairs, as ``required_pairs`` finds them for the campaign:
    the other member's id → (``TEAM`` or ``CHARGE``, talked yet). Five queries, whatever
    the campaign's size (the home page of a leading cadre)."""
    through = LeadershipTeam.members.through
    teams = LeadershipTeam.objects.filter(Q(members=member) | Q(head=member)).values("pk")
    seats = set(through.objects.filter(leadershipteam__in=teams).values_list("member_id", flat=True))
    seats |= set(LeadershipTeam.objects.filter(pk__in=teams, head__isnull=False).values_list("head_id", flat=True))
    charge = Member.in_charge_of.through.objects.filter(orgunit__responsible_leader__isnull=False)
    others: dict[int, str] = {}
    if member.rank in LEADING_RANKS:
        for head in charge.filter(member=member).values_list("orgunit__responsible_leader_id", flat=True):
            others[head] = CHARGE
    for leader in charge.filter(orgunit__responsible_leader=member, member__rank__in=LEADING_RANKS).values_list(
        "member_id", flat=True
    ):
        others[leader] = CHARGE
    for seat in seats:
        others[seat] = TEAM  # team wins when both, as in required_pairs
    others.pop(member.pk, None)
    talked = set(
        Talk.objects.filter(
            Q(member=member, other_member_id__in=list(others)) | Q(other_member=member, member_id__in=list(others)),
            campaign_id=member.campaign_id,
        ).values_list("member_id", "other_member_id")
    )
    done = {first if second == member.pk else second for first, second in talked}
    return {other: (kind, other in done) for other, kind in others.items()}
