"""Reads of the card pages, already scoped: the register of cards in reach and its
filters, a member's own cards against quota, the review queue, the flagged cards, a
card's history, and the members a recorder may name on a card.

(The talk plan's arithmetic — required pairs, counts for the whole campaign — lives
in ``talks/selectors.py``.)
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from campaign.scoping import outermost_paths, scope_for
from core.history import HistoryEntry, history_entries
from talks.models import AWAITING_REVIEW, FLAG_AFTER_RETURNS, CardDecision, Talk, TalkReview

SEARCH_LIMIT = 15

# --- The register --------------------------------------------------------------------


def cards_in_reach(user: Any, campaign: Campaign | None) -> QuerySet[Talk]:
    """Every card the user may see in the campaign, with what a list row shows."""
    if campaign is None:
        return Talk.objects.none()
    return scope_for(user).filter(
        Talk.objects.filter(campaign=campaign).select_related("member__unit", "other_member__unit")
    )


@dataclass(frozen=True)
class CardFilters:
    """What the register is narrowed to; the names are the GET parameters."""

    unit: OrgUnit | None = None
    kind: str = ""
    state: str = ""
    talked_from: datetime.date | None = None
    talked_to: datetime.date | None = None
    q: str = ""
    flagged: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CardFilters:
        known = set(cls.__dataclass_fields__)
        return cls(**{name: value for name, value in data.items() if name in known and value not in (None, "")})

    def apply(self, cards: QuerySet[Talk]) -> QuerySet[Talk]:
        if self.unit is not None:
            cards = cards.filter(
                Q(member__unit__path__startswith=self.unit.path)
                | Q(other_member__unit__path__startswith=self.unit.path)
            )
        if self.kind:
            cards = cards.filter(kind=self.kind)
        if self.state:
            cards = cards.filter(state=self.state)
        if self.talked_from:
            cards = cards.filter(talked_on__gte=self.talked_from)
        if self.talked_to:
            cards = cards.filter(talked_on__lte=self.talked_to)
        if self.q:
            cards = cards.filter(
                Q(member__name__icontains=self.q)
                | Q(other_member__name__icontains=self.q)
                | Q(outsider_name__icontains=self.q)
            )
        if self.flagged:
            cards = cards.filter(times_returned__gte=FLAG_AFTER_RETURNS)
        return cards


def units_for_filter(user: Any, campaign: Campaign | None) -> QuerySet[OrgUnit]:
    """Organisations to narrow the register to: those in reach, not branches (a card
    belongs to its members' units)."""
    if campaign is None:
        return OrgUnit.objects.none()
    return scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign).exclude(kind="branch")).order_by("path")


# --- A member's own cards ------------------------------------------------------------


@dataclass(frozen=True)
class OwnTalks:
    """A member's talks counted (every card he or she is on, any review state) against quota."""

    member: Member
    with_members: int
    with_public: int
    quota: int

    @property
    def total(self) -> int:
        return self.with_members + self.with_public

    @property
    def missing(self) -> int:
        return max(0, self.quota - self.total)

    @property
    def meets_quota(self) -> bool:
        return self.total >= self.quota


def own_cards(member: Member) -> QuerySet[Talk]:
    return Talk.objects.filter(Q(member=member) | Q(other_member=member)).select_related(
        "member__unit", "other_member__unit"
    )


def own_talks(member: Member, campaign: Campaign) -> OwnTalks:
    """Counted directly: a member has a few cards."""
    figures = own_cards(member).filter(campaign=campaign).values_list("other_member_id", flat=True)
    others = list(figures)
    quota = campaign.talk_quota_leader if member.is_leading_cadre else campaign.talk_quota_member
    with_members = sum(1 for other in others if other is not None)
    return OwnTalks(member=member, with_members=with_members, with_public=len(others) - with_members, quota=quota)


# --- Review ---------------------------------------------------------------------------


def review_queue(user: Any, campaign: Campaign | None) -> QuerySet[Talk]:
    """Cards awaiting this supervisor's decision — those whose first member lies in his
    or her scope — oldest first (recorded or last revised)."""
    scope = scope_for(user)
    if campaign is None or not scope.can("talks.review"):
        return Talk.objects.none()
    members = scope.filter(Member.objects.filter(campaign=campaign)).values("pk")
    return (
        Talk.objects.filter(campaign=campaign, state__in=AWAITING_REVIEW, member__in=members)
        .exclude(member__user=user)
        .exclude(other_member__user=user)
        .select_related("member__unit", "other_member__unit")
        .order_by("updated_at", "pk")
    )


def flagged_cards(user: Any, campaign: Campaign | None) -> QuerySet[Talk]:
    """Cards returned ``FLAG_AFTER_RETURNS`` times or more, most returned first, each
    with its returns newest first (``returns``)."""
    returns = TalkReview.objects.filter(decision=CardDecision.RETURN).order_by("-decided_at", "-pk")
    return (
        cards_in_reach(user, campaign)
        .filter(times_returned__gte=FLAG_AFTER_RETURNS)
        .prefetch_related(Prefetch("reviews", queryset=returns, to_attr="returns"))
        .order_by("-times_returned", "member__unit__path", "talked_on", "pk")
    )


def sees_flagged(user: Any, campaign: Campaign | None) -> bool:
    """The cards returned twice are flagged to the county office (and the administrator)."""
    scope = scope_for(user)
    return scope.is_admin or (campaign is not None and campaign.pk in scope.office_campaign_ids)


# --- History ----------------------------------------------------------------------------

HISTORY_FIELDS = (
    "kind",
    "member",
    "other_member",
    "outsider_name",
    "outsider_role",
    "outsider_relation",
    "talked_on",
    "place",
    "topics",
    "member_problems",
    "other_problems",
    "agreed",
    "state",
    "times_returned",
)


