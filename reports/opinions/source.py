"""The ledger source "opinions": the opinions, their feedback lists and the
solicitation events.

``write_opinions`` inserts the rows with SQL. Each statement is an ``INSERT … SELECT …
GROUP BY``: the database groups and writes, so even a full roll-up moves no opinion
through Python. On PostgreSQL one statement reads the opinions once: it groups them by
(ledger unit, member, team) × each dimension (GROUPING SETS) into a small materialised
result (some 25 rows a target), from which the unit, member and team rows and the cells
are summed and inserted (data-modifying CTEs). On SQLite, the embedded default, each
level is its own statement and each dimension its own GROUP BY joined with UNION ALL.
Both write the same rows.

The opinions keep cells (``LedgerCell``: per ledger unit and target, along each opinion
dimension), so a change to a few opinions is rolled up by target (``cells_select``).

``recount_opinions`` counts the same figures with plain ORM queries, on purpose not the
SQL of ``write_opinions``, for the reconciliation.

Filing (``reports.ledger.registry``): an opinion's unit row is under its ledger unit
(the unit of its target; ``unit:none`` while it has none), its member or team row under
the member's or team's current unit; a feedback list likewise; a solicitation event
under the unit that hosted it. No zero is written.

Only ids (cast to int) and constants of this module are spelt into the SQL; nothing a
user typed ever reaches it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, LeadershipTeam, Member, TargetCategory
from opinions.models import Channel, FeedbackList, Opinion, OpinionKind, SolicitationEvent
from reports.ledger.figures import Figures
from reports.ledger.registry import Cells, FigureKey, LedgerSource
from reports.ledger.sql import (
    NULL_ID,
    Level,
    cell_insert_head,
    cell_scope_sql,
    ids,
    insert_head,
    levels,
    lit,
    scope_sql,
    table,
    unit_condition,
    whole_units,
)
from reports.ledger.targets import Subjects
from reports.models import (
    COUNTY_SCOPE,
    TOTAL_KEY,
    LedgerLevel,
    cell_scope,
    member_scope,
    team_scope,
    unit_scope,
)


class Dimension(models.TextChoices):
    """The dimensions this source writes (``TOTAL``: every opinion, key ``all``)."""

    TOTAL = "total", _("Total")
    CATEGORY = "category", _("Ledger category")
    KIND = "kind", _("Kind")
    CHANNEL = "channel", _("Channel")
    ASPECT = "aspect", _("Aspect")
    STATUS = "status", _("Status")
    FEEDBACK = "feedback", _("Feedback lists")
    SOLICITATION = "solicitation", _("Solicitation")


# The dimensions of an opinion that every level counts, in the order pages show them.
OPINION_DIMENSIONS: tuple[str, ...] = (
    Dimension.CATEGORY,
    Dimension.KIND,
    Dimension.CHANNEL,
    Dimension.ASPECT,
    Dimension.STATUS,
)

# Keys of the feedback dimension. A signed list was released first, so "released"
# counts released and signed lists alike.
LISTS_TOTAL = "lists_total"
LISTS_RELEASED = "lists_released"
LISTS_SIGNED = "lists_signed"
FEEDBACK_KEYS: tuple[str, ...] = (LISTS_TOTAL, LISTS_RELEASED, LISTS_SIGNED)

# Keys of the solicitation dimension (unit level: the events a unit hosted).
EVENTS = "events"
FORUMS = "forums"
FORMS_ISSUED = "forms_issued"
FORMS_RETURNED = "forms_returned"
SUGGESTION_BOXES = "suggestion_boxes"
SOLICITATION_KEYS: tuple[str, ...] = (EVENTS, FORUMS, FORMS_ISSUED, FORMS_RETURNED, SUGGESTION_BOXES)
RELEASED_STATUSES = (FeedbackList.Status.RELEASED, FeedbackList.Status.SIGNED)
# The dimensions the opinions' cells count, and so the ledger rows made from cells.
CELL_DIMENSIONS: tuple[str, ...] = (Dimension.TOTAL, *OPINION_DIMENSIONS)


# --- Writing: the SQL ------------------------------------------------------------------


def _opinion_statement(campaign_id: int, level: Level, unit_ids: Sequence[int] | None) -> str:
    """One level's rows, each dimension its own GROUP BY (SQLite)."""
    opinions = table(Opinion)
    where = f"WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL" + unit_condition(
        level.unit_column, unit_ids, unassigned=level.level == LedgerLevel.UNIT
    )
    head = f"SELECT {int(campaign_id)}, {lit(level.level)}, {level.scope}, {level.unit}, {level.member}, {level.team}, "
    source = f"FROM {opinions} o {level.join} {where}"
    keys = ", ".join(level.keys)
    selects = [f"{head}{lit(Dimension.TOTAL)}, {lit(TOTAL_KEY)}, COUNT(*) {source} GROUP BY {keys}"]
    selects += [
        f"{head}{lit(dimension)}, o.{dimension}, COUNT(*) {source} GROUP BY {keys}, o.{dimension}"
        for dimension in OPINION_DIMENSIONS
    ]
    return insert_head() + " UNION ALL ".join(selects)


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
        f"SELECT {columns} FROM {table(Opinion)} o "
        f"WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL AND {branch}"
        for branch in branches
    )
    finest = f"SELECT {columns}, COUNT(*) AS n FROM ({opinions}) o GROUP BY {columns}"
    dims = [f"o.{dimension}" for dimension in OPINION_DIMENSIONS]
    # GROUPING(...) sets a bit for each dimension left out of a row's grouping set:
    # all five out is the total, all but one out names that one.
    width = len(dims)
    cases = [f"WHEN {2**width - 1} THEN {lit(Dimension.TOTAL)}"]
    for position, dimension in enumerate(OPINION_DIMENSIONS):
        mask = (2**width - 1) & ~(1 << (width - 1 - position))
        cases.append(f"WHEN {mask} THEN {lit(dimension)}")
    subject = "o.ledger_unit_id, o.target_member_id, o.target_team_id"
    sets = ", ".join([f"({subject})", *(f"({subject}, {dim})" for dim in dims)])
    return (
        f"SELECT o.ledger_unit_id AS unit_id, o.target_member_id AS member_id, o.target_team_id AS team_id, "
        f"CASE GROUPING({', '.join(dims)}) {' '.join(cases)} END AS dimension, "
        f"COALESCE({', '.join(dims)}, {lit(TOTAL_KEY)}) AS key, SUM(o.n) AS n "
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
    member_table, team_table = table(Member), table(LeadershipTeam)
    if unit_ids is None:
        grouped = _grouped_opinions(campaign, ["TRUE"])
        in_units = "TRUE"
        member_filter = team_filter = ""
    else:
        units = ids(unit_ids) if unit_ids else "NULL"
        branches = ["o.ledger_unit_id IS NULL"] + ([f"o.ledger_unit_id IN ({units})"] if unit_ids else [])
        for column, stray_ids in zip(("target_member_id", "target_team_id"), strays, strict=True):
            if stray_ids:
                branches.append(f"o.{column} IN ({ids(stray_ids)}) AND o.ledger_unit_id NOT IN ({units})")
        grouped = _grouped_opinions(campaign, branches)
        in_units = f"(b.unit_id IN ({units}) OR b.unit_id IS NULL)"
        member_filter = f" AND m.unit_id IN ({units})"
        team_filter = f" AND t.unit_id IN ({units})"
    unit_rows = (
        f"{insert_head()}SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'b.unit_id')}, b.unit_id, "
        f"{NULL_ID}, {NULL_ID}, b.dimension, b.key, SUM(b.n) FROM base b WHERE {in_units} "
        f"GROUP BY b.unit_id, b.dimension, b.key"
    )
    member_rows = (
        f"{insert_head()}SELECT {campaign}, {lit(LedgerLevel.MEMBER)}, {scope_sql('member:', 'b.member_id')}, "
        f"m.unit_id, b.member_id, {NULL_ID}, b.dimension, b.key, SUM(b.n) FROM base b "
        f"JOIN {member_table} m ON m.id = b.member_id WHERE TRUE{member_filter} "
        f"GROUP BY b.member_id, m.unit_id, b.dimension, b.key"
    )
    team_rows = (
        f"{insert_head()}SELECT {campaign}, {lit(LedgerLevel.TEAM)}, {scope_sql('team:', 'b.team_id')}, "
        f"t.unit_id, {NULL_ID}, b.team_id, b.dimension, b.key, SUM(b.n) FROM base b "
        f"JOIN {team_table} t ON t.id = b.team_id WHERE TRUE{team_filter} "
        f"GROUP BY b.team_id, t.unit_id, b.dimension, b.key"
    )
    cell_rows = (
        f"{cell_insert_head()}SELECT {campaign}, {cell_scope_sql('b.unit_id', 'b.member_id', 'b.team_id')}, "
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
    opinions, units = table(Opinion), ids(unit_ids)
    selects = [
        f"SELECT DISTINCT {lit(kind)}, s.{column} FROM {opinions} s WHERE s.{column} IN "
        f"(SELECT x.id FROM {table(model)} x WHERE x.unit_id IN ({units})) AND s.ledger_unit_id NOT IN ({units})"
        for kind, column, model in (("member", "target_member_id", Member), ("team", "target_team_id", LeadershipTeam))
    ]
    found: dict[str, list[int]] = {"member": [], "team": []}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects))
        for kind, pk in cursor.fetchall():
            found[kind].append(pk)
    return found["member"], found["team"]


