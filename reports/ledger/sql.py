"""The SQL every ledger source and the roll-up share: spelling constants and ids into
statements, the columns of a ledger row and of a cell, and where a source's INSERTs go.

A source writes its rows with statements that start with ``insert_head()``: inside a
roll-up that names the roll-up's staging table (``inserting_into_staging``), outside
it the ledger itself. Only ids (cast to int) and constants (``lit``: lower-case
letters, underscores and colons) are ever spelt into the SQL; nothing a user typed
reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, models

from campaign.models import LeadershipTeam, Member
from reports.models import LedgerCell, LedgerLevel, LedgerRow

_SAFE = re.compile(r"^[a-z_:]*$")


def lit(text: str) -> str:
    """A constant as an SQL string literal (only lower-case letters, ``_`` and ``:``)."""
    if not _SAFE.match(text):
        raise ValueError(f"{text!r} is not a constant this module may spell into SQL")
    return f"'{text}'"


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(value)) for value in values)


NULL_ID = "CAST(NULL AS BIGINT)"


def scope_sql(prefix: str, column: str) -> str:
    return f"{lit(prefix)} || COALESCE(CAST({column} AS VARCHAR(20)), 'none')"


@dataclass(frozen=True)
class Level:
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


def levels(alias: str, *, unit_column: str) -> list[Level]:
    member_table, team_table = table(Member), table(LeadershipTeam)
    return [
        Level(
            level=LedgerLevel.UNIT,
            scope=scope_sql("unit:", f"{alias}.{unit_column}"),
            unit=f"{alias}.{unit_column}",
            member=NULL_ID,
            team=NULL_ID,
            keys=(f"{alias}.{unit_column}",),
            join="",
            unit_column=f"{alias}.{unit_column}",
        ),
        Level(
            level=LedgerLevel.MEMBER,
            scope=scope_sql("member:", f"{alias}.target_member_id"),
            unit="m.unit_id",
            member=f"{alias}.target_member_id",
            team=NULL_ID,
            keys=(f"{alias}.target_member_id", "m.unit_id"),
            join=f"JOIN {member_table} m ON m.id = {alias}.target_member_id",
            unit_column="m.unit_id",
        ),
        Level(
            level=LedgerLevel.TEAM,
            scope=scope_sql("team:", f"{alias}.target_team_id"),
            unit="t.unit_id",
            member=NULL_ID,
            team=f"{alias}.target_team_id",
            keys=(f"{alias}.target_team_id", "t.unit_id"),
            join=f"JOIN {team_table} t ON t.id = {alias}.target_team_id",
            unit_column="t.unit_id",
        ),
    ]


COLUMNS = ("campaign_id", "level", "scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
CELL_COLUMNS = ("campaign_id", "scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
# The roll-up's temporary staging tables (``reports.ledger.staging``).
STAGING = "reports_ledger_staging"
CELL_STAGING = "reports_cell_staging"
# Where a source's INSERTs go: the ledger itself, or, inside a roll-up, the roll-up's
# staging table, which the roll-up then compares with the stored rows.
_INTO: ContextVar[str | None] = ContextVar("ledger_rows_into", default=None)


def insert_head() -> str:
    """``INSERT INTO <the ledger rows> (<COLUMNS>) ``: how every source starts its statements."""
    into = _INTO.get() or table(LedgerRow)
    return f"INSERT INTO {into} ({', '.join(map(connection.ops.quote_name, COLUMNS))}) "


def cell_insert_head() -> str:
    """``INSERT INTO <the cells> (<CELL_COLUMNS>) ``: the cells' staging table inside a roll-up."""
    into = q(CELL_STAGING) if _INTO.get() else table(LedgerCell)
    return f"INSERT INTO {into} ({', '.join(map(connection.ops.quote_name, CELL_COLUMNS))}) "


def cell_scope_sql(unit: str, member: str, team: str) -> str:
    """``models.cell_scope`` in SQL."""
    return (
        f"{lit('cell:')} || COALESCE(CAST({unit} AS VARCHAR(20)), 'none') || ':' || "
        f"CASE WHEN {member} IS NOT NULL THEN 'm' || CAST({member} AS VARCHAR(20)) "
        f"WHEN {team} IS NOT NULL THEN 't' || CAST({team} AS VARCHAR(20)) ELSE 'u' END"
    )


def unit_condition(column: str, unit_ids: Sequence[int] | None, *, unassigned: bool) -> str:
    """Restrict to the units being rolled up (None: every unit, a full roll-up).
    ``unassigned``: also the opinions no target has been assigned to yet."""
    if unit_ids is None:
        return ""
    parts = [f"{column} IN ({ids(unit_ids)})"] if unit_ids else []
    if unassigned:
        parts.append(f"{column} IS NULL")
    if not parts:
        return " AND 1 = 0"
    return " AND (" + " OR ".join(parts) + ")"


def staging_table() -> str:
    return connection.ops.quote_name(STAGING)


def q(name: str) -> str:
    return connection.ops.quote_name(name)


@contextmanager
def inserting_into_staging() -> Iterator[None]:
    """The sources' INSERTs (``insert_head``) go to the staging table inside the block."""
    token = _INTO.set(staging_table())
    try:
        yield
    finally:
        _INTO.reset(token)


def whole_units(column: str, units: frozenset[int | None]) -> list[str]:
    """Conditions on ``column`` (a unit id) for these units, None as IS NULL."""
    known = sorted(unit for unit in units if unit is not None)
    parts = [f"{column} IN ({ids(known)})"] if known else []
    if None in units:
        parts.append(f"{column} IS NULL")
    return parts


def figures_condition(alias: str, figures: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """``alias`` has one of these (dimension, key) pairs: a condition and its parameters,
    written as an OR of equalities, which the index on (campaign, level, dimension, key)
    answers pair by pair (a row-value ``IN (VALUES …)`` makes PostgreSQL read every row
    of the level)."""
    dimension, key = f"{alias}.{q('dimension')}", f"{alias}.{q('key')}"
    condition = " OR ".join([f"({dimension} = %s AND {key} = %s)"] * len(figures)) or "1 = 0"
    return f"({condition})", [text for pair in figures for text in pair]
