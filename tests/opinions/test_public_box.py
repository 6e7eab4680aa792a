"""The public online suggestion box: landing page, form, receipt, status, limits, bad input."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import ChangeOutbox, LeadershipTeam, Member, Rank, TargetCategory, TeamKind
from opinions import public
from opinions.models import BoxSubmission, Channel, Opinion, OpinionKind, OpinionStatus
from opinions.services import opinion_transition
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f
from tests.conftest import World
from tests.opinions.test_anonymity import cached_values

WRITE = "public:write"
CODE_SHOWN = re.compile(r'id="receipt-code">\s*([0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4})\s*<')


@dataclass
class Box:
    world: World
    standing_team: LeadershipTeam
    government: LeadershipTeam
    department: LeadershipTeam
    secretary_of_county: Member
    county_leader: Member
    section_cadre: Member

    @property
    def url(self) -> str:
        return reverse(WRITE, args=[self.world.campaign.slug])


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The world's users get passwords; a slow hasher only slows these tests down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def box(world: World) -> Box:
    """The world's campaign open today, with the county's teams and leaders."""
    today = timezone.localdate()
    campaign = world.campaign
    campaign.starts_on = today - datetime.timedelta(days=40)
    campaign.ends_on = today + datetime.timedelta(days=40)
    campaign.save()
    standing_team = f.LeadershipTeamFactory(
        campaign=campaign, unit=world.county, name="县委常委班子", kind=TeamKind.STANDING_COMMITTEE
    )
    government = f.LeadershipTeamFactory(
        campaign=campaign, unit=world.county, name="县政府领导班子", kind=TeamKind.GOVERNMENT
    )
    department = LeadershipTeam.objects.get(campaign=campaign, unit=world.unit)
    secretary = f.MemberFactory(
        campaign=campaign, unit=world.county, name="县委书记甲", rank=Rank.STANDING_COMMITTEE, position="县委书记"
    )
    leader = f.MemberFactory(campaign=campaign, unit=world.unit, name="副县长乙", rank=Rank.COUNTY_LEADER)
    section = Member.objects.get(campaign=campaign, rank=Rank.SECTION_CADRE)
    ledger_rollup_full(campaign_id=campaign.pk)  # settled: the new leaders are in the ledgers
    return Box(world, standing_team, government, department, secretary, leader, section)


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "target": "",
        "target_text": "",
        "kind": OpinionKind.SUGGESTION,
        "aspect": "work",
        "text": "希望领导多下基层，少开会。",
        "name": "",
        "contact": "",
        "website": "",
        "once": public.form_once_new(),
    }
    data.update(changes)
    return data


def submit(client, box: Box, address: str = "192.0.2.10", **changes: str):
    return client.post(box.url, form_data(**changes), REMOTE_ADDR=address)


def code_in(response) -> str:
    match = CODE_SHOWN.search(response.content.decode())
    assert match, "no receipt code on the page"
    return match.group(1)


def look_up(client, code: str, address: str = "192.0.2.10"):
    return client.post(reverse("public:receipt"), {"code": code}, REMOTE_ADDR=address)


def cookies_set(response) -> set[str]:
    return set(response.cookies.keys())


def record_held() -> int:
    """Run the box's batch as it runs after midnight, today's submissions included
    (the box holds them until the day is over: tests/opinions/test_box_timing.py)."""
    return public.box_flush(before=timezone.localdate() + datetime.timedelta(days=1)).recorded


def nothing_stored() -> bool:
    return not Opinion.objects.exists() and not BoxSubmission.objects.exists()


# --- Landing page --------------------------------------------------------------------------


def test_landing_page_explains_the_box_and_that_a_name_is_optional(client, box: Box) -> None:
    response = client.get(reverse("public:index"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Online suggestion box" in page
    assert "Giving your name is optional" in page
    assert "We do not record your IP address" in page
    assert box.world.campaign.name in page
    assert f'href="{box.url}"' in page
    assert reverse("public:receipt") in page
    # Nothing private: no navigation, no one's name, no link into the office's pages.
    assert "mainnav" not in page
    assert "张三INSIDE" not in page
    assert reverse("campaign:unit_list") not in page


def test_landing_page_lists_only_active_campaigns_open_today(client, box: Box) -> None:
    today = timezone.localdate()
    f.CampaignFactory(
        name="已结束的活动", starts_on=today - datetime.timedelta(days=300), ends_on=today - datetime.timedelta(days=1)
    )
    f.CampaignFactory(name="未启用的活动", starts_on=today, ends_on=today, is_active=False)
    f.CampaignFactory(name="未公开的活动", starts_on=today, ends_on=today, is_public=False)
    page = client.get(reverse("public:index")).content.decode()
    assert box.world.campaign.name in page
    assert "已结束的活动" not in page
    assert "未启用的活动" not in page
    assert "未公开的活动" not in page, "the office has not opened it to the public"


def test_landing_page_says_when_no_box_is_open(client, world: World) -> None:
    # The world's campaign lies in the past of today's clock.
    world.campaign.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    world.campaign.save()
    page = client.get(reverse("public:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The suggestion box is not open at present." in page


def test_pages_answer_in_chinese_by_default_and_in_english_when_asked(client, box: Box) -> None:
    for name, args in (("public:index", []), (WRITE, [box.world.campaign.slug]), ("public:receipt", [])):
        zh = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
        en = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="zh-hans">' in zh
        assert '<html lang="en">' in en
        assert 'action="/i18n/setlang/"' in zh  # the language switch is on every page


# --- The form and its targets ------------------------------------------------------------


def test_form_lists_the_public_teams_and_leaders_but_no_ordinary_member_or_section_cadre(client, box: Box) -> None:
    page = client.get(box.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for team in (box.standing_team, box.government, box.department):
        assert f'value="team-{team.pk}"' in page
        assert team.name in page
    assert f'value="member-{box.secretary_of_county.pk}"' in page
    assert "县委书记甲 · 县委书记" in page
    assert f'value="member-{box.county_leader.pk}"' in page
    assert "副县长乙 · 城关镇政府INSIDE" in page
    assert box.world.member.name not in page
    assert box.section_cadre.name not in page
    assert 'value="other"' in page
    # The Standing Committee comes first, department teams after the county's teams.
    assert page.index(box.standing_team.name) < page.index(box.government.name) < page.index(box.department.name)


def test_form_page_runs_the_same_number_of_queries_with_many_targets(client, box: Box) -> None:
    with CaptureQueriesContext(connection) as few:
        assert client.get(box.url).status_code == 200
    campaign = box.world.campaign
    for i in range(25):
        f.LeadershipTeamFactory(campaign=campaign, unit=box.world.unit, name=f"部门班子{i}")
        f.MemberFactory(campaign=campaign, unit=box.world.unit, name=f"县级干部{i}", rank=Rank.COUNTY_LEADER)
    with CaptureQueriesContext(connection) as many:
        page = client.get(box.url).content.decode()
    assert "部门班子24" in page and "县级干部24" in page
    assert len(many) == len(few)


def test_form_for_a_closed_campaign_says_when_it_is_open_and_stores_nothing(client, world: World) -> None:
    url = reverse(WRITE, args=[world.campaign.slug])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This suggestion box is closed. It is open from 2026-01-10 to 2026-06-30." in page
    assert "<textarea" not in page
    response = client.post(url, form_data(target="other", target_text="某局"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "This suggestion box is closed." in response.content.decode()
    assert nothing_stored()


def test_unknown_or_inactive_campaign_is_not_found(client, box: Box) -> None:
    assert client.get(reverse(WRITE, args=["no-such-campaign"])).status_code == 404
    box.world.campaign.is_active = False
    box.world.campaign.save()
    assert client.get(box.url).status_code == 404


def test_a_campaign_not_open_to_the_public_is_not_found_and_takes_nothing(client, box: Box) -> None:
    box.world.campaign.is_public = False
    box.world.campaign.save()
    assert client.get(box.url).status_code == 404
    response = client.post(box.url, form_data(target="other", target_text="某局"))
    assert response.status_code == 404
    assert nothing_stored()
    box.world.campaign.is_public = True
    box.world.campaign.save()
    assert client.get(box.url).status_code == 200, "opened on purpose, it is on the box again"


# --- Submit, receipt, status -------------------------------------------------------------


def test_citizen_submits_gets_a_receipt_code_and_later_sees_the_status(client, box: Box) -> None:
    response = submit(
        client, box, target=f"team-{box.government.pk}", name="王大爷", contact="138 0000 0000", aspect="integrity"
    )
    assert response.status_code == 200  # the answer itself, no redirect that could carry the code
    shown = code_in(response)
    code = shown.replace(" ", "")
    assert len(code) == 16 and code.isdigit()
    # Held until the day's batch: the receipt says so meanwhile.
    assert not Opinion.objects.exists()
    assert 'class="status-word">Received<' in look_up(client, shown).content.decode()
    assert record_held() == 1

    opinion = Opinion.objects.get()
    assert opinion.target_team == box.government
    assert opinion.category == TargetCategory.COUNTY_LEADERSHIP_TEAMS
    assert opinion.ledger_unit == box.world.county
    assert opinion.channel == Channel.ONLINE
    assert opinion.kind == OpinionKind.SUGGESTION
    assert opinion.aspect == "integrity"
    assert opinion.received_on == timezone.localdate()
    assert (opinion.submitter_name, opinion.submitter_contact) == ("王大爷", "138 0000 0000")
    assert opinion.event is None and opinion.recording_unit is None and opinion.source_group == ""
    # Stored only as a keyed hash: neither the code nor its plain SHA-256.
    assert code not in opinion.receipt_hash
    assert opinion.receipt_hash != hashlib.sha256(code.encode()).hexdigest()
    expected = hmac.new(settings.RECEIPT_PEPPER.encode(), f"canvass-receipt:{code}".encode(), hashlib.sha256)
    assert opinion.receipt_hash == expected.hexdigest()
    # The history leaves the hash out altogether.
    assert "receipt_hash" not in {field.name for field in opinion.history.model._meta.fields}

    result = look_up(client, shown)
    page = result.content.decode()
    assert result.status_code == 200
    assert 'class="status-word">Recorded<' in page
    # The status and nothing else: not the text, the target, the name or even the code.
    for secret in (opinion.text, box.government.name, "王大爷", code, shown):
        assert secret not in page


def test_receipt_page_shows_the_code_once_with_a_hint_to_write_it_down(client, box: Box) -> None:
    response = submit(client, box, target="other", target_text="县教育局")
    page = response.content.decode()
    assert "Write this code down now, or take a photo of it." in page
    assert "It is shown only this once." in page
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    code = code_in(response).replace(" ", "")
    # No URL or form value on the page carries the code, or any number that could be an id.
    for value in re.findall(r'(?:href|action|src|value)="([^"]*)"', page):
        assert code not in value.replace(" ", "")
    for url in re.findall(r'(?:href|action|src)="([^"]*)"', page):
        assert not re.search(r"/[0-9]+(/|$)", url), url
    assert code not in response.get("Location", "")


def test_a_described_target_waits_for_the_office_with_no_category(client, box: Box) -> None:
    submit(client, box, target="other", target_text="县医院的挂号窗口")
    record_held()
    opinion = Opinion.objects.get()
    assert opinion.target is None
    assert opinion.target_text == "县医院的挂号窗口"
    assert opinion.category == ""
    assert opinion.ledger_unit is None


def test_invisible_characters_pasted_into_the_box_are_not_stored(client, box: Box) -> None:
    # A control character made every export fail; the right-to-left override disguises text.
    response = submit(
        client,
        box,
        target="other",
        target_text="县医院\x01的\u202e挂号窗口",
        text="第一段\x01\r\n\u202e第二段\ufeff",
        name="王\u202e大爷\x02",
        contact="\x01138",
    )
    assert response.status_code == 200
    assert record_held() == 1
    opinion = Opinion.objects.get()
    assert (opinion.target_text, opinion.text) == ("县医院的挂号窗口", "第一段\n第二段")
    assert (opinion.submitter_name, opinion.submitter_contact) == ("王大爷", "138")


def test_a_text_of_nothing_but_invisible_characters_is_no_text(client, box: Box) -> None:
    response = client.post(box.url, form_data(target="other", target_text="某局", text="\x01\u202e"))
    assert "Write your opinion or suggestion." in response.content.decode()
    assert not Opinion.objects.exists()


def test_a_standing_committee_member_is_counted_as_one(client, box: Box) -> None:
    submit(client, box, target=f"member-{box.secretary_of_county.pk}", kind=OpinionKind.OPINION)
    assert not ChangeOutbox.objects.exists()  # the batch announces it, not the request
    record_held()
    opinion = Opinion.objects.get()
    assert opinion.target_member == box.secretary_of_county
    assert opinion.category == TargetCategory.STANDING_COMMITTEE_MEMBERS
    assert opinion.kind == OpinionKind.OPINION
    assert ChangeOutbox.objects.filter(unit=box.world.county).exists()


EXPECTED_WORDS = {
    OpinionStatus.RECORDED: "Recorded",
    OpinionStatus.SORTED: "Recorded",
    OpinionStatus.FED_BACK: "Fed back",
    OpinionStatus.ACKNOWLEDGED: "Fed back",
    OpinionStatus.IN_RECTIFICATION: "In rectification",
    OpinionStatus.CLOSED: "Closed",
}


def test_the_six_statuses_read_as_four_public_words() -> None:
    assert set(public.PUBLIC_STATUS) == set(OpinionStatus.values)
    assert {str(public.PUBLIC_STATUS[s].label) for s in OpinionStatus.values} == {
        "Recorded",
        "Fed back",
        "In rectification",
        "Closed",
    }
    for status, word in EXPECTED_WORDS.items():
        assert str(public.PUBLIC_STATUS[status].label) == word


def test_the_status_follows_the_opinion_through_its_life(client, box: Box) -> None:
    code = code_in(submit(client, box, target=f"team-{box.department.pk}"))
    record_held()
    opinion = Opinion.objects.get()
    office = box.world.users["office"]
    path = [
        OpinionStatus.SORTED,
        OpinionStatus.FED_BACK,
        OpinionStatus.ACKNOWLEDGED,
        OpinionStatus.IN_RECTIFICATION,
        OpinionStatus.CLOSED,
    ]
    for status in path:
        opinion_transition(actor=office, opinion=opinion, to=status)
        page = look_up(client, code, address="192.0.2.99").content.decode()
        assert f'class="status-word">{EXPECTED_WORDS[status]}<' in page, status
        cache.clear()  # the look-up limit is not what this test is about


def test_a_merged_opinion_shows_the_status_of_the_one_it_was_merged_into(client, box: Box) -> None:
    from opinions.services import opinion_merge

    code = code_in(submit(client, box, target=f"team-{box.department.pk}"))
    record_held()
    mine = Opinion.objects.get()
    keep = Opinion.objects.create(
        campaign=box.world.campaign,
        kind=OpinionKind.SUGGESTION,
        text="同样的意见",
        channel=Channel.FORUM,
        received_on=mine.received_on,
        status=OpinionStatus.FED_BACK,
    )
    opinion_merge(actor=box.world.users["office"], keep=keep, duplicates=[mine])
    assert 'class="status-word">Fed back<' in look_up(client, code).content.decode()


def test_a_receipt_code_may_be_typed_with_spaces_dashes_or_full_width_digits(client, box: Box) -> None:
    code = code_in(submit(client, box, target="other", target_text="某单位")).replace(" ", "")
    record_held()
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in code)
    for typed in (code, f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}", f" {code[:8]} {code[8:]} ", full_width):
        assert 'class="status-word">Recorded<' in look_up(client, typed).content.decode(), typed


@pytest.mark.parametrize(
    "typed",
    ["123", "12345678901234567", "abcdefghijklmnop", "1234 5678 9012 345x", "0000000000000000", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥"],
    ids=["short", "long", "letters", "one-letter", "unknown", "arabic-indic-digits"],
)
def test_a_forged_receipt_code_gets_the_same_no_such_receipt_message(client, box: Box, typed: str) -> None:
    submit(client, box, target="other", target_text="某单位")
    response = client.post(reverse("public:receipt"), {"code": typed}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "No receipt with this code was found. Check the digits and try again." in page
    assert "status-word" not in page


def test_a_very_long_forged_code_gets_the_same_message(client, box: Box) -> None:
    page = client.post(reverse("public:receipt"), {"code": "9" * 500}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No receipt with this code was found. Check the digits and try again." in page


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"target": "other", "target_text": "某局", "text": ""}, "Write your opinion or suggestion."),
        ({"target": "other", "target_text": "某局", "text": "   \n "}, "Write your opinion or suggestion."),
        (
            {"target": "other", "target_text": "某局", "text": "长" * 4001},
            "Your text has 4001 characters; at most 4000",
        ),
        ({"target": "team-999999"}, "Choose whom your opinion is about from the list"),
        ({"target": "member-abc"}, "Choose whom your opinion is about from the list"),
        ({"target": ""}, "Choose whom your opinion is about, or choose"),
        ({"target": "other", "target_text": ""}, "Describe whom or what your opinion is about."),
        ({"target": "other", "target_text": "某" * 201}, "Keep the description to 200 characters"),
        (
            {"target": "other", "target_text": "某局", "kind": "complaint"},
            "Choose whether it is an opinion or a suggestion.",
        ),
        ({"target": "other", "target_text": "某局", "aspect": "weather"}, "Choose an aspect from the list."),
        ({"target": "other", "target_text": "某局", "name": "名" * 101}, "Keep your name to 100 characters"),
        ({"target": "other", "target_text": "某局", "contact": "1" * 101}, "Keep this to 100 characters"),
    ],
    ids=[
        "empty-text",
        "blank-text",
        "overlong-text",
        "unknown-team",
        "garbled-token",
        "no-target",
        "other-without-description",
        "overlong-description",
        "unknown-kind",
        "unknown-aspect",
        "overlong-name",
        "overlong-contact",
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_stored(client, box: Box, changes, field_message) -> None:
    response = client.post(box.url, form_data(**changes), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert field_message in page
    assert 'class="error"' in page
    assert "receipt-code" not in page
    assert nothing_stored()
    assert not ChangeOutbox.objects.exists()


def test_a_target_of_another_campaign_is_unknown_here(client, box: Box) -> None:
    other_campaign = f.CampaignFactory(slug="neighbour")
    unit = f.OrgUnitFactory(campaign=other_campaign)
    foreign = f.LeadershipTeamFactory(campaign=other_campaign, unit=unit)
    foreign_leader = f.MemberFactory(campaign=other_campaign, unit=unit, rank=Rank.COUNTY_LEADER)
    for token in (f"team-{foreign.pk}", f"member-{foreign_leader.pk}", f"member-{box.world.member.pk}"):
        page = client.post(box.url, form_data(target=token), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Choose whom your opinion is about from the list" in page, token
    assert nothing_stored()


@pytest.mark.parametrize(
    "token", ["team-0", "team-007", "team-1x", "member-", "team-", "teams-1", "team-１", " team-2"]
)
def test_a_malformed_target_value_is_unknown_here(client, box: Box, token: str) -> None:
    page = client.post(box.url, form_data(target=token), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Choose whom your opinion is about from the list" in page
    assert nothing_stored()


def test_a_posted_target_is_the_same_as_in_the_list(box: Box) -> None:
    """A POST resolves its one choice alone: exactly the targets the list offers."""
    listed = public.public_targets(campaign=box.world.campaign).by_token
    members = Member.objects.filter(campaign=box.world.campaign)
    teams = LeadershipTeam.objects.filter(campaign=box.world.campaign)
    tokens = [f"member-{pk}" for pk in members.values_list("pk", flat=True)]
    tokens += [f"team-{pk}" for pk in teams.values_list("pk", flat=True)]
    for token in tokens:
        resolved = public.public_targets(campaign=box.world.campaign).resolve(token)
        assert (resolved is not None) == (token in listed), token
        if resolved is not None:
            assert resolved.obj == listed[token].obj


def test_a_submission_costs_the_same_few_queries_however_many_targets(client, box: Box) -> None:
    """A POST never asks the database again for rows this process read a moment ago
    (``public.recent``): the first reads the campaign and the list once; after it, a
    submission costs the one statement that holds it (written only if its receipt is
    not taken)."""
    campaign = box.world.campaign
    for i in range(25):
        f.LeadershipTeamFactory(campaign=campaign, unit=box.world.unit, name=f"部门班子{i}")
        f.MemberFactory(campaign=campaign, unit=box.world.unit, name=f"县级干部{i}", rank=Rank.COUNTY_LEADER)
    with CaptureQueriesContext(connection) as queries:
        submit(client, box, address="192.0.2.19", target=f"team-{box.department.pk}")
    assert len(queries) <= 4, [query["sql"] for query in queries]  # campaign, teams, members, the row
    for n, token in enumerate((f"team-{box.department.pk}", f"member-{box.county_leader.pk}", "other")):
        extra = {"target_text": "县里的某个部门"} if token == "other" else {}
        with CaptureQueriesContext(connection) as queries:
            response = submit(client, box, address=f"192.0.2.{20 + n}", target=token, **extra)
        assert "receipt-code" in response.content.decode()
        assert len(queries) == 1, [query["sql"] for query in queries]
    assert BoxSubmission.objects.count() == 4


def test_the_box_follows_its_targets_and_campaign_at_once(client, box: Box) -> None:
    """What the box keeps of its campaign and targets follows a change made in this
    process at once, and a choice it has not seen is looked up before being refused."""
    campaign = box.world.campaign
    submit(client, box, address="192.0.2.40", target=f"team-{box.department.pk}")
    # A leader added since the list was read: saved (the copy is dropped), or written
    # by a bulk statement that sends no signal (looked up alone).
    added = f.MemberFactory(campaign=campaign, unit=box.world.unit, name="新任县级干部", rank=Rank.COUNTY_LEADER)
    assert "receipt-code" in submit(client, box, address="192.0.2.41", target=f"member-{added.pk}").content.decode()
    submit(client, box, address="192.0.2.42", target=f"team-{box.department.pk}")
    bulk = Member.objects.bulk_create(
        [Member(campaign=campaign, unit=box.world.unit, name="批量县级干部", number="BULK-1", rank=Rank.COUNTY_LEADER)]
    )[0]
    if bulk.pk is None:  # a backend that does not return ids from a bulk insert
        bulk = Member.objects.get(number="BULK-1", campaign=campaign)
    assert "receipt-code" in submit(client, box, address="192.0.2.43", target=f"member-{bulk.pk}").content.decode()
    # The campaign closed to the public: refused on the next request.
    campaign.is_public = False
    campaign.save()
    assert client.post(box.url, form_data(), REMOTE_ADDR="192.0.2.44").status_code == 404
    assert BoxSubmission.objects.count() == 4


def test_a_receipt_code_already_held_or_recorded_is_drawn_again(client, box: Box, monkeypatch) -> None:
    codes = iter(["1" * 16, "1" * 16, "2" * 16, "1" * 16, "2" * 16, "3" * 16])
    monkeypatch.setattr(public, "receipt_code_new", lambda: next(codes))
    team = f"team-{box.department.pk}"
    assert code_in(submit(client, box, address="192.0.2.31", target=team)) == "1111 1111 1111 1111"
    # Held already: the next code is drawn.
    assert code_in(submit(client, box, address="192.0.2.32", target=team)) == "2222 2222 2222 2222"
    assert record_held() == 2
    # Recorded as opinions now: both codes are still taken.
    assert code_in(submit(client, box, address="192.0.2.33", target=team)) == "3333 3333 3333 3333"
    assert BoxSubmission.objects.count() == 1
    assert len({*Opinion.objects.values_list("receipt_hash", flat=True), BoxSubmission.objects.get().receipt_hash}) == 3


def test_a_chosen_target_and_a_description_together_are_refused(client, box: Box) -> None:
    page = client.post(
        box.url, form_data(target=f"team-{box.government.pk}", target_text="也许是别人"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "You chose 县政府领导班子 from the list: leave this empty" in page
    assert nothing_stored()


def test_what_was_typed_stays_on_the_page_after_an_error(client, box: Box) -> None:
    page = client.post(
        box.url, form_data(target="other", target_text="", text="我的意见原文", name="李", contact="某村")
    ).content.decode()
    assert "我的意见原文" in page
    assert 'value="李"' in page and 'value="某村"' in page


def test_a_reloaded_answer_does_not_record_the_opinion_twice(client, box: Box) -> None:
    data = form_data(target="other", target_text="某局")
    first = client.post(box.url, data, HTTP_ACCEPT_LANGUAGE="en")
    again = client.post(box.url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert "receipt-code" in first.content.decode()
    assert "This form has already been sent" in again.content.decode()
    assert record_held() == 1
    assert Opinion.objects.count() == 1


def test_a_form_sent_back_after_an_error_can_still_be_sent(client, box: Box) -> None:
    data = form_data(target="other", target_text="")
    assert "Describe whom" in client.post(box.url, data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    data["target_text"] = "某局"
    assert "receipt-code" in client.post(box.url, data).content.decode()
    assert record_held() == 1
    assert Opinion.objects.count() == 1


def test_a_damaged_or_missing_form_token_does_not_stop_the_opinion(client, box: Box) -> None:
    for once in ("<bad>", ""):
        response = client.post(box.url, form_data(target="other", target_text="某局", once=once))
        assert "receipt-code" in response.content.decode()
    assert record_held() == 2
    assert Opinion.objects.count() == 2


# --- Honeypot and rate limits ------------------------------------------------------------------


def test_a_bot_that_fills_the_honeypot_sees_success_and_nothing_is_stored(client, box: Box) -> None:
    response = submit(client, box, target="other", target_text="某局", website="http://spam.example")
    assert response.status_code == 200
    code = code_in(response)
    assert nothing_stored()
    assert not ChangeOutbox.objects.exists()
    page = client.post(reverse("public:receipt"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No receipt with this code was found" in page


def test_the_honeypot_is_hidden_by_the_stylesheet_not_by_an_inline_style(client, box: Box) -> None:
    page = client.get(box.url).content.decode()
    assert '<div class="hp" aria-hidden="true">' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page
    assert "style=" not in page
    css = (settings.BASE_DIR / "static" / "css" / "canvass.css").read_text()
    assert re.search(r"\.hp \{[^}]*left: -10000px", css)


def test_a_flood_of_submissions_from_one_address_is_refused_politely(client, box: Box, whole_window) -> None:
    for i in range(public.SUBMIT_LIMIT.count):
        response = submit(client, box, target="other", target_text=f"单位{i}", address="198.51.100.5")
        assert "receipt-code" in response.content.decode()
    refused = client.post(
        box.url,
        form_data(target="other", target_text="第六条", text="第六条意见原文"),
        REMOTE_ADDR="198.51.100.5",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = refused.content.decode()
    assert refused.status_code == 429
    assert "Please wait 10 minutes and send again: what you wrote is kept below." in page
    assert "第六条意见原文" in page  # nothing typed is lost
    assert record_held() == public.SUBMIT_LIMIT.count
    assert Opinion.objects.count() == public.SUBMIT_LIMIT.count
    # Mistakes do not count: the limit is on what would be stored.
    for _ in range(public.SUBMIT_LIMIT.count + 1):
        mistake = client.post(box.url, form_data(target=""), REMOTE_ADDR="198.51.100.9")
        assert mistake.status_code == 200
    # Someone else is not held up.
    assert (
        "receipt-code"
        in submit(client, box, target="other", target_text="别处", address="198.51.100.6").content.decode()
    )


def test_a_flood_of_receipt_look_ups_is_refused_politely(client, box: Box, whole_window) -> None:
    for _ in range(public.RECEIPT_LIMIT.count):
        assert look_up(client, "0000000000000000", address="198.51.100.7").status_code == 200
    refused = client.post(
        reverse("public:receipt"), {"code": "1111111111111111"}, REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    assert "Please wait 10 minutes and try again." in refused.content.decode()
    assert look_up(client, "0000000000000000", address="198.51.100.8").status_code == 200


def test_the_rate_limit_forgets_an_address_when_its_window_expires(box: Box) -> None:
    limit = public.Limit("test", 2, 1)
    time.sleep(1 - time.time() % 1 + 0.01)  # the start of a one-second window
    assert public.rate_limit_allow(address="192.0.2.1", limit=limit)
    assert public.rate_limit_allow(address="192.0.2.1", limit=limit)
    assert not public.rate_limit_allow(address="192.0.2.1", limit=limit)
    time.sleep(1.2)  # the one-second window passes
    assert public.rate_limit_allow(address="192.0.2.1", limit=limit)


def test_the_rate_limit_keys_hold_a_keyed_hash_that_changes_every_day(box: Box) -> None:
    day = datetime.date(2026, 3, 1)
    address = "198.51.100.23"
    first = public.address_fingerprint(address, on=day)
    assert first == public.address_fingerprint(address, on=day)
    assert first != public.address_fingerprint(address, on=day + datetime.timedelta(days=1))
    assert first != hashlib.sha256(address.encode()).hexdigest()[:32]
    public.rate_limit_allow(address=address, limit=public.SUBMIT_LIMIT, on=day)
    keys = [key for where, key in cached_values() if where.startswith("cache key")]
    assert keys and all(address not in key for key in keys)
    assert any(first in key for key in keys)


# --- No session, no cookie, no author -------------------------------------------------------


def test_the_public_pages_create_no_session_and_set_no_cookie_but_csrftoken(client, box: Box) -> None:
    responses = [
        client.get(reverse("public:index")),
        client.get(box.url),
        submit(client, box, target="other", target_text="某局"),
        client.post(box.url, form_data(target="")),  # an error
        client.get(reverse("public:receipt")),
        look_up(client, "0000000000000000"),
        submit(client, box, target="other", target_text="某局", website="bot"),
    ]
    for response in responses:
        assert cookies_set(response) <= {"csrftoken"}, response.cookies
        assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_a_logged_in_member_who_uses_the_box_is_not_recorded_as_its_author(client, box: Box) -> None:
    client.force_login(box.world.users["member"], backend="django.contrib.auth.backends.ModelBackend")
    submit(client, box, target=f"team-{box.government.pk}")
    record_held()
    opinion = Opinion.objects.get()
    record = opinion.history.get()
    assert record.history_user is None
    assert opinion.submitter_name == ""


def test_the_history_has_no_time_finer_than_the_date(client, box: Box) -> None:
    submit(client, box, target="other", target_text="某局")
    record_held()
    record = Opinion.objects.get().history.get()
    local = timezone.localtime(record.history_date)
    assert local.date() == timezone.localdate()
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