def _feedback_statement(campaign_id: int, level: Level, unit_ids: Sequence[int] | None) -> str:
    lists = table(FeedbackList)
    base = f"FROM {lists} o {level.join} WHERE o.campaign_id = {int(campaign_id)}" + unit_condition(
        level.unit_column, unit_ids, unassigned=False
    )
    head = (
        f"SELECT {int(campaign_id)}, {lit(level.level)}, {level.scope}, {level.unit}, {level.member}, {level.team}, "
        f"{lit(Dimension.FEEDBACK)}, "
    )
    keys = ", ".join(level.keys)
    released = ", ".join(lit(status) for status in RELEASED_STATUSES)
    conditions = {
        LISTS_TOTAL: "",
        LISTS_RELEASED: f" AND o.status IN ({released})",
        LISTS_SIGNED: f" AND o.status = {lit(FeedbackList.Status.SIGNED)}",
    }
    selects = [f"{head}{lit(key)}, COUNT(*) {base}{condition} GROUP BY {keys}" for key, condition in conditions.items()]
    return insert_head() + " UNION ALL ".join(selects)


def _solicitation_statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    events = table(SolicitationEvent)
    base = f"FROM {events} e WHERE e.campaign_id = {int(campaign_id)}" + unit_condition(
        "e.unit_id", unit_ids, unassigned=False
    )
    head = (
        f"SELECT {int(campaign_id)}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'e.unit_id')}, e.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {lit(Dimension.SOLICITATION)}, "
    )
    selects = [
        f"{head}{lit(EVENTS)}, COUNT(*) {base} GROUP BY e.unit_id",
        f"{head}{lit(FORUMS)}, COUNT(*) {base} AND e.channel = {lit(Channel.FORUM)} GROUP BY e.unit_id",
    ]
    for key, column in (
        (FORMS_ISSUED, "forms_issued"),
        (FORMS_RETURNED, "forms_returned"),
        (SUGGESTION_BOXES, "boxes_set"),
    ):
        # Only figures above zero are stored, as with every other dimension.
        selects.append(f"{head}{lit(key)}, SUM(e.{column}) {base} GROUP BY e.unit_id HAVING SUM(e.{column}) > 0")
    return insert_head() + " UNION ALL ".join(selects)


