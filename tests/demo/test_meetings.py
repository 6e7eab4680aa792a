"""The demo county's meetings: the Standing Committee's held with every condition met
and criticisms between every two members; most teams and branches held, each truly past
the gate; a few blocked, for exactly three plain reasons; one held on the office's
override; the gate's verdict on every meeting equal to a plain computation; every branch
that met appraised, a few members flagged; the ledgers clean. One shared seed
(tests/demo/conftest.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from io import StringIO
from itertools import permutations

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.utils import translation

from campaign.models import LEADING_RANKS, ChangeOutbox, LeadershipTeam, Member, OrgUnit, OrgUnitKind, TeamKind
from meetings import gate as gates
from meetings import services
from meetings.appraisal.models import AppraisalWindow, Ballot, MemberMark, TeamMark, VoterRecord, WindowState
from meetings.appraisal.selectors import Rules, flagged_member_rows, member_tallies, settings_for
from meetings.gate import Condition
from meetings.models import Attendance, Criticism, Meeting, MeetingKind, MeetingState, SelfCriticism
from meetings.selectors import meetings_for
from opinions.models import FeedbackList
from reviews.models import AnalysisDocument, DocumentState
from talks import selectors as talk_selectors
from talks.models import Talk
from tests.demo.helpers import fresh_user
from tests.meetings.test_gate import _plain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


@pytest.fixture
def campaign(seeded):
    return seeded.campaign


def _meetings(campaign) -> list[Meeting]:
    return list(Meeting.objects.filter(campaign=campaign).select_related("campaign", "team", "branch", "unit"))


def _verdicts(campaign, meetings):
    with translation.override("en"):
        return gates.evaluate(campaign, meetings, links=False)


def _standing(campaign) -> Meeting:
    return Meeting.objects.select_related("campaign", "team", "unit").get(
        campaign=campaign, team__kind=TeamKind.STANDING_COMMITTEE
    )


def test_the_standing_committee_met_every_condition_and_criticised_every_pair(campaign):
    meeting = _standing(campaign)
    assert (meeting.state, meeting.override_reason) == (MeetingState.HELD, "")
    verdict = gates.gate_for(meeting, links=False)
    cells = [cell for row in verdict.rows for cell in row.cells.values()]
    assert all(cell.met for cell in cells) and verdict.ready
    team = meeting.team
    seats = {*team.members.values_list("pk", flat=True), team.head_id}
    attendees = {m.pk for m in gates.attendees_of([meeting])[meeting.pk]}
    assert attendees == seats and len(seats) == 11
    assert set(Attendance.objects.filter(meeting=meeting, present=True).values_list("member_id", flat=True)) == seats
    supervisors = set(meeting.supervisors_present.values_list("pk", flat=True))
    assert supervisors == {s.pk for s in services.expected_supervisors(meeting)}
    assert set(meeting.supervisors_present.values_list("team__level", flat=True)) == {"municipal"}
    held_record = meeting.history.filter(history_type="~").latest("history_date")
    assert held_record.state == MeetingState.HELD
    assert set(held_record.supervisors_present.values_list("supervisor_id", flat=True)) == supervisors
    said = Criticism.objects.filter(meeting=meeting).values_list("from_member_id", "to_member_id")
    assert {pair for pair in said if pair[0] != pair[1]} == set(permutations(seats, 2))
    approved = dict(
        AnalysisDocument.objects.filter(member__in=seats, state=DocumentState.APPROVED).values_list("member_id", "pk")
    )
    assert dict(SelfCriticism.objects.filter(meeting=meeting).values_list("member_id", "document_id")) == approved
    assert len(approved) == 11


def test_most_teams_and_branches_held_their_meeting_each_truly_past_the_gate(campaign):
    meetings = _meetings(campaign)
    verdicts = _verdicts(campaign, meetings)
    held = [m for m in meetings if m.state == MeetingState.HELD]
    teams = LeadershipTeam.objects.filter(campaign=campaign).count()
    branches = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).count()
    held_teams = sum(1 for m in held if m.kind == MeetingKind.DEMOCRATIC_LIFE)
    held_branches = sum(1 for m in held if m.kind == MeetingKind.ORGANISATIONAL_LIFE)
    assert held_teams > 0.8 * teams and held_branches > 0.8 * branches
    for meeting in held:
        assert meeting.held_on is not None
        assert verdicts[meeting.pk].ready != meeting.overridden, meeting
    # The state follows the gate: nothing for the gate's follower to move.
    assert services.meetings_follow_gate(campaign_id=campaign.pk) == 0


def test_what_was_recorded_at_the_held_meetings_holds_together(campaign):
    meetings = [m for m in _meetings(campaign) if m.state == MeetingState.HELD]
    attendees = gates.attendees_of(meetings)
    rows = defaultdict(dict)
    for meeting_id, member_id, present, reason in Attendance.objects.filter(meeting__campaign=campaign).values_list(
        "meeting_id", "member_id", "present", "absence_reason"
    ):
        rows[meeting_id][member_id] = (present, reason)
    approved = dict(
        AnalysisDocument.objects.filter(campaign=campaign, state=DocumentState.APPROVED).values_list("member_id", "pk")
    )
    criticisms = defaultdict(list)
    for meeting_id, low, high in Criticism.objects.filter(meeting__campaign=campaign).values_list(
        "meeting_id", "from_member_id", "to_member_id"
    ):
        criticisms[meeting_id].append((low, high))
    selves = defaultdict(dict)
    for meeting_id, member_id, document_id in SelfCriticism.objects.filter(meeting__campaign=campaign).values_list(
        "meeting_id", "member_id", "document_id"
    ):
        selves[meeting_id][member_id] = document_id
    through = Meeting.supervisors_present.through.objects.filter(meeting__campaign=campaign)
    supervisors = defaultdict(set)
    for meeting_id, supervisor_id in through.values_list("meeting_id", "supervisor_id"):
        supervisors[meeting_id].add(supervisor_id)
    absent = 0
    for meeting in meetings:
        ids = {m.pk for m in attendees[meeting.pk]}
        assert set(rows[meeting.pk]) == ids
        present = {pk for pk, (here, _reason) in rows[meeting.pk].items() if here}
        assert present
        assert all(reason for here, reason in rows[meeting.pk].values() if not here)
        absent += len(ids - present)
        assert all(low in present and high in present for low, high in criticisms[meeting.pk])
        assert set(selves[meeting.pk]) == present
        assert all(document == approved.get(pk) for pk, document in selves[meeting.pk].items())
        assert supervisors[meeting.pk] <= {s.pk for s in services.expected_supervisors(meeting)}
    assert absent > 0


def _kind(condition: str, text: str) -> str:
    if condition == Condition.OPINIONS and text.endswith("was released but is not signed."):
        return "unsigned list"
    if condition == Condition.TALKS and " has not yet talked with " in text:
        return "missing pair"
    if condition == Condition.DOCUMENT and text.endswith("was returned for revision."):
        return "returned document"
    return text


def test_a_few_meetings_are_blocked_each_for_one_of_exactly_three_reasons(campaign):
    meetings = _meetings(campaign)
    verdicts = _verdicts(campaign, meetings)
    blocked = [m for m in meetings if m.is_open]
    assert 3 <= len(blocked) <= 8
    seen = Counter()
    for meeting in blocked:
        assert meeting.state == MeetingState.PLANNED
        assert not verdicts[meeting.pk].ready
        kinds = {
            _kind(condition, missing.text)
            for row in verdicts[meeting.pk].rows
            for condition, cell in row.cells.items()
            for missing in cell.missing
        }
        assert len(kinds) == 1, (meeting, kinds)
        seen.update(kinds)
    assert set(seen) == {"unsigned list", "missing pair", "returned document"}
    # The team whose two members have not talked is blocked, and so its team row says.
    team_meeting = next(m for m in blocked if m.team_id)
    team_row = verdicts[team_meeting.pk].rows[0]
    assert team_row.team is not None and not team_row.cells[Condition.TALKS].met


def test_one_meeting_was_held_on_the_offices_override_with_its_reason(campaign):
    overridden = Meeting.objects.filter(campaign=campaign).exclude(override_reason="")
    assert overridden.count() == 1
    meeting = overridden.select_related("campaign", "team", "branch", "unit").get()
    assert meeting.state == MeetingState.HELD and meeting.override_at is not None
    assert not gates.gate_for(meeting, links=False).ready
    client = Client()
    client.force_login(fresh_user("office"))
    response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    assert 'id="override"' in response.content.decode()
    assert meeting.override_reason[:20] in response.content.decode()


# --- The verdict equals a plain computation ---------------------------------------------------


def _plain_team(campaign, team: LeadershipTeam) -> bool:
    """The team's own row: its list signed, every two of its seats talked."""
    signed = FeedbackList.objects.filter(target_team=team, status="signed").exists()
    seats = sorted({*team.members.values_list("pk", flat=True), team.head_id} - {None})
    talked = all(
        Talk.objects.filter(Q(member_id=a, other_member_id=b) | Q(member_id=b, other_member_id=a)).exists()
        for i, a in enumerate(seats)
        for b in seats[i + 1 :]
    )
    return signed and talked


