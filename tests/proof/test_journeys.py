"""Journeys (issue 11 §5 item 6): each role through the whole campaign in Chromium, in
Chinese and in English, as that person would go through it — the office sets up the
organisation, collects, consolidates and releases opinions and reads the ledgers; a
citizen writes to the public box; a unit secretary enters his unit's opinions and talk
cards; a member signs his feedback, logs a talk and writes his self-analysis; the unit's
responsible leader returns and approves it; the supervisor works through his queues.

Only the starting world and what *other* roles do between two steps are written through
the services; everything the journey's own role does goes through the pages. At every
step the test asserts what the person must see, checks the page speaks the language
asked for (no English chrome on a Chinese page, no Chinese chrome on an English one:
data names are Chinese either way), and keeps a full-page screenshot as an artefact:
test-artifacts/journeys/<language>/<role>/<NN-step>.png (CANVASS_ARTIFACTS_DIR moves
the test-artifacts folder)."""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone, translation
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    Rank,
    Stage,
    Step,
    Supervisor,
    SupervisoryTeam,
    TeamKind,
)
from opinions import feedback
from opinions.models import Aspect, Channel, FeedbackItem, FeedbackList, Opinion, OpinionStatus, SolicitationEvent
from opinions.public import PublicStatus, box_flush
from opinions.services import Target, opinion_create, opinion_transition
from reviews import services as documents
from reviews.models import SECTION_FIELDS, AnalysisDocument, Decision, DocumentState
from talks import services as talks
from talks.models import CardDecision, CardState, Talk, TalkKind
from tests import factories as f
from tests.browser import conftest as browser
from tests.browser.helpers import log_in, nav_link, tr
from tests.conftest import World
from tests.reviews.conftest import ALL_CONFIRMED, sections_of, words

pytestmark = [pytest.mark.proof, pytest.mark.browser]

# The browser suite's fixtures, here without a conftest of our own (tests/proof/ is shared).
fast_password_hasher = browser.fast_password_hasher
live_world = browser.live_world
open_page = browser.open_page

LANGUAGES = ["zh-hans", "en"]
RECORDED, RECORDED_MANY = "%(count)d opinion was recorded.", "%(count)d opinions were recorded."
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CANVASS_ARTIFACTS_DIR", ROOT / "test-artifacts")) / "journeys"

User = get_user_model()
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# The UI chrome whose language is checked: what the application itself writes.
CHROME = (
    ".topbar .brand, .mainnav, .breadcrumbs, main h1, main h2, main h3, main th, main label, "
    "main button, main legend, main .button, main .msg, main dt"
)
# Latin words a Chinese page may show: file formats, and the markers in the world's names.
LATIN_ALLOWED = {"Excel", "xlsx", "csv", "docx", "Word", "INSIDE", "OUTSIDE", "A4"}


# --- The journey: steps, their checks and screenshots ------------------------------------


@dataclass
class Journey:
    page: Page
    language: str
    role: str
    number: int = 0
    shots: list[Path] = field(default_factory=list)

    def t(self, message: str, **params) -> str:
        return tr(self.language, message, **params)

    def tn(self, singular: str, plural: str, count: int) -> str:
        with translation.override(self.language):
            return translation.ngettext(singular, plural, count) % {"count": count}

    def step(self, name: str, *, heading: str | None = None, allow: tuple[str, ...] = ()) -> None:
        """One step seen: its heading, its language, nothing scrolling sideways, and
        its screenshot kept. ``allow``: words of another language this page may show."""
        page = self.page
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        if heading is not None:
            expect(page.locator("main h1").first).to_contain_text(heading)
        self.number += 1
        folder = ARTIFACTS / self.language / self.role
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.number:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path.name}: {page.url} scrolls sideways by {overflow}px"
        self.check_language(path.name, allow)

    def check_language(self, where: str, allow: tuple[str, ...] = ()) -> None:
        texts = self.page.locator(CHROME).evaluate_all(
            "els => els.filter(e => !e.closest('form.lang') && e.offsetParent !== null).map(e => e.innerText)"
        )
        names = data_names() + sorted(allow, key=len, reverse=True)
        wrong: set[str] = set()
        for text in texts:
            for name in names:
                if name in text:
                    text = text.replace(name, " ")
            if self.language == "en":
                wrong.update(CJK.findall(text))
            else:
                wrong.update(w for w in LATIN_WORD.findall(text) if w not in LATIN_ALLOWED)
        assert not wrong, f"{self.language} page {where} ({self.page.url}) shows {sorted(wrong)}"


