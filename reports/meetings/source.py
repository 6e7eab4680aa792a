"""The ledger source "meetings": the democratic life and special organisational life
meetings of each unit (DESIGN §3 "Meetings").

``write`` inserts the unit rows with SQL — four ``INSERT … SELECT … GROUP BY`` passes
joined with UNION ALL, one over the meetings, one over their attendance, one over the
criticisms, each turned into one row per key, and one over the planned meetings' open
conditions (dimension ``readiness``, a row per condition), alike on SQLite and PostgreSQL;
``recount`` counts the same figures with the ORM, for the reconciliation.

Filing (``reports.ledger.registry``): every figure is a unit row filed under the
meeting's organisation, ``Meeting.unit`` (the team's unit, or the branch), which is
what ``meetings.services`` announces with ``source="meetings"``; the county row is the
sum of the unit rows. A branch's rows are folded into its unit's line on the pages
(``reports.ledger.figures.by_owner``). No zero is written.

Only ids (cast to int) and constants of this module are spelt into the SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from meetings.models import RECORDING_STATES, Attendance, Condition, Criticism, Meeting, MeetingState, OpenCondition
from reports.ledger.figures import Figures
from reports.ledger.registry import FigureKey, LedgerSource
from reports.ledger.sql import NULL_ID, ids, insert_head, lit, scope_sql, table
from reports.meetings import appraisal
from reports.models import COUNTY_SCOPE, LedgerLevel, unit_scope


class Dimension(models.TextChoices):
    """The dimension this source writes."""

    MEETINGS = "meetings", _("Democratic life meetings")
    APPRAISAL = "appraisal", _("Democratic appraisal")
    READINESS = "readiness", _("Meetings held back, by condition")


# Keys of the meetings dimension, unit rows filed under the meeting's organisation.
MEET_PLANNED = "planned"  # planned, waiting on the three no-convenings
MEET_READY = "ready"  # the gate is open: ready to convene
MEET_HELD = "held"  # held (followed up or not)
MEET_FOLLOWED_UP = "followed_up"  # held and followed up
MEET_CANCELLED = "cancelled"
MEET_OVERRIDDEN = "held_with_override"  # held on the county office's override of the gate
MEET_ATTENDEES = "attendees"  # attendees present, summed over the meetings held (person-times)
MEET_CRITICISMS = "criticisms"  # criticisms recorded (mutual, and problems named in self-criticisms)
MEET_PROBLEMS = "problems_found"  # criticisms handed to rectification as problems
MEETING_KEYS: tuple[str, ...] = (
    MEET_PLANNED,
    MEET_READY,
    MEET_HELD,
    MEET_FOLLOWED_UP,
    MEET_CANCELLED,
    MEET_OVERRIDDEN,
    MEET_ATTENDEES,
    MEET_CRITICISMS,
    MEET_PROBLEMS,
)


# Keys of the readiness dimension: the planned meetings whose gate finds that condition
# of the three no-convenings open (``meetings.OpenCondition``), filed under the meeting's
# organisation. A meeting held back by two conditions counts under both; the ready ones
# are the meetings dimension's ``ready``.
READINESS_KEYS: tuple[str, ...] = tuple(Condition.values)


def _in(states: Sequence[str]) -> str:
    return ", ".join(lit(state) for state in sorted(states))


HELD_STATES = sorted(RECORDING_STATES)

# The meetings' figures: the condition a meeting meets to be counted under each key.
MEETING_FIGURES: dict[str, str] = {
    MEET_PLANNED: f"g.state = {lit(MeetingState.PLANNED)}",
    MEET_READY: f"g.state = {lit(MeetingState.READY)}",
    MEET_HELD: f"g.state IN ({_in(HELD_STATES)})",
    MEET_FOLLOWED_UP: f"g.state = {lit(MeetingState.FOLLOWED_UP)}",
    MEET_CANCELLED: f"g.state = {lit(MeetingState.CANCELLED)}",
    MEET_OVERRIDDEN: f"g.state IN ({_in(HELD_STATES)}) AND g.override_reason <> {lit('')}",
}
# The criticisms' figures.
CRITICISM_FIGURES: dict[str, str] = {
    MEET_CRITICISMS: "COUNT(*)",
    MEET_PROBLEMS: "COUNT(c.problem_id)",
}


def _unpivot(aggregate: str, figures: Sequence[str]) -> str:
    """One unit row per key and unit from ``aggregate`` (a query with ``unit_id`` and a
    column named after each key), leaving out the zeros."""
    keys = " UNION ALL ".join(f"SELECT {lit(key)} AS name" for key in figures)
    value = "CASE k.name " + " ".join(f"WHEN {lit(key)} THEN a.{key}" for key in figures) + " END"
    return (
        f"SELECT a.campaign_id, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'a.unit_id')}, a.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {lit(Dimension.MEETINGS)}, k.name, {value} "
        f"FROM ({aggregate}) a CROSS JOIN ({keys}) k WHERE {value} > 0"
    )


def statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    campaign = int(campaign_id)
    meetings, attendance, criticisms = table(Meeting), table(Attendance), table(Criticism)
    where_unit = f" AND g.unit_id IN ({ids(unit_ids)})" if unit_ids is not None else ""
    head = f"SELECT {campaign} AS campaign_id, g.unit_id AS unit_id"
    counts = ", ".join(
        f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {key}" for key, condition in MEETING_FIGURES.items()
    )
    meeting_pass = f"{head}, {counts} FROM {meetings} g WHERE g.campaign_id = {campaign}{where_unit} GROUP BY g.unit_id"
    attendance_pass = (
        f"{head}, COUNT(*) AS {MEET_ATTENDEES} FROM {attendance} p JOIN {meetings} g ON g.id = p.meeting_id "
        f"WHERE g.campaign_id = {campaign} AND p.present{where_unit} GROUP BY g.unit_id"
    )
    sums = ", ".join(f"{expression} AS {key}" for key, expression in CRITICISM_FIGURES.items())
    criticism_pass = (
        f"{head}, {sums} FROM {criticisms} c JOIN {meetings} g ON g.id = c.meeting_id "
        f"WHERE g.campaign_id = {campaign}{where_unit} GROUP BY g.unit_id"
    )
    readiness_pass = (
        f"SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'g.unit_id')}, g.unit_id, {NULL_ID}, "
        f"{NULL_ID}, {lit(Dimension.READINESS)}, c.condition, COUNT(*) FROM {table(OpenCondition)} c "
        f"JOIN {meetings} g ON g.id = c.meeting_id WHERE g.campaign_id = {campaign} "
        f"AND g.state = {lit(MeetingState.PLANNED)}{where_unit} GROUP BY g.unit_id, c.condition"
    )
    selects = [
        _unpivot(meeting_pass, list(MEETING_FIGURES)),
        _unpivot(attendance_pass, [MEET_ATTENDEES]),
        _unpivot(criticism_pass, list(CRITICISM_FIGURES)),
        readiness_pass,
    ]
    return insert_head() + " UNION ALL ".join(selects)


def write(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    """Insert the meeting rows of ``unit_ids`` (None: of every unit)."""
    if unit_ids is not None and not unit_ids:
        return  # only the opinions with no target were rolled up: no meeting is there
    with connection.cursor() as cursor:
        cursor.execute(statement(campaign_id, unit_ids))
        cursor.execute(insert_head() + " UNION ALL ".join(appraisal.selects(campaign_id, unit_ids)))


def recount(campaign_id: int) -> dict[FigureKey, int]:
    """Every meeting figure counted afresh with the ORM (not the SQL of ``write``)."""
    figures: Counter[FigureKey] = Counter()

    def add(unit_id: int, key: str, value: int | None) -> None:
        figures[(unit_scope(unit_id), unit_id, Dimension.MEETINGS, key)] += value or 0
        figures[(COUNTY_SCOPE, None, Dimension.MEETINGS, key)] += value or 0

    held = Q(state__in=RECORDING_STATES)
    meetings = (
        Meeting.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values("unit_id")
        .annotate(
            **{
                MEET_PLANNED: Count("pk", filter=Q(state=MeetingState.PLANNED)),
                MEET_READY: Count("pk", filter=Q(state=MeetingState.READY)),
                MEET_HELD: Count("pk", filter=held),
                MEET_FOLLOWED_UP: Count("pk", filter=Q(state=MeetingState.FOLLOWED_UP)),
                MEET_CANCELLED: Count("pk", filter=Q(state=MeetingState.CANCELLED)),
                MEET_OVERRIDDEN: Count("pk", filter=held & ~Q(override_reason="")),
            }
        )
    )
    for row in meetings:
        for key in MEETING_FIGURES:
            add(row["unit_id"], key, row[key])
    present = (
        Attendance.objects.filter(meeting__campaign_id=campaign_id, present=True)
        .order_by()
        .values("meeting__unit_id")
        .annotate(n=Count("pk"))
    )
    for row in present:
        add(row["meeting__unit_id"], MEET_ATTENDEES, row["n"])
    criticisms = (
        Criticism.objects.filter(meeting__campaign_id=campaign_id)
        .order_by()
        .values("meeting__unit_id")
        .annotate(n=Count("pk"), problems=Count("pk", filter=Q(problem__isnull=False)))
    )
    for row in criticisms:
        add(row["meeting__unit_id"], MEET_CRITICISMS, row["n"])
        add(row["meeting__unit_id"], MEET_PROBLEMS, row["problems"])
    held_back = (
        OpenCondition.objects.filter(meeting__campaign_id=campaign_id, meeting__state=MeetingState.PLANNED)
        .order_by()
        .values("meeting__unit_id", "condition")
        .annotate(n=Count("pk"))
    )
    for row in held_back:
        unit_id = row["meeting__unit_id"]
        for scope, filed in ((unit_scope(unit_id), unit_id), (COUNTY_SCOPE, None)):
            figures[(scope, filed, Dimension.READINESS, row["condition"])] += row["n"]
    figures.update(appraisal.recount(campaign_id))
    # The ledger stores no zero: a figure that is not there reads as zero.
    return {key: value for key, value in figures.items() if value}


def meetings_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Meetings planned, ready, held (and held on the office's override), the attendees
    present, the criticisms and the problems found, from the county's ledger rows."""
    return {
        "planned": figures.get(Dimension.MEETINGS, MEET_PLANNED),
        "ready": figures.get(Dimension.MEETINGS, MEET_READY),
        "held": figures.get(Dimension.MEETINGS, MEET_HELD),
        "held_with_override": figures.get(Dimension.MEETINGS, MEET_OVERRIDDEN),
        "attendees": figures.get(Dimension.MEETINGS, MEET_ATTENDEES),
        "criticisms": figures.get(Dimension.MEETINGS, MEET_CRITICISMS),
        "problems_found": figures.get(Dimension.MEETINGS, MEET_PROBLEMS),
    }


def appraisal_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Ballots counted, members rated and flagged, teams rated, from the county's rows."""
    return {key: figures.get(Dimension.APPRAISAL, key) for key in appraisal.APPRAISAL_KEYS}


SOURCE = LedgerSource(
    name="meetings",
    dimensions=Dimension,
    write=write,
    recount=recount,
    sections={"meetings": meetings_section, "appraisal": appraisal_section},
)
