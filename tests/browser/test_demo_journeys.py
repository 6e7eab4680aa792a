"""Every demo login's main journey through the demo as shipped, in Chromium, on today's
date (no time travel, nothing set up by hand): `seed_demo` exactly as `make run` calls
it, then a citizen writes at /box/; `member` writes below the minimum and is refused,
submits; `responsible` returns it; `member` revises; `responsible` approves; the
supervisor reviews a card; the secretaries see their gaps. Each login's menu fits one
line at 1366 px in Chinese and shows its queues' counts. Screenshots (1366×768 and
1920×1080, zh-hans and English) go to /tmp/canvass-shots/demo-*.png to be looked at.

The demo is seeded once, in the one test below (seeding takes tens of seconds).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from campaign import demo
from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind, RoleAssignment
from reviews import services as review_services
from reviews.models import AnalysisDocument, DocumentState
from reviews.selectors import queue_for
from talks.card_selectors import review_queue
from talks.models import CardDecision, CardState, Talk
from tests.browser.helpers import nav_link, shoot, submit_login, tr
from tests.reviews.conftest import words

pytestmark = pytest.mark.browser

ZH, EN = "zh-hans", "en"
SIZES = {"1366": (1366, 768), "1920": (1920, 1080)}
OpenPage = Callable[..., Page]
User = get_user_model()


def log_in(page: Page, username: str, language: str) -> None:
    page.goto("/accounts/login/")
    submit_login(page, username, language=language, password=demo.DEMO_PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", language)


def log_out(page: Page, language: str) -> None:
    page.locator(".topbar").get_by_role("button", name=tr(language, "Log out")).click()
    page.wait_for_url("**/accounts/login/")


def settle(page: Page) -> None:
    expect(page.locator("#document-form")).to_have_attribute("data-busy", "0")


def fill_sections(page: Page, total: int) -> None:
    names = [box.get_attribute("name") for box in page.locator("#document-form textarea").all()]
    share = total // len(names)
    for index, name in enumerate(names):
        page.locator(f"textarea[name={name}]").fill(words(share + (total - share * len(names) if index == 0 else 0)))


def menu_on_one_line(page: Page) -> None:
    """The top bar's menu: every entry at the same height, level with the brand."""
    tops = page.evaluate(
        """() => {
            const items = [...document.querySelectorAll('.mainnav > ul > li')];
            const brand = document.querySelector('.brand').getBoundingClientRect();
            return {items: items.map(li => Math.round(li.getBoundingClientRect().top)),
                    brand: Math.round(brand.top), end: Math.round(
                        document.querySelector('.topbar-end').getBoundingClientRect().top)};
        }"""
    )
    assert tops["items"], f"{page.url}: no menu"
    assert max(tops["items"]) - min(tops["items"]) <= 4, f"{page.url}: the menu wraps: {tops}"
    assert abs(tops["items"][0] - tops["brand"]) <= 12 and abs(tops["end"] - tops["brand"]) <= 12, tops


def menu_count(page: Page, label: str) -> int:
    """The count beside a queue's entry in the menu (a grouped menu's entries are hidden
    until their group is opened: the count is read all the same)."""
    entry = page.locator(".mainnav li:not(.navgroup)").filter(
        has=page.get_by_role("link", name=label, exact=True, include_hidden=True)
    )
    return int((entry.locator(":scope > .navcount").text_content() or "").replace(",", ""))


@pytest.fixture
def shipped_demo(live_server, transactional_db, settings) -> None:
    """The demo as `make run` seeds it (DEBUG on: with its logins), committed for the server."""
    with override_settings(CANVASS_DEMO_USERS=True), translation.override(ZH):
        call_command("seed_demo", "--if-empty", stdout=StringIO())


# --- The journeys ---------------------------------------------------------------------------


def citizen_writes_at_the_box(open_page: OpenPage) -> None:
    page = open_page(language=ZH, width=1366, height=768)
    page.goto("/box/")
    expect(page.locator("main h1")).to_have_text(tr(ZH, "Online suggestion box"))
    shoot(page, "demo-box-landing-1366-zh-hans")
    page.get_by_role("link", name=tr(ZH, "Write an opinion or suggestion")).click()
    target = page.get_by_label(tr(ZH, "Whom is your opinion about?"))
    target.select_option(index=1)
    page.get_by_label(tr(ZH, "Opinion"), exact=True).check()
    page.get_by_label(tr(ZH, "Which aspect does it concern?")).select_option(index=1)
    page.get_by_label(tr(ZH, "Your opinion or suggestion"), exact=True).fill("窗口办事排队太久，建议增加窗口。")
    page.get_by_role("button", name=tr(ZH, "Send")).click()
    expect(page.locator("#receipt-code")).to_have_text(re.compile(r"^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$"))
    shoot(page, "demo-box-receipt-1366-zh-hans")