def _cells_by_dimension(campaign_id: int, condition: str) -> str:
    """The cells of the opinions that count and match ``condition`` (on ``o``), each
    dimension its own GROUP BY (SQLite): columns CELL_COLUMNS."""
    campaign = int(campaign_id)
    subject = "o.ledger_unit_id, o.target_member_id, o.target_team_id"
    cell = cell_scope_sql("o.ledger_unit_id", "o.target_member_id", "o.target_team_id")
    head = f"SELECT {campaign}, {cell}, {subject}, "
    source = f"FROM {table(Opinion)} o WHERE o.campaign_id = {campaign} AND o.merged_into_id IS NULL AND ({condition})"
    selects = [f"{head}{lit(Dimension.TOTAL)}, {lit(TOTAL_KEY)}, COUNT(*) {source} GROUP BY {subject}"]
    selects += [
        f"{head}{lit(dimension)}, o.{dimension}, COUNT(*) {source} GROUP BY {subject}, o.{dimension}"
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
            _opinion_statement(campaign_id, level, unit_ids) for level in levels("o", unit_column="ledger_unit_id")
        ]
        condition = "TRUE" + unit_condition("o.ledger_unit_id", unit_ids, unassigned=True)
        statements.append(cell_insert_head() + _cells_by_dimension(campaign_id, condition))
    if unit_ids is None or unit_ids:
        statements += [
            _feedback_statement(campaign_id, level, unit_ids) for level in levels("o", unit_column="ledger_unit_id")
        ]
        statements.append(_solicitation_statement(campaign_id, unit_ids))
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


