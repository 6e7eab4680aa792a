"""A roll-up of named targets: the cells (``LedgerCell``) and the rows summed from them.

A change to a few records of a source with cells (the opinions) announces their ledger
unit and target (``ChangeOutbox.target``). The roll-up of such changes recomputes from
source only the cells of those targets (the source's ``Cells.select``), then, from the
cells, the unit, member and team rows whose cells changed, and the county rows whose
unit rows changed: a few hundred cells read, where a roll-up of the unit would group
its thousands of records. Everything here is generic over the cells' dimensions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from campaign.models import LeadershipTeam, Member
from reports.ledger.sql import (
    NULL_ID,
    cell_insert_head,
    figures_condition,
    ids,
    insert_head,
    lit,
    q,
    scope_sql,
    table,
    whole_units,
)
from reports.models import LedgerCell, LedgerLevel


@dataclass(frozen=True)
class Subjects:
    """The targets whose records changed: members, teams, and units as a whole (the
    records of a ledger unit with neither member nor team; None: no target yet)."""

    members: frozenset[int] = field(default_factory=frozenset)
    teams: frozenset[int] = field(default_factory=frozenset)
    units: frozenset[int | None] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, targets: Iterable[str], *, strict: bool = True) -> Subjects | None:
        """The subjects the outbox's targets name; None if any is blank (a change to
        anything in a unit) or not the opinions' (``opinions.services.subject``) —
        unless not ``strict``: then those are passed over."""
        members: set[int] = set()
        teams: set[int] = set()
        units: set[int | None] = set()
        for target in targets:
            kind, _sep, pk = target.partition(":")
            try:
                if kind == "member":
                    members.add(int(pk))
                elif kind == "team":
                    teams.add(int(pk))
                elif kind == "unit":
                    units.add(None if pk == "none" else int(pk))
                elif strict:
                    return None
            except ValueError:
                if strict:
                    return None
        return cls(frozenset(members), frozenset(teams), frozenset(units))

    def current_units(self) -> set[int]:
        """The units the members and teams belong to now (where their rows are filed)."""
        if not self.members and not self.teams:
            return set()
        units = set(Member.objects.filter(pk__in=self.members).values_list("unit_id", flat=True))
        units.update(LeadershipTeam.objects.filter(pk__in=self.teams).values_list("unit_id", flat=True))
        return units

    def __len__(self) -> int:
        return len(self.members) + len(self.teams) + len(self.units)


def stage_cells(select: str) -> str:
    """Stage the cells a source's ``Cells.select`` counts (a SELECT of CELL_COLUMNS)."""
    return cell_insert_head() + select


def replaced_cells(campaign_id: int, unit_ids: Sequence[int] | None, subjects: Subjects | None = None) -> str:
    """The condition (on ``l``, a cell) of the stored cells a roll-up replaces: every
    cell of the campaign (``unit_ids`` None, no subjects), those of some ledger units
    and of no unit, or those of some subjects (as ``stage_cells`` stages them)."""
    where = f"l.{q('campaign_id')} = {int(campaign_id)}"
    unit, member, team = (f"l.{q(name)}" for name in ("unit_id", "member_id", "team_id"))
    if subjects is not None:
        parts = []
        if subjects.members:
            parts.append(f"{member} IN ({ids(sorted(subjects.members))})")
        if subjects.teams:
            parts.append(f"{team} IN ({ids(sorted(subjects.teams))})")
        whole = whole_units(unit, subjects.units)
        if whole:
            parts.append(f"({member} IS NULL AND {team} IS NULL AND ({' OR '.join(whole)}))")
        return f"{where} AND ({' OR '.join(parts) or '1 = 0'})"
    if unit_ids is None:
        return where
    return f"{where} AND ({' OR '.join(whole_units(unit, frozenset([*unit_ids, None])))})"


@dataclass(frozen=True)
class Touched:
    """What changed cells feed: the rows of these units, members and teams along these
    (dimension, key) pairs of the opinions."""

    units: frozenset[int | None]
    members: frozenset[int]
    teams: frozenset[int]
    figures: tuple[tuple[str, str], ...]


