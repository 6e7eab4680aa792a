"""The organisation list pages in Chromium: the office sees the whole county, a unit
secretary only his or her unit and what lies below it, a member none of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in, log_out, nav_link, shoot, tr
from tests.conftest import World

pytestmark = pytest.mark.browser

# Nav link (and page heading), and the rows each role finds on that page.
LISTS = {
    "Organisations": {
        "office": [
            "中共示范县委",
            "城关镇党委",
            "城关镇政府INSIDE",
            "机关支部INSIDE",
            "教育系统党委",
            "第一中学OUTSIDE",
            "教师支部OUTSIDE",
        ],
        "secretary": ["城关镇政府INSIDE", "机关支部INSIDE"],
    },
    "Members": {
        "office": ["张三INSIDE", "李四INSIDE", "王五OUTSIDE"],
        "secretary": ["张三INSIDE", "李四INSIDE"],
    },
    "Leadership teams": {
        "office": ["城关镇领导班子INSIDE", "第一中学领导班子OUTSIDE"],
        "secretary": ["城关镇领导班子INSIDE"],
    },
    "Supervisory teams": {
        "office": ["县第一督导组", "县第二督导组OUTSIDE"],
        "secretary": ["县第一督导组"],
    },
}


def open_list(page: Page, title: str, language: str) -> None:
    """Follow the nav link, as a person would, and wait for the page's heading."""
    nav_link(page, tr(language, title)).click()
    expect(page.locator("main h1")).to_have_text(tr(language, title))
    expect(page.locator("html")).to_have_attribute("lang", language)


def row_names(page: Page) -> list[str]:
    """The linked name in each row of the list's table."""
    return page.locator("main table.table tbody tr a").all_inner_texts()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_office_lists_show_the_whole_county(live_world: World, open_page, language):
    page = open_page(language=language)
    log_in(page, "office", language=language)
    for title, rows in LISTS.items():
        open_list(page, title, language)
        assert sorted(row_names(page)) == sorted(rows["office"]), title
        expect(page.locator("main .count")).to_contain_text(str(len(rows["office"])))
        shoot(page, f"list-office-{title.lower().replace(' ', '-')}-{language}")
    log_out(page, language=language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_secretary_lists_show_only_own_unit_and_below(live_world: World, open_page, language):
    page = open_page(language=language)
    log_in(page, "secretary", language=language)
    for title, rows in LISTS.items():
        open_list(page, title, language)
        assert sorted(row_names(page)) == sorted(rows["secretary"]), title
        # Not in a row, a filter's choice list, or anywhere else on the page.
        assert "OUTSIDE" not in page.content(), title
        assert "教育系统党委" not in page.content(), title
        shoot(page, f"list-secretary-{title.lower().replace(' ', '-')}-{language}")

    # Searching for an outside unit by name finds nothing.
    open_list(page, "Organisations", language)
    page.locator("#id_q").fill("第一中学")
    page.locator("main form.filters").get_by_role("button", name=tr(language, "Filter")).click()
    expect(page.locator("main table.table tbody")).to_have_text(tr(language, "Nothing matches."))

    # Nor can the secretary reach it by its address: outside looks like nonexistent.
    response = page.goto(f"/org/units/{live_world.other_unit.pk}/")
    assert response is not None and response.status == 404
    assert "第一中学OUTSIDE" not in page.content()

    response = page.goto(f"/org/units/{live_world.unit.pk}/")
    assert response is not None and response.status == 200
    expect(page.locator("main h1")).to_contain_text(live_world.unit.name)
    expect(page.locator("main")).to_contain_text(live_world.member.name)
    expect(page.locator("main")).to_contain_text(live_world.branch.name)
    shoot(page, f"unit-secretary-{language}")
    log_out(page, language=language)


def test_member_has_no_organisation_lists(live_world: World, open_page):
    page = open_page(language="zh-hans")
    log_in(page, "member")
    expect(page.locator(".mainnav").get_by_role("link", name=tr("zh-hans", "Organisations"), exact=True)).to_have_count(
        0
    )
    response = page.goto("/org/units/")
    assert response is not None and response.status == 403
    assert "OUTSIDE" not in page.content()

    # The member's own record is one click away, with his or her unit and branch.
    page.goto("/")
    nav_link(page, tr("zh-hans", "My record")).click()
    expect(page.locator("main h1")).to_have_text(live_world.member.name)
    expect(page.locator("main .facts")).to_contain_text(live_world.unit.name)
    expect(page.locator("main .facts")).to_contain_text(live_world.branch.name)
    shoot(page, "member-record-zh-hans")


def test_lists_and_campaign_page_fit_a_phone_screen(live_world: World, open_page):
    page = open_page(language="zh-hans", width=390, height=844)
    log_in(page, "office")
    for title, rows in LISTS.items():
        open_list(page, title, "zh-hans")
        assert sorted(row_names(page)) == sorted(rows["office"]), title
        shoot(page, f"list-office-{title.lower().replace(' ', '-')}-zh-hans-phone")  # fails on sideways scroll
    page.goto(f"/campaign/{live_world.campaign.pk}/")
    expect(page.locator("main h1")).to_have_text(live_world.campaign.name)
    shoot(page, "campaign-office-zh-hans-phone")
