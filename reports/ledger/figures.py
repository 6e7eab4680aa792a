"""The one read layer of the ledger: figures of a scope, read from ledger rows.

``Figures`` holds (dimension, key) → value for one scope — the county, a subtree, a
unit, a member, a team — a missing figure reading as 0. A source names its own figures
on top of it with a subclass that sets ``DIMENSIONS`` (the dimensions it reads) and adds
named accessors (``reports.opinions.selectors.OpinionFigures``,
``reports.talks.selectors.TalkFigures``, ``reports.documents.selectors.DocumentFigures``).
Every function here takes that class (``kind``), reads only its dimensions, and builds
its figures — in one query each, whatever the number of records behind the rows: a page
costs the same few queries with ten opinions or a million.

Scoping: the caller has checked the action and fetched the unit or member through
``campaign.scoping``; the figures of a visible unit's subtree are visible, since every
scope is a union of subtrees. County rows are for those who see the campaign whole;
anyone else gets the sum of the unit rows in reach.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from django.db import connections, models
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from campaign.models import Campaign, ChangeOutbox, LeadershipTeam, Member, OrgUnit, OrgUnitKind
from campaign.scoping import AnyUser, Scope, scope_for
from campaign.selectors import campaigns_for
from reports.models import LedgerLevel, LedgerRow, LedgerState

Row = tuple[str, str, int]  # (dimension, key, value)
FiguresT = TypeVar("FiguresT", bound="Figures")


@dataclass
class Figures:
    """Ledger figures of one scope: dimension → key → value (a missing figure is 0)."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)

    # The dimensions this kind of figures reads; None: every one (the stage summary).
    DIMENSIONS: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def from_rows(cls: type[FiguresT], rows: Iterable[Row]) -> FiguresT:
        values: dict[str, dict[str, int]] = defaultdict(dict)
        for dimension, key, value in rows:
            values[dimension][key] = values[dimension].get(key, 0) + int(value or 0)
        return cls(dict(values))

    def rows(self) -> list[Row]:
        return [(dimension, key, value) for dimension, keys in self.values.items() for key, value in keys.items()]

    def plus(self: FiguresT, other: Figures | None) -> FiguresT:
        if other is None:
            return self
        return type(self).from_rows([*self.rows(), *other.rows()])

    def get(self, dimension: str, key: str) -> int:
        return self.values.get(dimension, {}).get(key, 0)


def rows(kind: type[Figures], *args: Any, **filters: Any) -> QuerySet[LedgerRow]:
    """The ledger rows of ``kind``'s dimensions that match the filters."""
    found = LedgerRow.objects.filter(*args, **filters)
    if kind.DIMENSIONS is not None:
        found = found.filter(dimension__in=kind.DIMENSIONS)
    return found


def summed(kind: type[FiguresT], found: QuerySet[LedgerRow]) -> FiguresT:
    """The rows summed by (dimension, key): one query."""
    return kind.from_rows(
        found.order_by().values("dimension", "key").annotate(v=Sum("value")).values_list("dimension", "key", "v")
    )


def sees_whole(scope: Scope, campaign: Campaign) -> bool:
    return scope.is_admin or campaign.pk in scope.campaign_ids


def county(kind: type[FiguresT], user: AnyUser, campaign: Campaign) -> FiguresT:
    """The county's figures as the user may see them: the county rows for those who see
    the campaign whole, otherwise the sum of the unit rows in the user's subtrees."""
    scope = scope_for(user)
    if sees_whole(scope, campaign):
        return summed(kind, rows(kind, campaign=campaign, level=LedgerLevel.COUNTY))
    return summed(kind, scope.filter(rows(kind, campaign=campaign, level=LedgerLevel.UNIT)))


def county_rows(kind: type[FiguresT], campaign: Campaign) -> FiguresT:
    """Every county row of the campaign, unsummed (one row per figure): one query."""
    found = rows(kind, campaign=campaign, level=LedgerLevel.COUNTY)
    return kind.from_rows(found.values_list("dimension", "key", "value"))


