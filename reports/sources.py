"""How ledger rows are computed from the source tables: SQL that inserts them.

Each statement is an ``INSERT … SELECT … GROUP BY``: the database groups and writes,
so even a full roll-up moves no opinion through Python. On PostgreSQL one statement
reads the opinions once: it groups them by (ledger unit, member, team) × each dimension
(GROUPING SETS) into a small materialised result (some 25 rows a target), from which
the unit, member and team rows are summed and inserted (data-modifying CTEs). On
SQLite, the embedded default, each level is its own statement and each dimension its
own GROUP BY joined with UNION ALL. Both write the same rows.

Only ids (cast to int) and constants of this module are spelt into the SQL; nothing a
user typed ever reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

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
    LedgerCell,
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


COLUMNS = ("campaign_id", "level", "scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
CELL_COLUMNS = ("campaign_id", "scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
# The dimensions the opinions' cells count, and so the ledger rows made from cells.
CELL_DIMENSIONS: tuple[str, ...] = (Dimension.TOTAL, *OPINION_DIMENSIONS)
# Where a source's INSERTs go: the ledger itself, or, inside a roll-up, the roll-up's
# staging table (``staging``), which ``services`` then compares with the stored rows.
_INTO: ContextVar[str | None] = ContextVar("ledger_rows_into", default=None)


def _insert_head() -> str:
    """``INSERT INTO <the ledger rows> (<COLUMNS>) ``: how every source starts its statements."""
    table = _INTO.get() or _table(LedgerRow)
    return f"INSERT INTO {table} ({', '.join(map(connection.ops.quote_name, COLUMNS))}) "


def _cell_insert_head() -> str:
    """``INSERT INTO <the cells> (<CELL_COLUMNS>) ``: the cells' staging table inside a roll-up."""
    table = _q(CELL_STAGING) if _INTO.get() else _table(LedgerCell)
    return f"INSERT INTO {table} ({', '.join(map(connection.ops.quote_name, CELL_COLUMNS))}) "


def _cell_scope(unit: str, member: str, team: str) -> str:
    """``models.cell_scope`` in SQL."""
    return (
        f"{_lit('cell:')} || COALESCE(CAST({unit} AS VARCHAR(20)), 'none') || ':' || "
        f"CASE WHEN {member} IS NOT NULL THEN 'm' || CAST({member} AS VARCHAR(20)) "
        f"WHEN {team} IS NOT NULL THEN 't' || CAST({team} AS VARCHAR(20)) ELSE 'u' END"
    )


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


def _opinion_statement(campaign_id: int, level: _Level, unit_ids: Sequence[int] | None) -> str:
    """One level's rows, each dimension its own GROUP BY (SQLite)."""
    opinions = _table(Opinion)
    where = f"WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL" + _unit_condition(
        level.unit_column, unit_ids, unassigned=level.level == LedgerLevel.UNIT
    )
    head = (
        f"SELECT {int(campaign_id)}, {_lit(level.level)}, {level.scope}, {level.unit}, {level.member}, {level.team}, "
    )
    source = f"FROM {opinions} o {level.join} {where}"
    keys = ", ".join(level.keys)
    selects = [f"{head}{_lit(Dimension.TOTAL)}, {_lit(TOTAL_KEY)}, COUNT(*) {source} GROUP BY {keys}"]
    selects += [
        f"{head}{_lit(dimension)}, o.{dimension}, COUNT(*) {source} GROUP BY {keys}, o.{dimension}"
        for dimension in OPINION_DIMENSIONS
    ]
    return _insert_head() + " UNION ALL ".join(selects)


