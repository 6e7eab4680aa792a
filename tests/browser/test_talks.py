"""A member logs a talk in Chromium (the other person found by typing part of a name);
the supervisor returns the card with a comment; the member revises it; the supervisor
accepts it. Screenshots go to /tmp/canvass-shots/cards-*.png for a person to look at."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from campaign.models import StageKind
from talks.models import CardDecision, CardState, Talk, TalkKind
from tests.browser.helpers import log_in, log_out, shoot, tr
from tests.conftest import World

pytestmark = pytest.mark.browser

EN = "en"
ZH = "zh-hans"


def open_card_of(page: Page, name: str) -> None:
    page.locator("table.talks").get_by_role("row").filter(has_text=name).get_by_role("link").first.click()


def test_member_logs_is_returned_revises_and_is_accepted(live_world: World, open_page) -> None:
    world = live_world
    stage = world.campaign.stages.get(kind=StageKind.ANALYSIS)
    day = stage.starts_on + datetime.timedelta(days=4)

    # The member logs a talk with a colleague: the kind first, then part of a name.
    page = open_page(language=EN)
    log_in(page, "member", language=EN)
    page.goto("/talks/")
    expect(page.locator("#my-quota")).to_contain_text("0 / 5")
    page.get_by_role("link", name=tr(EN, "Log a talk")).click()
    page.get_by_label(tr(EN, "Must-talk kind")).select_option(TalkKind.MEMBER.value)
    # A talk with the public asks for a name instead of a member.
    expect(page.locator("#outsider-fields")).to_be_hidden()
    other = page.get_by_label(tr(EN, "Talked with (member)"))
    other.press_sequentially("李四")
    expect(page.locator(".suggestions")).to_contain_text("李四INSIDE")
    shoot(page, "cards-new-autocomplete")
    other.press("Enter")
    expect(page.locator("input[name=other_member_token]")).to_have_value(f"member:{_colleague(world).pk}")
    page.get_by_label(tr(EN, "Date")).fill(day.isoformat())
    page.get_by_label(tr(EN, "Place")).fill("党员活动室")
    page.get_by_label(tr(EN, "Topics")).fill("如何改进工作作风")
    page.get_by_label(tr(EN, "Problems the member raised")).fill("下基层不够")
    page.get_by_label(tr(EN, "What was agreed")).fill("互相提醒")
    shoot(page, "cards-new-filled")
    page.get_by_label(tr(EN, "What was agreed")).press("Control+Enter")
    expect(page.locator("#card-state")).to_have_text(tr(EN, CardState.RECORDED.label))
    shoot(page, "cards-detail-recorded")
    talk = Talk.objects.get()
    assert (talk.member, talk.other_member) == (world.member, _colleague(world))

    # Entering the same talk again is refused, and the card on record is offered.
    page.goto("/talks/new/")
    page.get_by_label(tr(EN, "Must-talk kind")).select_option(TalkKind.MEMBER.value)
    page.get_by_label(tr(EN, "Talked with (member)")).fill("李四INSIDE")
    page.get_by_label(tr(EN, "Date")).fill(day.isoformat())
    page.get_by_label(tr(EN, "Topics")).fill("又记一次")
    page.get_by_role("button", name=tr(EN, "Save"), exact=True).click()
    expect(page.locator("#duplicate")).to_be_visible()
    expect(page.locator("#duplicate").get_by_role("link", name=tr(EN, "Correct that card"))).to_be_visible()
    shoot(page, "cards-duplicate")
    assert Talk.objects.count() == 1
    log_out(page, language=EN)

    # The supervisor finds it in the queue and returns it with a comment.
    log_in(page, "supervisor", language=EN)
    page.goto("/talks/review/")
    expect(page.locator("table.queue")).to_contain_text("张三INSIDE")
    shoot(page, "cards-queue")
    page.locator("table.queue").get_by_role("link", name=tr(EN, "Review")).click()
    page.get_by_label(tr(EN, CardDecision.RETURN.label)).check()
    page.get_by_role("button", name=tr(EN, "Record the decision")).click()
    expect(page.locator(".has-error .error")).to_contain_text(tr(EN, "Say what the recorder should revise."))
    page.get_by_label(tr(EN, "Comment")).fill("请写明谈了哪些具体问题")
    page.get_by_label(tr(EN, CardDecision.RETURN.label)).check()
    shoot(page, "cards-review-return")
    page.get_by_role("button", name=tr(EN, "Record the decision")).click()
    expect(page.locator("table.queue")).to_contain_text(tr(EN, "No card is waiting for your decision."))
    log_out(page, language=EN)

    # The member reads the comment and revises the card.
    log_in(page, "member", language=EN)
    page.goto("/talks/")
    expect(page.locator("table.talks")).to_contain_text(tr(EN, CardState.RETURNED.label))
    expect(page.locator("#my-quota")).to_contain_text("1 / 5")
    shoot(page, "cards-my-talks")
    open_card_of(page, "李四INSIDE")
    page.get_by_role("link", name=tr(EN, "Revise the card")).click()
    expect(page.locator("#return-comment")).to_contain_text("请写明谈了哪些具体问题")
    page.get_by_label(tr(EN, "Problems the other raised")).fill("对群众反映的问题回应慢")
    shoot(page, "cards-revise")
    page.get_by_role("button", name=tr(EN, "Save"), exact=True).click()
    expect(page.locator("#card-state")).to_have_text(tr(EN, CardState.REVISED.label))
    expect(page.locator("table.history")).to_contain_text("对群众反映的问题回应慢")
    log_out(page, language=EN)

    # The supervisor accepts it, from the card's own page this time, in Chinese.
    zh = open_page(language=ZH)
    log_in(zh, "supervisor", language=ZH)
    zh.goto(f"/talks/{talk.pk}/")
    zh.locator("#decision").get_by_label(tr(ZH, CardDecision.ADEQUATE.label)).check()
    zh.locator("#decision").get_by_role("button", name=tr(ZH, "Record the decision")).click()
    zh.goto(f"/talks/{talk.pk}/")
    expect(zh.locator("#card-state")).to_have_text(tr(ZH, CardState.ADEQUATE.label))
    shoot(zh, "cards-detail-adequate-zh")
    talk.refresh_from_db()
    assert talk.state == CardState.ADEQUATE and talk.times_returned == 1
    assert list(talk.reviews.values_list("decision", flat=True)) == [CardDecision.RETURN, CardDecision.ADEQUATE]


def test_secretary_register_and_form_on_a_phone(live_world: World, open_page) -> None:
    world = live_world
    page = open_page(language=ZH, width=390, height=844)
    log_in(page, "secretary", language=ZH)
    page.goto("/talks/")
    shoot(page, "cards-register-phone-zh")
    page.goto("/talks/new/")
    # A secretary chooses the first person among the unit's members.
    first = page.get_by_label(tr(ZH, "Member"), exact=True)
    first.press_sequentially("张三")
    expect(page.locator(".suggestions")).to_contain_text("张三INSIDE")
    first.press("Enter")
    expect(page.locator("input[name=member_token]")).to_have_value(f"member:{world.member.pk}")
    page.get_by_label(tr(ZH, "Must-talk kind")).select_option(TalkKind.PUBLIC.value)
    expect(page.locator("#outsider-fields")).to_be_visible()
    expect(page.locator("#other-member-field")).to_be_hidden()
    shoot(page, "cards-new-public-phone-zh")


def _colleague(world: World):
    return world.member.unit.members.get(name="李四INSIDE")


def test_register_columns_keep_a_readable_width_on_a_phone(live_world: World, open_page) -> None:
    """Chinese may break after any character: a squeezed column showed one character a
    line. On a phone the table keeps its columns readable and scrolls inside itself."""
    from talks import services

    world = live_world
    stage = world.campaign.stages.get(kind=StageKind.ANALYSIS)
    services.talk_create(
        user=world.users["member"],
        campaign=world.campaign,
        data={
            "kind": TalkKind.MEMBER,
            "member": world.member,
            "other_member": _colleague(world),
            "talked_on": stage.starts_on + datetime.timedelta(days=4),
            "topics": "工作作风",
        },
    )
    page = open_page(language=ZH, width=390, height=844)
    log_in(page, "member", language=ZH)
    page.goto("/talks/")
    kind = page.locator("table.talks tbody td").filter(has_text=tr(ZH, TalkKind.MEMBER.label))
    width, font = kind.evaluate("td => [td.offsetWidth, parseFloat(getComputedStyle(td).fontSize)]")
    assert width >= 4 * font, (width, font)
    shoot(page, "cards-my-talks-phone-zh")  # and the page itself does not scroll sideways