def member_is_refused_below_the_minimum_then_submits(open_page: OpenPage, document: AnalysisDocument) -> None:
    page = open_page(language=EN, width=1366, height=768)
    log_in(page, "member", EN)
    nav_link(page, tr(EN, "My document")).click()
    # His draft as the demo ships it: below the minimum, the counter says by how much.
    missing = review_services.minimum_words(document.member, document.campaign) - document.word_count
    expect(page.locator("#word-total")).to_have_text(f"{document.word_count:,}")  # one number format: 1,935
    expect(page.locator("#word-state")).to_contain_text(f"{missing:,}")
    for box in page.locator(".comparisons input[type=checkbox]").all():
        box.check()
    settle(page)
    page.get_by_role("button", name=tr(EN, "Submit for review")).click()
    expect(page.locator(".msg.error")).to_contain_text("words are missing")
    shoot(page, "demo-member-refused-1366-en")
    fill_sections(page, 3100)
    expect(page.locator("#word-state")).to_have_text(tr(EN, "long enough"))
    settle(page)
    page.get_by_role("button", name=tr(EN, "Submit for review")).click()
    expect(page.locator("#document-state")).to_have_text(tr(EN, DocumentState.SUBMITTED.label))
    log_out(page, EN)


def responsible_decides(open_page: OpenPage, document: AnalysisDocument, *, approve: bool) -> None:
    page = open_page(language=ZH, width=1366, height=768)
    log_in(page, "responsible", ZH)
    waiting = queue_for(document.member.unit.responsible_leader.user, document.campaign).count()
    assert menu_count(page, tr(ZH, "To review")) == waiting
    nav_link(page, tr(ZH, "To review")).click()
    expect(page.locator("table")).to_contain_text(document.member.name)
    shoot(page, f"demo-responsible-queue-{'approve' if approve else 'return'}-1366-zh-hans")
    page.get_by_role("link", name=document.member.name).click()
    if approve:
        for label in ("Problems accurate", "Causes accurate", "Direction accurate"):
            page.locator("#decision").get_by_label(tr(ZH, label)).check()
        page.get_by_label(tr(ZH, "Approve")).check()
    else:
        page.get_by_role("textbox", name=tr(ZH, "Comment on “%(section)s”", section=tr(ZH, "Causes"))).fill(
            "原因分析要联系思想实际"
        )
        page.get_by_label(tr(ZH, "Overall comment")).fill("请补充具体事例")
        page.get_by_label(tr(ZH, "Return for revision")).check()
    page.get_by_role("button", name=tr(ZH, "Record the decision")).click()
    state = DocumentState.APPROVED if approve else DocumentState.RETURNED
    expect(page.locator("#document-state")).to_have_text(tr(ZH, state.label))
    log_out(page, ZH)


def member_revises(open_page: OpenPage) -> None:
    page = open_page(language=ZH, width=1366, height=768)
    log_in(page, "member", ZH)
    page.goto(reverse("reviews:my_document"))
    expect(page.locator("#return-comments")).to_contain_text("原因分析要联系思想实际")
    causes = page.locator("textarea[name=causes]")
    causes.fill(causes.input_value() + "\n深入剖析思想根源，补充具体事例。")
    shoot(page, "demo-member-returned-1366-zh-hans")
    settle(page)
    page.get_by_role("button", name=tr(ZH, "Submit for review")).click()
    expect(page.locator("#document-state")).to_have_text(tr(ZH, DocumentState.RESUBMITTED.label))
    log_out(page, ZH)


