"""Issue 13 in Chromium, in Chinese, at 1366×768: the unit's secretary enters the
look-back self-check; the supervisory team finds items not met (the figures beside
them propose it) and issues a remedial order; the secretary reports the redo; the
supervisory team closes the order, and the check is re-run for those items.

Each step's full-page screenshot is kept in /tmp/canvass-shots/lookback-*.png
(CANVASS_SHOTS_DIR moves it) for a person to look at."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from lookback.models import CheckItem, LookbackCheck, OrderState, RemedialOrder
from tests.browser.helpers import log_in, nav_link, shoot, tr
from tests.conftest import World

pytestmark = pytest.mark.browser

LANGUAGE = "zh-hans"


def t(message: str, **params) -> str:
    return tr(LANGUAGE, message, **params)


def tp(context: str, message: str) -> str:
    with translation.override(LANGUAGE):
        return translation.pgettext(context, message)


def open_as(open_page, username: str) -> Page:
    page = open_page(language=LANGUAGE, width=1366, height=768)
    log_in(page, username, language=LANGUAGE)
    return page


def test_self_check_verdict_order_redo_and_close(live_world: World, open_page) -> None:
    world = live_world
    unit = world.unit

    # 1. The secretary opens his unit's check from the menu and enters the self-check.
    secretary = open_as(open_page, "secretary")
    nav_link(secretary, t("Look-back checks")).click()
    shoot(secretary, "lookback-01-check-list")
    secretary.locator("#checks").get_by_role("link", name=unit.name).click()
    expect(secretary.locator("#items tbody tr")).to_have_count(6)
    secretary.locator("#self-check").click()
    for n in range(1, 7):
        secretary.locator(f"input[name=met_{n}][value='1']").check()
    secretary.locator("textarea[name=notes_2]").fill("已召开座谈会两次，征求意见较为充分。")
    shoot(secretary, "lookback-02-self-check")
    with secretary.expect_navigation():
        secretary.get_by_role("button", name=t("Save the self-check")).click()
    expect(secretary.locator("#state")).to_have_text(t("Self-checked, awaiting the verdict"))
    shoot(secretary, "lookback-03-self-checked")

    # 2. The supervisor sees the figures beside each item; they propose "not met" where
    # a threshold is crossed, and the verdict form starts from the proposal.
    supervisor = open_as(open_page, "supervisor")
    supervisor.goto(f"/lookback/checks/{unit.pk}/")
    proposed = supervisor.locator("#items [data-proposed=short]")
    expect(proposed.first).to_be_visible()
    supervisor.locator("#verdict").click()
    supervisor.locator("input[name=met_2][value='0']").check()
    supervisor.locator("textarea[name=notes_2]").fill("征求意见不充分，走过场。")
    shoot(supervisor, "lookback-04-verdict")
    with supervisor.expect_navigation():
        supervisor.locator("#check-form").get_by_role("button", name=t("Give the verdict")).click()
    expect(supervisor.locator("#state")).to_have_text(t("Verdict given"))
    expect(supervisor.locator("#item-2")).to_have_class("open")
    shoot(supervisor, "lookback-05-judged")

    # 3. ...and issues a remedial order for the items not met, with a deadline.
    supervisor.locator("#order-new").click()
    supervisor.get_by_label(t("Remedial work")).fill("重新组织座谈会，广泛征求党员群众意见。")
    deadline = timezone.localdate() + datetime.timedelta(days=7)
    supervisor.get_by_label(t("Deadline")).fill(deadline.isoformat())
    shoot(supervisor, "lookback-06-order-form")
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name=t("Save")).click()
    expect(supervisor.locator("#order-state")).to_have_text(tp("order state", "Open"))
    order = RemedialOrder.objects.get(unit=unit)
    assert 2 in order.items
    shoot(supervisor, "lookback-07-order")

    # 4. The secretary reports the redo.
    secretary.goto(f"/lookback/checks/{unit.pk}/")
    secretary.locator("#orders").get_by_role("link").first.click()
    secretary.get_by_label(t("What the unit redid")).fill("已重新召开三次座谈会，收集意见建议四十余条。")
    with secretary.expect_navigation():
        secretary.get_by_role("button", name=t("Report the redo")).click()
    expect(secretary.locator("#order-state")).to_have_text(tp("order state", "Redo reported"))
    shoot(secretary, "lookback-08-redo-reported")

    # 5. The supervisor closes it: the figures still fall short, so he says why; the
    # check is re-run for the order's items.
    supervisor.goto(f"/lookback/orders/{order.pk}/")
    with supervisor.expect_navigation():
        supervisor.locator("#close-order").click()
    expect(supervisor.locator("#order-errors")).to_be_visible()
    shoot(supervisor, "lookback-09-close-needs-a-reason")
    supervisor.goto(f"/lookback/orders/{order.pk}/")
    supervisor.get_by_label(t("Comment")).fill("经督导组复查，补课到位，同意销号。")
    with supervisor.expect_navigation():
        supervisor.locator("#close-order").click()
    expect(supervisor.locator("#order-state")).to_have_text(tp("order state", "Closed"))
    shoot(supervisor, "lookback-10-closed")
    order.refresh_from_db()
    assert order.state == OrderState.CLOSED
    check = LookbackCheck.objects.get(unit=unit)
    assert all(CheckItem.objects.get(check_record=check, item=n).verdict_met for n in order.items)
    supervisor.goto(f"/lookback/checks/{unit.pk}/")
    shoot(supervisor, "lookback-11-rechecked")
