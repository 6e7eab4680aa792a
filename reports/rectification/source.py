"""The ledger source "rectification": problems to rectify and the practical results for
the people (DESIGN §3 "Look-back and rectification").

``write`` inserts the unit rows with SQL — four ``INSERT … SELECT … GROUP BY`` passes
joined with UNION ALL (over the problems, the opinions behind them, the practical
results, the disputes), each turned into one row per key, and two dated ones, the
problems recorded per day (``problems_opened``, the date of ``recorded_at`` in the
installation's time zone) and solved per day (``problems_solved``, ``solved_on``), the
key the ISO date, alike on SQLite and PostgreSQL; ``recount`` counts the same figures
with the ORM, for the reconciliation.

Filing: a problem's figures are unit rows filed under the unit that owns it now (the
receiving department once a handover is accepted), which is what
``rectification.services`` announces (``source="problems"``) for both units of every
move; a practical result's and its disputes' under the result's unit
(``source="results"``). Amounts of yuan are stored in fen (the ledger holds integers),
each record's amount rounded to the fen before the sum, so the sum is exact; the
summary gives them back as exact decimal strings. No zero is written.
"""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from rectification.models import (
    Dispute,
    DisputeOutcome,
    Handover,
    HandoverState,
    PracticalResult,
    Problem,
    ProblemCategory,
    ProblemOpinion,
    ProblemState,
)
from reports.ledger.figures import Figures
from reports.ledger.registry import FigureKey, LedgerSource
from reports.ledger.sql import NULL_ID, ids, insert_head, lit, scope_sql, table
from reports.models import COUNTY_SCOPE, LedgerLevel, unit_scope


class Dimension(models.TextChoices):
    RECTIFICATION = "rectification", _("Problems to rectify")
    RESULTS = "results", _("Practical results for the people")
    # Dated figures, the key the ISO date (as the opinions per day, reports.opinions.days):
    OPENED = "problems_opened", _("Problems opened per day")
    SOLVED_DAY = "problems_solved", _("Problems solved per day")


# Keys of the rectification dimension, filed under the problem's owning unit.
PROBLEMS = "problems"
OPEN = "open"
IN_PROGRESS = "in_progress"
AWAITING = "awaiting_acceptance"  # handed over, the receiving department has not answered
SOLVED = "solved"
OVERDUE = "overdue"
TRANSFERRED = "handed_over"  # handed over and accepted by another department
OPINIONS = "opinions"  # opinions behind the problems
OPINIONS_CLOSED = "opinions_closed"  # opinions behind solved problems
CATEGORY_KEYS = {category: f"category_{category}" for category in ProblemCategory.values}

PROBLEM_FIGURES: dict[str, str] = {
    PROBLEMS: "1 = 1",
    OPEN: f"p.state = {lit(ProblemState.OPEN)}",
    IN_PROGRESS: f"p.state = {lit(ProblemState.IN_PROGRESS)}",
    AWAITING: f"p.state = {lit(ProblemState.HANDED_OVER)}",
    SOLVED: f"p.state = {lit(ProblemState.SOLVED)}",
    OVERDUE: "p.overdue",
    **{key: f"p.category = {lit(category)}" for category, key in CATEGORY_KEYS.items()},
}
OPINION_FIGURES: dict[str, str] = {
    OPINIONS: "1 = 1",
    OPINIONS_CLOSED: f"p.state = {lit(ProblemState.SOLVED)}",
}

# Keys of the results dimension, filed under the result's unit.
HOUSEHOLDS_VISITED = "households_visited"
PERSON_TIMES = "person_times"
PRACTICAL_THINGS = "practical_things"
DONATIONS = "donations_fen"
SPRING_FARMING = "spring_farming_fen"
STRUCTURE_ADJUSTMENT = "structure_adjustment_fen"
CONDOLENCE = "condolence_fen"
HOUSEHOLDS_PLANTING = "households_planting"
PLANTED_MU = "planted_mu"
HOUSEHOLDS_LIVESTOCK = "households_livestock"
LIVESTOCK_HEAD = "livestock_head"
DISPUTES_INVESTIGATED = "disputes_investigated"
DISPUTES_SOLVED = "disputes_solved"
DISPUTES_HANDED_OVER = "disputes_handed_over"