def rows_from_cells(campaign_id: int, touched: Touched) -> tuple[str, list[str]]:
    """The rows that changed cells feed, each the sum of its stored cells (a
    SELECT of COLUMNS, and its parameters); the rows of the other dimensions (feedback,
    solicitation, talks…) are not touched (``replaced_cell_rows``)."""
    cells, campaign = table(LedgerCell), int(campaign_id)
    units, members, teams = touched.units, touched.members, touched.teams
    dimension, key, value = (f"x.{q(name)}" for name in ("dimension", "key", "value"))
    unit, member, team = (f"x.{q(name)}" for name in ("unit_id", "member_id", "team_id"))
    pairs, params = figures_condition("x", touched.figures)
    where = f"x.{q('campaign_id')} = {campaign} AND {pairs}"
    statements = []
    whole = whole_units(unit, units)
    if whole:
        statements.append(
            f"SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', unit)}, {unit}, "
            f"{NULL_ID}, {NULL_ID}, {dimension}, {key}, SUM({value}) FROM {cells} x "
            f"WHERE {where} AND ({' OR '.join(whole)}) GROUP BY {unit}, {dimension}, {key}"
        )
    if members:
        statements.append(
            f"SELECT {campaign}, {lit(LedgerLevel.MEMBER)}, {scope_sql('member:', member)}, m.unit_id, "
            f"{member}, {NULL_ID}, {dimension}, {key}, SUM({value}) FROM {cells} x "
            f"JOIN {table(Member)} m ON m.id = {member} WHERE {where} AND {member} IN ({ids(sorted(members))}) "
            f"GROUP BY {member}, m.unit_id, {dimension}, {key}"
        )
    if teams:
        statements.append(
            f"SELECT {campaign}, {lit(LedgerLevel.TEAM)}, {scope_sql('team:', team)}, t.unit_id, "
            f"{NULL_ID}, {team}, {dimension}, {key}, SUM({value}) FROM {cells} x "
            f"JOIN {table(LeadershipTeam)} t ON t.id = {team} WHERE {where} AND {team} IN ({ids(sorted(teams))}) "
            f"GROUP BY {team}, t.unit_id, {dimension}, {key}"
        )
    return " UNION ALL ".join(statements), params * len(statements)


def stage_rows_from_cells(campaign_id: int, touched: Touched) -> tuple[str, list[str]]:
    """Stage ``rows_from_cells``."""
    sql, params = rows_from_cells(campaign_id, touched)
    return insert_head() + sql, params


def replaced_cell_rows(campaign_id: int, touched: Touched, dimensions: Sequence[str]) -> tuple[str, list[str]]:
    """The condition (on ``l``, a ledger row) of the stored rows ``stage_rows_from_cells``
    replaces, and its parameters: the rows of those units, members and teams along
    those (dimension, key) pairs of ``dimensions`` (the cells' dimensions)."""
    units, members, teams = touched.units, touched.members, touched.teams
    level, unit, member, team = (f"l.{q(name)}" for name in ("level", "unit_id", "member_id", "team_id"))
    dimensions = ", ".join(lit(dimension) for dimension in dimensions)
    pairs, params = figures_condition("l", touched.figures)
    parts = []
    whole = whole_units(unit, units)
    if whole:
        parts.append(f"({level} = {lit(LedgerLevel.UNIT)} AND ({' OR '.join(whole)}))")
    if members:
        parts.append(f"({level} = {lit(LedgerLevel.MEMBER)} AND {member} IN ({ids(sorted(members))}))")
    if teams:
        parts.append(f"({level} = {lit(LedgerLevel.TEAM)} AND {team} IN ({ids(sorted(teams))}))")
    return (
        f"l.{q('campaign_id')} = {int(campaign_id)} AND l.{q('dimension')} IN ({dimensions}) AND {pairs} "
        f"AND ({' OR '.join(parts) or '1 = 0'})",
        params,
    )
