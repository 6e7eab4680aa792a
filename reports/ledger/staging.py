"""Staging and replacing: how a roll-up brings the stored ledger into line with source.

A roll-up has the sources insert into a temporary staging table, then brings the
stored rows it replaces into line with it: deletes the stored rows the sources no
longer produce, updates those whose value (or unit, for a member who moved) changed,
inserts the new ones. Rows that did not change are not written at all — most of them,
after most changes — and the county rows are recomputed only for the (dimension, key)
pairs whose unit rows changed. Generic: any source, any dimension; nothing here knows
what a source counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from campaign.models import LeadershipTeam, Member
from reports.ledger.sql import (
    CELL_COLUMNS,
    CELL_STAGING,
    COLUMNS,
    NULL_ID,
    STAGING,
    figures_condition,
    ids,
    lit,
    q,
    staging_table,
    table,
)
from reports.ledger.targets import Touched
from reports.models import LedgerCell, LedgerLevel, LedgerRow


def staging_create() -> list[str]:
    """The staging table, a temporary one (of this connection), if not there already.
    On SQLite with an index on the figure: its DELETE of the stored rows no longer
    staged looks each one up there (without it a full roll-up over a filled ledger
    compared every stored row with every staged one: about a minute for the demo).
    PostgreSQL matches the two sides with one hash join instead."""
    types = {
        "campaign_id": "BIGINT NOT NULL",
        "level": "VARCHAR(10) NOT NULL",
        "scope": "VARCHAR(40) NOT NULL",
        "unit_id": "BIGINT NULL",
        "member_id": "BIGINT NULL",
        "team_id": "BIGINT NULL",
        "dimension": "VARCHAR(20) NOT NULL",
        "key": "VARCHAR(40) NOT NULL",
        "value": "BIGINT NOT NULL",
    }
    statements = []
    for name, columns in ((STAGING, COLUMNS), (CELL_STAGING, CELL_COLUMNS)):
        definition = ", ".join(f"{q(column)} {types[column]}" for column in columns)
        statements.append(f"CREATE TEMPORARY TABLE IF NOT EXISTS {q(name)} ({definition})")
        if connection.vendor == "sqlite":
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {q(name + '_figure')} ON {q(name)} "
                f"({q('scope')}, {q('dimension')}, {q('key')})"
            )
    return statements


def staging_clear() -> list[str]:
    # TRUNCATE on PostgreSQL: DELETE would leave the dead rows in the table (nothing ever
    # vacuums a temporary one), and the planner, reading its growing size, would come to
    # expect thousands of staged rows where there are a few hundred.
    if connection.vendor == "postgresql":
        return [f"TRUNCATE {staging_table()}, {q(CELL_STAGING)}"]
    return [f"DELETE FROM {staging_table()}", f"DELETE FROM {q(CELL_STAGING)}"]


def staged_county(campaign_id: int) -> str:
    """The county rows of a full roll-up, staged: every staged unit row summed."""
    dimension, key, value, level = map(q, ("dimension", "key", "value", "level"))
    return (
        f"INSERT INTO {staging_table()} ({', '.join(map(q, COLUMNS))}) "
        f"SELECT {int(campaign_id)}, {lit(LedgerLevel.COUNTY)}, {lit('county')}, {NULL_ID}, {NULL_ID}, "
        f"{NULL_ID}, {dimension}, {key}, SUM({value}) FROM {staging_table()} "
        f"WHERE {level} = {lit(LedgerLevel.UNIT)} GROUP BY {dimension}, {key}"
    )


def replaced_rows(
    campaign_id: int, unit_ids: Sequence[int] | None, *, member_ids: Sequence[int] = (), team_ids: Sequence[int] = ()
) -> str:
    """The condition (on ``l``, a ledger row) of the stored rows a roll-up replaces.
    Every row of the campaign for a full one (``unit_ids`` None); for some units, the
    rows filed under them, the unassigned opinions' unit rows, and the rows of the
    members and teams that belong to the units now (``member_ids``, ``team_ids``: a
    member who moved is filed under the new unit). Not the county rows."""
    level, unit, member, team = (f"l.{q(name)}" for name in ("level", "unit_id", "member_id", "team_id"))
    where = f"l.{q('campaign_id')} = {int(campaign_id)}"
    if unit_ids is None:
        return where
    parts = [f"({level} = {lit(LedgerLevel.UNIT)} AND {unit} IS NULL)"]
    if unit_ids:
        parts.append(f"{unit} IN ({ids(unit_ids)})")
    if member_ids:
        parts.append(f"({level} = {lit(LedgerLevel.MEMBER)} AND {member} IN ({ids(member_ids)}))")
    if team_ids:
        parts.append(f"({level} = {lit(LedgerLevel.TEAM)} AND {team} IN ({ids(team_ids)}))")
    return f"{where} AND {level} <> {lit(LedgerLevel.COUNTY)} AND ({' OR '.join(parts)})"


def members_and_teams(unit_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """The ids of the members and of the leadership teams that belong to these units now."""
    if not unit_ids:
        return [], []
    units = ids(unit_ids)
    found: dict[str, list[int]] = {"member": [], "team": []}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {lit('member')}, id FROM {table(Member)} WHERE unit_id IN ({units}) "
            f"UNION ALL SELECT {lit('team')}, id FROM {table(LeadershipTeam)} WHERE unit_id IN ({units})"
        )
        for kind, pk in cursor.fetchall():
            found[kind].append(pk)
    return found["member"], found["team"]


def _same_figure(stored: str, staged: str) -> str:
    return " AND ".join(f"{stored}.{q(name)} = {staged}.{q(name)}" for name in ("scope", "dimension", "key"))


def replace_statements(
    campaign_id: int,
    replaced: str,
    *,
    params: Sequence[str] = (),
    cells: bool = False,
    staged: tuple[str, Sequence[str]] | None = None,
    then: tuple[str, Sequence[str]] | None = None,
) -> list[tuple[str, list[str]]]:
    """The stored rows matching ``replaced`` (with its ``params``) made equal to the
    staged ones; the statements (with their parameters) return (level, dimension, key)
    of the rows they wrote — with ``cells``, the cells (``LedgerCell``) made equal to
    the staged cells, returning (unit, member, team, dimension, key) of those written.

    On PostgreSQL one statement: stored and staged rows matched once (a hash full join),
    then the deletes, updates and inserts of what differs (data-modifying CTEs); the
    staged rows may then be given as a SELECT and its parameters (``staged``) rather
    than staged in a table first — a CTE ``staged`` which more CTEs (``then``, with
    their parameters) may read in the same statement. On SQLite three statements, each
    matching again: delete, update, insert."""
    campaign = int(campaign_id)
    shape: tuple[str, ...]
    if cells:
        ledger, staging, shape = table(LedgerCell), q(CELL_STAGING), CELL_COLUMNS
        names: tuple[str, ...] = ("unit_id", "member_id", "team_id", "dimension", "key")
    else:
        ledger, staging, shape = table(LedgerRow), staging_table(), COLUMNS
        names = ("level", "dimension", "key")
    value, unit = q("value"), q("unit_id")
    columns = ", ".join(map(q, shape))
    if connection.vendor == "postgresql":
        back = ", ".join(f"l.{q(name)}" for name in names)
        head, source_params = "WITH ", []
        if staged is not None:
            select, select_params = staged
            # The SELECT's columns are named after the table's, whatever it calls them.
            head = f"WITH staged AS MATERIALIZED (SELECT * FROM ({select}) x ({columns})), "
            source_params += list(select_params)
            staging = "staged"
        source_params += list(params)
        more = ""
        if then is not None:
            more = f"{then[0]}, "
            source_params += list(then[1])
        staged_columns = ", ".join(f"s.{q(column)}" for column in shape)
        differs = f"l.{value} <> s.{value} OR COALESCE(l.{unit}, 0) <> COALESCE(s.{unit}, 0)"
        return [
            (
                f"{head}diff AS MATERIALIZED (SELECT l.id AS stored_id, {staged_columns} "
                f"FROM (SELECT * FROM {ledger} l WHERE {replaced}) l FULL JOIN {staging} s ON {_same_figure('l', 's')} "
                f"WHERE l.id IS NULL OR s.{q('scope')} IS NULL OR {differs}), "
                # The ids as an array: PostgreSQL cannot tell how few rows differ, and would
                # rather scan the whole ledger than look a thousand of them up by id.
                f"deleted AS (DELETE FROM {ledger} l WHERE l.id = ANY(ARRAY(SELECT d.stored_id FROM diff d "
                f"WHERE d.{q('scope')} IS NULL)) RETURNING {back}), "
                f"updated AS (UPDATE {ledger} l SET {value} = d.{value}, {unit} = d.{unit} FROM diff d "
                f"WHERE l.id = ANY(ARRAY(SELECT d.stored_id FROM diff d WHERE d.stored_id IS NOT NULL "
                f"AND d.{q('scope')} IS NOT NULL)) AND l.id = d.stored_id RETURNING {back}), "
                f"inserted AS (INSERT INTO {ledger} ({columns}) SELECT {columns} FROM diff d WHERE d.stored_id IS NULL "
                f"RETURNING {', '.join(map(q, names))}), {more}"
                f"done AS (SELECT 1) "
                f"SELECT * FROM deleted UNION ALL SELECT * FROM updated UNION ALL SELECT * FROM inserted",
                source_params,
            )
        ]
    if staged is not None or then is not None:
        raise ValueError("Stage the rows first: on this database the statements read them three times")
    # SQLite's RETURNING names the written table's columns, unaliased.
    back = f" RETURNING {', '.join(map(q, names))}"
    return [
        (
            f"DELETE FROM {ledger} AS l WHERE {replaced} AND NOT EXISTS "
            f"(SELECT 1 FROM {staging} s WHERE {_same_figure('s', 'l')}){back}",
            list(params),
        ),
        (
            f"UPDATE {ledger} AS l SET {value} = s.{value}, {unit} = s.{unit} FROM {staging} s "
            f"WHERE {replaced} AND {_same_figure('l', 's')} "
            f"AND (l.{value} <> s.{value} OR COALESCE(l.{unit}, 0) <> COALESCE(s.{unit}, 0)){back}",
            list(params),
        ),
        (
            f"INSERT INTO {ledger} ({columns}) SELECT {', '.join(f's.{q(c)}' for c in shape)} "
            f"FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM {ledger} l "
            f"WHERE l.{q('campaign_id')} = {campaign} AND {_same_figure('l', 's')}){back}",
            [],
        ),
    ]


def county_statements(campaign_id: int, figures: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """The county rows of these (dimension, key) pairs recomputed: each the sum of the
    unit rows (the unassigned opinions' included). Statements with their parameters."""
    ledger, campaign = table(LedgerRow), int(campaign_id)
    level, dimension, key, value = map(q, ("level", "dimension", "key", "value"))
    statements = []
    for start in range(0, len(figures), 400):
        pairs, params = figures_condition("l", figures[start : start + 400])
        if connection.vendor == "postgresql":
            # One statement: the sums written over the county rows (only where they
            # differ), and the county rows of pairs no unit row has any more deleted.
            statements.append(
                (
                    f"WITH sums AS MATERIALIZED (SELECT l.{dimension} AS dimension, l.{key} AS key, "
                    f"SUM(l.{value}) AS value FROM {ledger} l WHERE l.{q('campaign_id')} = {campaign} "
                    f"AND l.{level} = {lit(LedgerLevel.UNIT)} AND {pairs} GROUP BY l.{dimension}, l.{key}), "
                    f"written AS (INSERT INTO {ledger} AS c ({', '.join(map(q, COLUMNS))}) "
                    f"SELECT {campaign}, {lit(LedgerLevel.COUNTY)}, {lit('county')}, {NULL_ID}, {NULL_ID}, "
                    f"{NULL_ID}, s.dimension, s.key, s.value FROM sums s "
                    f"ON CONFLICT ON CONSTRAINT {q('ledger_row_unique_figure')} "
                    f"DO UPDATE SET {value} = EXCLUDED.{value} WHERE c.{value} <> EXCLUDED.{value}) "
                    f"DELETE FROM {ledger} l WHERE l.{q('campaign_id')} = {campaign} "
                    f"AND l.{level} = {lit(LedgerLevel.COUNTY)} AND {pairs} AND NOT EXISTS "
                    f"(SELECT 1 FROM sums s WHERE s.dimension = l.{dimension} AND s.key = l.{key})",
                    params * 2,
                )
            )
            continue
        statements.append(
            (
                f"DELETE FROM {ledger} AS l WHERE l.{q('campaign_id')} = {campaign} "
                f"AND l.{level} = {lit(LedgerLevel.COUNTY)} AND {pairs}",
                params,
            )
        )
        statements.append(
            (
                f"INSERT INTO {ledger} ({', '.join(map(q, COLUMNS))}) "
                f"SELECT {campaign}, {lit(LedgerLevel.COUNTY)}, {lit('county')}, "
                f"{NULL_ID}, {NULL_ID}, {NULL_ID}, l.{dimension}, l.{key}, SUM(l.{value}) FROM {ledger} l "
                f"WHERE l.{q('campaign_id')} = {campaign} AND l.{level} = {lit(LedgerLevel.UNIT)} AND {pairs} "
                f"GROUP BY l.{dimension}, l.{key}",
                params,
            )
        )
    return statements


def county_after_staged(campaign_id: int, touched: Touched) -> tuple[str, list[str]]:
    """CTEs (PostgreSQL) that write the county rows of the touched (dimension, key)
    pairs in the statement that replaces the unit rows from ``staged``: each the sum
    of the unit rows as they will be — the stored ones of the other units and the
    staged ones of the touched units — written where it differs, deleted where no unit
    row is left. With their parameters."""
    ledger, campaign = table(LedgerRow), int(campaign_id)
    level, dimension, key, value, unit = map(q, ("level", "dimension", "key", "value", "unit_id"))
    pairs, params = figures_condition("l", touched.figures)
    # 0 stands for no unit (the unassigned opinions' row): ids are positive.
    replaced_units = ids(sorted(0 if each is None else each for each in touched.units)) or "-1"
    sql = (
        f"county_sums AS MATERIALIZED (SELECT u.dimension, u.key, SUM(u.value) AS value FROM ("
        f"SELECT l.{dimension} AS dimension, l.{key} AS key, l.{value} AS value FROM {ledger} l "
        f"WHERE l.{q('campaign_id')} = {campaign} AND l.{level} = {lit(LedgerLevel.UNIT)} AND {pairs} "
        f"AND COALESCE(l.{unit}, 0) NOT IN ({replaced_units}) "
        f"UNION ALL SELECT s.{dimension}, s.{key}, s.{value} FROM staged s WHERE s.{level} = {lit(LedgerLevel.UNIT)}"
        f") u GROUP BY u.dimension, u.key), "
        f"county_written AS (INSERT INTO {ledger} AS c ({', '.join(map(q, COLUMNS))}) "
        f"SELECT {campaign}, {lit(LedgerLevel.COUNTY)}, {lit('county')}, {NULL_ID}, {NULL_ID}, {NULL_ID}, "
        f"s.dimension, s.key, s.value FROM county_sums s ON CONFLICT ON CONSTRAINT {q('ledger_row_unique_figure')} "
        f"DO UPDATE SET {value} = EXCLUDED.{value} WHERE c.{value} <> EXCLUDED.{value}), "
        f"county_deleted AS (DELETE FROM {ledger} l WHERE l.{q('campaign_id')} = {campaign} "
        f"AND l.{level} = {lit(LedgerLevel.COUNTY)} AND {pairs} AND NOT EXISTS "
        f"(SELECT 1 FROM county_sums s WHERE s.dimension = l.{dimension} AND s.key = l.{key}))"
    )
    return sql, params * 2