def _plain_with_charges(campaign, member: Member) -> dict[str, bool]:
    """The meetings tests' plain computation knows a member's team mates; the demo
    also has the pairs of a county-level cadre with the responsible leader of each unit
    in his or her charge (a required pair too): add them, read as plainly."""
    result = _plain(campaign, member)
    partners = {unit.responsible_leader_id for unit in member.in_charge_of.all()}
    partners |= set(Member.objects.filter(in_charge_of__responsible_leader=member).values_list("pk", flat=True))
    partners -= {None, member.pk}
    talked = all(
        Talk.objects.filter(Q(member=member, other_member_id=o) | Q(member_id=o, other_member=member)).exists()
        for o in partners
    )
    result[Condition.TALKS] = result[Condition.TALKS] and talked
    return result


def test_for_every_planned_meeting_the_verdict_equals_the_meetings_tests_plain_computation(campaign):
    planned = [m for m in _meetings(campaign) if m.is_open]
    verdicts = _verdicts(campaign, planned)
    attendees = gates.attendees_of(planned)
    for meeting in planned:
        rows = verdicts[meeting.pk].rows
        got = {row.member.pk: {c: row.cells[c].met for c in gates.CONDITIONS} for row in rows if row.member}
        assert got == {m.pk: _plain_with_charges(campaign, m) for m in attendees[meeting.pk]}
        team_ok = _plain_team(campaign, meeting.team) if meeting.team_id else True
        assert verdicts[meeting.pk].ready == (team_ok and all(all(v.values()) for v in got.values()))


