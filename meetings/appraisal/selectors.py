"""Reads of the democratic appraisal, shared by its pages and, later, the ledger.

Tallies are counted from the ballots of closed windows and the confirmed paper sheets
of closed windows only; a tally is shown only when it rests on at least k valid ballots
(``AppraisalSettings.min_ballots``), and only such a tally can flag a member. Every
read here costs a fixed number of queries whatever the number of members or ballots.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind
from campaign.scoping import AnyUser, scope_for
from meetings.appraisal.models import (
    AppraisalSettings,
    AppraisalWindow,
    Ballot,
    MemberMark,
    MemberRating,
    PaperMemberCount,
    PaperSheet,
    PaperTeamCount,
    SheetState,
    TeamMark,
    TeamRating,
    VoterRecord,
    WindowState,
)


def today() -> datetime.date:
    """The local date: the only time a ballot is stamped with."""
    return timezone.localdate()


# --- Settings -----------------------------------------------------------------------------


def settings_for(campaign: Campaign) -> AppraisalSettings:
    """The campaign's appraisal settings; the defaults (unsaved) where none were set."""
    found = AppraisalSettings.objects.filter(campaign=campaign).first()
    return found if found is not None else AppraisalSettings(campaign=campaign)


def public_rating_is_open(settings: AppraisalSettings, *, on: datetime.date | None = None) -> bool:
    on = on or today()
    opens, closes = settings.public_opens_on, settings.public_closes_on
    return bool(settings.campaign.is_active and opens and closes and opens <= on <= closes)


def public_rating_is_over(settings: AppraisalSettings, *, on: datetime.date | None = None) -> bool:
    """Public ratings count (and show) once the public rating has closed."""
    on = on or today()
    return bool(settings.public_closes_on and settings.public_closes_on < on)


def public_campaigns(*, on: datetime.date | None = None) -> list[AppraisalSettings]:
    on = on or today()
    return list(
        AppraisalSettings.objects.filter(
            campaign__is_active=True, public_opens_on__lte=on, public_closes_on__gte=on
        ).select_related("campaign")
    )


# --- Who votes on whom ---------------------------------------------------------------------


def branch_members(campaign_id: int, branch_id: int) -> QuerySet[Member]:
    return Member.objects.filter(campaign_id=campaign_id, branch_id=branch_id).order_by("name", "pk")


def branch_teams(campaign_id: int, branch: OrgUnit) -> QuerySet[LeadershipTeam]:
    """The leadership teams a branch's members rate: those of the unit the branch is in."""
    return LeadershipTeam.objects.filter(campaign_id=campaign_id, unit_id=branch.parent_id).order_by("code")


def window_for_member(member: Member) -> AppraisalWindow | None:
    if member.branch_id is None:
        return None
    return (
        AppraisalWindow.objects.filter(campaign_id=member.campaign_id, branch_id=member.branch_id)
        .select_related("branch", "campaign")
        .first()
    )


def has_voted(window: AppraisalWindow, member: Member) -> bool:
    return VoterRecord.objects.filter(window=window, member=member).exists()


# --- Windows --------------------------------------------------------------------------------


