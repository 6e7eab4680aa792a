"""Reads of feedback lists that the office's pages, the progress page, the exports and
the member's own page share; all scoped through ``campaign.scoping``.

What a member reads (``sheets_for_member``, ``sheet_for_list``) is built from the
consolidated items alone: their wording, aspect and the office's order, the target's
name and the month of release. Nothing about the opinions behind an item is loaded.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Case, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    Rank,
    TargetCategory,
    TeamKind,
    member_category,
    team_category,
)
from campaign.scoping import get_object_for_user, scope_for
from opinions.models import Aspect, FeedbackItem, FeedbackList, Opinion, OpinionKind
from opinions.selectors import with_submitter_shown

Status = FeedbackList.Status
SHOWN_TO_TARGET = (Status.RELEASED, Status.SIGNED)
READY, NOT_READY = "ready", "not_ready"


# --- Categories -----------------------------------------------------------------


def category_q(category: str, *, prefix: str = "") -> Q:
    """The lists (or targets) of a ledger category, from the same rules that derive an
    opinion's category: a team's kind, a member's rank."""
    kinds = [kind for kind in TeamKind.values if team_category(kind) == category]
    ranks = [rank for rank in Rank.values if member_category(rank) == category]
    condition = Q(pk__in=[])
    if kinds:
        condition |= Q(**{f"{prefix}target_team__kind__in": kinds})
    if ranks:
        condition |= Q(**{f"{prefix}target_member__rank__in": ranks})
    return condition


def list_category(feedback_list: FeedbackList) -> str:
    if feedback_list.target_member_id is not None:
        return member_category(feedback_list.target_member.rank)
    return team_category(feedback_list.target_team.kind)


def label_categories(lists: Sequence[FeedbackList]) -> Sequence[FeedbackList]:
    """Give each list (targets already loaded) the label of its ledger category."""
    for feedback_list in lists:
        feedback_list.category_label = TargetCategory(list_category(feedback_list)).label
    return lists


def sheet_title(*, member: Member | None = None, team: LeadershipTeam | None = None) -> str:
    """The title of a list on paper: "XXX同志征求意见建议清单" for a member."""
    if member is not None:
        return _("List of opinions and suggestions for Comrade %(name)s") % {"name": member.name}
    return _("List of opinions and suggestions for %(name)s") % {"name": team.name if team else ""}


# --- The office's lists and the progress per unit ---------------------------------


@dataclass(frozen=True)
class FeedbackFilters:
    """What the list of feedback lists is narrowed to; the names are the GET parameters."""

    unit: OrgUnit | None = None
    category: str = ""
    status: str = ""
    ready: str = ""
    q: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FeedbackFilters:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known and v not in (None, "")})