def _grouped_opinions(campaign_id: int, branches: Sequence[str]) -> str:
    """The opinions that count matching any of ``branches`` (conditions on ``o``, each
    read by itself: an index answers each, where it cannot answer their OR), grouped
    by (ledger unit, member, team) and each dimension in turn — plus the total — in one
    pass: columns unit_id, member_id, team_id, dimension, key, n.

    Two steps: one GROUP BY of every column (a single hash table, which PostgreSQL may
    fill in parallel), then the GROUPING SETS over its far fewer rows: hashing each
    opinion six times costs two to three times as much (bench/README.md)."""
    names = ("ledger_unit_id", "target_member_id", "target_team_id", *OPINION_DIMENSIONS)
    columns = ", ".join(f"o.{column}" for column in names)
    opinions = " UNION ALL ".join(
        f"SELECT {columns} FROM {_table(Opinion)} o "
        f"WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL AND {branch}"
        for branch in branches
    )
    finest = f"SELECT {columns}, COUNT(*) AS n FROM ({opinions}) o GROUP BY {columns}"
    dims = [f"o.{dimension}" for dimension in OPINION_DIMENSIONS]
    # GROUPING(...) sets a bit for each dimension left out of a row's grouping set:
    # all five out is the total, all but one out names that one.
    width = len(dims)
    cases = [f"WHEN {2**width - 1} THEN {_lit(Dimension.TOTAL)}"]
    for position, dimension in enumerate(OPINION_DIMENSIONS):
        mask = (2**width - 1) & ~(1 << (width - 1 - position))
        cases.append(f"WHEN {mask} THEN {_lit(dimension)}")
    subject = "o.ledger_unit_id, o.target_member_id, o.target_team_id"
    sets = ", ".join([f"({subject})", *(f"({subject}, {dim})" for dim in dims)])
    return (
        f"SELECT o.ledger_unit_id AS unit_id, o.target_member_id AS member_id, o.target_team_id AS team_id, "
        f"CASE GROUPING({', '.join(dims)}) {' '.join(cases)} END AS dimension, "
        f"COALESCE({', '.join(dims)}, {_lit(TOTAL_KEY)}) AS key, SUM(o.n) AS n "
        f"FROM ({finest}) o GROUP BY GROUPING SETS ({sets})"
    )


def _opinions_once(
    campaign_id: int, unit_ids: Sequence[int] | None, strays: tuple[Sequence[int], Sequence[int]] = ((), ())
) -> str:
    """The unit, member and team rows of the opinions, and their cells (``LedgerCell``,
    those whose ledger unit is rolled up), in ONE statement that reads the opinions once
    (PostgreSQL).

    A full roll-up groups every opinion of the campaign. A roll-up of units U groups the
    opinions whose ledger unit is in U (or that have none yet) — read from the index on
    (campaign, ledger unit), which carries every column grouped here — and the opinions
    about ``strays`` (members, teams) now in U whose ledger unit lies outside U (see
    ``_strays``)."""
    campaign = int(campaign_id)
    member_table, team_table = _table(Member), _table(LeadershipTeam)
    if unit_ids is None:
        grouped = _grouped_opinions(campaign, ["TRUE"])
        in_units = "TRUE"
        member_filter = team_filter = ""
    else:
        units = _ids(unit_ids) if unit_ids else "NULL"
        branches = ["o.ledger_unit_id IS NULL"] + ([f"o.ledger_unit_id IN ({units})"] if unit_ids else [])
        for column, ids in zip(("target_member_id", "target_team_id"), strays, strict=True):
            if ids:
                branches.append(f"o.{column} IN ({_ids(ids)}) AND o.ledger_unit_id NOT IN ({units})")
        grouped = _grouped_opinions(campaign, branches)
        in_units = f"(b.unit_id IN ({units}) OR b.unit_id IS NULL)"
        member_filter = f" AND m.unit_id IN ({units})"
        team_filter = f" AND t.unit_id IN ({units})"
    unit_rows = (
        f"{_insert_head()}SELECT {campaign}, {_lit(LedgerLevel.UNIT)}, {_scope('unit:', 'b.unit_id')}, b.unit_id, "
        f"{_NULL_ID}, {_NULL_ID}, b.dimension, b.key, SUM(b.n) FROM base b WHERE {in_units} "
        f"GROUP BY b.unit_id, b.dimension, b.key"
    )
    member_rows = (
        f"{_insert_head()}SELECT {campaign}, {_lit(LedgerLevel.MEMBER)}, {_scope('member:', 'b.member_id')}, "
        f"m.unit_id, b.member_id, {_NULL_ID}, b.dimension, b.key, SUM(b.n) FROM base b "
        f"JOIN {member_table} m ON m.id = b.member_id WHERE TRUE{member_filter} "
        f"GROUP BY b.member_id, m.unit_id, b.dimension, b.key"
    )
    team_rows = (
        f"{_insert_head()}SELECT {campaign}, {_lit(LedgerLevel.TEAM)}, {_scope('team:', 'b.team_id')}, "
        f"t.unit_id, {_NULL_ID}, b.team_id, b.dimension, b.key, SUM(b.n) FROM base b "
        f"JOIN {team_table} t ON t.id = b.team_id WHERE TRUE{team_filter} "
        f"GROUP BY b.team_id, t.unit_id, b.dimension, b.key"
    )
    cell_rows = (
        f"{_cell_insert_head()}SELECT {campaign}, {_cell_scope('b.unit_id', 'b.member_id', 'b.team_id')}, "
        f"b.unit_id, b.member_id, b.team_id, b.dimension, b.key, b.n FROM base b WHERE {in_units}"
    )
    return (
        f"WITH base AS MATERIALIZED ({grouped}), unit_rows AS ({unit_rows}), member_rows AS ({member_rows}), "
        f"cell_rows AS ({cell_rows}) {team_rows}"
    )