def cells_select(campaign_id: int, subjects: Subjects) -> str:
    """Every cell of these subjects, counted from source (a SELECT of CELL_COLUMNS):
    all of a member's or a team's (whatever its ledger unit), the unit-as-a-whole
    cell of each unit."""
    branches = []
    if subjects.members:
        branches.append(f"o.target_member_id IN ({ids(sorted(subjects.members))})")
    if subjects.teams:
        branches.append(f"o.target_team_id IN ({ids(sorted(subjects.teams))})")
    # One branch each: an index answers each (a target's index; the ledger unit's).
    branches += [
        f"{part} AND o.target_member_id IS NULL AND o.target_team_id IS NULL"
        for part in whole_units("o.ledger_unit_id", subjects.units)
    ]
    if not branches:
        branches = ["1 = 0"]
    campaign = int(campaign_id)
    if connection.vendor == "postgresql":
        grouped = _grouped_opinions(campaign, branches)
        return (
            f"SELECT {campaign}, {cell_scope_sql('g.unit_id', 'g.member_id', 'g.team_id')}, "
            f"g.unit_id, g.member_id, g.team_id, g.dimension, g.key, g.n FROM ({grouped}) g"
        )
    # An opinion has one target at most: the branches never match the same opinion.
    return _cells_by_dimension(campaign, " OR ".join(f"({branch})" for branch in branches))


# --- Recounting: the ORM -----------------------------------------------------------------


