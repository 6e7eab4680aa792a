"""The ledger source "lookback": the training of branch secretaries, the look-back
checks of units and the remedial orders (DESIGN §3 "Look-back and rectification").

``write`` inserts unit rows with ``INSERT … SELECT`` statements joined with UNION ALL
(alike on SQLite and PostgreSQL); ``recount`` counts the same figures with the ORM.

Filing (``reports.ledger.registry``): the training figures of a branch under the
branch (``branch_secretaries``: 1 per branch; ``trained``: its current secretary
trained; ``trained_on_time``: and on or before the campaign's deadline), a committee's
``sessions`` and ``committees_training`` (1 when it held any) under the committee; the
checks' and orders' figures under the unit checked. What ``lookback.services``
announces with ``source="lookback"`` are exactly those organisations. No zero is
written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from lookback.models import (
    AWAITING_UNIT,
    TRAINED_STATUSES,
    Attendance,
    AttendanceStatus,
    BranchSecretary,
    CheckItem,
    CheckState,
    Item,
    LookbackCheck,
    LookbackSettings,
    OrderState,
    RemedialOrder,
    TrainingSession,
)
from reports.ledger.figures import Figures
from reports.ledger.registry import FigureKey, LedgerSource
from reports.ledger.sql import NULL_ID, ids, insert_head, lit, scope_sql, table
from reports.models import COUNTY_SCOPE, LedgerLevel, unit_scope


class Dimension(models.TextChoices):
    TRAINING = "training", _("Training of branch secretaries")
    LOOKBACK = "lookback", _("Look-back checks")
    ORDERS = "orders", _("Remedial orders")


# Training: under the branch, or the organising committee.
BRANCH_SECRETARIES = "branch_secretaries"
TRAINED = "trained"
TRAINED_ON_TIME = "trained_on_time"
SESSIONS = "sessions"
COMMITTEES_TRAINING = "committees_training"
TRAINING_KEYS = (BRANCH_SECRETARIES, TRAINED, TRAINED_ON_TIME, SESSIONS, COMMITTEES_TRAINING)

# Checks: under the unit.
UNITS = "units"
UNITS_SELF_CHECKED = "units_self_checked"
UNITS_CHECKED = "units_checked"  # the verdict given
UNITS_SHORT = "units_short"  # the verdict found at least one item not met (still)
SHORT_KEYS: dict[int, str] = {
    Item.AWARENESS: "short_awareness",
    Item.STANDARDS: "short_standards",
    Item.PRINCIPLES: "short_principles",
    Item.PROGRESS: "short_progress",
    Item.LEADERSHIP: "short_leadership",
    Item.SATISFACTION: "short_satisfaction",
}
LOOKBACK_KEYS = (UNITS, UNITS_SELF_CHECKED, UNITS_CHECKED, UNITS_SHORT, *SHORT_KEYS.values())

# Orders: under the unit.
ORDERS_ISSUED = "issued"
ORDERS_OPEN = "open"  # not closed
ORDERS_REPORTED = "reported"
ORDERS_RETURNED = "returned"
ORDERS_CLOSED = "closed"
ORDERS_OVERDUE = "overdue"  # flagged by the daily task, no redo reported since
ORDER_KEYS = (ORDERS_ISSUED, ORDERS_OPEN, ORDERS_REPORTED, ORDERS_RETURNED, ORDERS_CLOSED, ORDERS_OVERDUE)


def _in(values: Sequence[str]) -> str:
    return ", ".join(lit(value) for value in sorted(values))


def _row(campaign: int, unit: str, dimension: str, key: str, value: str) -> str:
    return (
        f"SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', unit)}, {unit}, {NULL_ID}, {NULL_ID}, "
        f"{lit(dimension)}, {lit(key)}, {value}"
    )


def statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    campaign = int(campaign_id)
    units, secretaries, attendance = table(OrgUnit), table(BranchSecretary), table(Attendance)
    sessions, settings, checks = table(TrainingSession), table(LookbackSettings), table(LookbackCheck)
    items, orders = table(CheckItem), table(RemedialOrder)

    def only(column: str) -> str:
        return f" AND {column} IN ({ids(unit_ids)})" if unit_ids is not None else ""

    branch = f"FROM {units} b WHERE b.campaign_id = {campaign} AND b.kind = {lit(OrgUnitKind.BRANCH)}{only('b.id')}"
    trained_by = (
        f"EXISTS (SELECT 1 FROM {secretaries} s JOIN {attendance} a ON a.secretary_id = s.id "
        f"JOIN {sessions} t ON t.id = a.session_id "
        f"LEFT JOIN {settings} st ON st.campaign_id = {campaign} "
        f"WHERE s.branch_id = b.id AND s.until IS NULL AND a.status IN ({_in(TRAINED_STATUSES)})"
    )
    on_time = (
        " AND (st.training_deadline IS NULL OR "
        f"(a.status = {lit(AttendanceStatus.PRESENT)} AND t.held_on <= st.training_deadline) OR "
        f"(a.status = {lit(AttendanceStatus.MADE_UP)} AND a.made_up_on <= st.training_deadline))"
    )
    committee = f"t.campaign_id = {campaign}{only('t.committee_id')}"
    unit = f"u.campaign_id = {campaign} AND u.kind = {lit(OrgUnitKind.UNIT)}{only('u.id')}"
    judged = f"c.state = {lit(CheckState.JUDGED)}"
    check_of = f"c.campaign_id = {campaign}{only('c.unit_id')}"
    order_of = f"o.campaign_id = {campaign}{only('o.unit_id')}"
    selects = [
        f"{_row(campaign, 'b.id', Dimension.TRAINING, BRANCH_SECRETARIES, '1')} {branch}",
        f"{_row(campaign, 'b.id', Dimension.TRAINING, TRAINED, '1')} {branch} AND {trained_by})",
        f"{_row(campaign, 'b.id', Dimension.TRAINING, TRAINED_ON_TIME, '1')} {branch} AND {trained_by}{on_time})",
        f"{_row(campaign, 't.committee_id', Dimension.TRAINING, SESSIONS, 'COUNT(*)')} FROM {sessions} t "
        f"WHERE {committee} GROUP BY t.committee_id",
        f"{_row(campaign, 't.committee_id', Dimension.TRAINING, COMMITTEES_TRAINING, '1')} FROM {sessions} t "
        f"WHERE {committee} GROUP BY t.committee_id",
        f"{_row(campaign, 'u.id', Dimension.LOOKBACK, UNITS, '1')} FROM {units} u WHERE {unit}",
        f"{_row(campaign, 'c.unit_id', Dimension.LOOKBACK, UNITS_SELF_CHECKED, '1')} FROM {checks} c WHERE {check_of}",
        f"{_row(campaign, 'c.unit_id', Dimension.LOOKBACK, UNITS_CHECKED, '1')} FROM {checks} c "
        f"WHERE {check_of} AND {judged}",
        f"{_row(campaign, 'c.unit_id', Dimension.LOOKBACK, UNITS_SHORT, '1')} FROM {checks} c "
        f"WHERE {check_of} AND {judged} AND EXISTS (SELECT 1 FROM {items} i "
        f"WHERE i.check_record_id = c.id AND i.verdict_met = {_false()})",
    ]
    for number, key in SHORT_KEYS.items():
        selects.append(
            f"{_row(campaign, 'c.unit_id', Dimension.LOOKBACK, key, '1')} FROM {checks} c "
            f"JOIN {items} i ON i.check_record_id = c.id "
            f"WHERE {check_of} AND {judged} AND i.item = {int(number)} AND i.verdict_met = {_false()}"
        )
    order_figures = {
        ORDERS_ISSUED: "1 = 1",
        ORDERS_OPEN: f"o.state <> {lit(OrderState.CLOSED)}",
        ORDERS_REPORTED: f"o.state = {lit(OrderState.REPORTED)}",
        ORDERS_RETURNED: f"o.state = {lit(OrderState.RETURNED)}",
        ORDERS_CLOSED: f"o.state = {lit(OrderState.CLOSED)}",
        ORDERS_OVERDUE: f"o.state IN ({_in(AWAITING_UNIT)}) AND o.overdue_since IS NOT NULL",
    }
    for key, condition in order_figures.items():
        selects.append(
            f"{_row(campaign, 'o.unit_id', Dimension.ORDERS, key, 'COUNT(*)')} FROM {orders} o "
            f"WHERE {order_of} AND {condition} GROUP BY o.unit_id"
        )
    return insert_head() + " UNION ALL ".join(selects)


def _false() -> str:
    return "FALSE" if connection.vendor == "postgresql" else "0"


def write(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    """Insert the look-back rows of ``unit_ids`` (None: of every organisation)."""
    if unit_ids is not None and not unit_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(statement(campaign_id, unit_ids))


def recount(campaign_id: int) -> dict[FigureKey, int]:
    """Every look-back figure counted afresh with the ORM (not the SQL of ``write``)."""
    figures: Counter[FigureKey] = Counter()

    def add(unit_id: int, dimension: str, key: str, value: int = 1) -> None:
        figures[(unit_scope(unit_id), unit_id, dimension, key)] += value
        figures[(COUNTY_SCOPE, None, dimension, key)] += value

    deadline = LookbackSettings.objects.filter(campaign_id=campaign_id).values_list("training_deadline", flat=True)
    deadline_day = next(iter(deadline), None)
    current = {s.branch_id: s for s in BranchSecretary.objects.filter(campaign_id=campaign_id, until__isnull=True)}
    trained: dict[int, list[Any]] = {}
    for attended in Attendance.objects.filter(
        secretary__in=current.values(), status__in=TRAINED_STATUSES
    ).select_related("session"):
        day = attended.session.held_on if attended.status == AttendanceStatus.PRESENT else attended.made_up_on
        trained.setdefault(attended.secretary_id, []).append(day)
    for branch_id in OrgUnit.objects.filter(campaign_id=campaign_id, kind=OrgUnitKind.BRANCH).values_list(
        "pk", flat=True
    ):
        add(branch_id, Dimension.TRAINING, BRANCH_SECRETARIES)
        secretary = current.get(branch_id)
        days = trained.get(secretary.pk, []) if secretary else []
        if days:
            add(branch_id, Dimension.TRAINING, TRAINED)
            if deadline_day is None or min(days) <= deadline_day:
                add(branch_id, Dimension.TRAINING, TRAINED_ON_TIME)
    sessions = Counter(TrainingSession.objects.filter(campaign_id=campaign_id).values_list("committee_id", flat=True))
    for committee_id, count in sessions.items():
        add(committee_id, Dimension.TRAINING, SESSIONS, count)
        add(committee_id, Dimension.TRAINING, COMMITTEES_TRAINING)
    for unit_id in OrgUnit.objects.filter(campaign_id=campaign_id, kind=OrgUnitKind.UNIT).values_list("pk", flat=True):
        add(unit_id, Dimension.LOOKBACK, UNITS)
    short_items = CheckItem.objects.filter(check_record=OuterRef("pk"), verdict_met=False)
    checks = LookbackCheck.objects.filter(campaign_id=campaign_id).annotate(short=Exists(short_items))
    for check in checks:
        add(check.unit_id, Dimension.LOOKBACK, UNITS_SELF_CHECKED)
        if check.state == CheckState.JUDGED:
            add(check.unit_id, Dimension.LOOKBACK, UNITS_CHECKED)
            if check.short:
                add(check.unit_id, Dimension.LOOKBACK, UNITS_SHORT)
    for item in CheckItem.objects.filter(
        check_record__campaign_id=campaign_id, check_record__state=CheckState.JUDGED, verdict_met=False
    ).select_related("check_record"):
        add(item.check_record.unit_id, Dimension.LOOKBACK, SHORT_KEYS[item.item])
    for order in RemedialOrder.objects.filter(campaign_id=campaign_id):
        add(order.unit_id, Dimension.ORDERS, ORDERS_ISSUED)
        if order.state != OrderState.CLOSED:
            add(order.unit_id, Dimension.ORDERS, ORDERS_OPEN)
        state_key = {
            OrderState.REPORTED: ORDERS_REPORTED,
            OrderState.RETURNED: ORDERS_RETURNED,
            OrderState.CLOSED: ORDERS_CLOSED,
        }.get(OrderState(order.state))
        if state_key:
            add(order.unit_id, Dimension.ORDERS, state_key)
        if order.state in AWAITING_UNIT and order.overdue_since is not None:
            add(order.unit_id, Dimension.ORDERS, ORDERS_OVERDUE)
    return {key: value for key, value in figures.items() if value}


def training_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Branch secretaries, those trained, the committees that trained them (county rows)."""
    return {
        "branch_secretaries": figures.get(Dimension.TRAINING, BRANCH_SECRETARIES),
        "trained": figures.get(Dimension.TRAINING, TRAINED),
        "committees_training": figures.get(Dimension.TRAINING, COMMITTEES_TRAINING),
    }


def lookback_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Units, units checked and short, orders open, overdue and closed (county rows)."""
    return {
        "units": figures.get(Dimension.LOOKBACK, UNITS),
        "units_checked": figures.get(Dimension.LOOKBACK, UNITS_CHECKED),
        "units_short": figures.get(Dimension.LOOKBACK, UNITS_SHORT),
        "orders_open": figures.get(Dimension.ORDERS, ORDERS_OPEN),
        "orders_overdue": figures.get(Dimension.ORDERS, ORDERS_OVERDUE),
        "orders_closed": figures.get(Dimension.ORDERS, ORDERS_CLOSED),
    }


SOURCE = LedgerSource(
    name="lookback",
    dimensions=Dimension,
    write=write,
    recount=recount,
    sections={"training": training_section, "lookback": lookback_section},
)