COUNT_COLUMNS = {
    HOUSEHOLDS_VISITED: "households_visited",
    PERSON_TIMES: "person_times",
    PRACTICAL_THINGS: "practical_things",
    HOUSEHOLDS_PLANTING: "households_planting",
    PLANTED_MU: "planted_mu",
    HOUSEHOLDS_LIVESTOCK: "households_livestock",
    LIVESTOCK_HEAD: "livestock_head",
}
FEN_COLUMNS = {
    DONATIONS: "donations_yuan",
    SPRING_FARMING: "spring_farming_yuan",
    STRUCTURE_ADJUSTMENT: "structure_adjustment_yuan",
    CONDOLENCE: "condolence_yuan",
}
DISPUTE_FIGURES: dict[str, str] = {
    DISPUTES_INVESTIGATED: "1 = 1",
    DISPUTES_SOLVED: f"d.outcome = {lit(DisputeOutcome.SOLVED)}",
    DISPUTES_HANDED_OVER: f"d.outcome = {lit(DisputeOutcome.HANDED_OVER)}",
}


def _unpivot(aggregate: str, figures: Sequence[str], dimension: str) -> str:
    """One unit row per key and unit from ``aggregate`` (a query with ``unit_id`` and a
    column named after each key), leaving out the zeros."""
    keys = " UNION ALL ".join(f"SELECT {lit(key)} AS name" for key in figures)
    value = "CASE k.name " + " ".join(f"WHEN {lit(key)} THEN a.{key}" for key in figures) + " END"
    return (
        f"SELECT a.campaign_id, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'a.unit_id')}, a.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {lit(dimension)}, k.name, {value} "
        f"FROM ({aggregate}) a CROSS JOIN ({keys}) k WHERE {value} > 0"
    )


_ZONE = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")


def day_zone() -> str:
    """The time zone whose calendar dates a problem's recording (``recorded_at``): the
    installation's, not a user's."""
    return settings.TIME_ZONE


def _recorded_day() -> str:
    """The SQL of the ISO date, in ``day_zone()``, on which a problem ``p`` was recorded,
    as Django's ``TruncDate`` computes it on this database."""
    zone = day_zone()
    if not _ZONE.match(zone):
        raise ValueError(f"{zone!r} is not a time zone this module may spell into SQL")
    sql, params = connection.ops.datetime_cast_date_sql("p.recorded_at", (), zone)
    quoted = tuple("'" + str(param) + "'" for param in params)
    return f"CAST({sql % quoted} AS VARCHAR(10))"


