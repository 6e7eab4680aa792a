"""Reads of the look-back that pages share, already scoped (``campaign.scoping``).

Lists load what their templates show up front (``select_related``, annotations): a
page costs the same few queries whatever the number of rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import AnyUser, get_object_for_user, scope_for
from lookback import evidence
from lookback.models import (
    AWAITING_UNIT,
    TRAINED_STATUSES,
    Attendance,
    BranchSecretary,
    CheckItem,
    Item,
    LookbackCheck,
    LookbackSettings,
    RemedialOrder,
    TrainingSession,
)
from rectification.models import Problem, ProblemSource


def settings_of(campaign: Campaign) -> LookbackSettings:
    """The campaign's settings (defaults, unsaved, while the office has set none)."""
    return LookbackSettings.objects.filter(campaign=campaign).first() or LookbackSettings(campaign=campaign)


# --- Training ---------------------------------------------------------------------


def sessions_for(user: AnyUser, campaign: Campaign | None) -> QuerySet[TrainingSession]:
    if campaign is None:
        return TrainingSession.objects.none()
    return (
        scope_for(user)
        .filter(TrainingSession.objects.filter(campaign=campaign))
        .select_related("committee")
        .order_by("-held_on", "committee__path", "pk")
    )


def branches_with_training(user: AnyUser, campaign: Campaign | None, *, untrained_only: bool = False) -> QuerySet:
    """The branches in reach, each with its current secretary's name and whether he or
    she is trained (present at a session, or made it up). Branch by branch, exact."""
    if campaign is None:
        return OrgUnit.objects.none()
    current = BranchSecretary.objects.filter(branch=OuterRef("pk"), until__isnull=True)
    trained = Attendance.objects.filter(
        secretary__branch=OuterRef("pk"), secretary__until__isnull=True, status__in=TRAINED_STATUSES
    )
    branches = (
        scope_for(user)
        .filter(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH))
        .select_related("parent")
        .annotate(
            secretary_id=Subquery(current.values("pk")[:1]),
            secretary_name=Subquery(current.values("member__name")[:1]),
            trained=Exists(trained),
        )
        .order_by("path")
    )
    if untrained_only:
        branches = branches.filter(trained=False)
    return branches


def session_for_user(user: AnyUser, pk: int) -> TrainingSession:
    return get_object_for_user(user, TrainingSession.objects.select_related("committee", "campaign"), pk=pk)


def attendance_of(session: TrainingSession) -> dict[int, Attendance]:
    return {a.secretary_id: a for a in Attendance.objects.filter(session=session)}


# --- Checks ---------------------------------------------------------------------------


def units_for(user: AnyUser, campaign: Campaign | None, *, state: str = "") -> QuerySet[OrgUnit]:
    """The units in reach, each with its check (if any) loaded."""
    if campaign is None:
        return OrgUnit.objects.none()
    short = CheckItem.objects.filter(check_record__unit=OuterRef("pk"), verdict_met=False)
    units = (
        scope_for(user)
        .filter(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT))
        .select_related("lookback_check", "parent")
        .annotate(short=Exists(short))
        .order_by("path")
    )
    if state == "unchecked":
        units = units.filter(lookback_check__isnull=True)
    elif state:
        units = units.filter(lookback_check__state=state)
    return units


def unit_for_user(user: AnyUser, pk: int) -> OrgUnit:
    return get_object_for_user(
        user, OrgUnit.objects.filter(kind=OrgUnitKind.UNIT).select_related("campaign", "parent"), pk=pk
    )


@dataclass
class ItemRow:
    item: Item
    record: CheckItem | None
    figures: list[evidence.Evidence]
    proposed_short: bool
    short_codes: frozenset[str] = frozenset()


@dataclass
class CheckPage:
    unit: OrgUnit
    check: LookbackCheck | None
    rows: list[ItemRow]
    orders: list[RemedialOrder]
    evidence_files: list
    settings: LookbackSettings


@dataclass(frozen=True)
class ToRectify:
    """An item the verdict found not met, and the rectification problem made of it (None:
    not yet)."""

    row: ItemRow
    problem: Problem | None


def items_to_rectify(page: CheckPage) -> list[ToRectify]:
    """The items of a check the verdict found not met, each with its problem: one query."""
    short = [row for row in page.rows if row.record is not None and row.record.verdict_met is False]
    if not short:
        return []
    problems = {
        problem.source_id: problem
        for problem in Problem.objects.filter(
            source=ProblemSource.LOOKBACK_ITEM, source_id__in=[row.record.pk for row in short if row.record]
        )
    }
    return [ToRectify(row, problems.get(row.record.pk) if row.record else None) for row in short]


