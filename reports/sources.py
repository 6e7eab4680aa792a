"""How ledger rows are computed from the source tables: SQL that inserts them.

Each statement is an ``INSERT … SELECT … GROUP BY``: the database groups and writes,
so even a full roll-up moves no opinion through Python. On PostgreSQL one statement
groups every dimension of a level in a single pass over the opinions (GROUPING SETS);
on SQLite, the embedded default, each dimension is its own GROUP BY joined with UNION
ALL. Both write the same rows.

Only ids (cast to int) and constants of this module are spelt into the SQL; nothing a
user typed ever reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from campaign.models import LeadershipTeam, Member
from opinions.models import Channel, FeedbackList, Opinion, SolicitationEvent
from reports.models import (
    EVENTS,
    FORMS_ISSUED,
    FORMS_RETURNED,
    FORUMS,
    LISTS_RELEASED,
    LISTS_SIGNED,
    LISTS_TOTAL,
    OPINION_DIMENSIONS,
    SUGGESTION_BOXES,
    TOTAL_KEY,
    Dimension,
    LedgerLevel,
    LedgerRow,
)

_SAFE = re.compile(r"^[a-z_:]*$")
RELEASED_STATUSES = (FeedbackList.Status.RELEASED, FeedbackList.Status.SIGNED)


def _lit(text: str) -> str:
    """A constant of this module as an SQL string literal."""
    if not _SAFE.match(text):
        raise ValueError(f"{text!r} is not a constant this module may spell into SQL")
    return f"'{text}'"


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(value)) for value in values)


_NULL_ID = "CAST(NULL AS BIGINT)"


def _scope(prefix: str, column: str) -> str:
    return f"{_lit(prefix)} || COALESCE(CAST({column} AS VARCHAR(20)), 'none')"


@dataclass(frozen=True)
class _Level:
    """One level's grouping of a source table aliased ``o`` (opinions) or ``f`` (lists)."""

    level: str
    scope: str
    unit: str
    member: str
    team: str
    keys: tuple[str, ...]
    join: str
    # The column that must lie in the units being rolled up.
    unit_column: str


def _levels(alias: str, *, unit_column: str) -> list[_Level]:
    member_table, team_table = _table(Member), _table(LeadershipTeam)
    return [
        _Level(
            level=LedgerLevel.UNIT,
            scope=_scope("unit:", f"{alias}.{unit_column}"),
            unit=f"{alias}.{unit_column}",
            member=_NULL_ID,
            team=_NULL_ID,
            keys=(f"{alias}.{unit_column}",),
            join="",
            unit_column=f"{alias}.{unit_column}",
        ),
        _Level(
            level=LedgerLevel.MEMBER,
            scope=_scope("member:", f"{alias}.target_member_id"),
            unit="m.unit_id",
            member=f"{alias}.target_member_id",
            team=_NULL_ID,
            keys=(f"{alias}.target_member_id", "m.unit_id"),
            join=f"JOIN {member_table} m ON m.id = {alias}.target_member_id",
            unit_column="m.unit_id",
        ),
        _Level(
            level=LedgerLevel.TEAM,
            scope=_scope("team:", f"{alias}.target_team_id"),
            unit="t.unit_id",
            member=_NULL_ID,
            team=f"{alias}.target_team_id",
            keys=(f"{alias}.target_team_id", "t.unit_id"),
            join=f"JOIN {team_table} t ON t.id = {alias}.target_team_id",
            unit_column="t.unit_id",
        ),
    ]


