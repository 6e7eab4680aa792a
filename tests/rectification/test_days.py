"""Problems opened and solved per day (issue 17): the rectification source's dated figures
(``problems_opened``, the day a problem was recorded in the installation's time zone;
``problems_solved``, its ``solved_on``) equal a count made one problem at a time, the
SQL and the ORM agree on the day of a problem recorded late in the evening, the
dashboard's chart and table carry them with links to exactly the problems they count,
and a deliberate drift is named by the reconciliation."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from rectification import services
from rectification.models import Problem, ProblemState
from reports.ledger import reconcile, rollup
from reports.models import COUNTY_SCOPE, LedgerRow, unit_scope
from reports.rectification.source import Dimension
from tests.rectification.factories import details, pdf
from tests.reports.test_dashboard import charts_of

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
DAYS = (Dimension.OPENED, Dimension.SOLVED_DAY)


def naive_days(campaign) -> dict[tuple, int]:
    """The dated figures counted one problem at a time, in Python."""
    figures: Counter[tuple] = Counter()
    for problem in Problem.objects.filter(campaign=campaign):
        dated = [(Dimension.OPENED, problem.recorded_at.astimezone(ZONE).date())]
        if problem.state == ProblemState.SOLVED:
            dated.append((Dimension.SOLVED_DAY, problem.solved_on))
        for dimension, day in dated:
            figures[(unit_scope(problem.unit_id), dimension, day.isoformat())] += 1
            figures[(COUNTY_SCOPE, dimension, day.isoformat())] += 1
    return dict(figures)


def stored_days(campaign) -> dict[tuple, int]:
    rows = LedgerRow.objects.filter(campaign=campaign, dimension__in=DAYS)
    return {(row.scope, row.dimension, row.key): row.value for row in rows}


def _recorded(problem: Problem, when: datetime.datetime) -> None:
    Problem.objects.filter(pk=problem.pk).update(recorded_at=when)


@pytest.fixture
def problems(world, django_capture_on_commit_callbacks):
    """Three problems of the inside unit, one of the other; two solved."""
    office = world.users["office"]
    with django_capture_on_commit_callbacks(execute=True):
        made = [
            services.problem_create(user=office, campaign=world.campaign, unit=unit, details=details())
            for unit in (world.unit, world.unit, world.unit, world.other_unit)
        ]
        for problem in made[:2]:
            services.problem_start(user=office, problem=problem)
            services.problem_solve(user=office, problem=problem, public_measure="已整改", uploads=[pdf()])
    return made


def test_the_dated_figures_equal_a_count_one_problem_at_a_time(world, problems):
    day = world.campaign.starts_on + datetime.timedelta(days=60)
    # Recorded on two days: the last one at 23:30 UTC, which is the next day in Beijing.
    _recorded(problems[0], datetime.datetime.combine(day, datetime.time(10), tzinfo=ZONE))
    _recorded(problems[1], datetime.datetime.combine(day, datetime.time(10), tzinfo=ZONE))
    _recorded(problems[2], datetime.datetime.combine(day, datetime.time(23, 30), tzinfo=datetime.UTC))
    rollup.ledger_rollup_full(campaign_id=world.campaign.pk)
    stored = stored_days(world.campaign)
    assert stored == naive_days(world.campaign)
    next_day = (day + datetime.timedelta(days=1)).isoformat()
    assert stored[(unit_scope(world.unit.pk), Dimension.OPENED, next_day)] == 1
    assert stored[(unit_scope(world.unit.pk), Dimension.OPENED, day.isoformat())] == 2
    solved = problems[0].__class__.objects.get(pk=problems[0].pk).solved_on.isoformat()
    assert stored[(COUNTY_SCOPE, Dimension.SOLVED_DAY, solved)] == 2
    assert reconcile.ledger_compare(campaign_id=world.campaign.pk) == []


def test_a_handover_accepted_moves_the_days_with_the_problem(world, problems, django_capture_on_commit_callbacks):
    from tests.rectification.factories import secretary_of

    receiver = secretary_of(world, world.other_unit)
    with django_capture_on_commit_callbacks(execute=True):
        services.problem_hand_over(
            user=world.users["office"], problem=problems[2], to_unit=world.other_unit, reason="移交"
        )
        services.problem_accept(user=receiver, problem=Problem.objects.get(pk=problems[2].pk))
    rollup.ledger_drain_outbox()
    assert stored_days(world.campaign) == naive_days(world.campaign)
    assert reconcile.ledger_compare(campaign_id=world.campaign.pk) == []


def test_the_panel_shows_both_lines_and_links_each_figure_to_its_problems(world, problems, client):
    client.force_login(world.users["office"])
    response = client.get(reverse("reports:dashboard"))
    chart = charts_of(response)["rectification_days"]
    assert chart["kind"] == "line" and [s["name"] for s in chart["series"]] == ["Opened", "Solved"]
    today = problems[0].recorded_at.astimezone(ZONE).date().isoformat()
    at = chart["categories"].index(today)
    assert sum(chart["series"][0]["values"]) == 4 and sum(chart["series"][1]["values"]) == 2
    panel = next(p for p in response.context["dashboard"].panels if p.name == "rectification_days")
    row = panel.rows[at]
    assert row[0].text == today
    # Each figure's link lists exactly the problems it counts.
    for cell, expected in ((row[1], chart["series"][0]["values"][at]), (row[2], chart["series"][1]["values"][at])):
        assert cell.href
        listed = client.get(cell.href).context["page"].paginator.count
        assert listed == expected, (cell.href, listed, expected)
    assert "0 past their due date" in panel.note
    # The problems panel links its overdue figure to the overdue problems only.
    states = next(p for p in response.context["dashboard"].panels if p.name == "rectification_problems")
    overdue = next(r for r in states.rows if r[0].text == "Overdue")
    assert overdue[1].href.endswith("overdue=on")


def test_a_secretary_sees_the_days_of_his_units_only(world, problems, client):
    client.force_login(world.users["secretary"])
    chart = charts_of(client.get(reverse("reports:dashboard")))["rectification_days"]
    assert sum(chart["series"][0]["values"]) == 3  # the other unit's problem is out of reach


def test_reconcile_names_a_deliberate_drift_in_the_days(world, problems):
    day = problems[0].recorded_at.astimezone(ZONE).date().isoformat()
    LedgerRow.objects.filter(
        campaign=world.campaign, scope=unit_scope(world.unit.pk), dimension=Dimension.OPENED, key=day
    ).update(value=9)
    out = StringIO()
    with translation.override("en"), pytest.raises(SystemExit) as exit_:
        call_command("reconcile_ledgers", "--campaign", world.campaign.slug, stdout=out)
    assert exit_.value.code == 1
    assert f"unit:{world.unit.pk} problems_opened={day}: stored 9, recounted 3" in out.getvalue()
