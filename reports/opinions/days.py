"""The ledger source "opinion_days": opinions counted per day received (dimension ``day``,
key the ISO date), for the dashboards' "opinions gathered per day" chart.

A source of its own rather than one more dimension of "opinions", so that the opinions'
single-pass PostgreSQL statement stays as it is: this one groups the opinions that count
(not merged into another) by ledger unit, member or team and ``received_on``, with the
same statement on SQLite and PostgreSQL. It keeps cells like the opinions (per ledger
unit and target), so a change to a few opinions is rolled up by target with theirs.

The date has no time (the public box keeps none finer than the day, docs/privacy.md);
the dashboards show a day's count only when it reaches the feedback threshold k
(``reports.dashboard.privacy``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db import connection, models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from opinions.models import Opinion
from reports.ledger.registry import Cells, FigureKey, LedgerSource
from reports.ledger.sql import (
    Level,
    cell_insert_head,
    cell_scope_sql,
    ids,
    insert_head,
    levels,
    lit,
    table,
    unit_condition,
    whole_units,
)
from reports.ledger.targets import Subjects
from reports.models import COUNTY_SCOPE, cell_scope, member_scope, team_scope, unit_scope


class Dimension(models.TextChoices):
    DAY = "day", _("Opinions per day")


DAY = "CAST(o.received_on AS VARCHAR(10))"


def _level_statement(campaign_id: int, level: Level, unit_ids: Sequence[int] | None) -> str:
    where = f"WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL" + unit_condition(
        level.unit_column, unit_ids, unassigned=level.level == "unit"
    )
    return (
        f"{insert_head()}SELECT {int(campaign_id)}, {lit(level.level)}, {level.scope}, {level.unit}, "
        f"{level.member}, {level.team}, {lit(Dimension.DAY)}, {DAY}, COUNT(*) "
        f"FROM {table(Opinion)} o {level.join} {where} GROUP BY {', '.join(level.keys)}, {DAY}"
    )


def _cells(campaign_id: int, condition: str) -> str:
    subject = "o.ledger_unit_id, o.target_member_id, o.target_team_id"
    cell = cell_scope_sql("o.ledger_unit_id", "o.target_member_id", "o.target_team_id")
    return (
        f"SELECT {int(campaign_id)}, {cell}, {subject}, {lit(Dimension.DAY)}, {DAY}, COUNT(*) "
        f"FROM {table(Opinion)} o WHERE o.campaign_id = {int(campaign_id)} AND o.merged_into_id IS NULL "
        f"AND ({condition}) GROUP BY {subject}, {DAY}"
    )


def write(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    statements = [_level_statement(campaign_id, level, unit_ids) for level in levels("o", unit_column="ledger_unit_id")]
    condition = "1 = 1" + unit_condition("o.ledger_unit_id", unit_ids, unassigned=True)
    statements.append(cell_insert_head() + _cells(campaign_id, condition))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def cells_select(campaign_id: int, subjects: Subjects) -> str:
    """Every day cell of these subjects (as ``reports.opinions.source.cells_select``)."""
    branches = []
    if subjects.members:
        branches.append(f"o.target_member_id IN ({ids(sorted(subjects.members))})")
    if subjects.teams:
        branches.append(f"o.target_team_id IN ({ids(sorted(subjects.teams))})")
    branches += [
        f"{part} AND o.target_member_id IS NULL AND o.target_team_id IS NULL"
        for part in whole_units("o.ledger_unit_id", subjects.units)
    ]
    return _cells(campaign_id, " OR ".join(f"({branch})" for branch in branches) or "1 = 0")


def recount(campaign_id: int) -> dict[FigureKey, int]:
    """The same figures with the ORM (not the SQL of ``write``)."""
    figures: Counter[FigureKey] = Counter()
    opinions = Opinion.objects.filter(campaign_id=campaign_id, merged_into__isnull=True).order_by()
    levels_ = (
        (opinions, "ledger_unit_id", "ledger_unit_id", unit_scope),
        (opinions.filter(target_member__isnull=False), "target_member_id", "target_member__unit_id", member_scope),
        (opinions.filter(target_team__isnull=False), "target_team_id", "target_team__unit_id", team_scope),
    )
    for queryset, subject, filed_under, scope in levels_:
        for row in queryset.values(subject, filed_under, "received_on").annotate(n=Count("pk")):
            key = row["received_on"].isoformat()
            figures[(scope(row[subject]), row[filed_under], Dimension.DAY, key)] += row["n"]
            if scope is unit_scope:
                figures[(COUNTY_SCOPE, None, Dimension.DAY, key)] += row["n"]
    fields = ("ledger_unit_id", "target_member_id", "target_team_id")
    for row in opinions.values(*fields, "received_on").annotate(n=Count("pk")):
        where = cell_scope(*(row[name] for name in fields)), row["ledger_unit_id"]
        figures[(*where, Dimension.DAY, row["received_on"].isoformat())] += row["n"]
    return {key: value for key, value in figures.items() if value}


SOURCE = LedgerSource(
    name="opinion_days",
    dimensions=Dimension,
    write=write,
    recount=recount,
    cells=Cells(dimensions=(Dimension.DAY,), select=cells_select),
)
