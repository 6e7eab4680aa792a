"""The demo county's dashboard (issue 17): meeting readiness by condition equals each
planned meeting's gate evaluated afresh, the problems opened and solved per day equal a
count of the problems one at a time, every figure links to exactly the records it
counts, and the reconciliation finds no drift after the seed and names a deliberate one.
One shared seed (tests/demo/conftest.py)."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from campaign.models import ChangeOutbox
from meetings import gate as gates
from meetings.models import Condition, Meeting, MeetingState
from rectification.models import Problem, ProblemState
from reports.ledger import reconcile
from reports.models import COUNTY_SCOPE, LedgerRow
from tests.demo.helpers import fresh_user
from tests.reports.test_dashboard import charts_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


@pytest.fixture
def office(seeded):
    client = Client()
    client.force_login(fresh_user("office"))
    return client


def _panel(response, name: str):
    return next(panel for panel in response.context["dashboard"].panels if panel.name == name)


def test_readiness_by_condition_equals_each_planned_meetings_gate(seeded, office):
    campaign = seeded.campaign
    planned = list(
        Meeting.objects.filter(campaign=campaign, state=MeetingState.PLANNED).select_related("campaign", "team")
    )
    verdicts = gates.evaluate(campaign, planned, links=False)
    held_back: Counter[str] = Counter()
    for verdict in verdicts.values():
        held_back.update(condition for condition, rows in verdict.open_conditions().items() if rows)
    ready = Meeting.objects.filter(campaign=campaign, state=MeetingState.READY).count()
    assert planned and set(held_back) == set(Condition.values), "the demo holds meetings back by each condition"

    response = office.get(reverse("reports:dashboard"))
    chart = charts_of(response)["meetings_conditions"]
    values = chart["series"][0]["values"]
    assert values == [len(planned) + ready, ready, *(held_back[c] for c in Condition.values)]
    # Each figure links to the readiness page narrowed to exactly the meetings it counts.
    panel = _panel(response, "meetings_conditions")
    for row, value in zip(panel.rows, values, strict=True):
        if value:
            listed = office.get(row[1].href).context["page"].paginator.count
            assert listed == value, (row[0].text, row[1].href)


def test_the_problems_per_day_equal_a_count_one_problem_at_a_time(seeded, office):
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    problems = list(Problem.objects.filter(campaign=seeded.campaign))
    opened = Counter(p.recorded_at.astimezone(zone).date().isoformat() for p in problems)
    solved = Counter(p.solved_on.isoformat() for p in problems if p.state == ProblemState.SOLVED)
    assert len(opened) > 10, "the demo's problems were recorded over the stage"
    assert all(p.recorded_at.astimezone(zone).date() <= p.solved_on for p in problems if p.state == ProblemState.SOLVED)

    response = office.get(reverse("reports:dashboard"))
    chart = charts_of(response)["rectification_days"]
    days = chart["categories"]
    assert days == sorted(set(opened) | set(solved))
    assert chart["series"][0]["values"] == [opened.get(day, 0) for day in days]
    assert chart["series"][1]["values"] == [solved.get(day, 0) for day in days]
    overdue = sum(p.overdue for p in problems)
    assert overdue > 0
    with translation.override("en"):
        page = Client()
        page.force_login(fresh_user("office"))
        note = _panel(page.get(reverse("reports:dashboard")), "rectification_days").note
    assert f"{overdue} past their due date" in note
    # A busy day's figures link to exactly its problems.
    busiest = max(days, key=lambda day: opened.get(day, 0))
    row = _panel(response, "rectification_days").rows[days.index(busiest)]
    assert office.get(row[1].href).context["page"].paginator.count == opened[busiest]


def test_reconcile_finds_no_drift_after_the_seed_and_names_one_made_on_purpose(seeded):
    campaign = seeded.campaign
    assert not ChangeOutbox.objects.filter(campaign=campaign).exists()
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []
    for dimension in ("readiness", "problems_opened", "problems_solved"):
        assert LedgerRow.objects.filter(campaign=campaign, scope=COUNTY_SCOPE, dimension=dimension).exists()
    row = LedgerRow.objects.filter(campaign=campaign, scope=COUNTY_SCOPE, dimension="readiness").first()
    LedgerRow.objects.filter(pk=row.pk).update(value=row.value + 2)
    out = StringIO()
    with translation.override("en"), pytest.raises(SystemExit):
        call_command("reconcile_ledgers", "--campaign", campaign.slug, "--no-drain", stdout=out)
    assert f"county readiness={row.key}: stored {row.value + 2}, recounted {row.value}" in out.getvalue()