def subtree(kind: type[FiguresT], unit: OrgUnit) -> FiguresT:
    """A unit's subtree: the unit rows of the unit and everything below it."""
    return summed(
        kind, rows(kind, campaign_id=unit.campaign_id, level=LedgerLevel.UNIT, unit__path__startswith=unit.path)
    )


def unit_own(kind: type[FiguresT], unit: OrgUnit) -> FiguresT:
    """The unit rows filed under the unit itself."""
    return summed(kind, rows(kind, campaign_id=unit.campaign_id, level=LedgerLevel.UNIT, unit=unit))


def unassigned(kind: type[FiguresT], campaign: Campaign) -> FiguresT:
    """The unit rows filed under no unit (``unit:none``)."""
    return summed(kind, rows(kind, campaign=campaign, level=LedgerLevel.UNIT, unit__isnull=True))


def member(kind: type[FiguresT], member: Member) -> FiguresT:
    return summed(kind, rows(kind, level=LedgerLevel.MEMBER, member=member))


def members(kind: type[FiguresT], some: Iterable[Member]) -> dict[int, FiguresT]:
    """The figures of some members (a page of them), in one query."""
    ids = [each.pk for each in some]
    per_member: dict[int, list[Row]] = defaultdict(list)
    if ids:
        found = rows(kind, level=LedgerLevel.MEMBER, member_id__in=ids)
        for member_id, dimension, key, value in found.values_list("member_id", "dimension", "key", "value"):
            per_member[member_id].append((dimension, key, value))
    return {pk: kind.from_rows(per_member[pk]) for pk in ids}


def subjects(
    kind: type[FiguresT], *, members: Iterable[Member] = (), teams: Iterable[LeadershipTeam] = ()
) -> tuple[dict[int, FiguresT], dict[int, FiguresT]]:
    """The figures of some members and teams, in one query."""
    member_ids = [each.pk for each in members]
    team_ids = [each.pk for each in teams]
    by_member: dict[int, list[Row]] = defaultdict(list)
    by_team: dict[int, list[Row]] = defaultdict(list)
    if member_ids or team_ids:
        found = rows(
            kind,
            Q(level=LedgerLevel.MEMBER, member_id__in=member_ids) | Q(level=LedgerLevel.TEAM, team_id__in=team_ids),
        ).values_list("member_id", "team_id", "dimension", "key", "value")
        for member_id, team_id, dimension, key, value in found:
            (by_member[member_id] if member_id else by_team[team_id]).append((dimension, key, value))
    return (
        {pk: kind.from_rows(by_member[pk]) for pk in member_ids},
        {pk: kind.from_rows(by_team[pk]) for pk in team_ids},
    )


def by_unit(kind: type[FiguresT], campaign: Campaign, units: Iterable[OrgUnit]) -> dict[int, FiguresT]:
    """The unit rows filed under each of some units (a page of them), in one query."""
    ids = [unit.pk for unit in units]
    per_unit: dict[int, list[Row]] = defaultdict(list)
    found = rows(kind, campaign=campaign, level=LedgerLevel.UNIT, unit_id__in=ids)
    for unit_id, dimension, key, value in found.values_list("unit_id", "dimension", "key", "value"):
        per_unit[unit_id].append((dimension, key, value))
    return {pk: kind.from_rows(per_unit[pk]) for pk in ids}


def units_total(kind: type[FiguresT], campaign: Campaign, units: QuerySet[OrgUnit]) -> FiguresT:
    """The unit rows of every unit of ``units`` (every one that matches a filter, not one page)."""
    return summed(
        kind, rows(kind, campaign=campaign, level=LedgerLevel.UNIT, unit_id__in=Subquery(units.order_by().values("pk")))
    )


