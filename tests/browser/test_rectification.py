"""Issue 14 in Chromium, in Chinese, at 1366×768: the office makes one problem of
several opinions (one of them from the public box); the unit's secretary hands it over
to another department; that department's secretary accepts it, starts work and marks it
solved with an evidence file and the measure to publish; the citizen's receipt then
says the problem raised was solved, with the unit's measure and nothing about anyone.

The starting world is written through factories; every step goes through the pages.
Screenshots are kept in test-artifacts/rectification/ for a person to look at, and
checked for sideways scrolling and English chrome."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from opinions import public
from opinions.models import OpinionStatus
from rectification.models import Handover, HandoverState, Problem, ProblemState
from tests.browser.helpers import log_in, nav_link, tr
from tests.conftest import World
from tests.opinions.factories import OpinionFactory
from tests.rectification.factories import PDF, secretary_of

pytestmark = pytest.mark.browser

LANGUAGE = "zh-hans"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CANVASS_ARTIFACTS_DIR", ROOT / "test-artifacts")) / "rectification"
CHROME = (
    ".topbar .brand, .mainnav, .breadcrumbs, main h1, main h2, main h3, main th, main label, "
    "main button, main legend, main .button, main .msg, main .notice, main dt"
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
LATIN_ALLOWED = {"INSIDE", "OUTSIDE", "PDF", "JPEG", "PNG", "Word", "Excel", "MB"}
CODE = "2468135724681357"
MEASURE = "已建立班子成员基层联系点制度，每人每月到联系点调研两次。"
SUBMITTER = "提交人金丝雀"


def t(message: str, **params) -> str:
    return tr(LANGUAGE, message, **params)


class Shots:
    def __init__(self, names: list[str]) -> None:
        self.number = 0
        self.names = sorted(names, key=len, reverse=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()

    def __call__(self, page: Page, name: str) -> Path:
        page.wait_for_load_state("networkidle")
        self.number += 1
        path = ARTIFACTS / f"{self.number:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path.name}: {page.url} scrolls sideways by {overflow}px"
        texts = page.locator(CHROME).evaluate_all(
            "els => els.filter(e => !e.closest('form.lang') && e.offsetParent !== null).map(e => e.innerText)"
        )
        wrong: set[str] = set()
        for text in texts:
            for name in self.names:
                text = text.replace(name, " ")
            wrong.update(w for w in LATIN_WORD.findall(text) if w not in LATIN_ALLOWED)
        assert not wrong, f"{path.name} ({page.url}) shows English: {sorted(wrong)}"
        assert SUBMITTER not in page.content()
        return path


def open_as(open_page, username: str) -> Page:
    page = open_page(language=LANGUAGE, width=1366, height=768)
    log_in(page, username, language=LANGUAGE)
    return page


def test_a_problem_from_opinions_to_the_citizens_receipt(live_world: World, open_page, tmp_path) -> None:
    world = live_world
    secretary_of(world, world.other_unit, username="receiver")
    citizen_opinion = OpinionFactory(
        target_member=world.member,
        text="干部很少到村里来，群众有事找不到人。",
        submitter_name=SUBMITTER,
        receipt_hash=public.receipt_hash(CODE),
    )
    others = [OpinionFactory(target_member=world.member, text=f"希望领导多下基层听取意见{n}。") for n in range(2)]
    shot = Shots([world.unit.name, world.other_unit.name, world.campaign.name, world.member.name])

    # 1. The office makes one problem of the three opinions.
    office = open_as(open_page, "office")
    nav_link(office, t("Problem list")).click()
    shot(office, "office-problem-list-empty")
    office.get_by_role("link", name=t("Make a problem of opinions")).click()
    for opinion in [citizen_opinion, *others]:
        office.locator(f"#opinion-{opinion.pk}").check()
    office.get_by_label(t("Owning organisation")).select_option(str(world.unit.pk))
    office.get_by_label(t("Problem title")).fill("深入基层不够")
    office.get_by_label(t("Problem"), exact=True).fill("群众反映班子成员下基层少，有事找不到人。")
    office.get_by_label(t("Problem category")).select_option("hot")
    shot(office, "office-chooses-opinions")
    with office.expect_navigation():
        office.get_by_role("button", name=t("Make the problem")).click()
    expect(office.locator("#opinions li")).to_have_count(3)
    shot(office, "office-problem-made")
    problem = Problem.objects.get(title="深入基层不够")
    assert problem.opinion_links.count() == 3

    # 2. The unit's secretary hands it over to the other department, by its code.
    secretary = open_as(open_page, "secretary")
    nav_link(secretary, t("Problem list")).click()
    secretary.get_by_role("link", name="深入基层不够").click()
    secretary.locator("#hand-over").click()
    secretary.get_by_label(t("Receiving department's code")).fill(world.other_unit.code)
    secretary.get_by_label(t("Why it is handed over")).fill("该问题属教育部门职责，移交其牵头解决。")
    shot(secretary, "secretary-hands-over")
    with secretary.expect_navigation():
        secretary.get_by_role("button", name=t("Save")).click()
    expect(secretary.locator("#state")).to_contain_text(t("Handed over, awaiting acceptance"))
    shot(secretary, "secretary-handed-over")

    # 3. The receiving department accepts it, starts work and solves it with evidence.
    receiver = open_as(open_page, "receiver")
    nav_link(receiver, t("Problem list")).click()
    expect(receiver.locator("#awaiting")).to_be_visible()
    shot(receiver, "receiver-sees-it-waiting")
    receiver.get_by_role("link", name="深入基层不够").click()
    with receiver.expect_navigation():
        receiver.locator("#accept").click()
    expect(receiver.locator("#owner")).to_contain_text(world.other_unit.name)
    expect(receiver.locator("#chain tbody tr")).to_have_count(1)
    with receiver.expect_navigation():
        receiver.locator("#start").click()
    receiver.locator("#solve").click()
    evidence = tmp_path / "整改报告.pdf"
    evidence.write_bytes(PDF)
    receiver.get_by_label(t("Measure published to the people")).fill(MEASURE)
    receiver.get_by_label(t("Evidence")).set_input_files(str(evidence))
    shot(receiver, "receiver-solves-with-evidence")
    with receiver.expect_navigation():
        receiver.get_by_role("button", name=t("Save")).click()
    expect(receiver.locator("#state")).to_contain_text(t("Solved"))
    expect(receiver.locator("#evidence li")).to_have_count(1)
    shot(receiver, "receiver-solved")

    problem.refresh_from_db()
    assert problem.state == ProblemState.SOLVED and problem.unit == world.other_unit
    assert Handover.objects.get(problem=problem).state == HandoverState.ACCEPTED
    citizen_opinion.refresh_from_db()
    assert citizen_opinion.status == OpinionStatus.CLOSED

    # 4. The citizen checks the receipt: solved, with the unit's measure, nothing else.
    citizen = open_page(language=LANGUAGE, width=1366, height=768)
    citizen.goto(reverse("public:receipt"))
    citizen.locator("input[name=code]").fill(CODE)
    with citizen.expect_navigation():
        citizen.get_by_role("button", name=t("Check")).click()
    expect(citizen.locator("#solved")).to_have_text(t("The problem you raised has been solved."))
    expect(citizen.locator("#measure")).to_have_text(MEASURE)
    shot(citizen, "citizen-receipt-solved")