def _sums(figures: dict[str, str]) -> str:
    return ", ".join(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {key}" for key, condition in figures.items())


def statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    campaign = int(campaign_id)
    problems, links, handovers = table(Problem), table(ProblemOpinion), table(Handover)
    results, disputes = table(PracticalResult), table(Dispute)

    def where(alias: str) -> str:
        return f" AND {alias}.unit_id IN ({ids(unit_ids)})" if unit_ids is not None else ""

    transferred = (
        f"SUM(CASE WHEN EXISTS (SELECT 1 FROM {handovers} h WHERE h.problem_id = p.id "
        f"AND h.state = {lit(HandoverState.ACCEPTED)}) THEN 1 ELSE 0 END) AS {TRANSFERRED}"
    )
    problem_pass = (
        f"SELECT {campaign} AS campaign_id, p.unit_id AS unit_id, {_sums(PROBLEM_FIGURES)}, {transferred} "
        f"FROM {problems} p WHERE p.campaign_id = {campaign}{where('p')} GROUP BY p.unit_id"
    )
    opinion_pass = (
        f"SELECT {campaign} AS campaign_id, p.unit_id AS unit_id, {_sums(OPINION_FIGURES)} "
        f"FROM {links} l JOIN {problems} p ON p.id = l.problem_id "
        f"WHERE p.campaign_id = {campaign}{where('p')} GROUP BY p.unit_id"
    )
    counts = ", ".join(f"SUM(r.{column}) AS {key}" for key, column in COUNT_COLUMNS.items())
    fen = ", ".join(f"SUM(CAST(ROUND(r.{column} * 100) AS BIGINT)) AS {key}" for key, column in FEN_COLUMNS.items())
    result_pass = (
        f"SELECT {campaign} AS campaign_id, r.unit_id AS unit_id, {counts}, {fen} "
        f"FROM {results} r WHERE r.campaign_id = {campaign}{where('r')} GROUP BY r.unit_id"
    )
    dispute_pass = (
        f"SELECT {campaign} AS campaign_id, r.unit_id AS unit_id, {_sums(DISPUTE_FIGURES)} "
        f"FROM {disputes} d JOIN {results} r ON r.id = d.result_id "
        f"WHERE r.campaign_id = {campaign}{where('r')} GROUP BY r.unit_id"
    )
    day = _recorded_day()
    unit_row = f"{lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'p.unit_id')}, p.unit_id, {NULL_ID}, {NULL_ID}"
    dated = f"SELECT {campaign}, {unit_row}"
    opened_pass = (
        f"{dated}, {lit(Dimension.OPENED)}, {day}, COUNT(*) FROM {problems} p "
        f"WHERE p.campaign_id = {campaign}{where('p')} GROUP BY p.unit_id, {day}"
    )
    solved_day = "CAST(p.solved_on AS VARCHAR(10))"
    solved_pass = (
        f"{dated}, {lit(Dimension.SOLVED_DAY)}, {solved_day}, COUNT(*) FROM {problems} p "
        f"WHERE p.campaign_id = {campaign} AND p.state = {lit(ProblemState.SOLVED)}{where('p')} "
        f"GROUP BY p.unit_id, {solved_day}"
    )
    selects = [
        _unpivot(problem_pass, [*PROBLEM_FIGURES, TRANSFERRED], Dimension.RECTIFICATION),
        _unpivot(opinion_pass, list(OPINION_FIGURES), Dimension.RECTIFICATION),
        _unpivot(result_pass, [*COUNT_COLUMNS, *FEN_COLUMNS], Dimension.RESULTS),
        _unpivot(dispute_pass, list(DISPUTE_FIGURES), Dimension.RESULTS),
        opened_pass,
        solved_pass,
    ]
    return insert_head() + " UNION ALL ".join(selects)


def write(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    """Insert the problem and result rows of ``unit_ids`` (None: of every unit)."""
    if unit_ids is not None and not unit_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(statement(campaign_id, unit_ids))


def recount(campaign_id: int) -> dict[FigureKey, int]:
    """Every figure counted afresh with the ORM (not the SQL of ``write``)."""
    figures: Counter[FigureKey] = Counter()

    def add(dimension: str, unit_id: int, key: str, value: int | None) -> None:
        figures[(unit_scope(unit_id), unit_id, dimension, key)] += value or 0
        figures[(COUNTY_SCOPE, None, dimension, key)] += value or 0

    accepted = Handover.objects.filter(problem=OuterRef("pk"), state=HandoverState.ACCEPTED)
    problems = (
        Problem.objects.filter(campaign_id=campaign_id)
        .annotate(transferred=Exists(accepted))
        .order_by()
        .values("unit_id")
        .annotate(
            **{
                PROBLEMS: Count("pk"),
                OPEN: Count("pk", filter=Q(state=ProblemState.OPEN)),
                IN_PROGRESS: Count("pk", filter=Q(state=ProblemState.IN_PROGRESS)),
                AWAITING: Count("pk", filter=Q(state=ProblemState.HANDED_OVER)),
                SOLVED: Count("pk", filter=Q(state=ProblemState.SOLVED)),
                OVERDUE: Count("pk", filter=Q(overdue=True)),
                TRANSFERRED: Count("pk", filter=Q(transferred=True)),
                **{key: Count("pk", filter=Q(category=category)) for category, key in CATEGORY_KEYS.items()},
            }
        )
    )
    for row in problems:
        for key in [*PROBLEM_FIGURES, TRANSFERRED]:
            add(Dimension.RECTIFICATION, row["unit_id"], key, row[key])
    zone = zoneinfo.ZoneInfo(day_zone())
    opened = (
        Problem.objects.filter(campaign_id=campaign_id)
        .annotate(day=TruncDate("recorded_at", tzinfo=zone))
        .order_by()
        .values("unit_id", "day")
        .annotate(n=Count("pk"))
    )
    for row in opened:
        add(Dimension.OPENED, row["unit_id"], row["day"].isoformat(), row["n"])
    solved = (
        Problem.objects.filter(campaign_id=campaign_id, state=ProblemState.SOLVED)
        .order_by()
        .values("unit_id", "solved_on")
        .annotate(n=Count("pk"))
    )
    for row in solved:
        add(Dimension.SOLVED_DAY, row["unit_id"], row["solved_on"].isoformat(), row["n"])
    links = (
        ProblemOpinion.objects.filter(problem__campaign_id=campaign_id)
        .order_by()
        .values("problem__unit_id")
        .annotate(n=Count("pk"), closed=Count("pk", filter=Q(problem__state=ProblemState.SOLVED)))
    )
    for row in links:
        add(Dimension.RECTIFICATION, row["problem__unit_id"], OPINIONS, row["n"])
        add(Dimension.RECTIFICATION, row["problem__unit_id"], OPINIONS_CLOSED, row["closed"])
    results = (
        PracticalResult.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values("unit_id")
        .annotate(
            **{key: Sum(column) for key, column in COUNT_COLUMNS.items()},
            **{key: Sum(column) for key, column in FEN_COLUMNS.items()},
        )
    )
    for row in results:
        for key in COUNT_COLUMNS:
            add(Dimension.RESULTS, row["unit_id"], key, row[key])
        for key in FEN_COLUMNS:
            add(Dimension.RESULTS, row["unit_id"], key, int((row[key] or Decimal(0)) * 100))
    disputes = (
        Dispute.objects.filter(result__campaign_id=campaign_id)
        .order_by()
        .values("result__unit_id")
        .annotate(
            n=Count("pk"),
            solved=Count("pk", filter=Q(outcome=DisputeOutcome.SOLVED)),
            handed=Count("pk", filter=Q(outcome=DisputeOutcome.HANDED_OVER)),
        )
    )
    for row in disputes:
        add(Dimension.RESULTS, row["result__unit_id"], DISPUTES_INVESTIGATED, row["n"])
        add(Dimension.RESULTS, row["result__unit_id"], DISPUTES_SOLVED, row["solved"])
        add(Dimension.RESULTS, row["result__unit_id"], DISPUTES_HANDED_OVER, row["handed"])
    return {key: value for key, value in figures.items() if value}


def yuan(fen: int) -> str:
    """An amount kept in fen as the exact decimal string of its yuan: 23367000 → "233670.00"."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def rectification_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Problems in all, not yet solved (open, in progress, awaiting acceptance), solved,
    handed over to (and accepted by) another department, overdue; the opinions closed."""
    get = lambda key: figures.get(Dimension.RECTIFICATION, key)  # noqa: E731
    return {
        "problems": get(PROBLEMS),
        "problems_open": get(OPEN) + get(IN_PROGRESS) + get(AWAITING),
        "problems_solved": get(SOLVED),
        "problems_handed_over": get(TRANSFERRED),
        "problems_overdue": get(OVERDUE),
        "opinions_closed": get(OPINIONS_CLOSED),
    }


def results_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """The practical results, yuan as exact decimal strings."""
    get = lambda key: figures.get(Dimension.RESULTS, key)  # noqa: E731
    return {
        "households_visited": get(HOUSEHOLDS_VISITED),
        "person_times": get(PERSON_TIMES),
        "practical_things": get(PRACTICAL_THINGS),
        "donations_yuan": yuan(get(DONATIONS)),
        "spring_farming_yuan": yuan(get(SPRING_FARMING)),
        "structure_adjustment_yuan": yuan(get(STRUCTURE_ADJUSTMENT)),
        "condolence_yuan": yuan(get(CONDOLENCE)),
        "households_planting": get(HOUSEHOLDS_PLANTING),
        "planted_mu": get(PLANTED_MU),
        "households_livestock": get(HOUSEHOLDS_LIVESTOCK),
        "disputes_investigated": get(DISPUTES_INVESTIGATED),
        "disputes_solved": get(DISPUTES_SOLVED),
        "disputes_handed_over": get(DISPUTES_HANDED_OVER),
    }


SOURCE = LedgerSource(
    name="rectification",
    dimensions=Dimension,
    write=write,
    recount=recount,
    sections={"rectification": rectification_section, "results": results_section},
)
