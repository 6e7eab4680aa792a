"""A member reads and signs his feedback list in Chromium, in Chinese and in English:
first told it is not released, then the list itself — the office's wording, nothing
about who gave an opinion — printed on A4 and signed. Screenshots go to
/tmp/canvass-shots/ for a person to look at."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from campaign.models import Member
from opinions import feedback
from opinions.models import Aspect, Channel, FeedbackList, Opinion, OpinionStatus, SourceGroup
from opinions.services import Target
from tests.browser.helpers import log_in, nav_link, shoot, tr
from tests.conftest import World
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

pytestmark = pytest.mark.browser

ITEMS = [
    ("深入基层调研不够，联系群众的渠道还不够多，对群众反映的问题回应不够及时。", Aspect.WORK_STYLE),
    ("理论学习的系统性不强，学用结合还有差距。", Aspect.IDEALS),
    ("落实党风廉政建设责任制要求还需更加严格，对身边工作人员要求不够严。", Aspect.INTEGRITY),
]


def write_list(world: World) -> FeedbackList:
    """The office's list for the world's member, three items over six opinions that
    came from a forum, the hotline and the online box — with a name and a phone number."""
    office = world.users["office"]
    forum = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="老干部座谈会CANARY")
    opinions = [
        OpinionFactory(
            target_member=world.member,
            text=f"原始意见CANARY{n}",
            channel=[Channel.FORUM, Channel.HOTLINE, Channel.ONLINE][n % 3],
            event=forum if n % 3 == 0 else None,
            source_group=SourceGroup.VETERAN_CADRES,
            submitter_name="提交人CANARY",
            submitter_contact="13900000000",
            received_on=datetime.date(2026, 2, 9) + datetime.timedelta(days=n),
        )
        for n in range(6)
    ]
    feedback_list = feedback.feedback_list_get_or_create(
        actor=office, campaign=world.campaign, target=Target(member=world.member)
    )
    for index, (text, aspect) in enumerate(ITEMS):
        feedback.feedback_item_create(
            actor=office,
            feedback_list=feedback_list,
            text=text,
            aspect=aspect,
            opinions=opinions[2 * index : 2 * index + 2],
        )
    return feedback_list


def open_my_feedback(page: Page, language: str) -> None:
    nav_link(page, tr(language, "My feedback")).click()
    expect(page.locator("main h1")).to_have_text(tr(language, "My feedback"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_reads_and_signs_his_list(live_world: World, open_page, language: str):
    world = live_world
    feedback_list = write_list(world)
    page = open_page(language=language)
    log_in(page, "member", language=language)

    # Written but not released: the member sees that, and none of the items.
    open_my_feedback(page, language)
    expect(page.locator(".feedback-sheet .notice")).to_have_text(tr(language, "Your list has not been released yet."))
    expect(page.locator(".sheet-table")).to_have_count(0)
    shoot(page, f"feedback-member-not-released-{language}")

    feedback.feedback_lists_release(
        actor=world.users["office"],
        campaign=world.campaign,
        lists=[feedback_list],
        released_on=datetime.date(2026, 3, 20),
    )
    page.reload()
    sheet = page.locator(".feedback-sheet")
    expect(sheet.locator(".sheet-title")).to_have_text(
        tr(language, "List of opinions and suggestions for Comrade %(name)s", name=world.member.name)
    )
    expect(sheet.locator(".sheet-meta")).to_have_text(tr(language, "Released in %(month)s", month="2026-03"))
    rows = sheet.locator("tbody tr")
    expect(rows).to_have_count(3)
    # The office's default order: by aspect (ideals first, integrity last), not by arrival.
    expect(rows.nth(0)).to_contain_text(ITEMS[1][0])
    expect(rows.nth(0).locator("td").nth(2)).to_have_text(tr(language, Aspect.IDEALS.label))
    expect(rows.nth(1)).to_contain_text(ITEMS[0][0])
    expect(rows.nth(2)).to_contain_text(ITEMS[2][0])
    expect(rows.nth(0).locator("td.no")).to_have_text("1")
    expect(sheet.locator(".sheet-foot")).to_contain_text(tr(language, "Signature:"))
    expect(sheet.locator(".sheet-foot")).to_contain_text(tr(language, "Date:"))
    content = page.content()
    for secret in ("CANARY", "13900000000", "2026-02-", "2026-03-20", str(SourceGroup.VETERAN_CADRES.label)):
        assert secret not in content, secret
    shoot(page, f"feedback-member-released-{language}")

    # Printed: the list alone, on white, with the signature and date lines.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".sign-form")).to_be_hidden()
    expect(page.locator(".sheet-foot")).to_be_visible()
    shoot(page, f"feedback-member-print-{language}")
    page.emulate_media(media="screen")

    # The box must be ticked: the browser will not send the form without it.
    button = page.get_by_role("button", name=tr(language, "Sign for the list"))
    button.click()
    expect(page.locator(".sign-form")).to_be_visible()
    assert FeedbackList.objects.get(pk=feedback_list.pk).status == FeedbackList.Status.RELEASED

    page.get_by_label(tr(language, "I have read the list above and sign for it.")).check()
    with page.expect_navigation():
        button.click()
    expect(page.locator(".msg.success")).to_have_text(tr(language, "You have signed for the list. Thank you."))
    expect(page.locator(".signed")).to_have_text(tr(language, "You have signed for your list."))
    expect(page.locator(".sign-form")).to_have_count(0)
    expect(page.locator(".sheet-foot")).to_contain_text(world.member.name)
    shoot(page, f"feedback-member-signed-{language}")

    feedback_list.refresh_from_db()
    assert feedback_list.status == FeedbackList.Status.SIGNED
    assert feedback_list.signed_by == Member.objects.get(user=world.users["member"])
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.ACKNOWLEDGED}


def test_member_list_on_a_phone(live_world: World, open_page):
    world = live_world
    feedback_list = write_list(world)
    feedback.feedback_lists_release(
        actor=world.users["office"],
        campaign=world.campaign,
        lists=[feedback_list],
        released_on=datetime.date(2026, 3, 20),
    )
    page = open_page(language="zh-hans", width=390, height=844)
    log_in(page, "member", language="zh-hans")
    page.goto("/opinions/feedback/mine/")
    expect(page.locator(".feedback-sheet tbody tr")).to_have_count(3)
    shoot(page, "feedback-member-released-zh-hans-phone")


def test_office_sees_the_list_it_wrote(live_world: World, open_page):
    """The office's page of the list (raw opinions and all) and its print view."""
    world = live_world
    feedback_list = write_list(world)
    page = open_page(language="zh-hans")
    log_in(page, "office", language="zh-hans")
    nav_link(page, tr("zh-hans", "Feedback")).click()
    page.get_by_role("link", name=world.member.name).click()
    expect(page.locator(".item")).to_have_count(3)
    expect(page.locator(".item").first).to_contain_text("提交人CANARY")  # the office sees the source
    shoot(page, "feedback-office-list-zh-hans")
    page.goto(f"/opinions/feedback/{feedback_list.pk}/print/")
    expect(page.locator(".feedback-sheet tbody tr")).to_have_count(3)
    assert "CANARY" not in page.locator(".feedback-sheet").inner_text()
    shoot(page, "feedback-office-print-zh-hans")

    # A short list for another member: the office is warned, confirms, releases both.
    colleague = Member.objects.get(name="李四INSIDE")
    OpinionFactory(target_member=colleague, text="关于李四的一条意见")
    page.goto("/opinions/feedback/targets/")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    shoot(page, "feedback-office-targets-zh-hans")
    with page.expect_navigation():
        page.locator("main table tbody tr").get_by_role("button").click()
    page.get_by_role("link", name=tr("zh-hans", "Add an item")).click()
    page.get_by_label("关于李四的一条意见").check()
    page.get_by_label(tr("zh-hans", "Feedback in the office's own words")).fill("工作方法有待改进。")
    page.get_by_label(tr("zh-hans", "Aspect")).select_option(Aspect.WORK_STYLE.value)
    shoot(page, "feedback-office-item-form-zh-hans")
    with page.expect_navigation():
        page.get_by_role("button", name=tr("zh-hans", "Save")).click()
    expect(page.locator(".warning-k")).to_be_visible()
    shoot(page, "feedback-office-short-list-zh-hans")

    page.goto("/opinions/feedback/release/")
    expect(page.locator("main table tbody tr")).to_have_count(2)
    page.locator("main table tbody input[type=checkbox]").nth(0).check()
    page.locator("main table tbody input[type=checkbox]").nth(1).check()
    with page.expect_navigation():
        page.get_by_role("button", name=tr("zh-hans", "Release the selected lists")).click()
    expect(page.locator(".errors")).to_contain_text("李四INSIDE")
    shoot(page, "feedback-office-release-refused-zh-hans")
    assert not FeedbackList.objects.filter(status=FeedbackList.Status.RELEASED).exists()

    page.goto("/opinions/feedback/")
    shoot(page, "feedback-office-progress-zh-hans")
