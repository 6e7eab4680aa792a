"""The demo county's look-back: 287 of 287 branch secretaries trained by the 15 party
committees before the deadline, the coverage and the untrained list equal to a recount;
every unit checked, the figures beside its six items equal to a direct recount from the
source tables, "not met" proposed exactly where a threshold is crossed; the short units
with orders (most closed, one overdue); the ledger clean. One shared seed
(tests/demo/conftest.py)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.test import Client

from campaign.events import announce_change
from campaign.models import OrgUnit, OrgUnitKind, RoleAssignment, RoleKind
from lookback.models import (
    AWAITING_UNIT,
    TRAINED_STATUSES,
    Attendance,
    BranchSecretary,
    CheckState,
    LookbackCheck,
    OrderState,
    RemedialOrder,
    TrainingSession,
)
from lookback.selectors import branches_with_training, check_page, settings_of
from lookback.services import SOURCE
from reports.ledger import figures as ledger
from reports.ledger import reconcile
from reports.ledger.registry import recount_all
from reports.ledger.rollup import ledger_drain_outbox
from reports.ledger.summary import stage_summary
from reports.lookback.evidence import FIGURES
from reports.lookback.selectors import LookbackFigures
from tests.demo.helpers import fresh_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


@pytest.fixture
def campaign(seeded):
    return seeded.campaign


def _trained_branches(campaign) -> set[int]:
    """A plain recount: branches whose current secretary was present or made it up."""
    current = {s.pk: s.branch_id for s in BranchSecretary.objects.filter(campaign=campaign, until__isnull=True)}
    attended = Attendance.objects.filter(secretary_id__in=current, status__in=TRAINED_STATUSES)
    return {current[a.secretary_id] for a in attended}


def test_287_of_287_secretaries_were_trained_by_the_15_committees_before_the_deadline(campaign):
    branches = set(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).values_list("pk", flat=True))
    assert len(branches) == 287
    assert _trained_branches(campaign) == branches
    deadline = settings_of(campaign).training_deadline
    assert deadline is not None
    sessions = TrainingSession.objects.filter(campaign=campaign)
    assert sessions.values("committee").distinct().count() == 15
    for attended in Attendance.objects.filter(session__campaign=campaign).select_related("session"):
        assert attended.trained_on is not None and attended.trained_on <= deadline
    summary = stage_summary(campaign)
    assert summary["training"] == {"branch_secretaries": 287, "trained": 287, "committees_training": 15}


def test_coverage_by_committee_and_the_untrained_list_equal_a_recount(campaign):
    office = fresh_user("office")
    # Take one secretary's training away (rolled back with the test): the page's list
    # and the ledger both follow.
    branch = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).order_by("path").first()
    Attendance.objects.filter(secretary__branch=branch).delete()
    announce_change(campaign_id=campaign.pk, unit_ids=[branch.pk], source=SOURCE)
    ledger_drain_outbox(campaign_id=campaign.pk)
    trained = _trained_branches(campaign)
    untrained = list(branches_with_training(office, campaign, untrained_only=True))
    assert [b.pk for b in untrained] == [branch.pk]
    committees = ledger.by_committee(LookbackFigures, office, campaign)
    assert len(committees) == 15
    for committee, figures in committees:
        under = set(
            OrgUnit.objects.filter(
                campaign=campaign, kind=OrgUnitKind.BRANCH, path__startswith=committee.path
            ).values_list("pk", flat=True)
        )
        assert figures.branch_secretaries == len(under)
        assert figures.trained == len(under & trained)
    county = ledger.county(LookbackFigures, office, campaign)
    assert (county.branch_secretaries, county.trained) == (287, 286)


def _recounted(campaign) -> dict[int, dict[tuple[str, str], int]]:
    """Every unit's subtree's figures, from the sources' own ORM recounts."""
    paths = dict(OrgUnit.objects.filter(campaign=campaign).values_list("pk", "path"))
    units = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT)
    sums: dict[int, dict[tuple[str, str], int]] = {u.pk: defaultdict(int) for u in units}
    by_path = {u.path: u.pk for u in units}
    for (scope, unit_id, dimension, key), value in recount_all(campaign.pk).items():
        if not scope.startswith("unit:") or unit_id is None:
            continue
        path = paths[unit_id]
        for prefix, pk in by_path.items():
            if path.startswith(prefix):
                sums[pk][(dimension, key)] += value
    return sums


def _crossed(spec, value: int, of: int, settings) -> bool:
    """The threshold held against the figure, plainly."""
    if not spec.setting:
        return False
    threshold = Decimal(getattr(settings, spec.setting))
    if spec.rule == "max":
        return value > threshold
    if of == 0:
        return False
    share = Decimal(value) / Decimal(of)
    return {
        "min_pct": share * 100 < threshold,
        "min_per": share < threshold,
        "max_pct": share * 100 > threshold,
    }[spec.rule]


def test_every_units_figures_beside_the_six_items_equal_a_recount_and_the_proposals_the_thresholds(campaign):
    settings = settings_of(campaign)
    recounted = _recounted(campaign)
    units = list(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT).select_related("campaign"))
    assert len(units) == 91
    proposed_somewhere = 0
    for unit in units:
        page = check_page(unit)
        values = recounted[unit.pk]
        shown = {f.code: f for row in page.rows for f in row.figures}
        expected_short = dict.fromkeys(range(1, 7), False)
        for spec in FIGURES:
            value = sum(values.get(figure, 0) for figure in spec.value)
            of = sum(values.get(figure, 0) for figure in spec.of)
            assert shown[spec.code].value == value, (unit.name, spec.code)
            if spec.of:
                assert shown[spec.code].of == of, (unit.name, spec.code)
            if _crossed(spec, value, of, settings):
                expected_short[spec.item] = True
        assert {row.item.value: row.proposed_short for row in page.rows} == expected_short, unit.name
        proposed_somewhere += any(expected_short.values())
    assert proposed_somewhere > 0


def test_every_unit_is_checked_the_short_ones_have_orders_one_overdue(campaign):
    checks = LookbackCheck.objects.filter(campaign=campaign)
    assert checks.count() == 91
    assert not checks.exclude(state=CheckState.JUDGED).exists()
    orders = list(RemedialOrder.objects.filter(campaign=campaign))
    assert 3 <= len(orders) <= 12
    states = defaultdict(int)
    for order in orders:
        states[order.state] += 1
    assert states[OrderState.CLOSED] >= 1
    overdue = [o for o in orders if o.is_overdue]
    assert len(overdue) == 1 and overdue[0].state in AWAITING_UNIT
    summary = stage_summary(campaign)["lookback"]
    assert summary["units"] == 91 and summary["units_checked"] == 91
    assert summary["orders_overdue"] == 1
    assert summary["orders_closed"] == states[OrderState.CLOSED]
    assert summary["orders_open"] == len(orders) - states[OrderState.CLOSED]
    # A closed order re-ran the check for its items: the unit is no longer short there.
    assert summary["units_short"] == len(orders) - states[OrderState.CLOSED]


def test_the_ledger_is_clean_after_the_seed(campaign):
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def test_the_demo_secretary_sees_the_overdue_order(campaign):
    role = RoleAssignment.objects.get(campaign=campaign, kind=RoleKind.SECRETARY, user__username="secretary")
    client = Client()
    client.force_login(role.user)
    overdue = RemedialOrder.objects.get(campaign=campaign, overdue_since__isnull=False)
    assert overdue.unit_id == role.unit_id
    response = client.get(f"/lookback/orders/{overdue.pk}/")
    assert response.status_code == 200
    assert "Report the redo" in response.content.decode()