def card_history(talk: Talk) -> list[HistoryEntry]:
    """Who changed what and when, newest first: two queries (the history rows with
    their users, and the members they name)."""
    return history_entries(talk.history, Talk, HISTORY_FIELDS)


# --- The people on a card ------------------------------------------------------------------

FIRST, OTHER = "first", "other"


def logs_for_others(user: Any, campaign: Campaign) -> bool:
    """Whether the user keeps cards for other people (the administrator, the county
    office of the campaign, a unit secretary), rather than only his or her own."""
    scope = scope_for(user)
    return scope.is_admin or campaign.pk in scope.office_campaign_ids or bool(scope.secretary_paths)


def members_for_first(user: Any, campaign: Campaign) -> QuerySet[Member]:
    """Whom the user may put first on a card: the office anyone in its campaign, a
    secretary the members of his or her subtree, a member himself or herself."""
    scope = scope_for(user)
    members = Member.objects.filter(campaign=campaign)
    if scope.is_admin or campaign.pk in scope.office_campaign_ids:
        return members
    condition = Q(pk__in=[])
    for path in scope.secretary_paths:
        condition |= Q(unit__path__startswith=path)
    if scope.member is not None:
        condition |= Q(pk=scope.member.pk)
    return members.filter(condition)


def talk_circle(member: Member) -> Q:
    """The members ``member`` can be required or expected to talk with: those of his or
    her unit, of every leadership team he or she sits on or heads, of the units in his
    or her charge (and those he or she is the responsible leader of, with what lies
    below them), and the leaders in charge of the units he or she is responsible for.
    One query (the paths of those units); the rest are subqueries."""
    teams = LeadershipTeam.objects.filter(Q(members=member) | Q(head=member)).values("pk")
    seats = LeadershipTeam.members.through.objects.filter(leadershipteam__in=teams).values("member_id")
    heads = LeadershipTeam.objects.filter(pk__in=teams, head__isnull=False).values("head_id")
    leaders = Member.in_charge_of.through.objects.filter(orgunit__responsible_leader=member).values("member_id")
    condition = Q(unit_id=member.unit_id) | Q(pk__in=seats) | Q(pk__in=heads) | Q(pk__in=leaders)
    charged = OrgUnit.objects.filter(Q(leaders_in_charge=member) | Q(responsible_leader=member))
    for path in outermost_paths(charged.values_list("path", flat=True)):
        condition |= Q(unit__path__startswith=path)
    return condition


def members_for_other(user: Any, campaign: Campaign) -> QuerySet[Member]:
    """Whom a recorder may name, from the list, as the other person. The office and the
    secretaries: any member of the campaign (a talk between members of two units counts
    for both). A member: only the people he or she can be required or expected to talk
    with (``talk_circle``), not the whole county's membership; anyone else only by the
    exact number (``member_by_number``). Only for users who log talks."""
    scope = scope_for(user)
    if not scope.can("talks.log"):
        return Member.objects.none()
    members = Member.objects.filter(campaign=campaign)
    if logs_for_others(user, campaign):
        return members
    member = scope.member
    if member is None or member.campaign_id != campaign.pk:
        return Member.objects.none()
    return members.filter(talk_circle(member)).exclude(pk=member.pk)


def member_by_number(user: Any, campaign: Campaign, number: str) -> Member | None:
    """The member of the campaign whose number is exactly ``number``, for a user who logs
    talks: the way to name someone outside a member's circle, whose number he or she
    must know. Exact (the unique index), never a part of it."""
    number = (number or "").strip()
    if not number or not scope_for(user).can("talks.log"):
        return None
    return Member.objects.filter(campaign=campaign, number=number).select_related("unit").first()


def members_for(user: Any, campaign: Campaign, who: str) -> QuerySet[Member]:
    return members_for_first(user, campaign) if who == FIRST else members_for_other(user, campaign)


@dataclass(frozen=True)
class MemberOption:
    token: str
    label: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"token": self.token, "label": self.label, "detail": self.detail, "kind": "member"}


def member_token(member: Member | None) -> str:
    return f"member:{member.pk}" if member is not None else ""


def number_token(member: Member) -> str:
    """The token of a member named by his or her exact number (outside a member's
    circle): the form resolves it by that number again."""
    return f"number:{member.number}"


def member_option(member: Member) -> MemberOption:
    detail = f"{member.get_rank_display()} · {member.unit.name}" + (f" · {member.position}" if member.position else "")
    return MemberOption(token=member_token(member), label=member.name, detail=detail)


def member_search(
    user: Any, campaign: Campaign, query: str, *, who: str = OTHER, limit: int = SEARCH_LIMIT
) -> list[MemberOption]:
    """Members the user may name whose name contains the query (or whose number is it):
    exact names first, then names that start with it."""
    query = query.strip()
    if not query:
        return []
    found = list(
        members_for(user, campaign, who)
        .filter(Q(name__icontains=query) | Q(number__iexact=query))
        .select_related("unit")
        .order_by("name", "pk")[: limit * 2]
    )
    folded = query.casefold()

    def rank(member: Member) -> tuple[int, int, str]:
        name = member.name.casefold()
        return (0 if name == folded else 1 if name.startswith(folded) else 2), len(member.name), member.name

    options = [member_option(member) for member in sorted(found, key=rank)[:limit]]
    if who == OTHER:
        by_number = member_by_number(user, campaign, query)
        scope = scope_for(user)
        outside = by_number is not None and by_number not in found and by_number != scope.member
        if outside and by_number is not None:
            options.insert(0, dataclasses.replace(member_option(by_number), token=number_token(by_number)))
    return options[:limit]