def test_for_every_meeting_the_verdict_equals_a_plain_recount(campaign):
    """The same computation for all of them at once, over rows read once."""
    meetings = _meetings(campaign)
    verdicts = _verdicts(campaign, meetings)
    signed_members = set(
        FeedbackList.objects.filter(campaign=campaign, status="signed", target_member__isnull=False).values_list(
            "target_member_id", flat=True
        )
    )
    signed_teams = set(
        FeedbackList.objects.filter(campaign=campaign, status="signed", target_team__isnull=False).values_list(
            "target_team_id", flat=True
        )
    )
    held, talked = Counter(), set()
    for low, high in Talk.objects.filter(campaign=campaign).values_list("member_id", "other_member_id"):
        held[low] += 1
        if high:
            held[high] += 1
            talked.add(frozenset((low, high)))
    required = talk_selectors.required_pairs(campaign)
    partners = defaultdict(set)
    for low, high in required:
        partners[low].add(high)
        partners[high].add(low)
    ranks = dict(Member.objects.filter(campaign=campaign).values_list("pk", "rank"))
    approved = set(
        AnalysisDocument.objects.filter(campaign=campaign, state=DocumentState.APPROVED).values_list(
            "member_id", flat=True
        )
    )

    def quota(pk):
        return campaign.talk_quota_leader if ranks[pk] in LEADING_RANKS else campaign.talk_quota_member

    def member_ok(pk):
        talks = held[pk] >= quota(pk) and all(frozenset((pk, o)) in talked for o in partners[pk])
        return pk in signed_members and talks and pk in approved

    seats = gates.team_seats([m.team_id for m in meetings if m.team_id])
    attendees = gates.attendees_of(meetings)
    for meeting in meetings:
        ok = all(member_ok(m.pk) for m in attendees[meeting.pk])
        if meeting.team_id:
            team_seats = sorted(seats[meeting.team_id])
            ok = ok and meeting.team_id in signed_teams
            ok = ok and all(frozenset((a, b)) in talked for i, a in enumerate(team_seats) for b in team_seats[i + 1 :])
        assert verdicts[meeting.pk].ready == ok, meeting


# --- The rest of the county ----------------------------------------------------------------