def _strays(unit_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """The members and teams now in these units with opinions whose ledger unit lies
    outside them: someone moved, and his or her opinions kept the old ledger unit. Read
    from the indexes on (target, ledger unit) alone, without an opinion's row, so that a
    roll-up where nobody moved costs next to nothing more."""
    if not unit_ids:
        return [], []
    opinions, units = _table(Opinion), _ids(unit_ids)
    selects = [
        f"SELECT DISTINCT {_lit(kind)}, s.{column} FROM {opinions} s WHERE s.{column} IN "
        f"(SELECT x.id FROM {_table(model)} x WHERE x.unit_id IN ({units})) AND s.ledger_unit_id NOT IN ({units})"
        for kind, column, model in (("member", "target_member_id", Member), ("team", "target_team_id", LeadershipTeam))
    ]
    found: dict[str, list[int]] = {"member": [], "team": []}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects))
        for kind, pk in cursor.fetchall():
            found[kind].append(pk)
    return found["member"], found["team"]


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


def _cells_by_dimension(campaign_id: int, condition: str) -> str:
    """The cells of the opinions that count and match ``condition`` (on ``o``), each
    dimension its own GROUP BY (SQLite): columns CELL_COLUMNS."""
    campaign = int(campaign_id)
    subject = "o.ledger_unit_id, o.target_member_id, o.target_team_id"
    head = (
        f"SELECT {campaign}, {_cell_scope('o.ledger_unit_id', 'o.target_member_id', 'o.target_team_id')}, {subject}, "
    )
    source = f"FROM {_table(Opinion)} o WHERE o.campaign_id = {campaign} AND o.merged_into_id IS NULL AND ({condition})"
    selects = [f"{head}{_lit(Dimension.TOTAL)}, {_lit(TOTAL_KEY)}, COUNT(*) {source} GROUP BY {subject}"]
    selects += [
        f"{head}{_lit(dimension)}, o.{dimension}, COUNT(*) {source} GROUP BY {subject}, o.{dimension}"
        for dimension in OPINION_DIMENSIONS
    ]
    return " UNION ALL ".join(selects)


def insert_statements(campaign_id: int, unit_ids: Sequence[int] | None) -> list[str]:
    """The statements that insert the unit, member and team rows of ``unit_ids`` (and
    of the unassigned opinions), or of every unit when ``unit_ids`` is None, and the
    cells of the opinions whose ledger unit is among them (or none)."""
    if connection.vendor == "postgresql":
        strays = _strays(unit_ids) if unit_ids is not None else ([], [])
        statements = [_opinions_once(campaign_id, unit_ids, strays)]
    else:
        statements = [
            _opinion_statement(campaign_id, level, unit_ids) for level in _levels("o", unit_column="ledger_unit_id")
        ]
        condition = "TRUE" + _unit_condition("o.ledger_unit_id", unit_ids, unassigned=True)
        statements.append(_cell_insert_head() + _cells_by_dimension(campaign_id, condition))
    if unit_ids is None or unit_ids:
        statements += [
            _feedback_statement(campaign_id, level, unit_ids) for level in _levels("o", unit_column="ledger_unit_id")
        ]
        statements.append(_solicitation_statement(campaign_id, unit_ids))
    return statements


