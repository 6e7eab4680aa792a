"""The three no-convenings: the gate's verdict, how it turns to met when the other
stages supply what is missing (through their services), and how the state follows."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from django.db.models import Q

from campaign.models import LEADING_RANKS, Member, Rank
from meetings import gate as gates
from meetings import services
from meetings.gate import Condition
from meetings.models import MeetingState
from opinions import feedback
from opinions.models import FeedbackList
from reviews import services as reviews
from reviews.models import AnalysisDocument, DocumentState
from talks import services as talks
from talks.models import Talk
from tests import factories as f
from tests.meetings.factories import MeetingFactory, TeamMeetingFactory, document, low_quotas, settle, signed_list, talk
from tests.reviews.conftest import ALL_CONFIRMED, sections_of
from tests.talks.factories import analysis_day


@pytest.fixture
def people(world):
    low_quotas(world.campaign)
    zhang = world.member
    li = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    return zhang, li


@pytest.fixture
def meeting(world, people):
    return MeetingFactory(branch=world.branch)


def _cell(meeting, member, condition):
    verdict = gates.gate_for(meeting)
    row = next(row for row in verdict.rows if row.member is not None and row.member.pk == member.pk)
    return row.cells[condition]


def test_a_settled_branch_is_ready(meeting, people):
    zhang, li = people
    settle(people)
    talk(zhang, li)
    verdict = gates.gate_for(meeting)
    assert [row.member.name for row in verdict.rows] == sorted(m.name for m in people)
    assert verdict.ready


def test_each_open_cell_says_exactly_what_is_missing_with_a_link(meeting, people):
    zhang, li = people
    signed_list(member=zhang, status="released")
    returned = document(zhang, DocumentState.RETURNED)
    verdict = gates.gate_for(meeting)
    row = next(row for row in verdict.rows if row.member.pk == zhang.pk)
    opinions, talks_cell, doc = row.ordered_cells()
    assert [m.text for m in opinions.missing] == ["The feedback list for 张三INSIDE was released but is not signed."]
    assert opinions.missing[0].url.startswith("/opinions/feedback/")
    assert [m.text for m in talks_cell.missing] == [
        "张三INSIDE has held 0 of 1 talks.",
        "张三INSIDE has not yet talked with 李四INSIDE.",
    ]
    assert doc.missing[0].text == "The self-analysis of 张三INSIDE was returned for revision."
    assert doc.missing[0].url == f"/documents/{returned.pk}/"
    li_row = next(row for row in verdict.rows if row.member.pk == li.pk)
    assert li_row.cells[Condition.OPINIONS].missing[0].text == "No opinion about 李四INSIDE has been solicited yet."
    assert li_row.cells[Condition.DOCUMENT].missing[0].text == "李四INSIDE has not written a self-analysis document."
    assert not verdict.ready


def test_a_team_meeting_has_a_row_for_the_team(world, people):
    zhang, li = people
    team = li.teams_headed.get()
    meeting = TeamMeetingFactory(team=team)
    settle(people)
    talk(zhang, li)
    verdict = gates.gate_for(meeting)
    assert verdict.rows[0].team == team
    assert verdict.rows[0].cells[Condition.OPINIONS].missing[0].text.startswith("No opinion about 城关镇领导班子INSIDE")
    assert not verdict.rows[0].cells[Condition.DOCUMENT].applies
    signed_list(team=team)
    assert gates.gate_for(meeting).ready


# --- The verdict equals a plain computation ---------------------------------------------------


def _plain(campaign, member: Member) -> dict[str, bool]:
    """The three conditions for one member, read straight from the records."""
    signed = FeedbackList.objects.filter(target_member=member, status="signed").exists()
    held = Talk.objects.filter(Q(member=member) | Q(other_member=member)).count()
    quota = campaign.talk_quota_leader if member.rank in LEADING_RANKS else campaign.talk_quota_member
    mates = set()
    for team in {*member.teams.all(), *member.teams_headed.all()}:
        seats = set(team.members.values_list("pk", flat=True)) | ({team.head_id} if team.head_id else set())
        mates |= seats - {member.pk}
    pairs_done = all(
        Talk.objects.filter(Q(member=member, other_member_id=o) | Q(member_id=o, other_member=member)).exists()
        for o in mates
    )
    approved = AnalysisDocument.objects.filter(member=member, state=DocumentState.APPROVED).exists()
    return {Condition.OPINIONS: signed, Condition.TALKS: held >= quota and pairs_done, Condition.DOCUMENT: approved}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_verdict_per_attendee_and_condition_equals_a_plain_computation(world, seed):
    rng = random.Random(seed)
    low_quotas(world.campaign, 2)
    branch = f.OrgUnitFactory(campaign=world.campaign, kind="branch", parent=world.unit)
    members = [
        f.MemberFactory(
            campaign=world.campaign,
            unit=world.unit,
            branch=branch,
            rank=rng.choice([Rank.ORDINARY, Rank.SECTION_CADRE]),
        )
        for _ in range(7)
    ]
    team = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.unit, head=members[0])
    team.members.add(*members[1:4])
    for member in members:
        roll = rng.random()
        if roll < 0.6:
            signed_list(member=member, status="signed" if roll < 0.4 else "released")
        roll = rng.random()
        if roll < 0.7:
            document(member, DocumentState.APPROVED if roll < 0.5 else DocumentState.SUBMITTED)
        for _ in range(rng.randint(0, 2)):
            talk(member)
    for first, second in combinations(members[:4], 2):
        if rng.random() < 0.6:
            talk(first, second)
    meeting = MeetingFactory(branch=branch)
    verdict = gates.gate_for(meeting)
    got = {row.member.pk: {c: row.cells[c].met for c in gates.CONDITIONS} for row in verdict.rows}
    assert got == {m.pk: _plain(world.campaign, m) for m in members}
    assert verdict.ready == all(all(v.values()) for v in got.values())


# --- Turning to met through the other stages' services ------------------------------------------


def test_opinions_turn_to_met_when_the_member_signs_through_the_feedback_service(world, meeting, people):
    zhang, li = people
    settle([li])
    document(zhang)
    talk(zhang, li)
    released = signed_list(member=zhang, status="released")
    assert not _cell(meeting, zhang, Condition.OPINIONS).met
    feedback.feedback_list_sign(actor=world.users["member"], feedback_list=released, confirmed=True)
    assert _cell(meeting, zhang, Condition.OPINIONS).met
    assert gates.gate_for(meeting).ready


def test_talks_turn_to_met_when_the_card_is_logged_through_the_talks_service(world, meeting, people):
    zhang, li = people
    settle(people)
    assert not _cell(meeting, zhang, Condition.TALKS).met
    data = {
        "kind": "team",
        "member": li,
        "other_member": zhang,
        "talked_on": analysis_day(world.campaign, 2),
        "place": "党员活动室",
        "topics": "工作作风",
        "member_problems": "学习不深",
        "other_problems": "联系群众少",
        "agreed": "互相监督",
    }
    talks.talk_create(user=world.users["office"], campaign=world.campaign, data=data)
    assert _cell(meeting, zhang, Condition.TALKS).met
    assert _cell(meeting, li, Condition.TALKS).met
    assert gates.gate_for(meeting).ready


def test_the_document_turns_to_met_when_its_reviewer_approves_it_through_the_reviews_service(world, meeting, people):
    zhang, li = people
    leader = f.MemberFactory(
        campaign=world.campaign, unit=world.unit, rank=Rank.SECTION_CADRE, user=f.UserFactory(username="leader")
    )
    world.unit.responsible_leader = leader
    world.unit.save()
    settle([li])
    signed_list(member=zhang)
    talk(zhang, li)
    doc = reviews.document_get_or_create(member=zhang)
    reviews.document_save(document=doc, user=zhang.user, sections=sections_of(3000), comparisons=ALL_CONFIRMED)
    reviews.document_submit(document=doc, user=zhang.user)
    assert (
        _cell(meeting, zhang, Condition.DOCUMENT).missing[0].text
        == "The self-analysis of 张三INSIDE awaits its review."
    )
    reviews.document_decide(
        document=doc,
        user=leader.user,
        version_number=1,
        decision="approve",
        problems_accurate=True,
        causes_accurate=True,
        direction_accurate=True,
    )
    assert _cell(meeting, zhang, Condition.DOCUMENT).met
    assert gates.gate_for(meeting).ready


def test_the_state_follows_the_gate_when_another_stage_announces_a_change(
    world, meeting, people, django_capture_on_commit_callbacks
):
    zhang, li = people
    settle([li])
    document(zhang)
    talk(zhang, li)
    released = signed_list(member=zhang, status="released")
    assert services.meetings_follow_gate(campaign_id=world.campaign.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        feedback.feedback_list_sign(actor=world.users["member"], feedback_list=released, confirmed=True)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    # And back: a document reopened by the office closes the gate again.
    doc = AnalysisDocument.objects.get(member=zhang)
    with django_capture_on_commit_callbacks(execute=True):
        reviews.document_reopen(document=doc, reason="重新修改")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED


def test_the_gate_costs_the_same_queries_for_one_meeting_or_many(world, django_assert_max_num_queries):
    from tests.meetings.factories import bulk_branch_meetings, bulk_ready

    low_quotas(world.campaign)
    branches = f.bulk_units(world.campaign, [world.unit] * 20, kind="branch")
    members = f.bulk_members(world.campaign, [{"unit": world.unit, "branch": b} for b in branches for _ in range(5)])
    bulk_ready(world.campaign, members)
    meetings = bulk_branch_meetings(world.campaign, branches)
    with django_assert_max_num_queries(12):
        verdicts = gates.evaluate(world.campaign, meetings)
    assert all(v.ready for v in verdicts.values())
    with django_assert_max_num_queries(12):
        gates.evaluate(world.campaign, meetings[:1])


def test_the_hourly_safety_net_puts_every_campaign_in_step(world, meeting, people):
    from meetings import tasks

    zhang, li = people
    settle(people)
    talk(zhang, li)  # built directly: nothing announced, the stored state lags
    assert meeting.state == MeetingState.PLANNED
    assert tasks.follow_all_gates() == 1
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    assert tasks.follow_all_gates() == 0
