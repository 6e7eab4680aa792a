"""A member writes his self-analysis in Chromium, is blocked below the minimum, submits;
the unit's responsible leader returns it with comments; the member revises and
resubmits; the leader reads the diff and approves. Screenshots go to
/tmp/canvass-shots/docs-*.png for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from campaign.models import Rank
from reviews.models import SECTION_FIELDS, AnalysisDocument, DocumentState
from tests import factories as f
from tests.browser.helpers import log_in, log_out, shoot, tr
from tests.conftest import World
from tests.reviews.conftest import words

pytestmark = pytest.mark.browser

EN = "en"


def settle(page: Page) -> None:
    """Wait until the editor has no save pending or on its way (one request at a time
    keeps the test server's single SQLite connection out of trouble)."""
    expect(page.locator("#document-form")).to_have_attribute("data-busy", "0")


def fill_sections(page: Page, total: int) -> None:
    share = total // len(SECTION_FIELDS)
    for index, name in enumerate(SECTION_FIELDS):
        extra = total - share * len(SECTION_FIELDS) if index == 0 else 0
        page.locator(f"textarea[name={name}]").fill(words(share + extra))


def test_member_writes_is_returned_revises_and_is_approved(live_world: World, open_page) -> None:
    world = live_world
    leader = f.MemberFactory(
        campaign=world.campaign,
        unit=world.unit,
        name="负责人INSIDE",
        rank=Rank.SECTION_CADRE,
        user=f.UserFactory(username="unit-leader", first_name="负责人"),
    )
    world.unit.responsible_leader = leader
    world.unit.save()

    # The member writes 2,800 words: the live counter says 200 are missing.
    page = open_page(language=EN)
    log_in(page, "member", language=EN)
    page.goto("/documents/mine/")
    fill_sections(page, 2800)
    expect(page.locator("#word-total")).to_have_text("2,800")  # one number format (config/formats)
    expect(page.locator("#word-state")).to_contain_text("200")
    # Leaving a field saves the draft in the background.
    page.locator("textarea[name=causes]").blur()
    expect(page.locator("#save-state")).to_contain_text(tr(EN, "Draft saved at"))
    saved = AnalysisDocument.objects.filter(member=world.member, word_count=2800)
    for _attempt in range(50):
        if saved.exists():
            break
        page.wait_for_timeout(100)
    assert saved.exists(), "the draft was not saved in the background"

    for box in page.locator(".comparisons input[type=checkbox]").all():
        box.check()
    settle(page)
    page.get_by_role("button", name=tr(EN, "Submit for review")).click()
    expect(page.locator(".msg.error")).to_contain_text("200 words are missing")
    shoot(page, "docs-editor-below-minimum")

    fill_sections(page, 3000)
    expect(page.locator("#word-state")).to_have_text(tr(EN, "long enough"))
    settle(page)
    page.get_by_role("button", name=tr(EN, "Submit for review")).click()
    expect(page.locator("#document-state")).to_have_text(tr(EN, DocumentState.SUBMITTED.label))
    shoot(page, "docs-submitted")
    log_out(page, language=EN)

    # The responsible leader finds it in his queue and returns it with comments.
    log_in(page, "unit-leader", language=EN)
    page.goto("/documents/queue/")
    expect(page.locator("table")).to_contain_text(world.member.name)
    shoot(page, "docs-queue")
    page.get_by_role("link", name=world.member.name).click()
    page.get_by_label(tr(EN, "Comment on “%(section)s”", section="Causes")).fill("原因分析要联系思想实际")
    page.get_by_label(tr(EN, "Overall comment")).fill("请补充具体事例")
    page.get_by_label(tr(EN, "Return for revision")).check()
    page.get_by_role("button", name=tr(EN, "Record the decision")).click()
    expect(page.locator("#document-state")).to_have_text(tr(EN, DocumentState.RETURNED.label))
    log_out(page, language=EN)

    # The member reads the comments and revises the causes.
    log_in(page, "member", language=EN)
    page.goto("/documents/mine/")
    expect(page.locator("#return-comments")).to_contain_text("原因分析要联系思想实际")
    causes = page.locator("textarea[name=causes]")
    causes.fill(causes.input_value() + "\n深入剖析思想根源，补充具体事例。")
    shoot(page, "docs-returned-editor")
    settle(page)
    page.get_by_role("button", name=tr(EN, "Submit for review")).click()
    expect(page.locator("#document-state")).to_have_text(tr(EN, DocumentState.RESUBMITTED.label))
    log_out(page, language=EN)

    # The leader compares the versions, then approves with the three checks.
    log_in(page, "unit-leader", language=EN)
    document = AnalysisDocument.objects.get(member=world.member)
    page.goto(f"/documents/{document.pk}/diff/")
    expect(page.locator("ins").first).to_contain_text("深入剖析思想根源")
    shoot(page, "docs-diff")
    page.goto(f"/documents/{document.pk}/")
    for label in ("Problems accurate", "Causes accurate", "Direction accurate"):
        page.locator("#decision").get_by_label(tr(EN, label)).check()
    page.get_by_label(tr(EN, "Approve")).check()
    page.get_by_role("button", name=tr(EN, "Record the decision")).click()
    expect(page.locator("#document-state")).to_have_text(tr(EN, DocumentState.APPROVED.label))
    shoot(page, "docs-approved")
    document.refresh_from_db()
    assert document.state == DocumentState.APPROVED
    assert list(document.versions.values_list("number", flat=True)) == [1, 2]
