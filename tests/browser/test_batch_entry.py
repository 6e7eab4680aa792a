"""A unit secretary transcribes a forum's minutes in Chromium, with the keyboard and
the target autocomplete: Tab through a row, Enter in the content for the next row (a new
one after the last), Ctrl+D for the target of the row above, Ctrl+Enter to save. A wrong
row stops the whole batch and is marked; once corrected, every row is saved at once.
Screenshots go to /tmp/canvass-shots/ for a person to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from campaign.models import Rank, TargetCategory, TeamKind
from opinions.models import Channel, Opinion, OpinionKind, SourceGroup
from tests import factories as f
from tests.browser.helpers import log_in, shoot, tr
from tests.conftest import World
from tests.opinions.factories import SolicitationEventFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def forum_world(live_world: World) -> dict:
    world = live_world
    return {
        "forum": SolicitationEventFactory(
            campaign=world.campaign, unit=world.unit, title="城关镇老干部座谈会", attendance=18
        ),
        "standing_team": f.LeadershipTeamFactory(
            campaign=world.campaign, unit=world.unit, name="县委常委会", kind=TeamKind.STANDING_COMMITTEE
        ),
        "leader": f.MemberFactory(
            campaign=world.campaign, unit=world.unit, name="陈县长", rank=Rank.COUNTY_LEADER, position="副县长"
        ),
    }


def row(page: Page, number: int):
    return page.locator("#batch-rows tr.batch-row").nth(number - 1)


def choose_target(page: Page, typed: str, label: str) -> None:
    """Type part of a name into the focused target field and pick from the list by keyboard."""
    page.keyboard.type(typed)
    listbox = page.locator(".suggestions[role=listbox]")
    expect(listbox).to_be_visible()
    options = listbox.locator("[role=option]")
    expect(options.first).to_be_visible()
    # Walk down to the option wanted with the arrow keys, then Enter.
    labels = [text.split("\n")[0] for text in options.all_inner_texts()]
    for _ in range(labels.index(label)):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(listbox).to_have_count(0)


def test_a_secretary_enters_a_forums_opinions_with_the_keyboard(forum_world, open_page):
    language = "en"
    forum = forum_world["forum"]
    page = open_page(language=language)
    log_in(page, "secretary", language=language)
    page.goto("/opinions/entry/")
    expect(page.locator("h1")).to_have_text(tr(language, "Enter opinions"))
    # JavaScript replaces the fixed ten rows' limit with an "Add a row" button.
    expect(page.locator("#batch-rows tr.batch-row")).to_have_count(10)
    expect(page.locator("#add-row")).to_be_visible()

    # The heading: the forum the minutes come from. The page starts there.
    expect(page.locator("#id_event")).to_be_focused()
    page.locator("#id_event").select_option(str(forum.pk))

    # Row 1: Tab from the kind to the target, type part of a name, choose with the keyboard.
    row(page, 1).locator("select[name$='-kind']").focus()
    page.keyboard.press("Tab")
    expect(row(page, 1).locator("input[name$='-target']")).to_be_focused()
    choose_target(page, "县", "陈县长")
    expect(row(page, 1).locator("input[name$='-target_token']")).to_have_value(f"member:{forum_world['leader'].pk}")
    expect(row(page, 1).locator(".target-detail")).to_contain_text("城关镇政府INSIDE")
    page.keyboard.press("Tab")
    expect(row(page, 1).locator("select[name$='-aspect']")).to_be_focused()
    row(page, 1).locator("select[name$='-aspect']").select_option("work")
    page.keyboard.press("Tab")
    row(page, 1).locator("select[name$='-source_group']").select_option(SourceGroup.VETERAN_CADRES)
    page.keyboard.press("Tab")
    expect(row(page, 1).locator("textarea")).to_be_focused()
    page.keyboard.type("下乡调研次数少，听取群众意见不够")
    page.keyboard.press("Enter")  # to the next row, not a new line

    # Row 2: the same target as the row above with Ctrl+D; a suggestion this time.
    expect(row(page, 2).locator("select[name$='-kind']")).to_be_focused()
    row(page, 2).locator("select[name$='-kind']").select_option(OpinionKind.SUGGESTION)
    page.keyboard.press("Tab")
    page.keyboard.press("Control+d")
    expect(row(page, 2).locator("input[name$='-target']")).to_have_value("陈县长")
    expect(row(page, 2).locator("select[name$='-aspect']")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("建议每月安排一天接待群众")
    page.keyboard.press("Enter")

    # Row 3: a team. The list holds only targets the secretary may record for.
    page.keyboard.press("Tab")
    page.keyboard.type("王五")
    expect(page.locator(".suggestions .none")).to_have_text(
        tr(language, "No match among the targets you may record for.")
    )
    page.keyboard.press("Escape")
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    page.keyboard.type("常委")
    expect(page.locator(".suggestions [role=option]").first).to_be_visible()
    expect(page.locator(".suggestions")).not_to_contain_text("OUTSIDE")
    shoot(page, "batch-entry-autocomplete-en")
    page.keyboard.press("Enter")
    expect(row(page, 3).locator("input[name$='-target']")).to_have_value("县委常委会")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("常委会联系群众制度落实不到位")

    # Row 10, the last of the page: Enter there adds row 11.
    row(page, 10).locator("select[name$='-kind']").focus()
    page.keyboard.press("Tab")
    choose_target(page, "李四", "李四INSIDE")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("服务态度生硬")
    page.keyboard.press("Enter")
    expect(page.locator("#batch-rows tr.batch-row")).to_have_count(11)
    expect(row(page, 11).locator(".row-number")).to_have_text("11")
    expect(row(page, 11).locator("select[name$='-kind']")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Control+d")  # the target of row 10
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    # The content is left empty: this row is wrong.
    shoot(page, "batch-entry-filled-en")

    page.keyboard.press("Control+Enter")
    expect(page.locator("#batch-errors")).to_contain_text(tr(language, "Nothing was saved."))
    expect(page.locator("tr.rowerr")).to_have_count(1)
    wrong = page.locator("tr.rowerr")
    expect(wrong.locator(".row-number")).to_have_text("11")
    expect(wrong.locator("textarea + .error, .error")).to_contain_text(
        tr(language, "Write the content of the opinion.")
    )
    expect(wrong.locator("textarea")).to_be_focused()  # the page starts at the wrong field
    assert Opinion.objects.count() == 0
    # Everything typed is still there, the chosen targets with them.
    expect(row(page, 1).locator("textarea")).to_have_value("下乡调研次数少，听取群众意见不够")
    expect(row(page, 3).locator(".target-detail")).to_contain_text(tr(language, TeamKind.STANDING_COMMITTEE.label))
    shoot(page, "batch-entry-errors-en")

    page.keyboard.type("办事效率不高")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg.success")).to_contain_text(tr(language, "%(count)d opinions were recorded.", count=5))
    expect(page).to_have_url(re.compile(rf"/opinions/entry/\?event={forum.pk}"))
    expect(page.locator("#id_event")).to_have_value(str(forum.pk))
    shoot(page, "batch-entry-saved-en")

    saved = list(Opinion.objects.order_by("pk"))
    assert [o.text for o in saved] == [
        "下乡调研次数少，听取群众意见不够",
        "建议每月安排一天接待群众",
        "常委会联系群众制度落实不到位",
        "服务态度生硬",
        "办事效率不高",
    ]
    assert [o.category for o in saved] == [
        TargetCategory.COUNTY_LEVEL_LEADERS,
        TargetCategory.COUNTY_LEVEL_LEADERS,
        TargetCategory.STANDING_COMMITTEE_TEAM,
        TargetCategory.OTHER_MEMBERS,
        TargetCategory.OTHER_MEMBERS,
    ]
    assert [o.kind for o in saved][:2] == [OpinionKind.OPINION, OpinionKind.SUGGESTION]
    assert saved[0].aspect == "work" and saved[0].source_group == SourceGroup.VETERAN_CADRES
    assert {(o.event_id, o.channel, o.received_on) for o in saved} == {(forum.pk, Channel.FORUM, forum.held_on)}


def test_the_batch_page_in_chinese(forum_world, open_page):
    page = open_page(language="zh-hans")
    log_in(page, "secretary", language="zh-hans")
    page.goto(f"/opinions/entry/?event={forum_world['forum'].pk}")
    expect(row(page, 1).locator("select[name$='-kind']")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("陈")
    expect(page.locator(".suggestions [role=option]")).to_have_count(1)
    shoot(page, "batch-entry-zh-hans")


def test_the_office_merges_duplicates_and_unmerges_one_on_the_sorting_page(forum_world, open_page):
    from opinions.services import Target, opinion_create

    world_leader = forum_world["leader"]
    office = forum_world["forum"].campaign.roles.get(kind="office").user
    made = [
        opinion_create(
            actor=office,
            campaign=world_leader.campaign,
            kind=OpinionKind.OPINION,
            text=text,
            channel=Channel.FORUM,
            received_on=forum_world["forum"].held_on,
            target=Target(member=world_leader),
        )
        for text in ("文山会海，基层负担重", "会议太多，基层负担重", "会议多文件多", "下乡少")
    ]
    language = "en"
    page = open_page(language=language)
    log_in(page, "office", language=language)
    page.goto("/opinions/sort/")
    expect(page.locator("h1")).to_have_text(tr(language, "Sort opinions"))
    for opinion in made[:3]:
        page.locator(f"#pick-{opinion.pk}").check()
    page.locator(f"input[name=keep][value='{made[0].pk}']").check()
    page.locator("#action_action").select_option("merge")
    page.get_by_role("button", name=tr(language, "Apply")).click()
    expect(page.locator(".msg.success")).to_contain_text(f"#{made[0].pk}")
    expect(page.locator("tr.merged-row")).to_have_count(2)
    shoot(page, "sort-merged-en")

    page.locator("tr.merged-row").first.get_by_role("button", name=tr(language, "Unmerge")).click()
    expect(page.locator("tr.merged-row")).to_have_count(1)
    assert Opinion.objects.filter(merged_into=made[0]).count() == 1

    # Tick every row of the page at once, then set their aspect.
    page.locator("table.sort thead input[type=checkbox]").check()
    page.locator("#action_action").select_option("aspect")
    page.locator("#action_aspect").select_option("work")
    page.get_by_role("button", name=tr(language, "Apply")).click()
    expect(page.locator(".msg.success")).to_contain_text("3")
    assert set(Opinion.objects.filter(merged_into__isnull=True).values_list("aspect", flat=True)) == {"work"}

    page.goto(f"/opinions/{made[0].pk}/")
    expect(page.locator(".history")).to_contain_text("office")
    shoot(page, "opinion-detail-en")