def branches_in_reach(user: AnyUser, campaign: Campaign | None, *, search: str = "") -> QuerySet[OrgUnit]:
    """The branches the user may see, each with its window (if any) and how many have
    voted online: one query for a page of them."""
    if campaign is None:
        return OrgUnit.objects.none()
    branches = scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH))
    if search:
        branches = branches.filter(Q(name__icontains=search) | Q(code__icontains=search))
    windows = AppraisalWindow.objects.filter(campaign=campaign, branch=OuterRef("pk"))
    voters = (
        VoterRecord.objects.filter(window__branch=OuterRef("pk"), window__campaign=campaign)
        .order_by()
        .values("window")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = (
        Member.objects.filter(branch=OuterRef("pk")).order_by().values("branch").annotate(n=Count("pk")).values("n")
    )
    return (
        branches.select_related("parent")
        .annotate(
            window_id=Subquery(windows.values("pk")[:1]),
            window_state=Subquery(windows.values("state")[:1]),
            sheet_state=Subquery(
                PaperSheet.objects.filter(window__campaign=campaign, window__branch=OuterRef("pk")).values("state")[:1]
            ),
            voter_count=Coalesce(Subquery(voters), 0),
            member_count=Coalesce(Subquery(members), 0),
        )
        .order_by("path")
    )


def window_in_reach(user: AnyUser, pk: int) -> AppraisalWindow:
    from campaign.scoping import get_object_for_user

    return get_object_for_user(
        user, AppraisalWindow.objects.select_related("campaign", "branch__parent", "opened_by", "closed_by"), pk=pk
    )


@dataclass(frozen=True)
class Turnout:
    members: int
    voted_online: int
    ballots_online: int
    paper_present: int | None
    paper_state: str | None


def turnout(window: AppraisalWindow) -> Turnout:
    sheet = PaperSheet.objects.filter(window=window).values("present", "state").first()
    return Turnout(
        members=branch_members(window.campaign_id, window.branch_id).count(),
        voted_online=VoterRecord.objects.filter(window=window).count(),
        ballots_online=Ballot.objects.filter(window=window).count(),
        paper_present=sheet["present"] if sheet else None,
        paper_state=sheet["state"] if sheet else None,
    )


# --- Tallies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberTally:
    excellent: int = 0
    qualified: int = 0
    basic: int = 0
    unqualified: int = 0

    @property
    def valid(self) -> int:
        return self.excellent + self.qualified + self.basic + self.unqualified

    def __add__(self, other: MemberTally) -> MemberTally:
        return MemberTally(
            self.excellent + other.excellent,
            self.qualified + other.qualified,
            self.basic + other.basic,
            self.unqualified + other.unqualified,
        )

    def count(self, rating: str) -> int:
        return int(getattr(self, rating))


@dataclass(frozen=True)
class TeamTally:
    satisfied: int = 0
    basic: int = 0
    dissatisfied: int = 0

    @property
    def valid(self) -> int:
        return self.satisfied + self.basic + self.dissatisfied

    def __add__(self, other: TeamTally) -> TeamTally:
        return TeamTally(
            self.satisfied + other.satisfied, self.basic + other.basic, self.dissatisfied + other.dissatisfied
        )

    @property
    def satisfied_share(self) -> float:
        """Satisfied and basically satisfied, as a share of the valid ballots."""
        return (self.satisfied + self.basic) / self.valid if self.valid else 0.0


UNQUALIFIED = "unqualified"
LOW_APPROVAL = "low_approval"


@dataclass(frozen=True)
class Rules:
    """The campaign's thresholds, as exact fractions, and k."""

    unqualified: tuple[int, int] = (1, 3)
    approval: tuple[int, int] = (1, 2)
    k: int = 3

    @classmethod
    def of(cls, settings: AppraisalSettings) -> Rules:
        return cls(
            unqualified=(settings.unqualified_numerator, settings.unqualified_denominator),
            approval=(settings.approval_numerator, settings.approval_denominator),
            k=settings.min_ballots,
        )

    def shown(self, tally: MemberTally | TeamTally) -> bool:
        return tally.valid >= self.k

    def flags(self, tally: MemberTally) -> tuple[str, ...]:
        """Why a member is flagged: unqualified marks at or above their share of the
        valid ballots, excellent + qualified below theirs; nothing below k ballots."""
        if not self.shown(tally):
            return ()
        reasons = []
        num, den = self.unqualified
        if tally.unqualified * den >= num * tally.valid:
            reasons.append(UNQUALIFIED)
        num, den = self.approval
        if (tally.excellent + tally.qualified) * den < num * tally.valid:
            reasons.append(LOW_APPROVAL)
        return tuple(reasons)


def _closed(prefix: str) -> Q:
    return Q(**{f"{prefix}state": WindowState.CLOSED})


def member_tallies(member_ids: Iterable[int] | None = None, *, campaign: Campaign) -> dict[int, MemberTally]:
    """Each member's tally (online ballots and confirmed paper counts of closed windows),
    in two queries. ``member_ids`` None: every member of the campaign rated."""
    marks = MemberMark.objects.filter(_closed("window__"), window__campaign=campaign)
    paper = PaperMemberCount.objects.filter(
        _closed("sheet__window__"), sheet__window__campaign=campaign, sheet__state=SheetState.CONFIRMED
    )
    if member_ids is not None:
        ids = list(member_ids)
        marks = marks.filter(member_id__in=ids)
        paper = paper.filter(member_id__in=ids)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MemberRating.values, 0))
    for row in marks.order_by().values("member_id", "rating").annotate(n=Count("pk")):
        counts[row["member_id"]][row["rating"]] += row["n"]
    sums = paper.order_by().values("member_id").annotate(**{r: Sum(r) for r in MemberRating.values})
    for row in sums:
        for rating in MemberRating.values:
            counts[row["member_id"]][rating] += row[rating] or 0
    return {member_id: MemberTally(**by_rating) for member_id, by_rating in counts.items()}