# --- Staging and replacing (reports.services) -----------------------------------------
#
# A roll-up has the sources insert into a temporary staging table, then brings the
# stored rows it replaces into line with it: deletes the stored rows the sources no
# longer produce, updates those whose value (or unit, for a member who moved) changed,
# inserts the new ones. Rows that did not change are not written at all — most of them,
# after most changes — and the county rows are recomputed only for the (dimension, key)
# pairs whose unit rows changed. Generic: any source, any dimension.

STAGING = "reports_ledger_staging"
CELL_STAGING = "reports_cell_staging"


def _staging() -> str:
    return connection.ops.quote_name(STAGING)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@contextmanager
def inserting_into_staging() -> Iterator[None]:
    """The sources' INSERTs (``_insert_head``) go to the staging table inside the block."""
    token = _INTO.set(_staging())
    try:
        yield
    finally:
        _INTO.reset(token)


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
    for table, columns in ((STAGING, COLUMNS), (CELL_STAGING, CELL_COLUMNS)):
        definition = ", ".join(f"{_q(column)} {types[column]}" for column in columns)
        statements.append(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_q(table)} ({definition})")
        if connection.vendor == "sqlite":
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {_q(table + '_figure')} ON {_q(table)} "
                f"({_q('scope')}, {_q('dimension')}, {_q('key')})"
            )
    return statements


def staging_clear() -> list[str]:
    # TRUNCATE on PostgreSQL: DELETE would leave the dead rows in the table (nothing ever
    # vacuums a temporary one), and the planner, reading its growing size, would come to
    # expect thousands of staged rows where there are a few hundred.
    if connection.vendor == "postgresql":
        return [f"TRUNCATE {_staging()}, {_q(CELL_STAGING)}"]
    return [f"DELETE FROM {_staging()}", f"DELETE FROM {_q(CELL_STAGING)}"]


def staged_county(campaign_id: int) -> str:
    """The county rows of a full roll-up, staged: every staged unit row summed."""
    dimension, key, value, level = map(_q, ("dimension", "key", "value", "level"))
    return (
        f"INSERT INTO {_staging()} ({', '.join(map(_q, COLUMNS))}) "
        f"SELECT {int(campaign_id)}, {_lit(LedgerLevel.COUNTY)}, {_lit('county')}, {_NULL_ID}, {_NULL_ID}, "
        f"{_NULL_ID}, {dimension}, {key}, SUM({value}) FROM {_staging()} "
        f"WHERE {level} = {_lit(LedgerLevel.UNIT)} GROUP BY {dimension}, {key}"
    )


def replaced_rows(
    campaign_id: int, unit_ids: Sequence[int] | None, *, member_ids: Sequence[int] = (), team_ids: Sequence[int] = ()
) -> str:
    """The condition (on ``l``, a ledger row) of the stored rows a roll-up replaces.
    Every row of the campaign for a full one (``unit_ids`` None); for some units, the
    rows filed under them, the unassigned opinions' unit rows, and the rows of the
    members and teams that belong to the units now (``member_ids``, ``team_ids``: a
    member who moved is filed under the new unit). Not the county rows."""
    level, unit, member, team = (f"l.{_q(name)}" for name in ("level", "unit_id", "member_id", "team_id"))
    where = f"l.{_q('campaign_id')} = {int(campaign_id)}"
    if unit_ids is None:
        return where
    parts = [f"({level} = {_lit(LedgerLevel.UNIT)} AND {unit} IS NULL)"]
    if unit_ids:
        parts.append(f"{unit} IN ({_ids(unit_ids)})")
    if member_ids:
        parts.append(f"({level} = {_lit(LedgerLevel.MEMBER)} AND {member} IN ({_ids(member_ids)}))")
    if team_ids:
        parts.append(f"({level} = {_lit(LedgerLevel.TEAM)} AND {team} IN ({_ids(team_ids)}))")
    return f"{where} AND {level} <> {_lit(LedgerLevel.COUNTY)} AND ({' OR '.join(parts)})"


def members_and_teams(unit_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """The ids of the members and of the leadership teams that belong to these units now."""
    if not unit_ids:
        return [], []
    units = _ids(unit_ids)
    found: dict[str, list[int]] = {"member": [], "team": []}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_lit('member')}, id FROM {_table(Member)} WHERE unit_id IN ({units}) "
            f"UNION ALL SELECT {_lit('team')}, id FROM {_table(LeadershipTeam)} WHERE unit_id IN ({units})"
        )
        for kind, pk in cursor.fetchall():
            found[kind].append(pk)
    return found["member"], found["team"]