def data_names() -> list[str]:
    """The names and texts people entered: Chinese (or English) in either language."""
    names: set[str] = set()
    for model, fields in (
        (Campaign, ("name", "county")),
        (OrgUnit, ("name",)),
        (Member, ("name", "position")),
        (LeadershipTeam, ("name",)),
        (SupervisoryTeam, ("name",)),
        (Supervisor, ("name",)),
        (SolicitationEvent, ("title", "place")),
        (Opinion, ("text",)),
        (FeedbackItem, ("text",)),
    ):
        for row in model.objects.values_list(*fields):
            names.update(value for value in row if value)
    for row in User.objects.values_list("first_name", "last_name"):
        names.update(value for value in row if value)
    names.update(("简体中文", "English"))
    return sorted(names, key=len, reverse=True)


# --- The starting world -----------------------------------------------------------------


@pytest.fixture
def county(live_world: World) -> World:
    """The world's campaign with today in its analysis stage (the box open, talks
    allowed), the unit's responsible leader (李四, a section cadre) with a login, and the
    county's leaders for the box's list."""
    cache.clear()
    world = live_world
    campaign = world.campaign
    delta = timezone.localdate() - (campaign.starts_on + datetime.timedelta(days=60))
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_on=campaign.starts_on + delta, ends_on=campaign.ends_on + delta
    )
    for model in (Stage, Step):
        rows = model.objects.filter(**({"campaign": campaign} if model is Stage else {"stage__campaign": campaign}))
        for row in rows:
            model.objects.filter(pk=row.pk).update(starts_on=row.starts_on + delta, ends_on=row.ends_on + delta)
    campaign.refresh_from_db()
    leader = Member.objects.get(campaign=campaign, name="李四INSIDE")
    leader.user = f.UserFactory(username="reviewer")
    leader.save()
    world.unit.responsible_leader = leader
    world.unit.save()
    f.LeadershipTeamFactory(
        campaign=campaign, unit=world.county, name="中共示范县委常委班子", kind=TeamKind.STANDING_COMMITTEE
    )
    f.MemberFactory(
        campaign=campaign, unit=world.county, name="刘书记", rank=Rank.STANDING_COMMITTEE, position="县委书记"
    )
    return world


def today() -> datetime.date:
    return timezone.localdate()


def colleague(world: World) -> Member:
    return Member.objects.get(campaign=world.campaign, name="李四INSIDE")


def some_opinions(world: World, count: int = 3) -> list[Opinion]:
    """Opinions about the member that came in from a forum before the journey starts."""
    office = world.users["office"]
    return [
        opinion_create(
            actor=office,
            campaign=world.campaign,
            kind="opinion",
            text=text,
            channel=Channel.HOTLINE,
            received_on=today(),
            target=Target(member=world.member),
        )
        for text in ("下基层调研不够深入", "联系群众不够紧密", "学习不够系统")[:count]
    ]


def released_list(world: World) -> None:
    """The office's feedback list for the member, written over three opinions and released."""
    office = world.users["office"]
    opinions = some_opinions(world)
    feedback_list = feedback.feedback_list_get_or_create(
        actor=office, campaign=world.campaign, target=Target(member=world.member)
    )
    feedback.feedback_item_create(
        actor=office,
        feedback_list=feedback_list,
        text="深入基层调研不够，联系群众的渠道还不够多。",
        aspect=Aspect.WORK_STYLE,
        opinions=opinions[:2],
    )
    feedback.feedback_item_create(
        actor=office,
        feedback_list=feedback_list,
        text="理论学习的系统性不强。",
        aspect=Aspect.IDEALS,
        opinions=opinions[2:],
    )
    feedback.feedback_list_confirm_wording(actor=office, feedback_list=feedback_list, confirmed=True)
    feedback.feedback_lists_release(actor=office, campaign=world.campaign, lists=[feedback_list], released_on=today())


