"""The main menu in Chromium at 1366×768 in Chinese: one line for every role, groups
that open and are walked with the keyboard, and a screenshot of each to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import SHOTS, log_in, shoot, tr
from tests.conftest import World

pytestmark = pytest.mark.browser

ROLES = ["admin", "office", "supervisor", "secretary", "member"]


def one_line(page: Page) -> None:
    """The menu is one row of the top bar: as high as one of its items, beside the brand."""
    nav = page.locator(".mainnav").bounding_box()
    item = page.locator(".mainnav > ul > li").first.bounding_box()
    brand = page.locator(".topbar .brand").bounding_box()
    end = page.locator(".topbar-end").bounding_box()
    assert nav is not None and item is not None and brand is not None and end is not None
    assert nav["height"] <= item["height"] + 1, (nav, item)
    # Brand, menu and the bar's end share one line: their middles line up.
    for other in (brand, end):
        assert abs((nav["y"] + nav["height"] / 2) - (other["y"] + other["height"] / 2)) < 8, (nav, other)


@pytest.mark.parametrize("role", ROLES)
def test_menu_is_one_line_at_1366_in_chinese(live_world: World, open_page, role):
    page = open_page(language="zh-hans", width=1366, height=768)
    log_in(page, role, language="zh-hans")
    one_line(page)
    shoot(page, f"nav-{role}")
    if role != "member":
        # The first group open, to look at its list too.
        page.locator(".mainnav .navtoggle").first.click()
        page.screenshot(path=str(SHOTS / f"nav-{role}-open.png"))


def test_a_group_opens_and_is_walked_with_the_keyboard(live_world: World, open_page):
    page = open_page(language="zh-hans", width=1366, height=768)
    log_in(page, "office", language="zh-hans")
    toggle = page.locator('.mainnav .navtoggle[aria-controls="nav-organisation"]')
    menu = page.locator("#nav-organisation")
    expect(menu).to_be_hidden()

    # Tab from the brand reaches the first group's button.
    page.locator(".topbar .brand").focus()
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()

    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()

    # Open again; the arrows move through the links and wrap; Enter follows one.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    first = menu.get_by_role("link", name=tr("zh-hans", "Organisations"), exact=True)
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(menu.get_by_role("link").last).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("link", name=tr("zh-hans", "Members"), exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/org/members/$"))
    expect(page.locator("main h1")).to_have_text(tr("zh-hans", "Members"))

    # The page's group is marked, and its link is the current page.
    current = page.locator(".mainnav .navgroup.current .navtoggle")
    expect(current).to_have_attribute("aria-controls", "nav-organisation")
    expect(page.locator('#nav-organisation a[aria-current="page"]')).to_have_attribute("href", "/org/members/")
    expect(page.locator(".breadcrumbs")).to_contain_text("组织")
    expect(page).to_have_title(re.compile("组织"))


def test_one_group_open_at_a_time_and_a_click_outside_closes(live_world: World, open_page):
    page = open_page(language="zh-hans", width=1366, height=768)
    log_in(page, "office", language="zh-hans")
    organisation = page.locator('.mainnav .navtoggle[aria-controls="nav-organisation"]')
    opinions = page.locator('.mainnav .navtoggle[aria-controls="nav-opinions"]')
    organisation.click()
    expect(page.locator("#nav-organisation")).to_be_visible()
    opinions.click()
    expect(page.locator("#nav-organisation")).to_be_hidden()
    expect(page.locator("#nav-opinions")).to_be_visible()
    page.locator("main h1").click()
    expect(page.locator("#nav-opinions")).to_be_hidden()
    expect(opinions).to_have_attribute("aria-expanded", "false")


def test_member_sees_his_own_entries_without_groups(live_world: World, open_page):
    page = open_page(language="zh-hans", width=1366, height=768)
    log_in(page, "member", language="zh-hans")
    nav = page.locator(".mainnav")
    expect(nav.locator(".navtoggle")).to_have_count(0)
    names = [
        tr("zh-hans", name)
        for name in ("My record", "My feedback", "My talks", "My document", "My meetings", "Appraisal ballot")
    ]
    expect(nav.get_by_role("link")).to_have_text(names)
