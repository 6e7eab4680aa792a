"""The democratic appraisal's figures (DESIGN §3 "Meetings"), part of the ledger source
"meetings" (dimension "appraisal"): ballots, members rated and flagged, teams rated.

What counts is what the appraisal's own pages count (``meetings.appraisal.selectors``):
the online ballots and the confirmed paper tallies of closed windows; a member or a
team is rated when a tally rests on at least k valid ballots, and a member is flagged
by the campaign's shares; the public's ratings of a team count once the public rating
has closed. ``write`` counts them with SQL (the campaign's k and shares, and whether the
public rating is over, spelt in as integers and a constant condition); ``recount`` with
the appraisal's selectors, on purpose not this SQL.

Filing: ``ballots`` under the window's branch; ``members_rated`` and ``members_flagged``
under the member's current unit; ``teams_rated`` under the team's unit. Unit rows
only. Nothing here reads or writes who voted: only the marks, which name no voter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db.models import Count

from campaign.models import Campaign, LeadershipTeam, Member
from meetings.appraisal.models import (
    AppraisalWindow,
    Ballot,
    MemberMark,
    MemberRating,
    PaperMemberCount,
    PaperSheet,
    PaperTeamCount,
    SheetState,
    TeamMark,
    WindowState,
)
from meetings.appraisal.selectors import (
    Rules,
    member_tallies,
    public_rating_is_over,
    settings_for,
    team_tallies,
)
from reports.ledger.registry import FigureKey
from reports.ledger.sql import NULL_ID, ids, lit, scope_sql, table
from reports.models import COUNTY_SCOPE, LedgerLevel, unit_scope

APPRAISAL = "appraisal"  # the dimension (declared by ``reports.meetings.source.Dimension``)

APP_BALLOTS = "ballots"  # online ballots and paper ballots (members present) of closed windows
APP_MEMBERS_RATED = "members_rated"  # members with a result (at least k valid ballots)
APP_MEMBERS_FLAGGED = "members_flagged"
APP_TEAMS_RATED = "teams_rated"  # teams with a result from members or from the public
APPRAISAL_KEYS: tuple[str, ...] = (APP_BALLOTS, APP_MEMBERS_RATED, APP_MEMBERS_FLAGGED, APP_TEAMS_RATED)


def _row(unit: str, key: str, value: str) -> str:
    """The columns of a unit row after the campaign's: ``key`` is SQL (a ``lit`` or a column)."""
    return (
        f"{lit(LedgerLevel.UNIT)}, {scope_sql('unit:', unit)}, {unit}, {NULL_ID}, {NULL_ID}, "
        f"{lit(APPRAISAL)}, {key}, {value}"
    )