def written_document(member: Member) -> AnalysisDocument:
    """A member's document, long enough and confirmed, submitted to its reviewer."""
    document = documents.document_get_or_create(member=member)
    minimum = documents.minimum_words(member, member.campaign)
    document = documents.document_save(
        document=document, user=member.user, sections=sections_of(minimum + 70), comparisons=ALL_CONFIRMED
    )
    documents.document_submit(document=document, user=member.user)
    document.refresh_from_db()
    return document


def card(world: World, user, member: Member, other: Member, **changes) -> Talk:
    data = {
        "kind": TalkKind.MEMBER,
        "member": member,
        "other_member": other,
        "talked_on": today(),
        "place": "党员活动室",
        "topics": "工作作风",
        "member_problems": "学习不深",
        "other_problems": "联系群众少",
        "agreed": "互相监督",
    }
    data.update(changes)
    return talks.talk_create(user=user, campaign=world.campaign, data=data)


# --- Pieces of pages ---------------------------------------------------------------------


def choose_target(page: Page, field_locator, typed: str, label: str) -> None:
    """Type part of a name into a target field and pick from the suggestions."""
    field_locator.focus()
    page.keyboard.type(typed)
    options = page.locator(".suggestions[role=listbox] [role=option]")
    expect(options.first).to_be_visible()
    options.filter(has_text=label).first.click()
    expect(page.locator(".suggestions[role=listbox]")).to_have_count(0)


def enter_opinions(page: Page, rows: list[tuple[str, str, str]]) -> None:
    """Fill the batch page's first rows: (typed part of the name, name, text)."""
    # Its script is running once it has put the "Add a row" button in place.
    expect(page.locator("#add-row")).to_be_visible()
    for index, (typed, name, text) in enumerate(rows):
        row = page.locator("#batch-rows tr.batch-row").nth(index)
        choose_target(page, row.locator("input[name$='-target']"), typed, name)
        row.locator("select[name$='-aspect']").select_option("work")
        row.locator("textarea").fill(text)


