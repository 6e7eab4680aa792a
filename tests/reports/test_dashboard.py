"""Issue 17: the dashboards (reports/dashboard/): what each role sees, the groups below k
that never reach a chart, the heat map's states and links, and a query count that does
not grow with the county (a small county and one ten times the demo's, by their ledger
rows: the dashboards read nothing else)."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import Campaign, OrgUnit, OrgUnitKind, RoleKind, Stage, Step, StepKind, SupervisoryTeam
from opinions.models import Channel, OpinionKind
from opinions.services import Target
from reports.dashboard import registry
from reports.dashboard.privacy import withhold_small
from reports.ledger.rollup import ledger_drain_outbox, ledger_rollup_full
from reports.models import LedgerLevel, LedgerRow
from tests import factories as f
from tests.reports.helpers import add_opinion

pytestmark = pytest.mark.django_db

# The queries of a dashboard page, whatever the county's size (the demo's, ten times it).
MAX_QUERIES = 16
OPINION_CHARTS = ("opinions_category", "opinions_kind", "opinions_channel", "opinions_aspect", "opinions_day")


def charts_of(response) -> dict[str, dict]:
    found = re.search(
        r'<script id="dashboard-charts" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert found, "the page embeds its charts' data"
    return {chart["name"]: chart for chart in json.loads(found.group(1))}


# --- k ----------------------------------------------------------------------------------------


def test_a_group_below_k_is_withheld_with_the_next_smallest():
    # The next smallest may be an empty group: which of the two holds the few is not told.
    assert withhold_small({"a": 10, "b": 2, "c": 5, "d": 0}, 3) == {"a": 10, "b": None, "c": 5, "d": None}
    assert withhold_small({"a": 10, "b": 2, "c": 5}, 3) == {"a": 10, "b": None, "c": None}


def test_two_small_groups_hide_each_other_and_k_of_one_withholds_nothing():
    assert withhold_small({"a": 1, "b": 2, "c": 9}, 3) == {"a": None, "b": None, "c": 9}
    assert withhold_small({"a": 1, "b": 0}, 1) == {"a": 1, "b": 0}


def test_a_lone_small_group_is_hidden_with_an_empty_one():
    shown = withhold_small({"a": 2, "b": 0, "c": 0}, 3)
    assert shown["a"] is None and list(shown.values()).count(None) == 2


@pytest.fixture
def opinions_world(world):
    """The inside unit: 4 forum suggestions on one day, 1 hotline opinion on another (k=3)."""
    campaign = world.campaign
    day = campaign.starts_on + datetime.timedelta(days=42)
    for _ in range(4):
        add_opinion(campaign, Target(member=world.member), received_on=day)
    add_opinion(
        campaign,
        Target(member=world.member),
        channel=Channel.HOTLINE,
        kind=OpinionKind.OPINION,
        received_on=day + datetime.timedelta(days=1),
    )
    ledger_drain_outbox()
    return world


@pytest.mark.parametrize("role", ["office", "secretary", "supervisor"])
def test_no_chart_carries_a_group_of_opinions_below_k(opinions_world, client, role):
    client.force_login(opinions_world.users[role])
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    charts = charts_of(response)
    k = opinions_world.campaign.feedback_threshold
    for name in OPINION_CHARTS:
        for series in charts[name]["series"]:
            assert all(value is None or value == 0 or value >= k for value in series["values"]), (name, series)
    # The hotline's one opinion is withheld, and with it the next smallest channel.
    chart = charts["opinions_channel"]
    channels = dict(zip(chart["categories"], chart["series"][0]["values"], strict=True))
    assert channels[str(Channel.HOTLINE.label)] is None
    assert list(channels.values()).count(None) == 2
    days = charts["opinions_day"]["series"][0]["values"]
    assert days == [None, None], "four on one day and one on the next: the one would tell, so both go"
    assert "fewer than 3" in response.content.decode()


def test_the_office_sees_the_county_and_its_heat_map(opinions_world, client):
    client.force_login(opinions_world.users["office"])
    response = client.get(reverse("reports:dashboard"))
    page = response.content.decode()
    assert "城关镇政府INSIDE" in page and "第一中学OUTSIDE" in page
    heat = {row.unit.name: row for row in response.context["dashboard"].heat}
    cells = {cell.step: cell for cell in heat["城关镇政府INSIDE"].cells}
    assert cells[StepKind.TALKS].href == reverse("reports:talks_unit", args=[opinions_world.unit.pk])
    assert cells[StepKind.SOLICIT].state in registry.State.ORDER
    # Steps no stage gives figures for are named, not shown as empty columns; the look-back
    # has its column (a unit done when its check's verdict finds nothing short).
    assert {step.kind for step in response.context["dashboard"].untracked} == {StepKind.APPRAISAL_FEEDBACK}
    assert cells[StepKind.LOOKBACK].href == reverse("lookback:check_detail", args=[opinions_world.unit.pk])
    charts = charts_of(response)
    assert charts["opinions_category"]["series"][0]["values"][-1] == 5  # other members: 5 ≥ k


def test_a_secretary_sees_only_his_subtree(opinions_world, client):
    client.force_login(opinions_world.users["secretary"])
    page = client.get(reverse("reports:dashboard")).content.decode()
    assert "城关镇政府INSIDE" in page and "OUTSIDE" not in page
    assert client.get(reverse("reports:dashboard_unit", args=[opinions_world.other_unit.pk])).status_code == 404
    assert client.get(reverse("reports:dashboard_unit", args=[opinions_world.unit.pk])).status_code == 200


def test_a_supervisor_sees_his_teams_units(opinions_world, client):
    team = SupervisoryTeam.objects.get(campaign=opinions_world.campaign, name="县第一督导组")
    other = SupervisoryTeam.objects.get(campaign=opinions_world.campaign, name="县第二督导组OUTSIDE")
    client.force_login(opinions_world.users["supervisor"])
    response = client.get(reverse("reports:dashboard_team", args=[team.pk]))
    assert response.status_code == 200
    assert [row.unit for row in response.context["dashboard"].heat] == [opinions_world.unit]
    assert charts_of(response)["opinions_category"]["series"][0]["values"][-1] == 5
    assert client.get(reverse("reports:dashboard_team", args=[other.pk])).status_code == 404


def test_a_member_and_a_stranger_see_no_dashboard(opinions_world, client):
    client.force_login(opinions_world.users["member"])
    assert client.get(reverse("reports:dashboard")).status_code == 403


def test_a_step_over_and_not_done_is_behind():
    step = Step(kind=StepKind.TALKS, starts_on=datetime.date(2030, 1, 1), ends_on=datetime.date(2030, 1, 10))
    progress = registry.Progress(done=1, of=3, started=True)
    assert registry.state_of(progress, step, datetime.date(2030, 1, 11)) == registry.State.BEHIND
    assert registry.state_of(progress, step, datetime.date(2030, 1, 5)) == registry.State.IN_PROGRESS
    nothing = registry.Progress(0, 3, False)
    assert registry.state_of(nothing, step, datetime.date(2030, 1, 2)) == registry.State.NOT_STARTED
    assert registry.state_of(nothing, step, datetime.date(2030, 1, 7)) == registry.State.BEHIND
    assert registry.state_of(registry.Progress(3, 3, True), step, datetime.date(2030, 2, 1)) == registry.State.DONE


# --- A fixed number of queries: a small county and one ten times the demo's -----------------


def _county(units: int, committees: int, slug: str) -> tuple[Campaign, object, OrgUnit]:
    """A county of ``units`` units under ``committees`` party committees, with the ledger
    rows a rolled-up county of that size holds for every dimension the dashboard reads
    (written in bulk: the dashboard reads ledger rows, nothing else)."""
    campaign = f.CampaignFactory(slug=slug, name=f"县{slug}")
    f.add_stages(campaign)
    county = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE, code="C", name="县委")
    tops = [
        f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE, parent=county, name=f"党委{i}")
        for i in range(committees)
    ]
    made = OrgUnit.objects.bulk_create(
        OrgUnit(
            campaign=campaign,
            kind=OrgUnitKind.UNIT,
            parent=tops[i % committees],
            name=f"单位{i}",
            code=f"U{i}",
            path=f"{tops[i % committees].path}{i:05d}/",
        )
        for i in range(units)
    )
    keys = [
        ("total", "all"),
        ("category", "other_members"),
        ("channel", Channel.FORUM),
        ("kind", OpinionKind.SUGGESTION),
        ("aspect", ""),
        ("feedback", "lists_total"),
        ("feedback", "lists_signed"),
        ("talks", "members_total"),
        ("talks", "members_meeting_quota"),
        ("talks", "cards"),
        ("documents", "members"),
        ("documents", "approved"),
        ("meetings", "held"),
        ("meetings", "planned"),
        ("meetings", "ready"),
        ("readiness", "opinions"),
        ("readiness", "talks"),
        ("readiness", "document"),
        ("appraisal", "ballots"),
        ("rectification", "problems"),
        ("rectification", "overdue"),
    ]
    days = [(campaign.starts_on + datetime.timedelta(days=d)).isoformat() for d in range(20)]
    dated = [(dimension, day) for dimension in ("day", "problems_opened", "problems_solved") for day in days]
    rows = [
        LedgerRow(
            campaign=campaign, level=LedgerLevel.UNIT, unit=unit, scope=f"unit:{unit.pk}", dimension=d, key=k, value=7
        )
        for unit in made
        for d, k in [*keys, *dated]
    ]
    # And the county rows a roll-up sums from them (what the office's county page reads).
    rows += [
        LedgerRow(campaign=campaign, level=LedgerLevel.COUNTY, scope="county", dimension=d, key=k, value=7 * units)
        for d, k in [*keys, *dated]
    ]
    LedgerRow.objects.bulk_create(rows, batch_size=2000)
    office = f.UserFactory(username=f"office-{slug}")
    f.RoleAssignmentFactory(user=office, campaign=campaign, kind=RoleKind.OFFICE)
    team = f.SupervisoryTeamFactory(campaign=campaign, name=f"督导组{slug}")
    team.units.add(*made)
    return campaign, office, tops[0]


@pytest.fixture(scope="module")
def two_counties(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        small = _county(3, 2, "small")
        large = _county(910, 20, "large")  # ten times the demo's 91 units
        ledger_rollup_full(campaign_id=small[0].pk)
        yield small, large
        transaction.set_rollback(True)


def _queries(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["county", "committee", "team"])
def test_the_dashboards_run_as_many_queries_at_ten_times_the_demo_as_small(two_counties, client, page):
    counts = []
    for campaign, office, committee in two_counties:
        # Each county's office sees its own campaign only: the newest active first.
        Campaign.objects.exclude(pk=campaign.pk).update(is_active=False)
        Campaign.objects.filter(pk=campaign.pk).update(is_active=True)
        url = {
            "county": reverse("reports:dashboard"),
            "committee": reverse("reports:dashboard_unit", args=[committee.pk]),
            "team": reverse("reports:dashboard_team", args=[SupervisoryTeam.objects.get(campaign=campaign).pk]),
        }[page]
        counts.append(_queries(client, office, url))
    # The large county's rows (written in bulk, not rolled up) draw the panels of readiness
    # by condition and of the problems per day within those same queries.
    charts = charts_of(client.get(url))
    assert {"meetings_conditions", "rectification_days"} <= set(charts), sorted(charts)
    held_back = charts["meetings_conditions"]["series"][0]["values"][2:]
    assert len(held_back) == 3 and len(set(held_back)) == 1 and held_back[0] > 0, held_back
    assert len(charts["rectification_days"]["categories"]) == 20
    assert counts[0] == counts[1], counts
    assert counts[1] <= MAX_QUERIES, counts


def test_the_large_county_heat_map_has_every_unit(two_counties, client):
    campaign, office, _committee = two_counties[1]
    Campaign.objects.exclude(pk=campaign.pk).update(is_active=False)
    Campaign.objects.filter(pk=campaign.pk).update(is_active=True)
    client.force_login(office)
    dashboard = client.get(reverse("reports:dashboard")).context["dashboard"]
    assert len(dashboard.heat) == 910
    stage = Stage.objects.get(campaign=campaign, is_current=True)
    assert [step.kind for step in dashboard.steps] == [
        kind for kind in stage.steps.order_by("order").values_list("kind", flat=True) if kind in registry.step_columns()
    ]
