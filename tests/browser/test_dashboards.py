"""Issue 17 in Chromium at 1366×768: the office, a secretary and a supervisor open their
dashboard in Chinese and in English; every chart is drawn (ECharts from static/vendor,
under the CSP, no console error) and no canvas is blank; the office opens the stage
summary report and verifies it. Full-page screenshots go to CANVASS_SHOTS_DIR/dashboards
for a person to look at."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from campaign.models import SupervisoryTeam
from meetings import services as meetings
from meetings.models import OpenCondition
from opinions.models import Channel, OpinionKind
from opinions.services import Target
from rectification import services as rectification
from reports.ledger.rollup import ledger_rollup_full
from tests.browser.helpers import SHOTS, log_in, tr
from tests.meetings.factories import MeetingFactory
from tests.rectification.factories import details, pdf
from tests.reports.helpers import add_opinion

pytestmark = pytest.mark.browser

INK = """() => Array.from(document.querySelectorAll('[data-chart] canvas')).map((canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked += 1; } }
  return inked;
})"""


@pytest.fixture
def figures_world(live_world):
    campaign = live_world.campaign
    day = campaign.starts_on + datetime.timedelta(days=42)
    for index in range(9):
        add_opinion(
            campaign,
            Target(member=live_world.member if index % 3 else live_world.other_member),
            channel=Channel.FORUM if index % 2 else Channel.SUGGESTION_BOX,
            kind=OpinionKind.OPINION if index % 4 == 0 else OpinionKind.SUGGESTION,
            received_on=day + datetime.timedelta(days=index % 3),
        )
    # A planned meeting its gate holds back, and problems opened and one solved: the
    # panels of readiness by condition and of the problems per day are drawn too.
    meeting = MeetingFactory(branch=live_world.branch)
    meetings.meetings_follow_gate(campaign_id=campaign.pk)
    assert OpenCondition.objects.filter(meeting=meeting).exists()
    office = live_world.users["office"]
    made = [
        rectification.problem_create(user=office, campaign=campaign, unit=live_world.unit, details=details())
        for _ in range(3)
    ]
    rectification.problem_start(user=office, problem=made[0])
    rectification.problem_solve(user=office, problem=made[0], public_measure="已整改", uploads=[pdf()])
    ledger_rollup_full(campaign_id=campaign.pk)
    return live_world


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _charts_drawn(page: Page, errors: list[str]) -> None:
    charts = page.locator("[data-chart]")
    expect(page.locator("[data-drawn]")).to_have_count(charts.count())
    assert charts.count() >= 8
    inked = page.evaluate(INK)
    assert inked and all(count > 200 for count in inked), inked
    assert errors == [], errors


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ["office", "secretary", "supervisor"])
def test_the_charts_are_drawn_for_each_role(figures_world, open_page, role, language):
    page = open_page(language=language, width=1366, height=768)
    errors = _watch(page)
    log_in(page, role, language=language)
    if role == "supervisor":
        team = SupervisoryTeam.objects.get(supervisors__user=figures_world.users["supervisor"])
        url = reverse("reports:dashboard_team", args=[team.pk])
    else:
        url = reverse("reports:dashboard")
    page.goto(url)
    expect(page.locator("main h1")).to_contain_text(tr(language, "Dashboard"))
    expect(page.locator(".heatmap")).to_contain_text("城关镇政府INSIDE")
    if role != "office":
        expect(page.locator("main")).not_to_contain_text("OUTSIDE")
    _charts_drawn(page, errors)
    for name in ("meetings_conditions", "rectification_days"):
        expect(page.locator(f'[data-chart="{name}"][data-drawn]')).to_have_count(1)
    SHOTS.joinpath("dashboards").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "dashboards" / f"{role}-{language}.png", full_page=True)


def test_the_office_reads_and_verifies_the_stage_report(figures_world, open_page):
    page = open_page(language="zh-hans", width=1366, height=768)
    errors = _watch(page)
    log_in(page, "office", language="zh-hans")
    page.goto(reverse("reports:stage_report"))
    expect(page.locator(".report-page h2").first).to_contain_text("一、")
    expect(page.locator(".report-page")).to_contain_text("共征求意见建议9条")
    page.get_by_role("link", name=tr("zh-hans", "Verify every figure")).click()
    expect(page.locator(".verify-ok")).to_be_visible()
    assert errors == [], errors
    SHOTS.joinpath("dashboards").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "dashboards" / "stage-report-zh-hans.png", full_page=True)