def selects(campaign_id: int, unit_ids: Sequence[int] | None) -> list[str]:
    """The SELECTs of the appraisal's unit rows of ``unit_ids`` (None: every unit)."""
    campaign = int(campaign_id)
    settings = settings_for(Campaign.objects.get(pk=campaign))
    rules = Rules.of(settings)
    # Whether the public's ratings count yet (``team_tallies``): a constant condition.
    public_over = "1 = 1" if public_rating_is_over(settings) else "1 = 0"
    k = int(rules.k)
    u_num, u_den = int(rules.unqualified[0]), int(rules.unqualified[1])
    a_num, a_den = int(rules.approval[0]), int(rules.approval[1])
    windows, sheets = table(AppraisalWindow), table(PaperSheet)
    closed = f"w.campaign_id = {campaign} AND w.state = {lit(WindowState.CLOSED)}"
    confirmed = f"s.state = {lit(SheetState.CONFIRMED)}"

    def within(column: str) -> str:
        return f" AND {column} IN ({ids(unit_ids)})" if unit_ids is not None else ""

    def of_units(column: str, model: type[Member] | type[LeadershipTeam]) -> str:
        # The marks of the members (teams) filed under the units rolled up, read through
        # their indexes rather than every mark of the campaign.
        if unit_ids is None:
            return ""
        return f" AND {column} IN (SELECT o.id FROM {table(model)} o WHERE o.unit_id IN ({ids(unit_ids)}))"

    ballots = (
        f"SELECT {campaign}, {_row('b.unit_id', lit(APP_BALLOTS), 'SUM(b.n)')} FROM ("
        f"SELECT w.branch_id AS unit_id, COUNT(*) AS n FROM {table(Ballot)} x "
        f"JOIN {windows} w ON w.id = x.window_id WHERE {closed}{within('w.branch_id')} GROUP BY w.branch_id "
        f"UNION ALL SELECT w.branch_id, SUM(s.present) FROM {sheets} s JOIN {windows} w ON w.id = s.window_id "
        f"WHERE {closed} AND {confirmed}{within('w.branch_id')} GROUP BY w.branch_id"
        ") b GROUP BY b.unit_id HAVING SUM(b.n) > 0"
    )

    def mark(rating: str) -> str:
        return f"CASE WHEN x.rating = {lit(rating)} THEN 1 ELSE 0 END"

    tallies = (
        f"SELECT t.member_id, SUM(t.e) AS e, SUM(t.q) AS q, SUM(t.b) AS b, SUM(t.u) AS u FROM ("
        f"SELECT x.member_id, {mark(MemberRating.EXCELLENT)} AS e, {mark(MemberRating.QUALIFIED)} AS q, "
        f"{mark(MemberRating.BASIC)} AS b, {mark(MemberRating.UNQUALIFIED)} AS u "
        f"FROM {table(MemberMark)} x JOIN {windows} w ON w.id = x.window_id "
        f"WHERE {closed}{of_units('x.member_id', Member)} "
        f"UNION ALL SELECT c.member_id, c.excellent, c.qualified, c.basic, c.unqualified "
        f"FROM {table(PaperMemberCount)} c JOIN {sheets} s ON s.id = c.sheet_id "
        f"JOIN {windows} w ON w.id = s.window_id WHERE {closed} AND {confirmed}{of_units('c.member_id', Member)}"
        ") t GROUP BY t.member_id"
    )
    valid = "(r.e + r.q + r.b + r.u)"
    flagged = (
        f"CASE WHEN r.u * {u_den} >= {u_num} * {valid} OR (r.e + r.q) * {a_den} < {a_num} * {valid} THEN 1 ELSE 0 END"
    )
    rated = (
        f"SELECT m.unit_id AS unit_id, COUNT(*) AS {APP_MEMBERS_RATED}, SUM({flagged}) AS {APP_MEMBERS_FLAGGED} "
        f"FROM ({tallies}) r JOIN {table(Member)} m ON m.id = r.member_id "
        f"WHERE {valid} >= {k}{within('m.unit_id')} GROUP BY m.unit_id"
    )
    keys = f"SELECT {lit(APP_MEMBERS_RATED)} AS name UNION ALL SELECT {lit(APP_MEMBERS_FLAGGED)}"
    value = f"CASE k.name WHEN {lit(APP_MEMBERS_RATED)} THEN a.{APP_MEMBERS_RATED} ELSE a.{APP_MEMBERS_FLAGGED} END"
    members = (
        f"SELECT {campaign}, {_row('a.unit_id', 'k.name', value)} "
        f"FROM ({rated}) a CROSS JOIN ({keys}) k WHERE {value} > 0"
    )

    team_counts = (
        f"SELECT y.team_id, SUM(y.by_members) AS by_members, SUM(y.by_public) AS by_public FROM ("
        f"SELECT x.team_id, 1 AS by_members, 0 AS by_public FROM {table(TeamMark)} x "
        f"JOIN {windows} w ON w.id = x.window_id WHERE {closed}{of_units('x.team_id', LeadershipTeam)} "
        f"UNION ALL SELECT c.team_id, c.satisfied + c.basic + c.dissatisfied, 0 FROM {table(PaperTeamCount)} c "
        f"JOIN {sheets} s ON s.id = c.sheet_id JOIN {windows} w ON w.id = s.window_id WHERE {closed} AND {confirmed}"
        f"{of_units('c.team_id', LeadershipTeam)} "
        f"UNION ALL SELECT x.team_id, 0, 1 FROM {table(TeamMark)} x WHERE x.campaign_id = {campaign} "
        f"AND x.window_id IS NULL AND {public_over}{of_units('x.team_id', LeadershipTeam)}"
        ") y GROUP BY y.team_id"
    )
    teams = (
        f"SELECT {campaign}, {_row('t.unit_id', lit(APP_TEAMS_RATED), 'COUNT(*)')} FROM ({team_counts}) z "
        f"JOIN {table(LeadershipTeam)} t ON t.id = z.team_id "
        f"WHERE (z.by_members >= {k} OR z.by_public >= {k}){within('t.unit_id')} GROUP BY t.unit_id"
    )
    return [ballots, members, teams]


def recount(campaign_id: int) -> dict[FigureKey, int]:
    """Every appraisal figure counted afresh with the appraisal's own selectors."""
    campaign = Campaign.objects.get(pk=campaign_id)
    settings = settings_for(campaign)
    rules = Rules.of(settings)
    figures: Counter[FigureKey] = Counter()

    def add(unit_id: int, key: str, value: int) -> None:
        figures[(unit_scope(unit_id), unit_id, APPRAISAL, key)] += value
        figures[(COUNTY_SCOPE, None, APPRAISAL, key)] += value

    closed = AppraisalWindow.objects.filter(campaign=campaign, state=WindowState.CLOSED)
    online = Ballot.objects.filter(window__in=closed).order_by().values("window__branch_id").annotate(n=Count("pk"))
    for row in online:
        add(row["window__branch_id"], APP_BALLOTS, row["n"])
    for sheet in PaperSheet.objects.filter(window__in=closed, state=SheetState.CONFIRMED).values(
        "window__branch_id", "present"
    ):
        add(sheet["window__branch_id"], APP_BALLOTS, sheet["present"])

    tallies = {pk: tally for pk, tally in member_tallies(campaign=campaign).items() if rules.shown(tally)}
    units = dict(Member.objects.filter(pk__in=list(tallies)).values_list("pk", "unit_id"))
    for pk, tally in tallies.items():
        add(units[pk], APP_MEMBERS_RATED, 1)
        add(units[pk], APP_MEMBERS_FLAGGED, 1 if rules.flags(tally) else 0)

    results = team_tallies(campaign=campaign, settings=settings)
    rated = [pk for pk, r in results.items() if rules.shown(r.members) or rules.shown(r.public)]
    for unit_id in LeadershipTeam.objects.filter(pk__in=rated).values_list("unit_id", flat=True):
        add(unit_id, APP_TEAMS_RATED, 1)
    return {key: value for key, value in figures.items() if value}