def _item_count() -> Coalesce:
    counted = (
        FeedbackItem.objects.filter(feedback_list=OuterRef("pk"))
        .order_by()
        .values("feedback_list")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def _opinion_count() -> Coalesce:
    """Distinct opinions consolidated in a list's items (what the k rule counts)."""
    through = FeedbackItem.opinions.through
    counted = (
        through.objects.filter(feedbackitem__feedback_list=OuterRef("pk"))
        .order_by()
        .values("feedbackitem__feedback_list")
        .annotate(n=Count("opinion", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def ready_condition() -> Q:
    """A draft with items that passes the k rule: a team's list, a list whose wording
    the office confirmed, or one resting on at least k opinions. (The release checks
    each item again.)"""
    return Q(status=Status.DRAFT, item_count__gt=0) & (
        Q(target_member__isnull=True)
        | Q(wording_confirmed=True)
        | Q(opinion_count__gte=F("campaign__feedback_threshold"))
    )


def feedback_lists_for(
    user: Any, *, campaign: Campaign | None, filters: FeedbackFilters | None = None
) -> QuerySet[FeedbackList]:
    """The lists a user may see, by unit, with their counts and whether each is ready
    to release; what a row shows is loaded up front."""
    filters = filters or FeedbackFilters()
    lists = scope_for(user).filter(FeedbackList.objects.all())
    if campaign is not None:
        lists = lists.filter(campaign=campaign)
    if filters.unit is not None:
        lists = lists.filter(ledger_unit__path__startswith=filters.unit.path)
    if filters.category:
        lists = lists.filter(category_q(filters.category))
    if filters.status:
        lists = lists.filter(status=filters.status)
    lists = lists.annotate(
        target_name=Coalesce("target_member__name", "target_team__name"),
        item_count=_item_count(),
        opinion_count=_opinion_count(),
    ).annotate(
        is_ready=Case(When(ready_condition(), then=Value(True)), default=Value(False), output_field=BooleanField())
    )
    if filters.ready == READY:
        lists = lists.filter(ready_condition())
    elif filters.ready == NOT_READY:
        lists = lists.exclude(ready_condition())
    if filters.q:
        lists = lists.filter(target_name__icontains=filters.q)
    return lists.select_related(
        "campaign", "target_member", "target_team", "target_team__head", "ledger_unit", "signed_by", "batch"
    ).order_by("ledger_unit__path", "target_name", "pk")


@dataclass(frozen=True)
class UnitProgress:
    unit_id: int
    name: str
    total: int
    draft: int
    released: int  # released and signed: a signed list was released first
    signed: int

    @property
    def percent_signed(self) -> int:
        return round(100 * self.signed / self.total) if self.total else 0

    @property
    def bar(self) -> int:
        """The share signed in tens, for the width of the progress bar (no inline style)."""
        return round(self.percent_signed / 10) * 10


def progress_by_unit(lists: QuerySet[FeedbackList]) -> list[UnitProgress]:
    """Sign-off progress per unit over the lists given: one grouped query."""
    rows = (
        lists.order_by()
        .values("ledger_unit", "ledger_unit__name", "ledger_unit__path")
        .annotate(
            total=Count("pk"),
            draft=Count("pk", filter=Q(status=Status.DRAFT)),
            released=Count("pk", filter=Q(status__in=SHOWN_TO_TARGET)),
            signed=Count("pk", filter=Q(status=Status.SIGNED)),
        )
        .order_by("ledger_unit__path")
    )
    return [
        UnitProgress(
            unit_id=row["ledger_unit"],
            name=row["ledger_unit__name"],
            total=row["total"],
            draft=row["draft"],
            released=row["released"],
            signed=row["signed"],
        )
        for row in rows
    ]


def feedback_list_for_user(user: Any, pk: int) -> FeedbackList:
    """A list the user may see (404 otherwise), with its counts."""
    return get_object_for_user(user, feedback_lists_for(user, campaign=None), pk=pk)


def items_for_office(user: Any, feedback_list: FeedbackList) -> list[FeedbackItem]:
    """The items of a list in order, each with the raw opinions behind it that the
    user may see (never those about the user himself, except for the office) and the
    number of all of them."""
    visible = with_submitter_shown(user, scope_for(user).filter(Opinion.objects.all())).select_related(
        "event", "recording_unit"
    )
    return list(
        feedback_list.items.annotate(opinion_total=Count("opinions"))
        .prefetch_related(Prefetch("opinions", queryset=visible.order_by("received_on", "pk"), to_attr="visible"))
        .order_by("position", "pk")
    )


def opinions_to_consolidate(
    user: Any, feedback_list: FeedbackList, *, item: FeedbackItem | None = None
) -> QuerySet[Opinion]:
    """The target's counted opinions not yet consolidated in any item (and, when an
    item is edited, those it already consolidates)."""
    about = (
        Q(target_member=feedback_list.target_member_id)
        if feedback_list.target_member_id is not None
        else Q(target_team=feedback_list.target_team_id)
    )
    taken = FeedbackItem.opinions.through.objects.all()
    if item is not None:
        taken = taken.exclude(feedbackitem_id=item.pk)
    opinions = Opinion.objects.filter(about, campaign=feedback_list.campaign_id, merged_into__isnull=True).exclude(
        pk__in=taken.values("opinion_id")
    )
    visible = scope_for(user).filter(opinions).select_related("event", "recording_unit")
    return with_submitter_shown(user, visible.order_by("aspect", "received_on", "pk"))


# --- Targets awaiting feedback ------------------------------------------------------


@dataclass(frozen=True)
class TargetFilters:
    unit: OrgUnit | None = None
    category: str = ""
    q: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> TargetFilters:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known and v not in (None, "")})


def targets_awaiting(user: Any, *, campaign: Campaign | None, filters: TargetFilters | None = None) -> QuerySet:
    """Members and teams with counted opinions not yet consolidated in any item: one
    row (a dict) per target, with how many are waiting."""
    filters = filters or TargetFilters()
    opinions = scope_for(user).filter(
        Opinion.objects.filter(merged_into__isnull=True).filter(
            Q(target_member__isnull=False) | Q(target_team__isnull=False)
        )
    )
    opinions = opinions.filter(campaign=campaign) if campaign is not None else opinions.none()
    opinions = opinions.exclude(pk__in=FeedbackItem.opinions.through.objects.values("opinion_id"))
    if filters.unit is not None:
        opinions = opinions.filter(ledger_unit__path__startswith=filters.unit.path)
    if filters.category:
        opinions = opinions.filter(category=filters.category)
    if filters.q:
        opinions = opinions.filter(
            Q(target_member__name__icontains=filters.q) | Q(target_team__name__icontains=filters.q)
        )
    return (
        opinions.order_by()
        .values("target_member", "target_team")
        .annotate(waiting=Count("pk"), name=Coalesce("target_member__name", "target_team__name"))
        .order_by("name", "target_member", "target_team")
    )


@dataclass
class TargetRow:
    target: Member | LeadershipTeam
    token: str
    waiting: int
    category: str
    feedback_list: FeedbackList | None = None

    @property
    def category_label(self) -> str:
        return str(TargetCategory(self.category).label)


def target_rows(rows: Sequence[dict[str, Any]]) -> list[TargetRow]:
    """The targets and lists of one page of ``targets_awaiting``: three queries."""
    member_ids = [row["target_member"] for row in rows if row["target_member"]]
    team_ids = [row["target_team"] for row in rows if row["target_team"]]
    members = Member.objects.select_related("unit").in_bulk(member_ids)
    teams = LeadershipTeam.objects.select_related("unit").in_bulk(team_ids)
    lists = FeedbackList.objects.filter(Q(target_member__in=member_ids) | Q(target_team__in=team_ids))
    by_member = {fl.target_member_id: fl for fl in lists if fl.target_member_id}
    by_team = {fl.target_team_id: fl for fl in lists if fl.target_team_id}
    result = []
    for row in rows:
        if row["target_member"]:
            member = members[row["target_member"]]
            result.append(
                TargetRow(
                    target=member,
                    token=f"member:{member.pk}",
                    waiting=row["waiting"],
                    category=member_category(member.rank),
                    feedback_list=by_member.get(member.pk),
                )
            )
        else:
            team = teams[row["target_team"]]
            result.append(
                TargetRow(
                    target=team,
                    token=f"team:{team.pk}",
                    waiting=row["waiting"],
                    category=team_category(team.kind),
                    feedback_list=by_team.get(team.pk),
                )
            )
    return result


# --- What the target reads -----------------------------------------------------------


@dataclass
class Sheet:
    """One list as its target reads it (and as the office prints it)."""

    title: str
    feedback_list: FeedbackList | None
    team: LeadershipTeam | None = None
    items: list[FeedbackItem] = field(default_factory=list)

    @property
    def released(self) -> bool:
        return self.feedback_list is not None and self.feedback_list.status in SHOWN_TO_TARGET

    @property
    def signed(self) -> bool:
        return self.feedback_list is not None and self.feedback_list.status == Status.SIGNED

    @property
    def released_month(self) -> str:
        """No date finer than the month: the day of release could narrow things down."""
        released_on: datetime.date | None = self.feedback_list.released_on if self.feedback_list else None
        return released_on.strftime("%Y-%m") if released_on else ""

    @property
    def signed_on(self) -> str:
        """The day the member signed, as every date is written (the month alone read as
        a wrong date on the paper he or she signs); the member's own act, it tells
        nothing about who gave an opinion."""
        signed_at = self.feedback_list.signed_at if self.feedback_list else None
        return timezone.localtime(signed_at).strftime("%Y-%m-%d") if signed_at else ""


def sheets_for_member(user: Any) -> list[Sheet]:
    """The member's own list, then the lists of the teams he or she heads; a list not
    yet released shows no item. Empty for a user who is no member."""
    scope = scope_for(user)
    member = scope.member
    if member is None:
        return []
    teams = list(LeadershipTeam.objects.filter(head=member, campaign=member.campaign_id).order_by("name", "pk"))
    lists = scope.filter(
        FeedbackList.objects.filter(Q(target_member=member) | Q(target_team__in=[team.pk for team in teams]))
    ).prefetch_related(
        Prefetch(
            "items",
            queryset=FeedbackItem.objects.filter(feedback_list__status__in=SHOWN_TO_TARGET)
            .only("pk", "feedback_list_id", "text", "aspect", "position")
            .order_by("position", "pk"),
            to_attr="ordered_items",
        )
    )
    own = None
    by_team: dict[int, FeedbackList] = {}
    for feedback_list in lists:
        if feedback_list.target_member_id == member.pk:
            own = feedback_list
        elif feedback_list.target_team_id is not None:
            by_team[feedback_list.target_team_id] = feedback_list
    sheets = [_sheet(sheet_title(member=member), own)]
    sheets += [_sheet(sheet_title(team=team), by_team.get(team.pk), team=team) for team in teams]
    return sheets


def _sheet(title: str, feedback_list: FeedbackList | None, *, team: LeadershipTeam | None = None) -> Sheet:
    sheet = Sheet(title=title, feedback_list=feedback_list, team=team)
    if sheet.released:
        sheet.items = list(feedback_list.ordered_items)
    return sheet


def sheet_for_list(feedback_list: FeedbackList) -> Sheet:
    """A list laid out as its target reads it, for the office to print or export
    (whatever its status: the office proofreads a draft the same way)."""
    items = list(
        feedback_list.items.only("pk", "feedback_list_id", "text", "aspect", "position").order_by("position", "pk")
    )
    title = sheet_title(member=feedback_list.target_member, team=feedback_list.target_team)
    return Sheet(title=title, feedback_list=feedback_list, team=feedback_list.target_team, items=items)


# --- Standing of targets, for other stages --------------------------------------


@dataclass(frozen=True)
class FeedbackStanding:
    """Where a member or a team stands in the feedback step: the opinions counted
    about it (merged duplicates left out), how many of them are opinions (意见) rather
    than suggestions, and its feedback list (None and "" when none is started)."""

    opinions: int = 0
    criticisms: int = 0
    list_id: int | None = None
    status: str = ""

    @property
    def signed(self) -> bool:
        return self.status == Status.SIGNED


MEMBER_TARGET, TEAM_TARGET = "member", "team"
# The aspects an opinion, a problem or a criticism is filed under, for the stages that
# name them too (the meetings' criticisms).
ASPECTS = Aspect


def feedback_standing(
    campaign: Campaign | int, *, member_ids: Sequence[int], team_ids: Sequence[int] = ()
) -> dict[tuple[str, int], FeedbackStanding]:
    """(``"member"`` or ``"team"``, id) → its standing, for every id asked about (a
    target with nothing yet has the empty standing). Two queries, whatever the number
    of targets: the meetings' gate asks this for every attendee of many meetings."""
    members, teams = set(member_ids), set(team_ids)
    counts: dict[tuple[str, int], list[int]] = {}
    if members or teams:
        rows = (
            Opinion.objects.filter(campaign=campaign, merged_into__isnull=True)
            .filter(Q(target_member__in=members) | Q(target_team__in=teams))
            .order_by()
            .values_list("target_member_id", "target_team_id")
            .annotate(n=Count("pk"), criticisms=Count("pk", filter=Q(kind=OpinionKind.OPINION)))
        )
        for member_id, team_id, n, criticisms in rows:
            key = (MEMBER_TARGET, member_id) if member_id is not None else (TEAM_TARGET, team_id)
            counts[key] = [n, criticisms]
        lists = FeedbackList.objects.filter(campaign=campaign).filter(
            Q(target_member__in=members) | Q(target_team__in=teams)
        )
        found = {
            ((MEMBER_TARGET, member_id) if member_id is not None else (TEAM_TARGET, team_id)): (pk, status)
            for pk, member_id, team_id, status in lists.values_list(
                "pk", "target_member_id", "target_team_id", "status"
            )
        }
    else:
        found = {}
    result = {}
    for key in [(MEMBER_TARGET, pk) for pk in members] + [(TEAM_TARGET, pk) for pk in teams]:
        n, criticisms = counts.get(key, (0, 0))
        list_id, status = found.get(key, (None, ""))
        result[key] = FeedbackStanding(opinions=n, criticisms=criticisms, list_id=list_id, status=status)
    return result