def check_page(unit: OrgUnit) -> CheckPage:
    """A unit's check: each item with its self-check and verdict, the figures beside it
    (from the ledger), the proposal; its orders and evidence. A few queries."""
    check = LookbackCheck.objects.filter(unit=unit).first()
    records = {item.item: item for item in check.items.all()} if check else {}
    settings = settings_of(unit.campaign)
    figures = evidence.by_item(evidence.evidence_for(unit.campaign, [unit]).get(unit.pk, []))
    proposed = evidence.proposals([f for fs in figures.values() for f in fs], settings)
    rows = [
        ItemRow(
            item=Item(number),
            record=records.get(number),
            figures=figures[number],
            proposed_short=proposed[number],
            short_codes=frozenset(f.code for f in figures[number] if f.short(settings)),
        )
        for number in Item.values
    ]
    orders = list(RemedialOrder.objects.filter(unit=unit).order_by("-issued_on", "-pk")) if check else []
    files = list(check.evidence.defer("content").order_by("item", "pk")) if check else []
    return CheckPage(unit=unit, check=check, rows=rows, orders=orders, evidence_files=files, settings=settings)


def proposals_by_unit(campaign: Campaign, units: list[OrgUnit]) -> dict[int, list[int]]:
    """Unit → the items its figures propose "not met" (one query for the page's units)."""
    settings = settings_of(campaign)
    found = evidence.evidence_for(campaign, units)
    return {
        unit_id: [item for item, short in evidence.proposals(figures, settings).items() if short]
        for unit_id, figures in found.items()
    }


# --- Orders ---------------------------------------------------------------------------


def orders_for(
    user: AnyUser, campaign: Campaign | None, *, state: str = "", overdue: bool = False
) -> QuerySet[RemedialOrder]:
    if campaign is None:
        return RemedialOrder.objects.none()
    orders = (
        scope_for(user)
        .filter(RemedialOrder.objects.filter(campaign=campaign))
        .select_related("unit", "unit__parent")
        .order_by("deadline", "pk")
    )
    if state:
        orders = orders.filter(state=state)
    if overdue:
        orders = orders.filter(state__in=AWAITING_UNIT, deadline__lt=timezone.localdate())
    return orders


def order_for_user(user: AnyUser, pk: int) -> RemedialOrder:
    return get_object_for_user(
        user, RemedialOrder.objects.select_related("unit", "campaign", "check_record", "issued_by"), pk=pk
    )


def orders_overdue(user: AnyUser, campaign: Campaign | None, *, on: datetime.date | None = None) -> QuerySet:
    """The orders past their deadline with no redo reported, in the user's reach: what
    the office's home page shows (``lookback/includes/orders_overdue.html``)."""
    if campaign is None:
        return RemedialOrder.objects.none()
    day = on or timezone.localdate()
    return (
        scope_for(user)
        .filter(RemedialOrder.objects.filter(campaign=campaign, state__in=AWAITING_UNIT, deadline__lt=day))
        .select_related("unit")
        .order_by("deadline", "pk")
    )


def committee_rows(user: AnyUser, committee: OrgUnit) -> list[tuple[OrgUnit, dict[int, CheckItem], list[int], Any]]:
    """The look-back table of a committee: each unit in reach under it, its items, the
    items its figures propose not met, its latest order. Four queries."""
    units = list(
        scope_for(user)
        .filter(OrgUnit.objects.filter(campaign_id=committee.campaign_id, kind=OrgUnitKind.UNIT))
        .filter(path__startswith=committee.path)
        .select_related("lookback_check")
        .order_by("path")
    )
    items: dict[int, dict[int, CheckItem]] = {}
    for item in CheckItem.objects.filter(check_record__unit__in=units).select_related("check_record"):
        items.setdefault(item.check_record.unit_id, {})[item.item] = item
    latest: dict[int, RemedialOrder] = {}
    for order in RemedialOrder.objects.filter(unit__in=units).order_by("issued_on", "pk"):
        latest[order.unit_id] = order
    proposed = proposals_by_unit(committee.campaign, units)
    return [(unit, items.get(unit.pk, {}), proposed.get(unit.pk, []), latest.get(unit.pk)) for unit in units]