def org_workbook() -> bytes:
    """The office's spreadsheet: a new township and its branch, two members, a team."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {
        "组织": [
            ["Code", "Name", "Kind", "Parent code"],
            ["N1", "新村镇政府", "unit", "C"],
            ["N1B", "新村镇支部", "支部", "N1"],
        ],
        "党员": [
            ["Number", "Name", "Unit code", "Branch code", "Rank", "Position", "Units in charge"],
            ["P001", "周一", "N1", "N1B", "Ordinary member", "", ""],
            ["P002", "吴二", "N1", "", "科级干部", "镇长", "N1"],
        ],
    }
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fill_document(page: Page, total: int) -> None:
    share = total // len(SECTION_FIELDS)
    for index, name in enumerate(SECTION_FIELDS):
        extra = total - share * len(SECTION_FIELDS) if index == 0 else 0
        page.locator(f"textarea[name={name}]").fill(words(share + extra))


def ready(page: Page, heading: str) -> None:
    """The new page is there and its scripts have run (the autocomplete listens)."""
    expect(page.locator("main h1")).to_have_text(heading)
    page.wait_for_load_state("load")


def settle(page: Page) -> None:
    """No draft save pending (the editor saves in the background)."""
    expect(page.locator("#document-form")).to_have_attribute("data-busy", "0")


def start(open_page, language: str, role: str, username: str | None) -> Journey:
    page = open_page(language=language, width=1366, height=800)
    page.set_default_timeout(15_000)
    journey = Journey(page=page, language=language, role=role)
    shutil.rmtree(ARTIFACTS / language / role, ignore_errors=True)  # no screenshot left from an older run
    if username:
        log_in(page, username, language=language)
    return journey


# --- The office ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_office(county: World, open_page, language: str, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    world = county
    hotline = some_opinions(world, 1)
    j = start(open_page, language, "office", "office")
    page, t = j.page, j.t
    expect(page.locator(".roles")).to_contain_text(t("County office staff"))
    j.step("home", heading=world.campaign.name)

    # Organisation set-up: the spreadsheet checked, then imported.
    nav_link(page, t("Import organisation")).click()
    # The sheets may be named in English too: the page says so, in either language.
    sheets = ("supervisory_teams", "units", "members", "teams", "组织", "党员", "领导班子", "督导组")
    j.step("import-page", heading=t("Import the organisation"), allow=sheets)
    page.get_by_label(t("Spreadsheet")).set_input_files(
        files=[{"name": "新村镇.xlsx", "mimeType": "application/octet-stream", "buffer": org_workbook()}]
    )
    page.get_by_role("button", name=t("Check the file")).click()
    expect(page.locator(".import-result h2")).to_contain_text(t("%(file)s: every row is valid", file="新村镇.xlsx"))
    assert not Member.objects.filter(name="周一").exists()
    j.step("import-checked", allow=(*sheets, "新村镇.xlsx"))
    page.get_by_role("button", name=t("Confirm the import")).click()
    expect(page.locator(".msg.success")).to_be_visible()
    assert Member.objects.filter(name__in=["周一", "吴二"]).count() == 2
    j.step("import-done", allow=(*sheets, "新村镇.xlsx"))
    nav_link(page, t("Members")).click()
    expect(page.locator("main table")).to_contain_text("周一")
    j.step("members", heading=t("Members"))

    # Soliciting opinions: a forum recorded, its minutes entered in one batch.
    nav_link(page, t("Opinions")).click()
    expect(page.locator("main table.opinions tbody tr")).to_have_count(1)
    j.step("opinions-before", heading=t("Opinions and suggestions"))
    page.locator("main").get_by_role("link", name=t("Solicitation events")).click()
    page.get_by_role("link", name=t("Record an event")).click()
    page.get_by_label(t("Kind")).select_option(Channel.FORUM.value)
    page.get_by_label(t("Title")).fill("城关镇群众代表座谈会")
    page.get_by_label(t("Host unit")).select_option(label=world.unit.name)
    page.get_by_label(t("Date (or start of the period)")).fill(today().isoformat())
    page.get_by_label(t("Attendance")).fill("25")
    j.step("event-form", heading=t("Record an event"))
    page.locator("main form").get_by_role("button", name=t("Save")).click()
    expect(page.locator("main table")).to_contain_text("城关镇群众代表座谈会")
    j.step("events", heading=t("Solicitation events"))
    page.get_by_role("link", name=t("Enter its opinions")).click()
    enter_opinions(
        page,
        [("张三", world.member.name, "办事拖拉，群众反映多"), ("张三", world.member.name, "会议多，下乡少")],
    )
    j.step("batch-filled", heading=t("Enter opinions"))
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg.success")).to_have_text(j.tn(RECORDED, RECORDED_MANY, 2))
    j.step("batch-saved")
    nav_link(page, t("Opinions")).click()
    expect(page.locator("main table.opinions tbody tr")).to_have_count(3)
    j.step("opinions-after", heading=t("Opinions and suggestions"))

    # Feedback: a list for the member over all three opinions, the wording confirmed, released.
    nav_link(page, t("Feedback")).click()
    j.step("feedback-lists", heading=t("Feedback lists"))
    page.locator("main").get_by_role("link", name=t("Write feedback")).click()
    row = page.locator("main table tbody tr").filter(has_text=world.member.name)
    with page.expect_navigation():
        row.get_by_role("button", name=t("Write feedback")).click()
    page.get_by_role("link", name=t("Add an item")).click()
    for opinion in page.locator("ul.choices input[type=checkbox]").all():
        opinion.check()
    page.get_by_label(t("Feedback in the office's own words")).fill("工作作风不够扎实，深入基层、联系群众不够。")
    page.get_by_label(t("Aspect")).select_option(Aspect.WORK_STYLE.value)
    j.step("feedback-item", heading=t("Add an item"))
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name=t("Save")).click()
    expect(page.locator(".item")).to_have_count(1)
    # Three opinions reach the campaign's threshold: no warning about the wording.
    expect(page.locator(".warning-k")).to_have_count(0)
    j.step("feedback-list")
    nav_link(page, t("Feedback")).click()
    page.locator("main").get_by_role("link", name=t("Release lists")).click()
    page.locator("main table tbody input[type=checkbox]").first.check()
    page.get_by_label(t("Released on")).fill(today().isoformat())
    j.step("release", heading=t("Release lists"))
    with page.expect_navigation():
        page.get_by_role("button", name=t("Release the selected lists")).click()
    expect(page.locator(".msg.success")).to_be_visible()
    assert FeedbackList.objects.get(target_member=world.member).status == FeedbackList.Status.RELEASED
    j.step("released")

    # An opinion's own page: from the hotline to the released list, in its history.
    page.goto(f"/opinions/{hotline[0].pk}/")
    expect(page.locator("main h1 .status")).to_have_text(t(OpinionStatus.FED_BACK.label))
    j.step("opinion-detail")

    # Ledgers: the figures include the opinions entered; the export is written.
    nav_link(page, t("Ledgers")).click()
    expect(page.locator(".ledger-total").first).to_have_text("3")
    unit_row = page.locator("main table.table tbody tr").filter(has_text=world.unit.name)
    expect(unit_row.locator("td").nth(7)).to_have_text("3")  # its total
    expect(unit_row.locator("td").nth(8)).to_have_text("1")  # its list released
    j.step("ledger", heading=t("General ledger"))
    with page.expect_navigation():
        page.get_by_role("button", name=t("General ledger of opinions (Excel)")).click()
    expect(page.locator("h2").first).to_have_text(t("Ready to download"))
    with page.expect_download() as download:
        page.get_by_role("link", name=t("Download")).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    j.step("ledger-export")
    page.goto("/ledgers/")
    page.get_by_role("link", name=world.unit.name).first.click()
    j.step("unit-ledger", heading=world.unit.name)

    # The progress of the other stages.
    nav_link(page, t("Talk progress")).click()
    j.step("talk-progress", heading=t("Heart-to-heart talks"))
    nav_link(page, t("Document progress")).click()
    # The filter's tick box is a tick box, not a square as high as the text boxes.
    tick = page.locator("form.filters input[type=checkbox]").first.bounding_box()
    assert tick is not None and tick["height"] <= 20, tick
    j.step("document-progress", heading=t("Self-analysis documents: progress"))


# --- A citizen at the public box ---------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_citizen(county: World, open_page, language: str) -> None:
    world = county
    j = start(open_page, language, "citizen", None)
    page, t = j.page, j.t
    page.goto("/box/")
    expect(page.locator(".mainnav")).to_have_count(0)
    j.step("box", heading=t("Online suggestion box"))
    page.get_by_role("link", name=t("Write an opinion or suggestion")).click()
    page.get_by_label(t("Whom is your opinion about?")).select_option(label="中共示范县委常委班子")
    page.get_by_label(t("Opinion"), exact=True).check()
    page.get_by_label(t("Which aspect does it concern?")).select_option(label=t(Aspect.WORK_STYLE.label))
    page.get_by_label(t("Your opinion or suggestion"), exact=True).fill("办事窗口排队时间太长，希望增加窗口。")
    j.step("write", heading=t("Write an opinion or suggestion"))
    page.get_by_role("button", name=t("Send")).click()
    code = page.locator("#receipt-code")
    expect(code).to_have_text(re.compile(r"^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$"))
    receipt = code.inner_text()
    j.step("receipt", heading=t("Thank you: your opinion has been received"))

    page.get_by_role("link", name=t("Check the status of an opinion you sent")).click()
    page.get_by_label(t("Receipt code")).fill(receipt)
    page.get_by_role("button", name=t("Check"), exact=True).click()
    expect(page.locator(".status-word")).to_have_text(t(PublicStatus.RECEIVED.label))
    j.step("status-received", heading=t("Check a receipt"))

    # The night's batch records it; the office sorts it and feeds it back.
    box_flush(before=today() + datetime.timedelta(days=1))
    opinion = Opinion.objects.get(channel=Channel.ONLINE)
    page.get_by_label(t("Receipt code")).fill(receipt)
    page.get_by_role("button", name=t("Check"), exact=True).click()
    expect(page.locator(".status-word")).to_have_text(t(PublicStatus.RECORDED.label))
    j.step("status-recorded")
    for status in (OpinionStatus.SORTED, OpinionStatus.FED_BACK):
        opinion_transition(actor=world.users["office"], opinion=opinion, to=status)
    page.get_by_label(t("Receipt code")).fill(receipt.replace(" ", ""))
    page.get_by_role("button", name=t("Check"), exact=True).click()
    expect(page.locator(".status-word")).to_have_text(t(PublicStatus.FED_BACK.label))
    expect(page.locator("main")).not_to_contain_text("办事窗口排队")
    j.step("status-fed-back")
    assert {cookie["name"] for cookie in page.context.cookies()} == {"csrftoken"}


# --- The unit secretary --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_secretary(county: World, open_page, language: str) -> None:
    world = county
    j = start(open_page, language, "secretary", "secretary")
    page, t = j.page, j.t
    expect(page.locator(".roles")).to_contain_text(t("Unit secretary"))
    j.step("home", heading=world.campaign.name)
    nav_link(page, t("Organisations")).click()
    expect(page.locator("main table")).not_to_contain_text("OUTSIDE")
    j.step("units", heading=t("Organisations"))

    # His unit's forum, and its opinions entered in one batch.
    nav_link(page, t("Opinions")).click()
    page.locator("main").get_by_role("link", name=t("Solicitation events")).click()
    page.get_by_role("link", name=t("Record an event")).click()
    page.get_by_label(t("Kind")).select_option(Channel.FORUM.value)
    page.get_by_label(t("Title")).fill("机关支部党员座谈会")
    page.get_by_label(t("Host unit")).select_option(label=world.branch.name)
    page.get_by_label(t("Date (or start of the period)")).fill(today().isoformat())
    page.get_by_label(t("Attendance")).fill("12")
    j.step("event-form", heading=t("Record an event"))
    page.locator("main form").get_by_role("button", name=t("Save")).click()
    expect(page.locator("main table")).to_contain_text("机关支部党员座谈会")
    j.step("events", heading=t("Solicitation events"))
    page.get_by_role("link", name=t("Enter its opinions")).click()
    enter_opinions(
        page,
        [
            ("张三", world.member.name, "理论学习不够深入"),
            ("李四", colleague(world).name, "批评与自我批评开展不够"),
            ("领导", "城关镇领导班子INSIDE", "班子民主生活会质量不高"),
        ],
    )
    j.step("batch-filled", heading=t("Enter opinions"))
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg.success")).to_have_text(j.tn(RECORDED, RECORDED_MANY, 3))
    j.step("batch-saved")
    nav_link(page, t("Opinions")).click()
    expect(page.locator("main table.opinions tbody tr")).to_have_count(3)
    j.step("opinions", heading=t("Opinions and suggestions"))

    # A talk between two of the unit's members, entered from its paper card.
    nav_link(page, t("Talk cards")).click()
    j.step("talk-register", heading=t("Talk cards"))
    page.get_by_role("link", name=t("Log a talk")).click()
    ready(page, t("Log a talk"))
    first = page.get_by_label(t("Member"), exact=True)
    first.press_sequentially("张三")
    expect(page.locator(".suggestions")).to_contain_text(world.member.name)
    first.press("Enter")
    page.get_by_label(t("Must-talk kind")).select_option(TalkKind.MEMBER.value)
    other = page.get_by_label(t("Talked with (member)"))
    other.press_sequentially("李四")
    expect(page.locator(".suggestions")).to_contain_text(colleague(world).name)
    other.press("Enter")
    page.get_by_label(t("Date")).fill(today().isoformat())
    page.get_by_label(t("Place")).fill("支部会议室")
    page.get_by_label(t("Topics")).fill("查摆问题，互相提醒")
    page.get_by_label(t("Problems the member raised")).fill("学习不系统")
    page.get_by_label(t("What was agreed")).fill("每月交流一次")
    j.step("talk-form", heading=t("Log a talk"))
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.locator("#card-state")).to_have_text(t(CardState.RECORDED.label))
    j.step("talk-card")

    # His unit's figures: the ledger and the talks.
    nav_link(page, t("Ledgers")).click()
    expect(page.locator(".ledger-total").first).to_have_text("3")
    j.step("ledger", heading=t("Ledger of the organisations in your charge"))
    nav_link(page, t("Talk progress")).click()
    j.step("talk-progress")


# --- A member -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_member(county: World, open_page, language: str) -> None:
    world = county
    released_list(world)
    j = start(open_page, language, "member", "member")
    page, t = j.page, j.t
    expect(page.locator(".roles")).to_contain_text(t("Member"))
    j.step("home", heading=world.campaign.name)
    nav_link(page, t("My record")).click()
    j.step("record", heading=world.member.name)

    # His feedback list: read and signed.
    nav_link(page, t("My feedback")).click()
    expect(page.locator(".feedback-sheet tbody tr")).to_have_count(2)
    j.step("feedback", heading=t("My feedback"))
    page.get_by_label(t("I have read the list above and sign for it.")).check()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Sign for the list")).click()
    expect(page.locator(".signed")).to_have_text(t("You have signed for your list."))
    j.step("feedback-signed")

    # A talk with a colleague.
    nav_link(page, t("My talks")).click()
    expect(page.locator("#my-quota")).to_contain_text("0 / ")
    j.step("talks", heading=t("My talks"))
    page.get_by_role("link", name=t("Log a talk")).click()
    ready(page, t("Log a talk"))
    page.get_by_label(t("Must-talk kind")).select_option(TalkKind.MEMBER.value)
    other = page.get_by_label(t("Talked with (member)"))
    other.press_sequentially("李四")
    expect(page.locator(".suggestions")).to_contain_text(colleague(world).name)
    other.press("Enter")
    page.get_by_label(t("Date")).fill(today().isoformat())
    page.get_by_label(t("Topics")).fill("如何改进工作作风")
    page.get_by_label(t("Problems the member raised")).fill("下基层不够")
    page.get_by_label(t("What was agreed")).fill("互相提醒")
    j.step("talk-form", heading=t("Log a talk"))
    page.get_by_label(t("What was agreed")).press("Control+Enter")
    expect(page.locator("#card-state")).to_have_text(t(CardState.RECORDED.label))
    j.step("talk-card")
    nav_link(page, t("My talks")).click()
    expect(page.locator("#my-quota")).to_contain_text("1 / ")
    j.step("talks-after")

    # His self-analysis: written, submitted.
    nav_link(page, t("My document")).click()
    j.step("document-empty", heading=t("My self-analysis document"))
    minimum = documents.minimum_words(world.member, world.campaign)
    fill_document(page, minimum + 30)
    for box in page.locator(".comparisons input[type=checkbox]").all():
        box.check()
    expect(page.locator("#word-state")).to_have_text(t("long enough"))
    settle(page)
    j.step("document-written")
    page.get_by_role("button", name=t("Submit for review")).click()
    expect(page.locator("#document-state")).to_have_text(t(DocumentState.SUBMITTED.label))
    j.step("document-submitted")

    # Returned by the unit's responsible leader: revised and submitted again.
    document = AnalysisDocument.objects.get(member=world.member)
    documents.document_decide(
        document=document,
        user=colleague(world).user,
        version_number=1,
        decision=Decision.RETURN,
        overall_comment="请补充具体事例",
        section_comments={"causes": "原因分析要联系思想实际"},
    )
    nav_link(page, t("My document")).click()
    expect(page.locator("main")).to_contain_text(t("State: %(state)s.", state=t(DocumentState.RETURNED.label)))
    expect(page.locator("#return-comments")).to_contain_text("原因分析要联系思想实际")
    j.step("document-returned")
    causes = page.locator("textarea[name=causes]")
    causes.fill(causes.input_value() + "\n深入剖析思想根源，补充具体事例。")
    settle(page)
    page.get_by_role("button", name=t("Submit for review")).click()
    expect(page.locator("#document-state")).to_have_text(t(DocumentState.RESUBMITTED.label))
    j.step("document-resubmitted")

    documents.document_decide(
        document=document,
        user=colleague(world).user,
        version_number=2,
        decision=Decision.APPROVE,
        problems_accurate=True,
        causes_accurate=True,
        direction_accurate=True,
    )
    nav_link(page, t("My document")).click()
    expect(page.locator("#document-state")).to_have_text(t(DocumentState.APPROVED.label))
    j.step("document-approved")

    # The same pages on his phone: nothing may scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for url, name in (("/opinions/feedback/mine/", "phone-feedback"), ("/talks/", "phone-talks")):
        page.goto(url)
        j.step(name)
    page.goto("/documents/mine/")
    j.step("phone-document")


# --- The unit's responsible leader, who reviews its members' documents ---------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_reviewer(county: World, open_page, language: str) -> None:
    world = county
    document = written_document(world.member)
    j = start(open_page, language, "reviewer", "reviewer")
    page, t = j.page, j.t
    j.step("home", heading=world.campaign.name)
    nav_link(page, t("To review")).click()
    expect(page.locator("main table")).to_contain_text(world.member.name)
    j.step("queue", heading=t("Documents to review"))
    page.get_by_role("link", name=world.member.name).click()
    page.get_by_label(t("Comment on “%(section)s”", section=t("Causes"))).fill("原因分析要联系思想实际")
    page.get_by_label(t("Overall comment")).fill("请补充具体事例")
    page.get_by_label(t("Return for revision")).check()
    j.step("document-return")
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.locator("#document-state")).to_have_text(t(DocumentState.RETURNED.label))
    j.step("document-returned")

    # The member revises and resubmits.
    member_user = world.users["member"]
    document.refresh_from_db()
    sections = dict(document.sections())
    sections["causes"] += "\n深入剖析思想根源，补充具体事例。"
    documents.document_save(document=document, user=member_user, sections=sections)
    documents.document_submit(document=document, user=member_user)

    nav_link(page, t("To review")).click()
    expect(page.locator("main table")).to_contain_text(t(DocumentState.RESUBMITTED.label))
    j.step("queue-resubmitted")
    page.get_by_role("link", name=world.member.name).click()
    page.get_by_role("link", name=t("Compare versions")).click()
    expect(page.locator("ins").first).to_contain_text("深入剖析思想根源")
    j.step("diff", heading=t("Compare versions"))
    page.locator(".breadcrumbs a").last.click()  # back to the document
    for label in ("Problems accurate", "Causes accurate", "Direction accurate"):
        page.locator("#decision").get_by_label(t(label)).check()
    page.get_by_label(t("Approve")).check()
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.locator("#document-state")).to_have_text(t(DocumentState.APPROVED.label))
    j.step("document-approved")


# --- The supervisor ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_supervisor(county: World, open_page, language: str) -> None:
    world = county
    leader = colleague(world)
    thin = card(world, world.users["member"], world.member, leader, member_problems="")
    good = card(
        world,
        world.users["secretary"],
        leader,
        world.member,
        place="会议室",
        talked_on=today() - datetime.timedelta(days=1),
    )
    document = written_document(leader)  # a section cadre's: to the county team's leader
    j = start(open_page, language, "supervisor", "supervisor")
    page, t = j.page, j.t
    expect(page.locator(".roles")).to_contain_text(t("Supervisory team member"))
    j.step("home", heading=world.campaign.name)

    # Talk cards: one returned with a comment, the other accepted.
    nav_link(page, t("Cards to review")).click()
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    j.step("card-queue", heading=t("Talk cards to review"))
    # The thin card (no problems the member raised) is the one to send back.
    queue_row = page.locator("table.queue tbody tr").filter(has_text=today().isoformat())
    queue_row.get_by_role("link", name=t("Review")).click()
    expect(page.locator("main")).to_contain_text(today().isoformat())
    page.get_by_label(t("Comment")).fill("请写明谈了哪些具体问题")
    page.get_by_label(t(CardDecision.RETURN.label)).check()
    j.step("card-return", heading=t("Review the talk card"))
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    j.step("card-queue-after")
    page.locator("table.queue").get_by_role("link", name=t("Review")).click()
    page.get_by_label(t(CardDecision.ADEQUATE.label)).check()
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.locator("table.queue")).to_contain_text(t("No card is waiting for your decision."))
    j.step("card-queue-empty")
    assert Talk.objects.get(pk=good.pk).state == CardState.ADEQUATE
    assert Talk.objects.get(pk=thin.pk).state == CardState.RETURNED

    # The section cadre's self-analysis, approved.
    nav_link(page, t("To review")).click()
    expect(page.locator("main table")).to_contain_text(leader.name)
    j.step("document-queue", heading=t("Documents to review"))
    page.get_by_role("link", name=leader.name).click()
    for label in ("Problems accurate", "Causes accurate", "Direction accurate"):
        page.locator("#decision").get_by_label(t(label)).check()
    page.get_by_label(t("Approve")).check()
    j.step("document-approve")
    page.get_by_role("button", name=t("Record the decision")).click()
    expect(page.locator("#document-state")).to_have_text(t(DocumentState.APPROVED.label))
    j.step("document-approved")
    assert AnalysisDocument.objects.get(pk=document.pk).state == DocumentState.APPROVED

    # What the team watches: the talks' and documents' progress, the ledger of its units.
    nav_link(page, t("Talk progress")).click()
    j.step("talk-progress")
    nav_link(page, t("Document progress")).click()
    j.step("document-progress")
    nav_link(page, t("Ledgers")).click()
    j.step("ledger", heading=t("Ledger of the organisations in your charge"))