def _same_figure(stored: str, staged: str) -> str:
    return " AND ".join(f"{stored}.{_q(name)} = {staged}.{_q(name)}" for name in ("scope", "dimension", "key"))


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
    if cells:
        ledger, staging, shape = _table(LedgerCell), _q(CELL_STAGING), CELL_COLUMNS
        names: tuple[str, ...] = ("unit_id", "member_id", "team_id", "dimension", "key")
    else:
        ledger, staging, shape = _table(LedgerRow), _staging(), COLUMNS
        names = ("level", "dimension", "key")
    value, unit = _q("value"), _q("unit_id")
    columns = ", ".join(map(_q, shape))
    if connection.vendor == "postgresql":
        back = ", ".join(f"l.{_q(name)}" for name in names)
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
        staged_columns = ", ".join(f"s.{_q(column)}" for column in shape)
        differs = f"l.{value} <> s.{value} OR COALESCE(l.{unit}, 0) <> COALESCE(s.{unit}, 0)"
        return [
            (
                f"{head}diff AS MATERIALIZED (SELECT l.id AS stored_id, {staged_columns} "
                f"FROM (SELECT * FROM {ledger} l WHERE {replaced}) l FULL JOIN {staging} s ON {_same_figure('l', 's')} "
                f"WHERE l.id IS NULL OR s.{_q('scope')} IS NULL OR {differs}), "
                # The ids as an array: PostgreSQL cannot tell how few rows differ, and would
                # rather scan the whole ledger than look a thousand of them up by id.
                f"deleted AS (DELETE FROM {ledger} l WHERE l.id = ANY(ARRAY(SELECT d.stored_id FROM diff d "
                f"WHERE d.{_q('scope')} IS NULL)) RETURNING {back}), "
                f"updated AS (UPDATE {ledger} l SET {value} = d.{value}, {unit} = d.{unit} FROM diff d "
                f"WHERE l.id = ANY(ARRAY(SELECT d.stored_id FROM diff d WHERE d.stored_id IS NOT NULL "
                f"AND d.{_q('scope')} IS NOT NULL)) AND l.id = d.stored_id RETURNING {back}), "
                f"inserted AS (INSERT INTO {ledger} ({columns}) SELECT {columns} FROM diff d WHERE d.stored_id IS NULL "
                f"RETURNING {', '.join(map(_q, names))}), {more}"
                f"done AS (SELECT 1) "
                f"SELECT * FROM deleted UNION ALL SELECT * FROM updated UNION ALL SELECT * FROM inserted",
                source_params,
            )
        ]
    if staged is not None or then is not None:
        raise ValueError("Stage the rows first: on this database the statements read them three times")
    # SQLite's RETURNING names the written table's columns, unaliased.
    back = f" RETURNING {', '.join(map(_q, names))}"
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
            f"INSERT INTO {ledger} ({columns}) SELECT {', '.join(f's.{_q(c)}' for c in shape)} "
            f"FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM {ledger} l "
            f"WHERE l.{_q('campaign_id')} = {campaign} AND {_same_figure('l', 's')}){back}",
            [],
        ),
    ]


