"""Issue 12 in Chromium, in Chinese (the office's default), at 1366×768: a secretary
opens a branch meeting the three no-convenings hold back and sees why; the member signs
the missing list; the meeting becomes ready; the secretary records it as held, with
attendance and a mutual criticism; the branch votes; the office reads the tally.

The starting world is written through factories and services; every step of the
journey goes through the pages. Each step's full-page screenshot is kept in
test-artifacts/meetings/ (CANVASS_ARTIFACTS_DIR moves the test-artifacts folder) for
a person to look at, and checked for sideways scrolling and English chrome."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from campaign.models import Member, Rank
from meetings.appraisal.models import MemberRating, TeamRating, VoterRecord
from meetings.models import Attendance, Criticism, Meeting, MeetingState
from meetings.views import PRINCIPLE
from opinions import feedback
from opinions.models import Aspect, FeedbackList
from opinions.services import Target
from tests import factories as f
from tests.browser.helpers import log_in, nav_link, tr
from tests.conftest import World
from tests.meetings.factories import MeetingFactory, document, low_quotas, signed_list, talk
from tests.opinions.factories import OpinionFactory

pytestmark = pytest.mark.browser

LANGUAGE = "zh-hans"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CANVASS_ARTIFACTS_DIR", ROOT / "test-artifacts")) / "meetings"
# The chrome whose language is checked: what the application itself writes.
CHROME = (
    ".topbar .brand, .mainnav, .breadcrumbs, main h1, main h2, main h3, main th, main label, "
    "main button, main legend, main .button, main .msg, main .notice, main dt, main .muted"
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Latin words a Chinese page may show: the file formats named on buttons, and the
# markers in the world's names.
LATIN_ALLOWED = {"xlsx", "docx", "Excel", "Word", "INSIDE", "OUTSIDE"}


def t(message: str, **params) -> str:
    return tr(LANGUAGE, message, **params)


class Shots:
    """The journey's screenshots, numbered in the order taken, each page checked."""

    def __init__(self, names: list[str]) -> None:
        self.number = 0
        self.names = sorted(names, key=len, reverse=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()

    def __call__(self, page: Page, name: str) -> Path:
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", LANGUAGE)
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
        return path


def tp(context: str, message: str) -> str:
    with translation.override(LANGUAGE):
        return translation.pgettext(context, message)


def principle_shown(page: Page) -> None:
    """The reminder, said once: in Chinese the English gloss is the principle itself."""
    expect(page.locator("#principle")).to_contain_text(PRINCIPLE)
    assert page.locator("#principle").inner_text().count(PRINCIPLE) == 1


def t_str(thing: object) -> str:
    """How ``thing`` reads on a Chinese page (its __str__ translates)."""
    with translation.override(LANGUAGE):
        return str(thing)


def open_as(open_page, username: str) -> Page:
    page = open_page(language=LANGUAGE, width=1366, height=768)
    log_in(page, username, language=LANGUAGE)
    return page


def branch_world(world: World) -> tuple[dict[str, Member], FeedbackList, Meeting]:
    """The world's branch with four members (张三 with the login "member", 李四 who heads
    the unit's team, and two more with logins): talks meeting a quota of one, approved
    documents and signed lists, except 张三's list, released by the office and not yet
    signed; and the branch's meeting planned."""
    campaign = world.campaign
    low_quotas(campaign)
    people = {
        "zhang": world.member,
        "li": Member.objects.get(campaign=campaign, name="李四INSIDE"),
        "wang": f.MemberFactory(
            campaign=campaign,
            unit=world.unit,
            branch=world.branch,
            name="王芳",
            rank=Rank.ORDINARY,
            user=f.UserFactory(username="wangfang"),
        ),
        "zhao": f.MemberFactory(
            campaign=campaign,
            unit=world.unit,
            branch=world.branch,
            name="赵强",
            rank=Rank.ORDINARY,
            user=f.UserFactory(username="zhaoqiang"),
        ),
    }
    for member in people.values():
        document(member)
    talk(people["zhang"], people["li"])  # the team's pair, and a talk for each of them
    talk(people["wang"])
    talk(people["zhao"])
    for key in ("li", "wang", "zhao"):
        signed_list(member=people[key])

    office = world.users["office"]
    opinions = [OpinionFactory(target_member=people["zhang"], text=f"关于张三的意见{n}") for n in range(3)]
    unsigned = feedback.feedback_list_get_or_create(
        actor=office, campaign=campaign, target=Target(member=people["zhang"])
    )
    feedback.feedback_item_create(
        actor=office,
        feedback_list=unsigned,
        text="深入基层调研不够，对群众反映的问题回应不够及时。",
        aspect=Aspect.WORK_STYLE,
        opinions=opinions,
    )
    feedback.feedback_lists_release(
        actor=office, campaign=campaign, lists=[unsigned], released_on=datetime.date(2026, 3, 10)
    )
    meeting = MeetingFactory(branch=world.branch)
    return people, unsigned, meeting


def test_a_branch_meeting_from_blocked_to_the_tally(live_world: World, open_page) -> None:
    world = live_world
    people, unsigned, meeting = branch_world(world)
    zhang, li, wang, zhao = people["zhang"], people["li"], people["wang"], people["zhao"]
    shot = Shots([m.name for m in Member.objects.all()] + [world.unit.name, world.branch.name, world.campaign.name])

    # 1. The secretary opens the meeting: held back, and the matrix says why, with a link.
    secretary = open_as(open_page, "secretary")
    nav_link(secretary, t("Meetings")).click()
    shot(secretary, "secretary-meeting-list")
    secretary.locator("main table").get_by_role("link", name=t_str(meeting)).first.click()
    expect(secretary.locator("#state")).to_have_text(t("Planned"))
    row = secretary.locator("#gate-matrix tbody tr.open")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text(zhang.name)
    reason = row.locator("td.not-met li a")
    expect(reason).to_have_text(t("The feedback list for %(name)s was released but is not signed.", name=zhang.name))
    expect(reason).to_have_attribute("href", f"/opinions/feedback/{unsigned.pk}/")
    expect(secretary.locator("#gate-matrix td.not-met")).to_have_count(1)
    # An open cell stands out from the met ones (static/css/meetings.css).
    expect(secretary.locator("#gate-matrix td.not-met")).to_have_css("color", "rgb(207, 34, 46)")
    shot(secretary, "secretary-meeting-blocked")
    reason.click()
    expect(secretary.locator("main h1")).to_contain_text(zhang.name)
    shot(secretary, "secretary-follows-the-reason")

    # 2. The member signs his list on his feedback page.
    member = open_as(open_page, "member")
    nav_link(member, t("My feedback")).click()
    expect(member.locator(".feedback-sheet tbody tr")).to_have_count(1)
    member.get_by_label(t("I have read the list above and sign for it.")).check()
    shot(member, "member-signs-his-list")
    with member.expect_navigation():
        member.get_by_role("button", name=t("Sign for the list")).click()
    expect(member.locator(".signed")).to_have_text(t("You have signed for your list."))
    shot(member, "member-signed")

    # 3. The secretary comes back to the meeting: every condition met.
    secretary.go_back()
    secretary.reload()
    expect(secretary.locator("#state")).to_have_text(t("Ready to convene"))
    expect(secretary.locator("#gate-matrix tbody tr.open")).to_have_count(0)
    expect(secretary.locator("#gate-matrix td.met")).to_have_count(3 * 4)
    expect(secretary.locator("main")).to_contain_text(t("Every condition is met: the meeting may be convened."))
    shot(secretary, "secretary-meeting-ready")

    # 4. Recorded as held: three present, 赵强 away with a reason; the principle in sight.
    secretary.get_by_role("link", name=t("Record as held")).first.click()
    principle_shown(secretary)
    expect(secretary.locator("#gate-closed")).to_have_count(0)
    secretary.get_by_label(t("Chair")).select_option(str(li.pk))
    secretary.get_by_label(t("Minutes")).fill("会议由李四主持，对照检查，开展批评和自我批评。")
    attendance = secretary.locator("#attendance")
    for person in (zhang, li, wang):
        attendance.locator(f"input[name=attendance_{person.pk}][value=present]").check()
    attendance.locator(f"input[name=attendance_{zhao.pk}][value=absent]").check()
    attendance.locator(f"input[name=reason_{zhao.pk}]").fill("因公出差")
    shot(secretary, "secretary-records-the-meeting")
    with secretary.expect_navigation():
        secretary.locator("main form").get_by_role("button", name=t("Record as held")).click()
    expect(secretary.locator(".msg.success")).to_have_text(t("The meeting was recorded as held."))
    principle_shown(secretary)
    records = secretary.locator("#attendees tbody tr")
    expect(records.filter(has_text=zhao.name)).to_contain_text("因公出差")
    expect(records.filter(has_text=t("Present"))).to_have_count(3)

    # 5. A mutual criticism between two present members, each way.
    for giver, receiver, text in (
        (li, zhang, "联系群众不够深入，调研走马观花。"),
        (zhang, li, "抓落实的韧劲不足，有的工作部署多、督促少。"),
    ):
        secretary.get_by_role("link", name=t("Record a criticism")).click()
        principle_shown(secretary)
        secretary.get_by_label(tp("criticism", "From"), exact=True).select_option(str(giver.pk))
        secretary.get_by_label(tp("criticism", "To"), exact=True).select_option(str(receiver.pk))
        secretary.get_by_label(t("Aspect")).select_option(Aspect.WORK_STYLE.value)
        secretary.get_by_label(tp("criticism", "Content")).fill(text)
        if giver == li:
            shot(secretary, "secretary-records-a-criticism")
        with secretary.expect_navigation():
            secretary.get_by_role("button", name=t("Save")).click()
        expect(secretary.locator(".msg.success")).to_have_text(t("Recorded."))
    expect(secretary.locator("#criticisms thead th")).to_have_text(
        [tp("criticism", "From"), tp("criticism", "To"), t("Aspect"), tp("criticism", "Content"), t("To rectify")]
    )
    expect(secretary.locator("#attendees thead th").nth(2)).to_have_text(tp("meeting", "Attendance"))
    criticisms = secretary.locator("#criticisms tbody tr")
    expect(criticisms).to_have_count(2)
    expect(criticisms.nth(0)).to_contain_text("联系群众不够深入")
    shot(secretary, "secretary-meeting-held")

    # 6. The secretary opens the branch's voting window.
    nav_link(secretary, t("Democratic appraisal")).click()
    branch_row = secretary.locator("main table tbody tr").filter(has_text=world.branch.name)
    with secretary.expect_navigation():
        branch_row.get_by_role("button", name=t("Open voting")).click()
    expect(branch_row).to_contain_text(t("Open for voting"))
    shot(secretary, "secretary-opens-voting")

    # 7. Three members vote; the fourth (赵强 votes, 李四 has no login) is rated by all three.
    ballots = {
        "member": ({li: MemberRating.EXCELLENT, wang: MemberRating.QUALIFIED}, TeamRating.SATISFIED),
        "wangfang": ({li: MemberRating.EXCELLENT, zhang: MemberRating.QUALIFIED}, TeamRating.SATISFIED),
        "zhaoqiang": ({li: MemberRating.QUALIFIED, zhang: MemberRating.BASIC}, TeamRating.BASIC),
    }
    for username, (marks, team_mark) in ballots.items():
        voter = open_as(open_page, username)
        nav_link(voter, t("Appraisal ballot")).click()
        ballot = voter.locator("form.ballot")
        for person, mark in marks.items():
            ballot.locator(f"input[name=member_{person.pk}][value={mark.value}]").check()
        ballot.locator(f"input[name^=team_][value={team_mark.value}]").check()
        if username == "member":
            # A person's choices on one line: a ballot of dozens of members stays short.
            tops = (
                ballot.locator("fieldset")
                .first.locator("label")
                .evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
            )
            assert len(tops) == 5 and len(set(tops)) == 1, tops
            shot(voter, "member-ballot")
        with voter.expect_navigation():
            voter.get_by_role("button", name=t("Cast my ballot")).click()
        expect(voter.locator("#voted")).to_be_visible()
        if username == "member":
            shot(voter, "member-voted")
        voter.context.close()
    assert VoterRecord.objects.filter(window__branch=world.branch).count() == 3

    # 8. The secretary closes the window: the branch's tally is shown.
    secretary.reload()
    expect(branch_row.locator("td.num").nth(1)).to_have_text("3")
    branch_row.get_by_role("link", name=world.branch.name).click()
    expect(secretary.locator("#results-hidden")).to_be_visible()
    with secretary.expect_navigation():
        secretary.get_by_role("button", name=t("Close voting")).click()
    expect(secretary.locator(".msg.success")).to_have_text(
        t("Voting in %(branch)s is closed.", branch=t_str(world.branch))
    )
    shot(secretary, "secretary-closes-voting")

    # 9. The office reads the tally: 李四 on three ballots, the others too few to show.
    office = open_as(open_page, "office")
    nav_link(office, t("Appraisal results")).click()
    rows = office.locator("table.appraisal.members tbody tr")
    with translation.override(LANGUAGE):
        too_few = translation.ngettext(
            "Fewer than %(counter)s valid ballot: no result is shown.",
            "Fewer than %(counter)s valid ballots: no result is shown.",
            3,
        ) % {"counter": 3}
    li_row = rows.filter(has_text=li.name)
    expect(li_row.locator("td.num")).to_have_text(["2", "1", "0", "0", "3"])
    for person in (zhang, wang):
        expect(rows.filter(has_text=person.name)).to_contain_text(too_few)
    team_row = office.locator("table.appraisal.teams tbody tr").filter(has_text="城关镇领导班子INSIDE")
    expect(team_row.locator("td.num")).to_have_text(["2", "1", "0"])
    shot(office, "office-results")

    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD
    assert Attendance.objects.filter(meeting=meeting, present=True).count() == 3
    assert Criticism.objects.filter(meeting=meeting).count() == 2