def test_the_demo_secretary_can_plan_a_meeting_and_the_gate_says_what_is_missing(campaign):
    secretary = fresh_user("secretary")
    branch = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH, parent__roles__user=secretary).order_by(
        "code"
    )[0]
    assert not Meeting.objects.filter(branch=branch).exists()  # the unit fell behind
    plan = services.Plan(
        kind=MeetingKind.ORGANISATIONAL_LIFE,
        planned_on=campaign.current_stage.steps.get(kind="meetings").ends_on,
        place="党员活动室",
        branch=branch,
    )
    meeting = services.meeting_plan(user=secretary, campaign=campaign, plan=plan)
    assert meeting.state == MeetingState.PLANNED
    assert gates.gate_for(meeting).missing_count() > 0


def test_the_demo_supervisor_sees_the_meetings_of_his_units_and_no_others(campaign):
    supervisor = fresh_user("supervisor")
    units = set(supervisor.supervisor.team.units.values_list("path", flat=True))
    seen = list(meetings_for(supervisor, campaign))
    assert seen
    assert all(any(m.unit.path.startswith(path) for path in units) for m in seen)
    client = Client()
    client.force_login(supervisor)
    response = client.get("/meetings/")
    assert response.status_code == 200


def test_the_seed_prints_the_meetings_step_with_its_time(seeded):
    line = next(line for line in seeded.output.splitlines() if line.startswith("meetings:"))
    assert "meetings held" in line and "1 held with the gate overridden" in line and line.endswith(" s)")


def test_reconcile_ledgers_finds_no_drift_after_the_meetings(campaign):
    assert not ChangeOutbox.objects.filter(campaign=campaign).exists()
    out = StringIO()
    with translation.override("en"):
        call_command("reconcile_ledgers", "--campaign", campaign.slug, "--no-drain", stdout=out)
    assert "No drift" in out.getvalue()


# --- Democratic appraisal ----------------------------------------------------------------------


def test_every_branch_that_met_voted_and_its_window_is_closed(campaign):
    met = set(
        Meeting.objects.filter(
            campaign=campaign, kind=MeetingKind.ORGANISATIONAL_LIFE, state=MeetingState.HELD
        ).values_list("branch_id", flat=True)
    )
    windows = AppraisalWindow.objects.filter(campaign=campaign)
    assert set(windows.values_list("branch_id", flat=True)) == met
    assert set(windows.values_list("state", flat=True)) == {WindowState.CLOSED}
    roll = defaultdict(set)
    for branch_id, pk in Member.objects.filter(campaign=campaign).values_list("branch_id", "pk"):
        roll[branch_id].add(pk)
    teams = Counter(LeadershipTeam.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    voters = defaultdict(set)
    for window_id, member_id in VoterRecord.objects.filter(window__campaign=campaign).values_list(
        "window_id", "member_id"
    ):
        voters[window_id].add(member_id)
    ballots = Counter(Ballot.objects.filter(window__campaign=campaign).values_list("window_id", flat=True))
    marks = Counter(MemberMark.objects.filter(window__campaign=campaign).values_list("window_id", flat=True))
    team_marks = Counter(TeamMark.objects.filter(campaign=campaign).values_list("window_id", flat=True))
    for window in windows.select_related("branch"):
        assert window.opened_on <= window.closed_on
        assert voters[window.pk] <= roll[window.branch_id] and voters[window.pk]
        assert ballots[window.pk] == len(voters[window.pk])
        assert marks[window.pk] == len(voters[window.pk]) * (len(roll[window.branch_id]) - 1)
        assert team_marks[window.pk] == len(voters[window.pk]) * teams[window.branch.parent_id]
    assert not TeamMark.objects.filter(campaign=campaign, window__isnull=True).exists()


def test_a_few_members_are_flagged_and_the_office_sees_them(campaign):
    rules = Rules.of(settings_for(campaign))
    flagged = {pk for pk, tally in member_tallies(campaign=campaign).items() if rules.flags(tally)}
    assert 3 <= len(flagged) <= 10
    office = fresh_user("office")
    rows = flagged_member_rows(office, campaign, rules=rules)
    assert {row.member.pk for row in rows} == flagged
    client = Client()
    client.force_login(office)
    response = client.get("/meetings/appraisal/flagged/")
    assert response.status_code == 200
    page = response.content.decode()
    assert all(row.member.name in page for row in rows)