def figures_condition(alias: str, figures: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """``alias`` has one of these (dimension, key) pairs: a condition and its parameters,
    written as an OR of equalities, which the index on (campaign, level, dimension, key)
    answers pair by pair (a row-value ``IN (VALUES …)`` makes PostgreSQL read every row
    of the level)."""
    dimension, key = f"{alias}.{_q('dimension')}", f"{alias}.{_q('key')}"
    condition = " OR ".join([f"({dimension} = %s AND {key} = %s)"] * len(figures)) or "1 = 0"
    return f"({condition})", [text for pair in figures for text in pair]


def county_statements(campaign_id: int, figures: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """The county rows of these (dimension, key) pairs recomputed: each the sum of the
    unit rows (the unassigned opinions' included). Statements with their parameters."""
    ledger, campaign = _table(LedgerRow), int(campaign_id)
    level, dimension, key, value = map(_q, ("level", "dimension", "key", "value"))
    statements = []
    for start in range(0, len(figures), 400):
        pairs, params = figures_condition("l", figures[start : start + 400])
        if connection.vendor == "postgresql":
            # One statement: the sums written over the county rows (only where they
            # differ), and the county rows of pairs no unit row has any more deleted.
            statements.append(
                (
                    f"WITH sums AS MATERIALIZED (SELECT l.{dimension} AS dimension, l.{key} AS key, "
                    f"SUM(l.{value}) AS value FROM {ledger} l WHERE l.{_q('campaign_id')} = {campaign} "
                    f"AND l.{level} = {_lit(LedgerLevel.UNIT)} AND {pairs} GROUP BY l.{dimension}, l.{key}), "
                    f"written AS (INSERT INTO {ledger} AS c ({', '.join(map(_q, COLUMNS))}) "
                    f"SELECT {campaign}, {_lit(LedgerLevel.COUNTY)}, {_lit('county')}, {_NULL_ID}, {_NULL_ID}, "
                    f"{_NULL_ID}, s.dimension, s.key, s.value FROM sums s "
                    f"ON CONFLICT ON CONSTRAINT {_q('ledger_row_unique_figure')} "
                    f"DO UPDATE SET {value} = EXCLUDED.{value} WHERE c.{value} <> EXCLUDED.{value}) "
                    f"DELETE FROM {ledger} l WHERE l.{_q('campaign_id')} = {campaign} "
                    f"AND l.{level} = {_lit(LedgerLevel.COUNTY)} AND {pairs} AND NOT EXISTS "
                    f"(SELECT 1 FROM sums s WHERE s.dimension = l.{dimension} AND s.key = l.{key})",
                    params * 2,
                )
            )
            continue
        statements.append(
            (
                f"DELETE FROM {ledger} AS l WHERE l.{_q('campaign_id')} = {campaign} "
                f"AND l.{level} = {_lit(LedgerLevel.COUNTY)} AND {pairs}",
                params,
            )
        )
        statements.append(
            (
                f"INSERT INTO {ledger} ({', '.join(map(_q, COLUMNS))}) "
                f"SELECT {campaign}, {_lit(LedgerLevel.COUNTY)}, {_lit('county')}, "
                f"{_NULL_ID}, {_NULL_ID}, {_NULL_ID}, l.{dimension}, l.{key}, SUM(l.{value}) FROM {ledger} l "
                f"WHERE l.{_q('campaign_id')} = {campaign} AND l.{level} = {_lit(LedgerLevel.UNIT)} AND {pairs} "
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
    ledger, campaign = _table(LedgerRow), int(campaign_id)
    level, dimension, key, value, unit = map(_q, ("level", "dimension", "key", "value", "unit_id"))
    pairs, params = figures_condition("l", touched.figures)
    # 0 stands for no unit (the unassigned opinions' row): ids are positive.
    replaced_units = _ids(sorted(0 if each is None else each for each in touched.units)) or "-1"
    sql = (
        f"county_sums AS MATERIALIZED (SELECT u.dimension, u.key, SUM(u.value) AS value FROM ("
        f"SELECT l.{dimension} AS dimension, l.{key} AS key, l.{value} AS value FROM {ledger} l "
        f"WHERE l.{_q('campaign_id')} = {campaign} AND l.{level} = {_lit(LedgerLevel.UNIT)} AND {pairs} "
        f"AND COALESCE(l.{unit}, 0) NOT IN ({replaced_units}) "
        f"UNION ALL SELECT s.{dimension}, s.{key}, s.{value} FROM staged s WHERE s.{level} = {_lit(LedgerLevel.UNIT)}"
        f") u GROUP BY u.dimension, u.key), "
        f"county_written AS (INSERT INTO {ledger} AS c ({', '.join(map(_q, COLUMNS))}) "
        f"SELECT {campaign}, {_lit(LedgerLevel.COUNTY)}, {_lit('county')}, {_NULL_ID}, {_NULL_ID}, {_NULL_ID}, "
        f"s.dimension, s.key, s.value FROM county_sums s ON CONFLICT ON CONSTRAINT {_q('ledger_row_unique_figure')} "
        f"DO UPDATE SET {value} = EXCLUDED.{value} WHERE c.{value} <> EXCLUDED.{value}), "
        f"county_deleted AS (DELETE FROM {ledger} l WHERE l.{_q('campaign_id')} = {campaign} "
        f"AND l.{level} = {_lit(LedgerLevel.COUNTY)} AND {pairs} AND NOT EXISTS "
        f"(SELECT 1 FROM county_sums s WHERE s.dimension = l.{dimension} AND s.key = l.{key}))"
    )
    return sql, params * 2


def write_opinions(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    statements = insert_statements(campaign_id, unit_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # In one round trip: PostgreSQL runs statements separated by semicolons in turn.
            cursor.execute(";\n".join(statements))
        else:
            for sql in statements:
                cursor.execute(sql)


# --- A roll-up of named targets (reports.services) -----------------------------------
#
# A change to a few opinions announces their ledger unit and target (``ChangeOutbox.
# target``, written by ``opinions.services``). The roll-up of such changes recomputes
# from source only the cells of those targets, then, from the cells, the unit, member
# and team rows whose cells changed, and the county rows whose unit rows changed: a few
# hundred cells read, where a roll-up of the unit would group its thousands of opinions.


@dataclass(frozen=True)
class Subjects:
    """The targets whose opinions changed: members, teams, and units as a whole (the
    opinions of a ledger unit with neither member nor team; None: no target yet)."""

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


def _whole_units(column: str, units: frozenset[int | None]) -> list[str]:
    """Conditions on ``column`` (a unit id) for these units, None as IS NULL."""
    ids = sorted(unit for unit in units if unit is not None)
    parts = [f"{column} IN ({_ids(ids)})"] if ids else []
    if None in units:
        parts.append(f"{column} IS NULL")
    return parts


def cells_select(campaign_id: int, subjects: Subjects) -> str:
    """Every cell of these subjects, counted from source (a SELECT of CELL_COLUMNS):
    all of a member's or a team's (whatever its ledger unit), the unit-as-a-whole
    cell of each unit."""
    branches = []
    if subjects.members:
        branches.append(f"o.target_member_id IN ({_ids(sorted(subjects.members))})")
    if subjects.teams:
        branches.append(f"o.target_team_id IN ({_ids(sorted(subjects.teams))})")
    # One branch each: an index answers each (a target's index; the ledger unit's).
    branches += [
        f"{part} AND o.target_member_id IS NULL AND o.target_team_id IS NULL"
        for part in _whole_units("o.ledger_unit_id", subjects.units)
    ]
    if not branches:
        branches = ["1 = 0"]
    campaign = int(campaign_id)
    if connection.vendor == "postgresql":
        grouped = _grouped_opinions(campaign, branches)
        return (
            f"SELECT {campaign}, {_cell_scope('g.unit_id', 'g.member_id', 'g.team_id')}, "
            f"g.unit_id, g.member_id, g.team_id, g.dimension, g.key, g.n FROM ({grouped}) g"
        )
    # An opinion has one target at most: the branches never match the same opinion.
    return _cells_by_dimension(campaign, " OR ".join(f"({branch})" for branch in branches))


def stage_cells(campaign_id: int, subjects: Subjects) -> str:
    """Stage ``cells_select``."""
    return _cell_insert_head() + cells_select(campaign_id, subjects)


def replaced_cells(campaign_id: int, unit_ids: Sequence[int] | None, subjects: Subjects | None = None) -> str:
    """The condition (on ``l``, a cell) of the stored cells a roll-up replaces: every
    cell of the campaign (``unit_ids`` None, no subjects), those of some ledger units
    and of no unit, or those of some subjects (as ``stage_cells`` stages them)."""
    where = f"l.{_q('campaign_id')} = {int(campaign_id)}"
    unit, member, team = (f"l.{_q(name)}" for name in ("unit_id", "member_id", "team_id"))
    if subjects is not None:
        parts = []
        if subjects.members:
            parts.append(f"{member} IN ({_ids(sorted(subjects.members))})")
        if subjects.teams:
            parts.append(f"{team} IN ({_ids(sorted(subjects.teams))})")
        whole = _whole_units(unit, subjects.units)
        if whole:
            parts.append(f"({member} IS NULL AND {team} IS NULL AND ({' OR '.join(whole)}))")
        return f"{where} AND ({' OR '.join(parts) or '1 = 0'})"
    if unit_ids is None:
        return where
    return f"{where} AND ({' OR '.join(_whole_units(unit, frozenset([*unit_ids, None])))})"


@dataclass(frozen=True)
class Touched:
    """What changed cells feed: the rows of these units, members and teams along these
    (dimension, key) pairs of the opinions."""

    units: frozenset[int | None]
    members: frozenset[int]
    teams: frozenset[int]
    figures: tuple[tuple[str, str], ...]


def rows_from_cells(campaign_id: int, touched: Touched) -> tuple[str, list[str]]:
    """The opinions' rows that changed cells feed, each the sum of its stored cells (a
    SELECT of COLUMNS, and its parameters); the rows of the other dimensions (feedback,
    solicitation, talks…) are not touched (``replaced_opinion_rows``)."""
    cells, campaign = _table(LedgerCell), int(campaign_id)
    units, members, teams = touched.units, touched.members, touched.teams
    dimension, key, value = (f"x.{_q(name)}" for name in ("dimension", "key", "value"))
    unit, member, team = (f"x.{_q(name)}" for name in ("unit_id", "member_id", "team_id"))
    pairs, params = figures_condition("x", touched.figures)
    where = f"x.{_q('campaign_id')} = {campaign} AND {pairs}"
    statements = []
    whole = _whole_units(unit, units)
    if whole:
        statements.append(
            f"SELECT {campaign}, {_lit(LedgerLevel.UNIT)}, {_scope('unit:', unit)}, {unit}, "
            f"{_NULL_ID}, {_NULL_ID}, {dimension}, {key}, SUM({value}) FROM {cells} x "
            f"WHERE {where} AND ({' OR '.join(whole)}) GROUP BY {unit}, {dimension}, {key}"
        )
    if members:
        statements.append(
            f"SELECT {campaign}, {_lit(LedgerLevel.MEMBER)}, {_scope('member:', member)}, m.unit_id, "
            f"{member}, {_NULL_ID}, {dimension}, {key}, SUM({value}) FROM {cells} x "
            f"JOIN {_table(Member)} m ON m.id = {member} WHERE {where} AND {member} IN ({_ids(sorted(members))}) "
            f"GROUP BY {member}, m.unit_id, {dimension}, {key}"
        )
    if teams:
        statements.append(
            f"SELECT {campaign}, {_lit(LedgerLevel.TEAM)}, {_scope('team:', team)}, t.unit_id, "
            f"{_NULL_ID}, {team}, {dimension}, {key}, SUM({value}) FROM {cells} x "
            f"JOIN {_table(LeadershipTeam)} t ON t.id = {team} WHERE {where} AND {team} IN ({_ids(sorted(teams))}) "
            f"GROUP BY {team}, t.unit_id, {dimension}, {key}"
        )
    return " UNION ALL ".join(statements), params * len(statements)


def stage_rows_from_cells(campaign_id: int, touched: Touched) -> tuple[str, list[str]]:
    """Stage ``rows_from_cells``."""
    sql, params = rows_from_cells(campaign_id, touched)
    return _insert_head() + sql, params


def replaced_opinion_rows(campaign_id: int, touched: Touched) -> tuple[str, list[str]]:
    """The condition (on ``l``, a ledger row) of the stored rows ``stage_rows_from_cells``
    replaces, and its parameters: the rows of those units, members and teams along
    those (dimension, key) pairs of the opinions."""
    units, members, teams = touched.units, touched.members, touched.teams
    level, unit, member, team = (f"l.{_q(name)}" for name in ("level", "unit_id", "member_id", "team_id"))
    dimensions = ", ".join(_lit(dimension) for dimension in CELL_DIMENSIONS)
    pairs, params = figures_condition("l", touched.figures)
    parts = []
    whole = _whole_units(unit, units)
    if whole:
        parts.append(f"({level} = {_lit(LedgerLevel.UNIT)} AND ({' OR '.join(whole)}))")
    if members:
        parts.append(f"({level} = {_lit(LedgerLevel.MEMBER)} AND {member} IN ({_ids(sorted(members))}))")
    if teams:
        parts.append(f"({level} = {_lit(LedgerLevel.TEAM)} AND {team} IN ({_ids(sorted(teams))}))")
    return (
        f"l.{_q('campaign_id')} = {int(campaign_id)} AND l.{_q('dimension')} IN ({dimensions}) AND {pairs} "
        f"AND ({' OR '.join(parts) or '1 = 0'})",
        params,
    )
