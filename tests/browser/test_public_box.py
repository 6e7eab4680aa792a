"""A citizen uses the public suggestion box in Chromium: writes an opinion in Chinese,
notes the receipt code, then checks its status. Screenshots go to /tmp/canvass-shots/."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from campaign.models import Rank, TeamKind
from opinions.models import Aspect, Channel, Opinion, OpinionKind, OpinionStatus
from opinions.public import PublicStatus, box_flush
from opinions.services import opinion_transition
from tests import factories as f
from tests.browser.conftest import shoot, switch_language, tr
from tests.conftest import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Nobody logs in here; the world's users need no slow password hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def open_box(live_world: World) -> World:
    """The world's campaign open today, with the county's teams and leaders."""
    cache.clear()
    today = timezone.localdate()
    campaign = live_world.campaign
    campaign.starts_on = today - datetime.timedelta(days=30)
    campaign.ends_on = today + datetime.timedelta(days=30)
    campaign.save()
    f.LeadershipTeamFactory(
        campaign=campaign, unit=live_world.county, name="中共示范县委常委班子", kind=TeamKind.STANDING_COMMITTEE
    )
    f.LeadershipTeamFactory(
        campaign=campaign, unit=live_world.county, name="示范县人民政府班子", kind=TeamKind.GOVERNMENT
    )
    f.MemberFactory(
        campaign=campaign, unit=live_world.county, name="刘书记", rank=Rank.STANDING_COMMITTEE, position="县委书记"
    )
    f.MemberFactory(
        campaign=campaign, unit=live_world.unit, name="陈副县长", rank=Rank.COUNTY_LEADER, position="副县长"
    )
    return live_world


def record_held() -> None:
    """The box's batch, as it runs after midnight (today's submissions included)."""
    box_flush(before=timezone.localdate() + datetime.timedelta(days=1))


def write_opinion(page: Page, language: str, *, target: str, text: str) -> str:
    page.get_by_label(tr(language, "Whom is your opinion about?")).select_option(label=target)
    page.get_by_label(tr(language, "Opinion"), exact=True).check()
    page.get_by_label(tr(language, "Which aspect does it concern?")).select_option(
        label=tr(language, Aspect.WORK_STYLE.label)
    )
    page.get_by_label(tr(language, "Your opinion or suggestion"), exact=True).fill(text)
    page.get_by_role("button", name=tr(language, "Send")).click()
    code = page.locator("#receipt-code")
    expect(code).to_have_text(re.compile(r"^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$"))
    return code.inner_text()


def check_receipt(page: Page, language: str, code: str) -> None:
    page.get_by_label(tr(language, "Receipt code")).fill(code)
    page.get_by_role("button", name=tr(language, "Check"), exact=True).click()


def test_citizen_writes_in_chinese_notes_the_code_and_checks_the_status(open_box: World, open_page) -> None:
    page = open_page(language="zh-hans")
    page.goto("/box/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("main h1")).to_have_text(tr("zh-hans", "Online suggestion box"))
    expect(page.locator("#privacy")).to_contain_text(tr("zh-hans", "Giving your name is optional"))
    # Nothing of the office's pages: no navigation, no one logged in.
    expect(page.locator(".mainnav")).to_have_count(0)
    shoot(page, "box-landing-zh-hans")

    page.get_by_role("link", name=tr("zh-hans", "Write an opinion or suggestion")).click()
    expect(page.locator("main h1")).to_have_text(tr("zh-hans", "Write an opinion or suggestion"))
    # The honeypot is there for bots, but no person sees it.
    expect(page.locator("input[name=website]")).not_to_be_in_viewport()
    shoot(page, "box-form-zh-hans")

    # First an empty text: the form says what is missing and keeps the choice made.
    page.get_by_label(tr("zh-hans", "Whom is your opinion about?")).select_option(label="示范县人民政府班子")
    page.get_by_role("button", name=tr("zh-hans", "Send")).click()
    expect(page.locator(".field.has-error")).to_have_count(2)  # the kind and the text
    expect(page.locator("main")).to_contain_text(tr("zh-hans", "Write your opinion or suggestion."))
    shoot(page, "box-form-errors-zh-hans")

    code = write_opinion(page, "zh-hans", target="示范县人民政府班子", text="办事窗口排队时间太长，希望增加窗口。")
    expect(page.locator("main")).to_contain_text(tr("zh-hans", "Write this code down now, or take a photo of it."))
    # The answer to the POST itself: the code is in no URL, not even a redirect's.
    assert page.url.endswith("/box/demo/write/")
    shoot(page, "box-receipt-issued-zh-hans")

    # Held for the day's batch: the receipt says "received" until it has run.
    assert not Opinion.objects.exists()
    page.get_by_role("link", name=tr("zh-hans", "Check the status of an opinion you sent")).click()
    check_receipt(page, "zh-hans", code)
    expect(page.locator(".status-word")).to_have_text(tr("zh-hans", PublicStatus.RECEIVED.label))
    shoot(page, "box-status-received-zh-hans")
    record_held()

    opinion = Opinion.objects.get()
    assert opinion.channel == Channel.ONLINE and opinion.kind == OpinionKind.OPINION
    assert opinion.target_team.name == "示范县人民政府班子"
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert cookies == {"csrftoken"}

    check_receipt(page, "zh-hans", code)
    expect(page.locator(".status-word")).to_have_text(tr("zh-hans", PublicStatus.RECORDED.label))
    expect(page.locator("main")).not_to_contain_text("办事窗口排队")
    shoot(page, "box-status-recorded-zh-hans")

    for status in (OpinionStatus.SORTED, OpinionStatus.FED_BACK):
        opinion_transition(actor=open_box.users["office"], opinion=opinion, to=status)
    check_receipt(page, "zh-hans", code.replace(" ", ""))
    expect(page.locator(".status-word")).to_have_text(tr("zh-hans", PublicStatus.FED_BACK.label))

    check_receipt(page, "zh-hans", "1234 5678 9012 3456")
    expect(page.locator("main")).to_contain_text(
        tr("zh-hans", "No receipt with this code was found. Check the digits and try again.")
    )
    expect(page.locator(".status-word")).to_have_count(0)
    shoot(page, "box-status-unknown-zh-hans")
    assert {cookie["name"] for cookie in page.context.cookies()} == {"csrftoken"}


def test_citizen_describes_a_target_not_in_the_list_in_english(open_box: World, open_page) -> None:
    page = open_page(language="en")
    page.goto("/box/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Write an opinion or suggestion").click()
    page.get_by_label("Whom is your opinion about?").select_option(label="Not in the list: I describe it below")
    page.get_by_label("Not in the list? Describe whom or what it is about").fill("The county hospital's front desk")
    page.get_by_label("Suggestion", exact=True).check()
    page.get_by_label("Your opinion or suggestion").fill("Open the registration desk before 8 a.m.")
    page.get_by_label("Your name (optional)").fill("Old Wang")
    shoot(page, "box-form-filled-en")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    shoot(page, "box-receipt-issued-en")
    record_held()
    opinion = Opinion.objects.get()
    assert (opinion.target_text, opinion.category, opinion.submitter_name) == (
        "The county hospital's front desk",
        "",
        "Old Wang",
    )


def test_the_box_fits_a_phone_and_switches_language(open_box: World, open_page) -> None:
    page = open_page(language="zh-hans", width=390, height=844)
    page.goto("/box/")
    page.get_by_role("link", name=tr("zh-hans", "Write an opinion or suggestion")).click()
    shoot(page, "box-form-zh-hans-phone")  # fails if the page scrolls sideways
    switch_language(page, "en")
    expect(page.locator("main h1")).to_have_text("Write an opinion or suggestion")
    code = write_opinion(page, "en", target="刘书记 · 县委书记", text="Please hold open days for the public.")
    shoot(page, "box-receipt-issued-en-phone")
    # The code stays on one line, to be copied in one go.
    box = page.locator("#receipt-code").bounding_box()
    line = page.locator("#receipt-code").evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert box["height"] < 1.5 * line
    assert len(code.replace(" ", "")) == 16
    record_held()
    assert Opinion.objects.get().target_member.rank == Rank.STANDING_COMMITTEE
