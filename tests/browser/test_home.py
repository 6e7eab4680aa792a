"""Each role's home page in Chromium, in Chinese and in English: the campaign, its stages
and steps with dates, the part of the organisation tree the role may see, and what to
do next. Screenshots go to /tmp/canvass-shots/ for a person to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from campaign.models import StageKind, StepKind
from tests.browser.helpers import log_in, log_out, nav_link, shoot, switch_language, tr
from tests.conftest import World

pytestmark = pytest.mark.browser

ROLES = ["admin", "office", "supervisor", "secretary", "member"]

ROLE_TAGS = {
    "admin": "Administrator",
    "office": "County office staff",
    "supervisor": "Supervisory team member",
    "secretary": "Unit secretary",
    "member": "Member",
}


def visible_units(world: World, role: str) -> list:
    """The units (not branches) the role's home page tree shows."""
    everything = [world.county, world.committee, world.unit, world.other_committee, world.other_unit]
    return {
        "admin": everything,
        "office": everything,
        "supervisor": [world.unit],
        "secretary": [world.unit],
        # A member sees his or her own unit and the organisations above it.
        "member": [world.county, world.committee, world.unit],
    }[role]


def next_step(world: World, role: str, language: str) -> str:
    if role in ("admin", "office"):
        return tr(language, "Check the organisation tree, members and teams; import corrections from Excel.")
    if role == "supervisor":
        return tr(language, "You serve on %(team)s. Review the units it supervises.", team="县第一督导组")
    if role == "secretary":
        return tr(language, "Keep your unit's members and branches up to date.")
    return tr(language, "You take part as %(name)s of %(unit)s.", name=world.member.name, unit=world.unit.name)


def check_home(page: Page, world: World, role: str, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(world.campaign.name)
    expect(page.locator(".roles")).to_contain_text(tr(language, ROLE_TAGS[role]))
    expect(page.locator("#next")).to_contain_text(next_step(world, role, language))

    stage_rows = page.locator("#stages tr.stage")
    stages = list(world.campaign.stages.order_by("order"))
    expect(stage_rows).to_have_count(len(stages))
    for row, stage in zip(stage_rows.all(), stages, strict=True):
        expect(row).to_contain_text(tr(language, StageKind(stage.kind).label))
        expect(row).to_contain_text(stage.starts_on.isoformat())
        expect(row).to_contain_text(stage.ends_on.isoformat())
        if stage.is_current:
            expect(row.locator(".tag")).to_have_text(tr(language, "current"))
        for number, step in enumerate(stage.steps.order_by("order"), start=1):
            label = f"{number}. {tr(language, StepKind(step.kind).label)}"
            step_row = page.locator("#stages tr").filter(has=page.get_by_role("cell", name=label, exact=True))
            expect(step_row).to_contain_text(step.starts_on.isoformat())
            expect(step_row).to_contain_text(step.ends_on.isoformat())

    # The home page draws the role's panels (campaign.home), not the organisation tree:
    # that is the organisation list's (tests/campaign/test_home.py counts the panels).
    expect(page.locator("#tree")).to_have_count(0)
    expect(page.locator(".home-panels")).to_be_attached()

    nav = page.locator(".mainnav")
    if role == "member":
        expect(nav.get_by_role("link", name=tr(language, "Organisations"), exact=True)).to_have_count(0)
        expect(nav.get_by_role("link", name=tr(language, "My record"), exact=True)).to_be_visible()
    else:
        expect(nav_link(page, tr(language, "Organisations"))).to_be_visible()
    if role == "admin":
        expect(nav.get_by_role("link", name=tr(language, "Admin"), exact=True)).to_be_visible()


@pytest.mark.parametrize("role", ROLES)
def test_role_sees_campaign_stages_tree_and_next_steps_in_chinese_then_english(live_world, open_page, role):
    page = open_page(language="zh-hans")
    log_in(page, role, language="zh-hans")
    expect(page).to_have_url(re.compile(r"/$"))
    check_home(page, live_world, role, "zh-hans")
    shoot(page, f"home-{role}-zh-hans")

    switch_language(page, "en")
    expect(page).to_have_url(re.compile(r"/$"))
    check_home(page, live_world, role, "en")
    shoot(page, f"home-{role}-en")

    log_out(page, language="en")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("#tree")).to_have_count(0)


@pytest.mark.zh_default
@pytest.mark.parametrize(
    ("accept", "language"),
    [("zh-CN", "zh-hans"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"), ("en-US", "en"), ("en", "en"), ("fr-FR", "zh-hans")],
)
def test_browser_language_decides_the_first_page_and_chinese_is_the_fallback(live_world, open_page, accept, language):
    page = open_page(accept=accept)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("main h1")).to_have_text(tr(language, "Log in"))
    expect(page.locator(f'.topbar form.lang button[value="{language}"]')).to_have_attribute("aria-current", "true")


def test_language_chosen_on_the_login_page_stays_after_logging_in(live_world, open_page):
    page = open_page(language="zh-hans")
    page.goto("/accounts/login/")
    switch_language(page, "en")
    expect(page.locator("main h1")).to_have_text("Log in")
    log_in(page, "office", language="en")
    check_home(page, live_world, "office", "en")
    nav_link(page, "Organisations").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Organisations")

    switch_language(page, "zh-hans")
    expect(page).to_have_url(re.compile(r"/org/units/$"))
    expect(page.locator("main h1")).to_have_text(tr("zh-hans", "Organisations"))


@pytest.mark.parametrize("role", ["office", "member"])
def test_home_fits_a_phone_screen(live_world, open_page, role):
    page = open_page(language="zh-hans", width=390, height=844)
    log_in(page, role)
    check_home(page, live_world, role, "zh-hans")
    shoot(page, f"home-{role}-zh-hans-phone")  # fails if the page scrolls sideways


def test_chinese_nav_reads_zuzhi_for_organisations(live_world, open_page):
    """REQUIRES THE CATALOGUE: passes once locale/zh_Hans/LC_MESSAGES/django.po translates
    "Organisations" (组织) and is compiled. Until then the Chinese nav shows English."""
    page = open_page(language="zh-hans")
    log_in(page, "office")
    link = page.locator(".mainnav a[href$='/org/units/']")
    expect(link).to_contain_text("组织", timeout=1_000)