def _insert_head() -> str:
    columns = ("campaign_id", "level", "scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
    return f"INSERT INTO {_table(LedgerRow)} ({', '.join(map(connection.ops.quote_name, columns))}) "


def _unit_condition(column: str, unit_ids: Sequence[int] | None, *, unassigned: bool) -> str:
    """Restrict to the units being rolled up (None: every unit, a full roll-up).
    ``unassigned``: also the opinions no target has been assigned to yet."""
    if unit_ids is None:
        return ""
    parts = [f"{column} IN ({_ids(unit_ids)})"] if unit_ids else []
    if unassigned:
        parts.append(f"{column} IS NULL")
    if not parts:
        return " AND 1 = 0"
    return " AND (" + " OR ".join(parts) + ")"


def _opinion_statement(campaign_id: int, level: _Level, unit_ids: Sequence[int] | None, *, grouping_sets: bool) -> str:
    opinions = _table(Opinion)
    where = f"WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL" + _unit_condition(
        level.unit_column, unit_ids, unassigned=level.level == LedgerLevel.UNIT
    )
    head = (
        f"SELECT {int(campaign_id)}, {_lit(level.level)}, {level.scope}, {level.unit}, {level.member}, {level.team}, "
    )
    source = f"FROM {opinions} o {level.join} {where}"
    keys = ", ".join(level.keys)
    dims = [f"o.{dimension}" for dimension in OPINION_DIMENSIONS]
    if grouping_sets:
        # GROUPING(...) sets a bit for each dimension left out of a row's grouping set:
        # all five out is the total, all but one out names that one.
        width = len(dims)
        cases = [f"WHEN {2**width - 1} THEN {_lit(Dimension.TOTAL)}"]
        for position, dimension in enumerate(OPINION_DIMENSIONS):
            mask = (2**width - 1) & ~(1 << (width - 1 - position))
            cases.append(f"WHEN {mask} THEN {_lit(dimension)}")
        dimension_sql = f"CASE GROUPING({', '.join(dims)}) {' '.join(cases)} END"
        key_sql = f"COALESCE({', '.join(dims)}, {_lit(TOTAL_KEY)})"
        sets = ", ".join([f"({keys})", *(f"({keys}, {dim})" for dim in dims)])
        return f"{_insert_head()}{head}{dimension_sql}, {key_sql}, COUNT(*) {source} GROUP BY GROUPING SETS ({sets})"
    selects = [f"{head}{_lit(Dimension.TOTAL)}, {_lit(TOTAL_KEY)}, COUNT(*) {source} GROUP BY {keys}"]
    selects += [
        f"{head}{_lit(dimension)}, o.{dimension}, COUNT(*) {source} GROUP BY {keys}, o.{dimension}"
        for dimension in OPINION_DIMENSIONS
    ]
    return _insert_head() + " UNION ALL ".join(selects)


def _feedback_statement(campaign_id: int, level: _Level, unit_ids: Sequence[int] | None) -> str:
    lists = _table(FeedbackList)
    base = f"FROM {lists} o {level.join} WHERE o.campaign_id = {int(campaign_id)}" + _unit_condition(
        level.unit_column, unit_ids, unassigned=False
    )
    head = (
        f"SELECT {int(campaign_id)}, {_lit(level.level)}, {level.scope}, {level.unit}, {level.member}, {level.team}, "
        f"{_lit(Dimension.FEEDBACK)}, "
    )
    keys = ", ".join(level.keys)
    released = ", ".join(_lit(status) for status in RELEASED_STATUSES)
    conditions = {
        LISTS_TOTAL: "",
        LISTS_RELEASED: f" AND o.status IN ({released})",
        LISTS_SIGNED: f" AND o.status = {_lit(FeedbackList.Status.SIGNED)}",
    }
    selects = [
        f"{head}{_lit(key)}, COUNT(*) {base}{condition} GROUP BY {keys}" for key, condition in conditions.items()
    ]
    return _insert_head() + " UNION ALL ".join(selects)


def _solicitation_statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    events = _table(SolicitationEvent)
    base = f"FROM {events} e WHERE e.campaign_id = {int(campaign_id)}" + _unit_condition(
        "e.unit_id", unit_ids, unassigned=False
    )
    head = (
        f"SELECT {int(campaign_id)}, {_lit(LedgerLevel.UNIT)}, {_scope('unit:', 'e.unit_id')}, e.unit_id, "
        f"{_NULL_ID}, {_NULL_ID}, {_lit(Dimension.SOLICITATION)}, "
    )
    selects = [
        f"{head}{_lit(EVENTS)}, COUNT(*) {base} GROUP BY e.unit_id",
        f"{head}{_lit(FORUMS)}, COUNT(*) {base} AND e.channel = {_lit(Channel.FORUM)} GROUP BY e.unit_id",
    ]
    for key, column in (
        (FORMS_ISSUED, "forms_issued"),
        (FORMS_RETURNED, "forms_returned"),
        (SUGGESTION_BOXES, "boxes_set"),
    ):
        # Only figures above zero are stored, as with every other dimension.
        selects.append(f"{head}{_lit(key)}, SUM(e.{column}) {base} GROUP BY e.unit_id HAVING SUM(e.{column}) > 0")
    return _insert_head() + " UNION ALL ".join(selects)


def insert_statements(campaign_id: int, unit_ids: Sequence[int] | None) -> list[str]:
    """The statements that insert the unit, member and team rows of ``unit_ids`` (and
    of the unassigned opinions), or of every unit when ``unit_ids`` is None."""
    grouping_sets = connection.vendor == "postgresql"
    statements = [
        _opinion_statement(campaign_id, level, unit_ids, grouping_sets=grouping_sets)
        for level in _levels("o", unit_column="ledger_unit_id")
    ]
    if unit_ids is None or unit_ids:
        statements += [
            _feedback_statement(campaign_id, level, unit_ids) for level in _levels("o", unit_column="ledger_unit_id")
        ]
        statements.append(_solicitation_statement(campaign_id, unit_ids))
    return statements


def county_statement(campaign_id: int) -> str:
    """The general ledger: every unit row summed (the unassigned opinions included)."""
    ledger = _table(LedgerRow)
    level, dimension, key, value = map(connection.ops.quote_name, ("level", "dimension", "key", "value"))
    return (
        f"{_insert_head()}SELECT {int(campaign_id)}, {_lit(LedgerLevel.COUNTY)}, {_lit('county')}, "
        f"{_NULL_ID}, {_NULL_ID}, {_NULL_ID}, {dimension}, {key}, SUM({value}) FROM {ledger} "
        f"WHERE campaign_id = {int(campaign_id)} AND {level} = {_lit(LedgerLevel.UNIT)} GROUP BY {dimension}, {key}"
    )


def write_opinions(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    with connection.cursor() as cursor:
        for sql in insert_statements(campaign_id, unit_ids):
            cursor.execute(sql)