def recount_opinions(campaign_id: int) -> dict[FigureKey, int]:
    """Every figure of the opinions, feedback lists and solicitation events counted
    afresh with the ORM (on purpose not the SQL of ``write_opinions``), and the
    opinions' cells (scopes ``cell:…``)."""
    figures: Counter[FigureKey] = Counter()
    opinions = Opinion.objects.filter(campaign_id=campaign_id, merged_into__isnull=True).order_by()
    levels = (
        (opinions, "ledger_unit_id", "ledger_unit_id", unit_scope),
        (opinions.filter(target_member__isnull=False), "target_member_id", "target_member__unit_id", member_scope),
        (opinions.filter(target_team__isnull=False), "target_team_id", "target_team__unit_id", team_scope),
    )
    for queryset, subject, filed_under, scope in levels:
        for dimension in (Dimension.TOTAL, *OPINION_DIMENSIONS):
            fields = [subject, filed_under] + ([dimension] if dimension != Dimension.TOTAL else [])
            for row in queryset.values(*fields).annotate(n=Count("pk")):
                key = row[dimension] if dimension != Dimension.TOTAL else TOTAL_KEY
                figures[(scope(row[subject]), row[filed_under], dimension, key)] += row["n"]
    # The cells (``LedgerCell``): per ledger unit and target, filed under the ledger unit.
    cell_subject = ("ledger_unit_id", "target_member_id", "target_team_id")
    for dimension in (Dimension.TOTAL, *OPINION_DIMENSIONS):
        fields = [*cell_subject] + ([dimension] if dimension != Dimension.TOTAL else [])
        for row in opinions.values(*fields).annotate(n=Count("pk")):
            key = row[dimension] if dimension != Dimension.TOTAL else TOTAL_KEY
            where = cell_scope(*(row[name] for name in cell_subject)), row["ledger_unit_id"]
            figures[(*where, dimension, key)] += row["n"]
    for dimension in (Dimension.TOTAL, *OPINION_DIMENSIONS):
        if dimension == Dimension.TOTAL:
            figures[(COUNTY_SCOPE, None, dimension, TOTAL_KEY)] += opinions.count()
            continue
        for row in opinions.values(dimension).annotate(n=Count("pk")):
            figures[(COUNTY_SCOPE, None, dimension, row[dimension])] += row["n"]

    lists = FeedbackList.objects.filter(campaign_id=campaign_id).order_by()
    released = {FeedbackList.Status.RELEASED, FeedbackList.Status.SIGNED}
    list_levels = (
        (lists, "ledger_unit_id", "ledger_unit_id", unit_scope),
        (lists.filter(target_member__isnull=False), "target_member_id", "target_member__unit_id", member_scope),
        (lists.filter(target_team__isnull=False), "target_team_id", "target_team__unit_id", team_scope),
    )
    for list_queryset, subject, filed_under, scope in list_levels:
        for row in list_queryset.values(subject, filed_under, "status").annotate(n=Count("pk")):
            where = (scope(row[subject]), row[filed_under])
            keys = [LISTS_TOTAL]
            if row["status"] in released:
                keys.append(LISTS_RELEASED)
            if row["status"] == FeedbackList.Status.SIGNED:
                keys.append(LISTS_SIGNED)
            for key in keys:
                figures[(*where, Dimension.FEEDBACK, key)] += row["n"]
                if scope is unit_scope:
                    figures[(COUNTY_SCOPE, None, Dimension.FEEDBACK, key)] += row["n"]

    events = (
        SolicitationEvent.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values("unit_id")
        .annotate(
            **{
                EVENTS: Count("pk"),
                FORUMS: Count("pk", filter=Q(channel=Channel.FORUM)),
                FORMS_ISSUED: Sum("forms_issued"),
                FORMS_RETURNED: Sum("forms_returned"),
                SUGGESTION_BOXES: Sum("boxes_set"),
            }
        )
    )
    for row in events:
        for key in (EVENTS, FORUMS, FORMS_ISSUED, FORMS_RETURNED, SUGGESTION_BOXES):
            figures[(unit_scope(row["unit_id"]), row["unit_id"], Dimension.SOLICITATION, key)] += row[key] or 0
            figures[(COUNTY_SCOPE, None, Dimension.SOLICITATION, key)] += row[key] or 0
    # The ledger stores no zero: a figure that is not there reads as zero.
    return {key: value for key, value in figures.items() if value}


# --- The stage summary ------------------------------------------------------------------


def opinions_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    return {
        "total": figures.get(Dimension.TOTAL, TOTAL_KEY),
        "by_category": {key: figures.get(Dimension.CATEGORY, key) for key in TargetCategory.values},
        "by_kind": {key: figures.get(Dimension.KIND, key) for key in OpinionKind.values},
        "by_channel": {key: figures.get(Dimension.CHANNEL, key) for key in Channel.values},
    }


def solicitation_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    return {
        "forums": figures.get(Dimension.SOLICITATION, FORUMS),
        "forms_issued": figures.get(Dimension.SOLICITATION, FORMS_ISSUED),
        "suggestion_boxes": figures.get(Dimension.SOLICITATION, SUGGESTION_BOXES),
    }


def feedback_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    return {
        "lists_released": figures.get(Dimension.FEEDBACK, LISTS_RELEASED),
        "lists_signed": figures.get(Dimension.FEEDBACK, LISTS_SIGNED),
    }


SOURCE = LedgerSource(
    name="opinions",
    dimensions=Dimension,
    write=write_opinions,
    recount=recount_opinions,
    cells=Cells(dimensions=CELL_DIMENSIONS, select=cells_select),
    sections={"opinions": opinions_section, "solicitation": solicitation_section, "feedback": feedback_section},
)