def by_committee(kind: type[FiguresT], user: AnyUser, campaign: Campaign) -> list[tuple[OrgUnit, FiguresT]]:
    """Each party committee in ``user``'s reach with the figures of its whole subtree: two
    queries (a campaign has a party committee per system or township, some fifteen)."""
    committees = list(
        scope_for(user)
        .filter(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE))
        .order_by("path")
    )
    if not committees:
        return []
    owner = Case(
        *(When(unit__path__startswith=committee.path, then=Value(committee.pk)) for committee in committees),
        default=None,
        output_field=IntegerField(),
    )
    values: dict[int, list[Row]] = defaultdict(list)
    found = (
        rows(kind, campaign=campaign, level=LedgerLevel.UNIT)
        .annotate(owner=owner)
        .filter(owner__isnull=False)
        .order_by()
        .values("owner", "dimension", "key")
        .annotate(v=Sum("value"))
    )
    for row in found:
        values[row["owner"]].append((row["dimension"], row["key"], row["v"]))
    return [(committee, kind.from_rows(values[committee.pk])) for committee in committees]


# --- Summaries by unit: a branch folded into its unit ---------------------------------------


def summary_units(
    user: AnyUser, campaign: Campaign, *, committee: OrgUnit | None = None, search: str = ""
) -> tuple[QuerySet[OrgUnit], bool]:
    """The rows of a summary by unit: the visible organisations above branch level,
    each standing for itself and its branches (``fold`` True). A user who sees only
    branches gets the branches themselves (``fold`` False)."""
    visible = scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign))
    if committee is not None:
        visible = visible.filter(path__startswith=committee.path)
    if search:
        visible = visible.filter(Q(name__icontains=search) | Q(code__icontains=search))
    above_branches = visible.exclude(kind=OrgUnitKind.BRANCH)
    fold = above_branches.exists() or not visible.exists()
    units = above_branches if fold else visible
    return units.select_related("parent").order_by("path"), fold


def _owner(fold: bool) -> Any:
    # A branch's figures are shown in its unit's row: branches hang under a unit, a
    # party committee or the county, never under another branch.
    if not fold:
        return F("unit_id")
    return Case(When(unit__kind=OrgUnitKind.BRANCH, then=F("unit__parent_id")), default=F("unit_id"))


def _unit_rows(kind: type[Figures], campaign: Campaign, dimensions: tuple[str, ...] | None) -> QuerySet[LedgerRow]:
    found = rows(kind, campaign=campaign, level=LedgerLevel.UNIT)
    return found if dimensions is None else found.filter(dimension__in=dimensions)


def by_owner(
    kind: type[FiguresT],
    campaign: Campaign,
    units: Iterable[OrgUnit],
    *,
    fold: bool,
    dimensions: tuple[str, ...] | None = None,
) -> list[tuple[OrgUnit, FiguresT]]:
    """The figures of a page of a summary by unit (only ``dimensions``, if given), in one
    query."""
    units = list(units)
    per_unit: dict[int, list[Row]] = defaultdict(list)
    found = (
        _unit_rows(kind, campaign, dimensions)
        .annotate(owner=_owner(fold))
        .filter(owner__in=[unit.pk for unit in units])
        .order_by()
        .values("owner", "dimension", "key")
        .annotate(v=Sum("value"))
    )
    for row in found:
        per_unit[row["owner"]].append((row["dimension"], row["key"], row["v"]))
    return [(unit, kind.from_rows(per_unit[unit.pk])) for unit in units]


def owner_totals(
    kind: type[FiguresT],
    campaign: Campaign,
    units: QuerySet[OrgUnit],
    *,
    fold: bool,
    dimensions: tuple[str, ...] | None = None,
) -> FiguresT:
    """The foot of a summary by unit: every row that matches the filter, not one page."""
    found = _unit_rows(kind, campaign, dimensions).annotate(owner=_owner(fold))
    return summed(kind, found.filter(owner__in=Subquery(units.order_by().values("pk"))))


# --- The ledger's state -------------------------------------------------------------------


def ledger_state(campaign: Campaign) -> LedgerState | None:
    return LedgerState.objects.filter(campaign=campaign).first()


