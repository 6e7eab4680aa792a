"""The meetings' and the appraisal's forms that carry no one-time token (listed in
``NOT_CREATING`` of tests/core/test_once_guard.py), each sent twice through its page:
the second send stores nothing more and is told why, with a message, never an error
page. (The forms that add rows carry a token; the guard sends those twice.)"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from campaign.models import Member
from meetings import services as meeting_services
from meetings.appraisal import services
from meetings.appraisal.models import AppraisalSettings, AppraisalWindow, PaperMemberCount, PaperSheet
from meetings.models import Criticism, MeetingState, SelfCriticism
from rectification.models import Problem
from tests.conftest import World
from tests.meetings.factories import MeetingFactory, low_quotas, settle, talk


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _text(response) -> str:
    assert response.status_code in (200, 302), response.status_code
    return response.content.decode()


@pytest.fixture
def held(world: World):
    """A branch meeting of the world, held with its two attendees present."""
    low_quotas(world.campaign)
    zhang, li = world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    settle([zhang, li])
    talk(zhang, li)
    meeting = MeetingFactory(branch=world.branch)
    present = meeting_services.Presence(present=True)
    meeting_services.meeting_hold(
        user=world.users["secretary"],
        meeting=meeting,
        held_on=meeting.planned_on,
        minutes="",
        attendance={zhang.pk: present, li.pk: present},
    )
    return meeting, zhang, li


# --- Meetings ---------------------------------------------------------------------------------


def test_a_cancellation_sent_twice_is_refused_the_second_time_at_the_form(world: World, login) -> None:
    meeting = MeetingFactory(branch=world.branch)
    client = login(world.users["secretary"])
    url = reverse("meetings:meeting_cancel", args=[meeting.pk])
    assert client.post(url, {"reason": "上级通知暂缓"}).status_code == 302
    again = client.post(url, {"reason": "上级通知暂缓"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Only a planned or ready meeting can be cancelled." in _text(again)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CANCELLED


def test_followed_up_sent_twice_is_refused_the_second_time_with_a_message(world: World, login, held) -> None:
    meeting = held[0]
    client = login(world.users["supervisor"])
    url = reverse("meetings:meeting_followed_up", args=[meeting.pk])
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Only a meeting that was held can be marked as followed up." in _text(again)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.FOLLOWED_UP


def test_a_criticism_marked_to_rectify_twice_is_one_problem(world: World, login, held) -> None:
    meeting, zhang, li = held
    criticism = meeting_services.criticism_record(
        user=world.users["secretary"],
        meeting=meeting,
        from_member=zhang,
        to_member=li,
        content="作风不实",
        aspect="work",
    )
    client = login(world.users["secretary"])
    url = reverse("meetings:criticism_rectify", args=[criticism.pk])
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This criticism is already a problem to rectify." in _text(again)
    assert Problem.objects.filter(member=li).count() == 1
    assert Criticism.objects.get(pk=criticism.pk).problem_id is not None


def test_a_self_criticism_sent_twice_is_saved_once(world: World, login, held) -> None:
    meeting, zhang, _li = held
    client = login(world.users["secretary"])
    url = reverse("meetings:self_criticism", args=[meeting.pk])
    data = {"member": zhang.pk, "summary": "理论学习不深入", "aspects": ["ideals"]}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert SelfCriticism.objects.filter(meeting=meeting, member=zhang).count() == 1


# --- The appraisal ------------------------------------------------------------------------------


def _open(world: World) -> AppraisalWindow:
    return services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=world.branch)


def test_a_close_sent_twice_is_refused_the_second_time_with_a_message(world: World, login) -> None:
    window = _open(world)
    client = login(world.users["secretary"])
    url = reverse("appraisal:window_close", args=[window.pk])
    assert client.post(url).status_code == 302
    again = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "is already closed." in _text(again)


def test_a_paper_tally_sent_twice_is_one_sheet_with_the_same_counts(world: World, login) -> None:
    window = _open(world)
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    client = login(world.users["secretary"])
    url = reverse("appraisal:paper_entry", args=[window.pk])
    data = {"present": "2", f"member_{colleague.pk}_excellent": "1", f"member_{colleague.pk}_qualified": "1"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    sheet = PaperSheet.objects.get(window=window)
    counts = PaperMemberCount.objects.get(sheet=sheet, member=colleague)
    assert (sheet.present, counts.excellent, counts.qualified) == (2, 1, 1)


def test_a_confirmation_sent_twice_is_refused_the_second_time_with_a_message(world: World, login) -> None:
    window = _open(world)
    login(world.users["secretary"]).post(reverse("appraisal:paper_entry", args=[window.pk]), {"present": "2"})
    office = login(world.users["office"])
    url = reverse("appraisal:paper_confirm", args=[window.pk])
    assert office.post(url).status_code == 302
    again = office.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This paper tally is confirmed; it can no longer be changed." in _text(again)
    assert PaperSheet.objects.get(window=window).is_confirmed


def test_the_settings_sent_twice_are_one_row(world: World, login) -> None:
    client = login(world.users["office"])
    data = {
        "unqualified_numerator": "1",
        "unqualified_denominator": "4",
        "approval_numerator": "1",
        "approval_denominator": "2",
        "min_ballots": "5",
        "public_opens_on": "",
        "public_closes_on": "",
    }
    assert client.post(reverse("appraisal:settings"), data).status_code == 302
    assert client.post(reverse("appraisal:settings"), data).status_code == 302
    assert AppraisalSettings.objects.filter(campaign=world.campaign).count() == 1
    assert AppraisalSettings.objects.get(campaign=world.campaign).unqualified_denominator == 4