@dataclass(frozen=True)
class TeamResult:
    members: TeamTally = field(default_factory=TeamTally)
    public: TeamTally = field(default_factory=TeamTally)

    @property
    def total(self) -> TeamTally:
        return self.members + self.public


def team_tallies(
    team_ids: Iterable[int] | None = None, *, campaign: Campaign, settings: AppraisalSettings | None = None
) -> dict[int, TeamResult]:
    """Each team's satisfaction from members (online ballots and confirmed paper counts
    of closed windows) and from the public (once the public rating has closed): three
    queries."""
    settings = settings or settings_for(campaign)
    online = TeamMark.objects.filter(campaign=campaign, window__isnull=False, window__state=WindowState.CLOSED)
    public = TeamMark.objects.filter(campaign=campaign, window__isnull=True)
    paper = PaperTeamCount.objects.filter(
        _closed("sheet__window__"), sheet__window__campaign=campaign, sheet__state=SheetState.CONFIRMED
    )
    if team_ids is not None:
        ids = list(team_ids)
        online, public, paper = (
            online.filter(team_id__in=ids),
            public.filter(team_id__in=ids),
            paper.filter(team_id__in=ids),
        )
    members: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TeamRating.values, 0))
    publics: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TeamRating.values, 0))
    for row in online.order_by().values("team_id", "rating").annotate(n=Count("pk")):
        members[row["team_id"]][row["rating"]] += row["n"]
    for row in paper.order_by().values("team_id").annotate(**{r: Sum(r) for r in TeamRating.values}):
        for rating in TeamRating.values:
            members[row["team_id"]][rating] += row[rating] or 0
    if public_rating_is_over(settings):
        for row in public.order_by().values("team_id", "rating").annotate(n=Count("pk")):
            publics[row["team_id"]][row["rating"]] += row["n"]
    return {
        team_id: TeamResult(members=TeamTally(**members[team_id]), public=TeamTally(**publics[team_id]))
        for team_id in set(members) | set(publics)
    }


# --- Result pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    member: Member
    tally: MemberTally
    shown: bool
    flags: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class TeamRow:
    team: LeadershipTeam
    result: TeamResult
    members_shown: bool
    public_shown: bool


def member_rows(members: Iterable[Member], *, campaign: Campaign, rules: Rules) -> list[MemberRow]:
    members = list(members)
    tallies = member_tallies([m.pk for m in members], campaign=campaign)
    rows = []
    for member in members:
        tally = tallies.get(member.pk, MemberTally())
        rows.append(MemberRow(member, tally, rules.shown(tally), rules.flags(tally)))
    return rows


