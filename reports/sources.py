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


COLUMNS = ("campaign_id", "level", "scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
# Where a source's INSERTs go: the ledger itself, or, inside a roll-up, the roll-up's
# staging table (``staging``), which ``services`` then compares with the stored rows.
_INTO: ContextVar[str | None] = ContextVar("ledger_rows_into", default=None)


def _insert_head() -> str:
    """``INSERT INTO <the ledger rows> (<COLUMNS>) ``: how every source starts its statements."""
    table = _INTO.get() or _table(LedgerRow)
    return f"INSERT INTO {table} ({', '.join(map(connection.ops.quote_name, COLUMNS))}) "


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
    """The unit, member and team rows of the opinions in ONE statement that reads the
    opinions once (PostgreSQL).

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
    return (
        f"WITH base AS MATERIALIZED ({grouped}), unit_rows AS ({unit_rows}), member_rows AS ({member_rows}) {team_rows}"
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


def insert_statements(campaign_id: int, unit_ids: Sequence[int] | None) -> list[str]:
    """The statements that insert the unit, member and team rows of ``unit_ids`` (and
    of the unassigned opinions), or of every unit when ``unit_ids`` is None."""
    if connection.vendor == "postgresql":
        strays = _strays(unit_ids) if unit_ids is not None else ([], [])
        statements = [_opinions_once(campaign_id, unit_ids, strays)]
    else:
        statements = [
            _opinion_statement(campaign_id, level, unit_ids) for level in _levels("o", unit_column="ledger_unit_id")
        ]
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
    statements = [
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_staging()} ("
        f"{_q('campaign_id')} BIGINT NOT NULL, {_q('level')} VARCHAR(10) NOT NULL, {_q('scope')} VARCHAR(40) NOT NULL, "
        f"{_q('unit_id')} BIGINT NULL, {_q('member_id')} BIGINT NULL, {_q('team_id')} BIGINT NULL, "
        f"{_q('dimension')} VARCHAR(20) NOT NULL, {_q('key')} VARCHAR(40) NOT NULL, {_q('value')} BIGINT NOT NULL)"
    ]
    if connection.vendor == "sqlite":
        statements.append(
            f"CREATE INDEX IF NOT EXISTS {_q(STAGING + '_figure')} ON {_staging()} "
            f"({_q('scope')}, {_q('dimension')}, {_q('key')})"
        )
    return statements


def staging_clear() -> str:
    # TRUNCATE on PostgreSQL: DELETE would leave the dead rows in the table (nothing ever
    # vacuums a temporary one), and the planner, reading its growing size, would come to
    # expect thousands of staged rows where there are a few hundred.
    if connection.vendor == "postgresql":
        return f"TRUNCATE {_staging()}"
    return f"DELETE FROM {_staging()}"


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


def replace_statements(campaign_id: int, replaced: str) -> list[str]:
    """The stored rows matching ``replaced`` made equal to the staged ones; the
    statements return (level, dimension, key) of the rows they wrote.

    On PostgreSQL one statement: stored and staged rows matched once (a hash full join),
    then the deletes, updates and inserts of what differs (data-modifying CTEs). On
    SQLite three statements, each matching again: delete, update, insert."""
    ledger, staging, campaign = _table(LedgerRow), _staging(), int(campaign_id)
    value, unit = _q("value"), _q("unit_id")
    columns = ", ".join(map(_q, COLUMNS))
    names = ("level", "dimension", "key")
    if connection.vendor == "postgresql":
        back = ", ".join(f"l.{_q(name)}" for name in names)
        staged = ", ".join(f"s.{_q(column)}" for column in COLUMNS)
        differs = f"l.{value} <> s.{value} OR COALESCE(l.{unit}, 0) <> COALESCE(s.{unit}, 0)"
        return [
            f"WITH diff AS MATERIALIZED (SELECT l.id AS stored_id, {staged} "
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
            f"RETURNING {', '.join(map(_q, names))}) "
            f"SELECT * FROM deleted UNION ALL SELECT * FROM updated UNION ALL SELECT * FROM inserted"
        ]
    # SQLite's RETURNING names the written table's columns, unaliased.
    back = f" RETURNING {', '.join(map(_q, names))}"
    return [
        f"DELETE FROM {ledger} AS l WHERE {replaced} AND NOT EXISTS "
        f"(SELECT 1 FROM {staging} s WHERE {_same_figure('s', 'l')}){back}",
        f"UPDATE {ledger} AS l SET {value} = s.{value}, {unit} = s.{unit} FROM {staging} s "
        f"WHERE {replaced} AND {_same_figure('l', 's')} "
        f"AND (l.{value} <> s.{value} OR COALESCE(l.{unit}, 0) <> COALESCE(s.{unit}, 0)){back}",
        f"INSERT INTO {ledger} ({columns}) SELECT {', '.join(f's.{_q(c)}' for c in COLUMNS)} "
        f"FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM {ledger} l "
        f"WHERE l.{_q('campaign_id')} = {campaign} AND {_same_figure('l', 's')}){back}",
    ]


def county_statements(campaign_id: int, figures: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """The county rows of these (dimension, key) pairs recomputed: each the sum of the
    unit rows (the unassigned opinions' included). Statements with their parameters."""
    ledger, campaign = _table(LedgerRow), int(campaign_id)
    level, dimension, key, value = map(_q, ("level", "dimension", "key", "value"))
    statements = []
    for start in range(0, len(figures), 400):
        chunk = figures[start : start + 400]
        pairs = f"({dimension}, {key}) IN (VALUES {', '.join(['(%s, %s)'] * len(chunk))})"
        params = [text for pair in chunk for text in pair]
        statements.append(
            (
                f"DELETE FROM {ledger} WHERE {_q('campaign_id')} = {campaign} "
                f"AND {level} = {_lit(LedgerLevel.COUNTY)} AND {pairs}",
                params,
            )
        )
        statements.append(
            (
                f"INSERT INTO {ledger} ({', '.join(map(_q, COLUMNS))}) "
                f"SELECT {campaign}, {_lit(LedgerLevel.COUNTY)}, {_lit('county')}, "
                f"{_NULL_ID}, {_NULL_ID}, {_NULL_ID}, {dimension}, {key}, SUM({value}) FROM {ledger} "
                f"WHERE {_q('campaign_id')} = {campaign} AND {level} = {_lit(LedgerLevel.UNIT)} AND {pairs} "
                f"GROUP BY {dimension}, {key}",
                params,
            )
        )
    return statements


def write_opinions(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    statements = insert_statements(campaign_id, unit_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # In one round trip: PostgreSQL runs statements separated by semicolons in turn.
            cursor.execute(";\n".join(statements))
        else:
            for sql in statements:
                cursor.execute(sql)
