"""The appraisal's pages: the ballot, the windows, the tellers' sheet, the results and the
flagged list (bounded queries over many members), the public rating (no session, rate
limited), and their Chinese."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from campaign.models import LeadershipTeam, OrgUnitKind
from meetings.appraisal import public, selectors, services
from meetings.appraisal.models import (
    AppraisalSettings,
    AppraisalWindow,
    Ballot,
    MemberRating,
    PaperSheet,
    TeamMark,
    TeamRating,
    VoterRecord,
    WindowState,
)
from tests import factories as f
from tests.conftest import World
from tests.meetings.appraisal_factories import (
    branch_with_voters,
    bulk_ballots,
    bulk_paper,
    random_ratings,
)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _team(world: World) -> LeadershipTeam:
    return LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)


def _open(world: World) -> AppraisalWindow:
    return services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=world.branch)


# --- The ballot --------------------------------------------------------------------------


def test_a_member_votes_once_on_the_ballot_page(world: World, login) -> None:
    window = _open(world)
    client = login(world.users["member"])
    page = client.get(reverse("appraisal:vote"))
    assert "李四INSIDE" in page.content.decode() and "城关镇领导班子INSIDE" in page.content.decode()
    colleague = world.member.__class__.objects.get(name="李四INSIDE")
    data = {f"member_{colleague.pk}": "excellent", f"team_{_team(world).pk}": "satisfied"}
    answer = client.post(reverse("appraisal:vote"), data, follow=True)
    assert "Your ballot was cast" in answer.content.decode()
    assert 'id="voted"' in answer.content.decode()
    # The same form sent again: the page says so, and nothing more is stored.
    again = client.post(reverse("appraisal:vote"), data)
    assert 'id="voted"' in again.content.decode()
    assert (Ballot.objects.count(), VoterRecord.objects.count()) == (1, 1)
    assert VoterRecord.objects.get().window == window


def test_an_empty_ballot_is_refused_on_the_page(world: World, login) -> None:
    _open(world)
    page = login(world.users["member"]).post(reverse("appraisal:vote"), {})
    assert "The ballot is empty" in page.content.decode()
    assert not Ballot.objects.exists() and not VoterRecord.objects.exists()


def test_no_ballot_without_an_open_window(world: World, login) -> None:
    client = login(world.users["member"])
    assert 'id="no-window"' in client.get(reverse("appraisal:vote")).content.decode()
    window = _open(world)
    services.window_close(user=world.users["office"], window=window)
    colleague = world.member.__class__.objects.get(name="李四INSIDE")
    page = client.post(reverse("appraisal:vote"), {f"member_{colleague.pk}": "excellent"})
    assert 'id="closed"' in page.content.decode()
    assert not Ballot.objects.exists()


# --- The tellers ---------------------------------------------------------------------------


def test_a_tally_over_the_members_present_is_shown_at_its_row(world: World, login) -> None:
    window = _open(world)
    colleague = world.member.__class__.objects.get(name="李四INSIDE")
    data = {"present": "1", f"member_{colleague.pk}_excellent": "1", f"member_{colleague.pk}_qualified": "1"}
    page = login(world.users["secretary"]).post(reverse("appraisal:paper_entry", args=[window.pk]), data)
    assert page.status_code == 200
    assert "The ballots counted for 李四INSIDE (2) exceed the members present (1)." in page.content.decode()
    assert not PaperSheet.objects.exists()


def test_the_teller_who_entered_cannot_confirm_on_the_page(world: World, login) -> None:
    window = _open(world)
    client = login(world.users["secretary"])
    client.post(reverse("appraisal:paper_entry", args=[window.pk]), {"present": "2"})
    sheet = PaperSheet.objects.get()
    assert (
        "Confirm as second teller"
        not in client.get(reverse("appraisal:paper_entry", args=[window.pk])).content.decode()
    )
    page = client.post(reverse("appraisal:paper_confirm", args=[window.pk]), follow=True)
    assert "a second teller must confirm it" in page.content.decode()
    sheet.refresh_from_db()
    assert not sheet.is_confirmed
    office = login(world.users["office"])
    assert "Confirm as second teller" in office.get(reverse("appraisal:paper_entry", args=[window.pk])).content.decode()
    office.post(reverse("appraisal:paper_confirm", args=[window.pk]))
    sheet.refresh_from_db()
    assert sheet.is_confirmed


def test_results_appear_on_the_window_page_only_after_the_close(world: World, login) -> None:
    team = _team(world)
    voters = branch_with_voters(world.campaign, world.unit, 4, name="评议支部A")
    window = services.window_open(user=world.users["office"], campaign=world.campaign, branch=voters.branch)
    target = voters.members[0]
    bulk_ballots(window, [(m, {target.pk: "unqualified"}, {}) for m in voters.members[1:]])
    client = login(world.users["secretary"])
    page = client.get(reverse("appraisal:window_detail", args=[window.pk])).content.decode()
    assert 'id="results-hidden"' in page and "Unqualified at or above" not in page
    services.window_close(user=world.users["office"], window=window)
    page = client.get(reverse("appraisal:window_detail", args=[window.pk])).content.decode()
    assert "Unqualified at or above the set share" in page
    # Fewer than k ballots on the others: no result for them.
    assert "Fewer than 3 valid ballots" in page
    # The unit's team got no mark: its row is there, with no result.
    assert team.name in page and "Too few ballots" in page


# --- Bounded queries over many members ---------------------------------------------------------------


@pytest.fixture
def crowd(world: World):
    """A closed window with 150 members, a ballot from each, a confirmed paper tally; and
    60 more branches with windows."""
    team = _team(world)
    voters = branch_with_voters(world.campaign, world.unit, 150, name="大支部INSIDE")
    window = AppraisalWindow.objects.create(
        campaign=world.campaign, branch=voters.branch, opened_on=timezone.localdate()
    )
    members = voters.members
    bulk_ballots(
        window,
        [
            (m, random_ratings(members[:40], MemberRating.values, seed=i), {team.pk: TeamRating.values[i % 3]})
            for i, m in enumerate(members)
        ],
    )
    counts = {m.pk: {"excellent": 1, "qualified": 0, "basic": 0, "unqualified": 1} for m in members}
    bulk_paper(
        window, present=2, counts=counts, entered_by=world.users["secretary"], confirmed_by=world.users["office"]
    )
    AppraisalWindow.objects.filter(pk=window.pk).update(state=WindowState.CLOSED, closed_on=timezone.localdate())
    branches = f.bulk_units(world.campaign, [world.unit] * 60, kind=OrgUnitKind.BRANCH)
    AppraisalWindow.objects.bulk_create(
        [AppraisalWindow(campaign=world.campaign, branch=b, opened_on=timezone.localdate()) for b in branches]
    )
    return window


@pytest.mark.parametrize(
    ("name", "args", "role", "limit"),
    [
        ("appraisal:window_detail", True, "secretary", 22),
        ("appraisal:window_list", False, "secretary", 22),
        ("appraisal:results", False, "office", 22),
        ("appraisal:flagged", False, "office", 22),
        ("appraisal:paper_entry", True, "secretary", 22),
    ],
)
def test_the_pages_cost_a_bounded_number_of_queries(
    crowd, world: World, login, django_assert_max_num_queries, name, args, role, limit
) -> None:
    client = login(world.users[role])
    url = reverse(name, args=[crowd.pk] if args else None)
    with django_assert_max_num_queries(limit):
        page = client.get(url)
    assert page.status_code == 200


def test_the_flagged_list_names_the_flagged(crowd, world: World, login) -> None:
    rules = selectors.Rules.of(selectors.settings_for(world.campaign))
    tallies = selectors.member_tallies(campaign=world.campaign)
    flagged = {pk for pk, t in tallies.items() if rules.flags(t)}
    assert flagged  # 1 of every 2 on paper, plus random ballots
    page = login(world.users["office"]).get(reverse("appraisal:flagged"))
    assert page.context["page"].paginator.count == len(flagged)


# --- The public rating --------------------------------------------------------------------------


@pytest.fixture
def public_open(world: World):
    today = timezone.localdate()
    AppraisalSettings.objects.create(
        campaign=world.campaign, public_opens_on=today, public_closes_on=today + datetime.timedelta(days=7)
    )
    return _team(world)


def _rating(team: LeadershipTeam, **changes: str) -> dict[str, str]:
    return {"team": str(team.pk), "rating": "satisfied", "website": "", "once": public.form_once_new(), **changes}


def test_the_public_rates_a_team_without_a_session(world: World, public_open, login) -> None:
    client = login(world.users["member"])  # a member's browser: the session stays untouched
    sessions = {s.session_key: s.expire_date for s in Session.objects.all()}
    url = reverse("appraisal_public:rate", args=[world.campaign.slug])
    assert world.campaign.name in client.get(reverse("appraisal_public:index")).content.decode()
    assert "城关镇领导班子INSIDE" in client.get(url).content.decode()
    answer = client.post(url, _rating(public_open))
    assert 'id="thanks"' in answer.content.decode()
    mark = TeamMark.objects.get()
    assert (mark.team, mark.rating, mark.window_id, mark.cast_on) == (
        public_open,
        "satisfied",
        None,
        timezone.localdate(),
    )
    assert {s.session_key: s.expire_date for s in Session.objects.all()} == sessions
    assert "sessionid" not in answer.cookies and answer.headers["Cache-Control"].startswith("max-age=0")


def test_a_public_rating_sent_twice_counts_once_and_a_bot_not_at_all(world: World, public_open) -> None:
    client = Client()
    url = reverse("appraisal_public:rate", args=[world.campaign.slug])
    data = _rating(public_open)
    client.post(url, data)
    assert 'id="again"' in client.post(url, data).content.decode()
    client.post(url, _rating(public_open, website="http://spam"))
    assert TeamMark.objects.count() == 1


def test_bad_public_ratings_are_refused_and_floods_are_slowed(world: World, public_open) -> None:
    client = Client()
    url = reverse("appraisal_public:rate", args=[world.campaign.slug])
    page = client.post(url, {**_rating(public_open), "team": "", "rating": ""}).content.decode()
    assert "Choose a leadership team from the list." in page and "Choose how satisfied you are." in page
    other = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.other_unit)
    statuses = [client.post(url, _rating(other)).status_code for _ in range(public.RATE_LIMIT.count + 1)]
    assert statuses[-1] == 429 and statuses[0] == 200
    assert TeamMark.objects.count() == public.RATE_LIMIT.count


def test_the_public_rating_is_closed_outside_its_dates(world: World) -> None:
    page = Client().get(reverse("appraisal_public:rate", args=[world.campaign.slug]))
    assert 'id="closed"' in page.content.decode()


# --- Chinese ------------------------------------------------------------------------------------


def test_the_pages_and_messages_speak_chinese(world: World, login) -> None:
    window = _open(world)
    client = login(world.users["member"])
    page = client.get(reverse("appraisal:vote"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "民主评议" in page or "评议" in page
    assert "优秀" in page and "基本合格" in page and "不合格" in page and "满意" in page
    with translation.override("zh-hans"):
        services.window_close(user=world.users["office"], window=window)
        with pytest.raises(Exception) as error:
            services.window_close(user=world.users["office"], window=window)
    assert "已" in " ".join(error.value.messages)
    staff = login(world.users["secretary"])
    page = staff.get(reverse("appraisal:window_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "机关支部INSIDE" in page and "已结束" in page


def test_the_results_workbook_is_what_the_page_lists(crowd, world: World, login, django_assert_max_num_queries) -> None:
    client = login(world.users["office"])
    with django_assert_max_num_queries(22):
        answer = client.get(reverse("appraisal:results_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("No.", "Member", "Branch")
    members = [row for row in rows[2:] if isinstance(row[0], int)]
    assert len(members) == 150 and rows[-1][0] == "Total: 150"
    tallies = selectors.member_tallies(campaign=world.campaign)
    name, valid = members[0][1], members[0][8]
    member = world.member.__class__.objects.get(name=name)
    assert valid == tallies[member.pk].valid


def test_a_member_reads_his_own_result_after_the_close_on_k_ballots(world: World, login) -> None:
    window = _open(world)
    others = f.bulk_members(world.campaign, [{"unit": world.unit, "branch": world.branch} for _ in range(3)])
    bulk_ballots(window, [(m, {world.member.pk: "excellent"}, {}) for m in others[:2]])
    services.window_close(user=world.users["office"], window=window)
    client = login(world.users["member"])
    page = client.get(reverse("appraisal:vote")).content.decode()
    assert "Too few ballots rated you" in page  # two ballots: below k
    # A third ballot, written directly (the services take none in a closed window).
    bulk_ballots(window, [(others[2], {world.member.pk: "qualified"}, {})])
    page = client.get(reverse("appraisal:vote")).content.decode()
    assert "Excellent 2 · qualified 1 · basically qualified 0 · unqualified 0." in page


def test_a_secretary_opens_voting_from_the_list_and_a_supervisor_only_watches(world: World, login) -> None:
    url = reverse("appraisal:window_list")
    opener = reverse("appraisal:window_open", args=[world.branch.pk])
    assert opener in login(world.users["secretary"]).get(url).content.decode()
    assert opener not in login(world.users["supervisor"]).get(url).content.decode()
    answer = login(world.users["secretary"]).post(opener, follow=True)
    assert "Voting is open in 机关支部INSIDE." in answer.content.decode()
    assert AppraisalWindow.objects.get(branch=world.branch).is_open
    again = login(world.users["office"]).post(opener, follow=True)
    assert "already opened for 机关支部INSIDE" in again.content.decode()