def team_rows(
    teams: Iterable[LeadershipTeam], *, campaign: Campaign, settings: AppraisalSettings, rules: Rules
) -> list[TeamRow]:
    teams = list(teams)
    tallies = team_tallies([t.pk for t in teams], campaign=campaign, settings=settings)
    rows = []
    for team in teams:
        result = tallies.get(team.pk, TeamResult())
        rows.append(TeamRow(team, result, rules.shown(result.members), rules.shown(result.public)))
    return rows


def rated_members_in_reach(user: AnyUser, campaign: Campaign | None, *, search: str = "") -> QuerySet[Member]:
    """Members in the user's reach whose branch window is closed: those with a result."""
    if campaign is None:
        return Member.objects.none()
    closed = AppraisalWindow.objects.filter(campaign=campaign, branch=OuterRef("branch"), state=WindowState.CLOSED)
    members = scope_for(user).filter(Member.objects.filter(campaign=campaign)).filter(Exists(closed))
    if search:
        members = members.filter(Q(name__icontains=search) | Q(number__icontains=search))
    return members.select_related("unit", "branch").order_by("branch__path", "name", "pk")


def flagged_member_rows(user: AnyUser, campaign: Campaign | None, *, rules: Rules) -> list[MemberRow]:
    """Every flagged member in the user's reach: the tallies of the whole campaign in two
    queries, the flagged members' rows in a third."""
    if campaign is None:
        return []
    tallies = member_tallies(campaign=campaign)
    flagged = {pk: tally for pk, tally in tallies.items() if rules.flags(tally)}
    members = rated_members_in_reach(user, campaign).filter(pk__in=list(flagged))
    return [MemberRow(m, flagged[m.pk], True, rules.flags(flagged[m.pk])) for m in members]


def teams_in_reach(user: AnyUser, campaign: Campaign | None) -> QuerySet[LeadershipTeam]:
    if campaign is None:
        return LeadershipTeam.objects.none()
    return (
        scope_for(user)
        .filter(LeadershipTeam.objects.filter(campaign=campaign))
        .select_related("unit")
        .order_by("unit__path", "code")
    )


# --- Figures for the ledger -------------------------------------------------------------------


@dataclass(frozen=True)
class AppraisalCounts:
    ballots: int  # online ballots and paper ballots (members present) of closed windows
    members_rated: int  # members with a result (at least k valid ballots)
    members_flagged: int
    teams_rated: int  # teams with a result from members or from the public


def appraisal_counts(campaign: Campaign, *, within: OrgUnit | None = None) -> AppraisalCounts:
    """The appraisal's figures for the campaign, or for the branches under ``within``:
    a fixed handful of queries."""
    settings = settings_for(campaign)
    rules = Rules.of(settings)
    windows = AppraisalWindow.objects.filter(campaign=campaign, state=WindowState.CLOSED)
    members = Member.objects.filter(campaign=campaign)
    teams = LeadershipTeam.objects.filter(campaign=campaign)
    if within is not None:
        windows = windows.filter(branch__path__startswith=within.path)
        members = members.filter(branch__path__startswith=within.path)
        teams = teams.filter(unit__path__startswith=within.path)
    online = Ballot.objects.filter(window__in=windows).count()
    paper = (
        PaperSheet.objects.filter(window__in=windows, state=SheetState.CONFIRMED).aggregate(n=Sum("present"))["n"] or 0
    )
    member_ids = set(members.values_list("pk", flat=True)) if within is not None else None
    tallies = member_tallies(campaign=campaign)
    rated = [t for pk, t in tallies.items() if (member_ids is None or pk in member_ids) and rules.shown(t)]
    team_ids = set(teams.values_list("pk", flat=True)) if within is not None else None
    team_results = team_tallies(campaign=campaign, settings=settings)
    teams_rated = sum(
        1
        for pk, result in team_results.items()
        if (team_ids is None or pk in team_ids) and (rules.shown(result.members) or rules.shown(result.public))
    )
    return AppraisalCounts(
        ballots=online + paper,
        members_rated=len(rated),
        members_flagged=sum(1 for t in rated if rules.flags(t)),
        teams_rated=teams_rated,
    )