def supervisor_reviews_a_card(open_page: OpenPage) -> Talk:
    page = open_page(language=ZH, width=1366, height=768)
    log_in(page, "supervisor", ZH)
    queue = review_queue(User.objects.get(username="supervisor"), demo_campaign())
    first = queue.first()
    assert menu_count(page, tr(ZH, "Cards to review")) == queue.count() > 0
    nav_link(page, tr(ZH, "Cards to review")).click()
    shoot(page, "demo-supervisor-cards-1366-zh-hans")
    page.locator("table.queue").get_by_role("link", name=tr(ZH, "Review")).first.click()
    page.locator("#decision").get_by_label(tr(ZH, CardDecision.ADEQUATE.label)).check()
    page.locator("#decision").get_by_role("button", name=tr(ZH, "Record the decision")).click()
    expect(page.locator("main")).to_contain_text(tr(ZH, CardState.ADEQUATE.label))
    log_out(page, ZH)
    return first


def demo_campaign() -> Campaign:
    return Campaign.objects.get(slug=demo.SLUG)


def secretary_sees_his_gaps(open_page: OpenPage, username: str, place: OrgUnit, member: Member) -> Page:
    """The secretary's home page shows "my unit's gaps" (the members below the talk quota,
    the documents not submitted or returned, the lists unsigned); his unit's documents,
    member by member, name the member whose draft is not submitted (for a branch
    secretary, his branch's page and its members)."""
    page = open_page(language=ZH, width=1366, height=768)
    log_in(page, username, ZH)
    page.goto(reverse("campaign:home"))
    gaps = page.locator("#unit_gaps")
    expect(gaps).to_contain_text(tr(ZH, "My unit's gaps"))
    expect(gaps).to_contain_text(tr(ZH, "Documents not submitted"))
    shoot(page, f"demo-{username}-home-gaps-1366-zh-hans")
    if place.kind == OrgUnitKind.BRANCH:
        page.goto(reverse("campaign:unit_detail", args=[place.pk]))
    else:
        page.goto(reverse("reports:documents_unit", args=[place.pk]))
    expect(page.locator("main")).to_contain_text(member.name)
    shoot(page, f"demo-{username}-gaps-1366-zh-hans")
    return page


# --- The test ---------------------------------------------------------------------------------


def test_every_demo_login_goes_through_its_journey_on_todays_date(shipped_demo, open_page) -> None:
    member = Member.objects.select_related("unit").get(user__username="member")
    document = AnalysisDocument.objects.select_related("member__unit", "campaign").get(member=member)
    assert document.state == DocumentState.DRAFT

    citizen_writes_at_the_box(open_page)
    member_is_refused_below_the_minimum_then_submits(open_page, document)
    responsible_decides(open_page, document, approve=False)
    member_revises(open_page)
    responsible_decides(open_page, document, approve=True)
    document.refresh_from_db()
    assert document.state == DocumentState.APPROVED
    assert list(document.versions.values_list("number", flat=True)) == [1, 2]

    card = supervisor_reviews_a_card(open_page)
    card.refresh_from_db()
    assert card.state == CardState.ADEQUATE

    secretary_sees_his_gaps(open_page, "secretary", member.unit, member)
    branch = RoleAssignment.objects.get(user__username="branchsec").unit
    secretary_sees_his_gaps(open_page, "branchsec", branch, member)
    assert branch == member.branch

    # Every login: the menu on one line at 1366 px in Chinese; its home and its main
    # page at both sizes in both languages, to be looked at.
    main_page = {
        "admin": reverse("reports:general_ledger"),
        "office": reverse("reports:general_ledger"),
        "supervisor": reverse("talks:review_queue"),
        "municipal": reverse("talks:review_queue"),
        "secretary": reverse("reports:documents_unit", args=[member.unit_id]),
        "branchsec": reverse("campaign:unit_detail", args=[branch.pk]),
        "member": reverse("reviews:my_document"),
        "leader": reverse("talks:card_list"),
        "responsible": reverse("reviews:queue"),
    }
    # Every size and language with CANVASS_SHOTS=all (to look at them); otherwise what the
    # menu's test needs, Chinese at 1366 px, which keeps the suite short.
    every = os.environ.get("CANVASS_SHOTS") == "all"
    for username in demo.USERNAMES:
        for language in (ZH, EN) if every else (ZH,):
            for size, (width, height) in SIZES.items() if every else [("1366", SIZES["1366"])]:
                page = open_page(language=language, width=width, height=height)
                log_in(page, username, language)
                if language == ZH and size == "1366":
                    menu_on_one_line(page)
                shoot(page, f"demo-{username}-home-{size}-{language}")
                page.goto(main_page[username])
                if language == ZH and size == "1366":
                    menu_on_one_line(page)
                shoot(page, f"demo-{username}-main-{size}-{language}")
                page.context.close()