def ledger_state_and_pending(campaign: Campaign) -> tuple[LedgerState | None, int]:
    """``ledger_state`` and ``pending_changes`` (of any source) in one query: every
    ledger page shows both, and a round trip is most of what a cached page costs."""
    waiting = (
        ChangeOutbox.objects.filter(campaign=OuterRef("campaign"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    state = LedgerState.objects.filter(campaign=campaign).annotate(waiting=Coalesce(Subquery(waiting), 0)).first()
    if state is None:
        return None, pending_changes(campaign)
    return state, state.waiting


def campaign_state_and_pending(user: AnyUser) -> tuple[Campaign | None, LedgerState | None, int]:
    """The user's current campaign (``current_campaign_for``'s: the newest active he
    sees) with its ``ledger_state`` and ``pending_changes`` (of any source), in one
    query: the general ledger needs all three, and a round trip is most of what its
    cached page costs (bench/README.md, "Load"). When the scope names its campaigns
    without a query (office staff, a municipal team) the statement is written out: the
    ORM took 3 ms to build it, ten times the query."""
    known = scope_for(user).campaign_ids_known()
    if known is None:
        return _campaign_state_and_pending(campaigns_for(user))
    if not known:
        return None, None, 0
    return _campaign_state_and_pending_sql(sorted(known))


def _waiting() -> Subquery:
    counted = ChangeOutbox.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign")
    return Subquery(counted.annotate(n=Count("pk")).values("n"))


def _campaign_state_and_pending(campaigns: QuerySet[Campaign]) -> tuple[Campaign | None, LedgerState | None, int]:
    campaign = campaigns.select_related("ledger_state").annotate(_ledger_waiting=Coalesce(_waiting(), 0)).first()
    if campaign is None:
        return None, None, 0
    try:
        state: LedgerState | None = campaign.ledger_state
    except LedgerState.DoesNotExist:
        state = None
    return campaign, state, int(campaign._ledger_waiting)


_STATE_FIELDS = ("rolled_up_at", "full_rollup_at", "reconciled_at")


def _field(model: type[models.Model], name: str) -> models.Field:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field), f"{model.__name__}.{name} is no column"
    return found


def _campaign_state_and_pending_sql(ids: list[int]) -> tuple[Campaign | None, LedgerState | None, int]:
    table, state_table, outbox = Campaign._meta.db_table, LedgerState._meta.db_table, ChangeOutbox._meta.db_table
    fields = [_field(LedgerState, name) for name in _STATE_FIELDS]
    columns = ", ".join(f"s.{column.column} AS _state_{column.name}" for column in fields)
    # As campaigns_for orders them: the active first, then the latest to start.
    found = list(
        Campaign.objects.raw(
            f"SELECT c.*, s.id AS _state_id, {columns}, "
            f"(SELECT COUNT(*) FROM {outbox} o WHERE o.{_field(ChangeOutbox, 'campaign').column} = c.id) "
            f"AS _ledger_waiting FROM {table} c "
            f"LEFT JOIN {state_table} s ON s.{_field(LedgerState, 'campaign').column} = c.id "
            f"WHERE c.id IN ({', '.join(['%s'] * len(ids))}) "
            f"ORDER BY c.{_field(Campaign, 'is_active').column} DESC, "
            f"c.{_field(Campaign, 'starts_on').column} DESC LIMIT 1",
            ids,
        )
    )
    if not found:
        return None, None, 0
    campaign = found[0]
    state = None
    if getattr(campaign, "_state_id", None) is not None:
        using = campaign._state.db or "default"
        connection = connections[using]
        values = {}
        for column in fields:
            value = getattr(campaign, f"_state_{column.name}")
            expression = column.get_col(state_table)
            for convert in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
                value = convert(value, expression, connection)
            values[column.name] = value
        state = LedgerState(id=getattr(campaign, "_state_id"), campaign=campaign, **values)  # noqa: B009
        state._state.adding, state._state.db = False, using
    return campaign, state, int(campaign._ledger_waiting)  # type: ignore[attr-defined]


def pending_changes(campaign: Campaign, *, source: str | None = None) -> int:
    """How many changes (of one source, or of any) wait in the outbox for the roll-up:
    the pages say their figures are a moment behind."""
    waiting = ChangeOutbox.objects.filter(campaign=campaign)
    if source is not None:
        waiting = waiting.filter(source=source)
    return waiting.count()
