"""Meetings through their services: planning, the transitions, holding with and without
the gate, what is recorded at the meeting, problems to rectify, and the follow-up."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from campaign.models import Member, Supervisor
from meetings import selectors, services
from meetings.models import Attendance, AttendeeChange, Criticism, FollowUpNote, Meeting, MeetingKind, MeetingState
from meetings.services import Plan, Presence
from rectification.models import Problem, ProblemSource
from tests import factories as f
from tests.meetings.factories import MeetingFactory, low_quotas, settle, talk


@pytest.fixture
def people(world):
    low_quotas(world.campaign)
    return world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")


@pytest.fixture
def meeting(world, people):
    return MeetingFactory(branch=world.branch)


@pytest.fixture
def ready(meeting, people):
    settle(people)
    talk(*people)
    services.meetings_follow_gate(campaign_id=meeting.campaign_id)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    return meeting


def _all_present(people):
    return {m.pk: Presence(present=True) for m in people}


def _hold(user, meeting, people, **kwargs):
    defaults = {
        "held_on": meeting.planned_on,
        "minutes": "会议记录",
        "attendance": _all_present(people),
    }
    defaults.update(kwargs)
    return services.meeting_hold(user=user, meeting=meeting, **defaults)


# --- Planning --------------------------------------------------------------------------------


def test_a_secretary_plans_his_branch_meeting_and_it_follows_the_gate(world, people):
    plan = Plan(
        kind=MeetingKind.ORGANISATIONAL_LIFE, planned_on=datetime.date(2026, 3, 20), place="会议室", branch=world.branch
    )
    meeting = services.meeting_plan(user=world.users["secretary"], campaign=world.campaign, plan=plan)
    assert meeting.unit == world.branch
    assert meeting.state == MeetingState.PLANNED
    settle(people)
    talk(*people)
    other = services.meeting_plan(user=world.users["secretary"], campaign=world.campaign, plan=plan)
    assert other.state == MeetingState.READY  # reached by itself


def test_a_secretary_cannot_plan_a_team_meeting_or_another_units_branch(world):
    team = world.member.teams.get()
    with pytest.raises(ValidationError) as error:
        services.meeting_plan(
            user=world.users["secretary"],
            campaign=world.campaign,
            plan=Plan(
                kind=MeetingKind.DEMOCRATIC_LIFE, planned_on=datetime.date(2026, 3, 20), place="会议室", team=team
            ),
        )
    assert "Only the county office" in error.value.message_dict["team"][0]
    with pytest.raises(ValidationError) as error:
        services.meeting_plan(
            user=world.users["secretary"],
            campaign=world.campaign,
            plan=Plan(
                kind=MeetingKind.ORGANISATIONAL_LIFE,
                planned_on=datetime.date(2026, 3, 20),
                place="会议室",
                branch=world.other_branch,
            ),
        )
    assert "outside your organisations" in error.value.message_dict["branch"][0]
    assert not Meeting.objects.exists()


def test_the_chair_must_attend(world):
    outsider = world.other_member
    team = world.member.teams.get()
    with pytest.raises(ValidationError) as error:
        services.meeting_plan(
            user=world.users["office"],
            campaign=world.campaign,
            plan=Plan(
                kind=MeetingKind.DEMOCRATIC_LIFE,
                planned_on=datetime.date(2026, 3, 20),
                place="会议室",
                team=team,
                chair=outsider,
            ),
        )
    assert error.value.message_dict["chair"] == ["The chair must be one of the attendees."]
    assert not Meeting.objects.exists()


def test_attendees_are_derived_with_additions_and_removals_recorded(world, meeting, people):
    zhang, li = people
    guest = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="列席人员")
    services.attendee_change(user=world.users["secretary"], meeting=meeting, member=guest, kind="add", reason="列席")
    services.attendee_change(user=world.users["secretary"], meeting=meeting, member=li, kind="remove", reason="病假")
    from meetings.gate import attendees_of

    assert [m.name for m in attendees_of([meeting])[meeting.pk]] == sorted([zhang.name, guest.name])
    with pytest.raises(ValidationError) as error:
        services.attendee_change(user=world.users["secretary"], meeting=meeting, member=guest, kind="add", reason="x")
    assert error.value.message_dict["member"] == ["列席人员 already attends."]
    with pytest.raises(ValidationError):
        services.attendee_change(user=world.users["secretary"], meeting=meeting, member=zhang, kind="remove", reason="")
    assert AttendeeChange.objects.filter(meeting=meeting).count() == 2


# --- Transitions ---------------------------------------------------------------------------------


def test_cancel_and_reschedule_need_a_reason(world, meeting):
    with pytest.raises(ValidationError):
        services.meeting_cancel(user=world.users["office"], meeting=meeting, reason=" ")
    with pytest.raises(ValidationError):
        services.meeting_reschedule(
            user=world.users["office"], meeting=meeting, planned_on=meeting.planned_on, place="新会议室", reason=""
        )
    moved = services.meeting_reschedule(
        user=world.users["office"],
        meeting=meeting,
        planned_on=meeting.planned_on + datetime.timedelta(days=3),
        place="新会议室",
        reason="与县委会议冲突",
    )
    assert moved.state == MeetingState.PLANNED
    assert moved.reschedules.get().reason == "与县委会议冲突"
    cancelled = services.meeting_cancel(user=world.users["office"], meeting=meeting, reason="支部合并")
    assert cancelled.state == MeetingState.CANCELLED
    with pytest.raises(ValidationError) as error:
        services.meeting_cancel(user=world.users["office"], meeting=meeting, reason="再次")
    assert error.value.message_dict["state"] == ["Only a planned or ready meeting can be cancelled."]


def test_the_transition_table_is_the_only_way(world):
    table = services.MEETING_TRANSITIONS
    assert table.successors(MeetingState.PLANNED) == {
        MeetingState.READY,
        MeetingState.HELD,
        MeetingState.CANCELLED,
        MeetingState.PLANNED,
    }
    assert table.successors(MeetingState.HELD) == {MeetingState.FOLLOWED_UP}
    assert table.successors(MeetingState.CANCELLED) == frozenset()


# --- Holding -----------------------------------------------------------------------------------


def test_a_ready_meeting_is_held_with_attendance_and_supervisors(world, ready, people):
    zhang, li = people
    supervisor = Supervisor.objects.get(user=world.users["supervisor"])
    held = _hold(
        world.users["secretary"],
        ready,
        people,
        attendance={zhang.pk: Presence(True), li.pk: Presence(False, "出差")},
        supervisors_present=[supervisor],
    )
    assert held.state == MeetingState.HELD
    assert not held.overridden
    assert Attendance.objects.get(meeting=held, member=li).absence_reason == "出差"
    assert list(held.supervisors_present.all()) == [supervisor]


def test_holding_with_the_gate_closed_and_no_override_is_refused_and_nothing_written(world, meeting, people):
    with pytest.raises(ValidationError) as error:
        _hold(world.users["office"], meeting, people)
    assert "cannot be recorded as held" in error.value.message_dict["override_reason"][0]
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED
    assert not Attendance.objects.exists()


def test_only_the_office_overrides_and_only_with_a_reason(world, meeting, people):
    with pytest.raises(ValidationError) as error:
        _hold(world.users["secretary"], meeting, people, override_reason="时间紧")
    assert error.value.message_dict["override_reason"] == [
        "Only the county office may override the three no-convenings."
    ]
    with pytest.raises(ValidationError):
        _hold(world.users["office"], meeting, people, override_reason="   ")
    held = _hold(world.users["office"], meeting, people, override_reason="县委统一安排，材料会后补齐")
    assert held.state == MeetingState.HELD
    assert held.override_reason == "县委统一安排，材料会后补齐"
    assert held.override_by == world.users["office"]
    assert selectors.meeting_counts(world.campaign)["overridden"] == 1


def test_an_absent_attendee_needs_a_reason(world, ready, people):
    zhang, li = people
    with pytest.raises(ValidationError) as error:
        _hold(world.users["secretary"], ready, people, attendance={zhang.pk: Presence(True), li.pk: Presence(False)})
    assert error.value.message_dict[f"attendance_{li.pk}"] == ["Give the reason 李四INSIDE was absent."]
    assert not Attendance.objects.exists()


# --- At and after the meeting ---------------------------------------------------------------------


@pytest.fixture
def held(world, ready, people):
    zhang, li = people
    guest = f.MemberFactory(campaign=world.campaign, unit=world.unit, branch=world.branch, name="缺席者")
    # Added after ready: the gate closes for him, so the office overrides.
    meeting = _hold(
        world.users["office"],
        ready,
        [*people, guest],
        attendance={zhang.pk: Presence(True), li.pk: Presence(True), guest.pk: Presence(False, "病假")},
        override_reason="缺席者材料另行补充",
    )
    return meeting, guest


def test_a_criticism_from_or_to_someone_absent_is_refused_and_nothing_written(world, held, people):
    meeting, absent = held
    zhang, li = people
    with pytest.raises(ValidationError) as error:
        services.criticism_record(
            user=world.users["secretary"],
            meeting=meeting,
            from_member=absent,
            to_member=zhang,
            content="x",
            aspect="work",
        )
    assert "缺席者 was not present" in error.value.message_dict["from_member"][0]
    with pytest.raises(ValidationError) as error:
        services.criticism_record(
            user=world.users["secretary"],
            meeting=meeting,
            from_member=zhang,
            to_member=absent,
            content="x",
            aspect="work",
        )
    assert "缺席者 was not present" in error.value.message_dict["to_member"][0]
    assert not Criticism.objects.exists()


def test_criticisms_and_self_criticism_problems_become_problems_to_rectify(world, held, people):
    meeting, _absent = held
    zhang, li = people
    mutual = services.criticism_record(
        user=world.users["secretary"],
        meeting=meeting,
        from_member=zhang,
        to_member=li,
        content="深入基层不够",
        aspect="work",
    )
    own = services.criticism_record(
        user=world.users["secretary"],
        meeting=meeting,
        from_member=zhang,
        to_member=zhang,
        content="学习不系统",
        aspect="ideals",
    )
    record = services.self_criticism_save(
        user=world.users["secretary"], meeting=meeting, member=zhang, summary="查摆三个问题", aspects=["ideals", "work"]
    )
    assert record.document is not None  # his approved document
    services.criticism_to_rectify(user=world.users["secretary"], criticism=mutual)
    services.criticism_to_rectify(user=world.users["secretary"], criticism=own)
    problems = {p.source: p for p in Problem.objects.all()}
    assert problems[ProblemSource.MEETING_CRITICISM].member == li
    assert problems[ProblemSource.MEETING_CRITICISM].source_id == mutual.pk
    assert problems[ProblemSource.MEETING_SELF_CRITICISM].text == "学习不系统"
    with pytest.raises(ValidationError):
        services.criticism_to_rectify(user=world.users["secretary"], criticism=mutual)
    assert Problem.objects.count() == 2


def test_follow_up_notes_and_candidates(world, held, people):
    meeting, _absent = held
    zhang, li = people
    from tests.opinions.factories import OpinionFactory

    for _ in range(selectors.MANY_OPINIONS_AGAINST):
        OpinionFactory(target_member=li)
    note = services.follow_up_note_add(
        user=world.users["supervisor"], meeting=meeting, member=li, observation="整改态度积极", help_given="谈心一次"
    )
    assert note.author_name == "督导组长"
    page = selectors.meeting_page(world.users["office"], meeting)
    assert [c.member for c in page.follow_up] == [li]
    done = services.meeting_followed_up(user=world.users["office"], meeting=meeting)
    assert done.state == MeetingState.FOLLOWED_UP
    assert FollowUpNote.objects.count() == 1


def test_the_appraisal_can_add_follow_up_candidates(world, held, people):
    meeting, _absent = held
    zhang, _li = people

    def low_appraisal(meeting, member_ids):
        return {zhang.pk: "评议结果为基本合格"}

    selectors.register_follow_up_source(low_appraisal)
    try:
        page = selectors.meeting_page(world.users["office"], meeting)
    finally:
        selectors.FOLLOW_UP_SOURCES.remove(low_appraisal)
    assert [(c.member, c.reasons) for c in page.follow_up] == [(zhang, ["评议结果为基本合格"])]


def test_the_municipal_team_supervises_the_standing_committee_and_the_units_team_the_rest(world, meeting):
    from campaign.models import SupervisoryLevel, TeamKind
    from tests.meetings.factories import TeamMeetingFactory

    municipal = f.SupervisoryTeamFactory(campaign=world.campaign, name="市督导组", level=SupervisoryLevel.MUNICIPAL)
    city = f.SupervisorFactory(team=municipal, name="市督导员")
    standing = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.county, kind=TeamKind.STANDING_COMMITTEE)
    assert services.expected_supervisors(TeamMeetingFactory(team=standing)) == [city]
    assert [s.name for s in services.expected_supervisors(meeting)] == ["督导组长"]
