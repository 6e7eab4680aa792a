"""The meetings' ledger figures: whatever sequence of plans, gate moves, holdings (on
the gate or on the office's override), cancellations, criticisms, problems handed to
rectification and follow-ups happens — with some roll-up messages lost on the way —
once the outbox is drained every figure equals a naive count of the meetings and the
reconciliation finds no drift; the stage summary reads them from the county rows."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from contextlib import nullcontext
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import ChangeOutbox, LeadershipTeam, Member
from meetings import gate as gates
from meetings import selectors, services
from meetings.models import Attendance, Criticism, Meeting, MeetingKind, MeetingState
from meetings.services import Plan, Presence
from reports.ledger import reconcile, rollup
from reports.ledger.summary import stage_summary
from reports.meetings import source
from reports.models import COUNTY_SCOPE, LedgerRow, unit_scope
from tests.conftest import property_examples
from tests.meetings.factories import low_quotas, settle, signed_list, talk

pytestmark = pytest.mark.django_db

HELD = {MeetingState.HELD, MeetingState.FOLLOWED_UP}


def naive_meetings(campaign) -> dict[tuple, int]:
    """The meetings' figures counted one record at a time, in Python."""
    figures: Counter[tuple] = Counter()

    def add(unit_id: int, key: str, n: int = 1) -> None:
        figures[(unit_scope(unit_id), unit_id, "meetings", key)] += n
        figures[(COUNTY_SCOPE, None, "meetings", key)] += n

    for meeting in Meeting.objects.filter(campaign=campaign):
        state = meeting.state
        if state == MeetingState.PLANNED:
            add(meeting.unit_id, "planned")
        elif state == MeetingState.READY:
            add(meeting.unit_id, "ready")
        elif state == MeetingState.CANCELLED:
            add(meeting.unit_id, "cancelled")
        else:
            add(meeting.unit_id, "held")
            if state == MeetingState.FOLLOWED_UP:
                add(meeting.unit_id, "followed_up")
            if meeting.override_reason:
                add(meeting.unit_id, "held_with_override")
    for row in Attendance.objects.filter(meeting__campaign=campaign).select_related("meeting"):
        if row.present:
            add(row.meeting.unit_id, "attendees")
    for criticism in Criticism.objects.filter(meeting__campaign=campaign).select_related("meeting"):
        add(criticism.meeting.unit_id, "criticisms")
        if criticism.problem_id:
            add(criticism.meeting.unit_id, "problems_found")
    # Readiness by condition: each planned meeting's gate evaluated afresh (not the rows
    # the ledger counts), a meeting under every condition it does not meet.
    planned = list(Meeting.objects.filter(campaign=campaign, state=MeetingState.PLANNED).select_related("team"))
    for meeting in planned:
        verdict = gates.evaluate(meeting.campaign, [meeting], links=False)[meeting.pk]
        for condition, rows in verdict.open_conditions().items():
            if rows:
                figures[(unit_scope(meeting.unit_id), meeting.unit_id, "readiness", condition)] += 1
                figures[(COUNTY_SCOPE, None, "readiness", condition)] += 1
    return {key: value for key, value in figures.items() if value}


MEETING_DIMENSIONS = ("meetings", "readiness")


def stored_meetings(campaign) -> dict[tuple, int]:
    rows = LedgerRow.objects.filter(campaign=campaign, dimension__in=MEETING_DIMENSIONS)
    return {(r.scope, r.unit_id, r.dimension, r.key): r.value for r in rows}


def recounted_meetings(campaign) -> dict[tuple, int]:
    return {key: value for key, value in source.recount(campaign.pk).items() if key[2] in MEETING_DIMENSIONS}


def assert_meetings_match(campaign) -> None:
    stored, expected = stored_meetings(campaign), naive_meetings(campaign)
    wrong = {
        k: (stored.get(k, 0), expected.get(k, 0))
        for k in set(stored) | set(expected)
        if stored.get(k) != expected.get(k)
    }
    assert not wrong, f"(stored, counted) differ: {sorted(wrong.items(), key=str)[:20]}"


class Stage:
    """The world with what the gate reads settled for the inside branch and team (their
    meetings can become ready), none for the outside ones (only an override holds them)."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.campaign = world.campaign
        self.office = world.users["office"]
        low_quotas(self.campaign)
        colleague = Member.objects.get(campaign=self.campaign, name="李四INSIDE")
        self.team_in = LeadershipTeam.objects.get(campaign=self.campaign, unit=world.unit)
        self.team_out = LeadershipTeam.objects.get(campaign=self.campaign, unit=world.other_unit)
        settle([world.member, colleague])
        talk(world.member, colleague)
        signed_list(team=self.team_in)
        # Built directly, nothing announced: the ledger takes it in now.
        rollup.ledger_rollup_full(campaign_id=self.campaign.pk)

    def plan(self, subject: int) -> Meeting:
        world = self.world
        day = self.campaign.starts_on + datetime.timedelta(days=70)
        subjects = [
            Plan(kind=MeetingKind.ORGANISATIONAL_LIFE, planned_on=day, place="会议室", branch=world.branch),
            Plan(kind=MeetingKind.ORGANISATIONAL_LIFE, planned_on=day, place="会议室", branch=world.other_branch),
            Plan(kind=MeetingKind.DEMOCRATIC_LIFE, planned_on=day, place="会议室", team=self.team_in),
            Plan(kind=MeetingKind.DEMOCRATIC_LIFE, planned_on=day, place="会议室", team=self.team_out),
        ]
        return services.meeting_plan(user=self.office, campaign=self.campaign, plan=subjects[subject % 4])


@pytest.fixture
def stage(world) -> Stage:
    return Stage(world)


def _pick(items: list[Any], i: int) -> Any:
    return items[i % len(items)] if items else None


index = st.integers(min_value=0, max_value=20)
delivered = st.booleans()  # False: the roll-up message was lost; only the outbox row remains
plans = st.tuples(st.just("plan"), index, delivered)
operations = st.one_of(
    plans,
    st.tuples(st.just("follow"), delivered),
    st.tuples(st.just("hold"), index, st.booleans(), st.integers(0, 3), delivered),
    st.tuples(st.just("cancel"), index, delivered),
    st.tuples(st.just("criticise"), index, index, index, delivered),
    st.tuples(st.just("rectify"), index, delivered),
    st.tuples(st.just("followed_up"), index, delivered),
    st.tuples(st.just("drain")),
)


def _apply(stage: Stage, operation: tuple) -> None:
    meetings = list(Meeting.objects.filter(campaign=stage.campaign).order_by("pk"))
    name = operation[0]
    if name == "plan":
        stage.plan(operation[1])
    elif name == "follow":
        services.meetings_follow_gate(campaign_id=stage.campaign.pk)
    elif name == "hold" and meetings:
        _, i, override, absent, _delivered = operation
        meeting = _pick(meetings, i)
        attendees = gates.attendees_of([meeting])[meeting.pk]
        attendance = {
            m.pk: Presence(present=n != absent, absence_reason="出差" if n == absent else "")
            for n, m in enumerate(attendees)
        }
        services.meeting_hold(
            user=stage.office,
            meeting=meeting,
            held_on=meeting.planned_on,
            minutes="会议记录",
            attendance=attendance,
            override_reason="经县委批准" if override else "",
        )
    elif name == "cancel" and meetings:
        services.meeting_cancel(user=stage.office, meeting=_pick(meetings, operation[1]), reason="改期")
    elif name == "criticise" and meetings:
        _, i, j, k, _delivered = operation
        meeting = _pick(meetings, i)
        attendees = gates.attendees_of([meeting])[meeting.pk]
        if attendees:
            services.criticism_record(
                user=stage.office,
                meeting=meeting,
                from_member=_pick(attendees, j),
                to_member=_pick(attendees, k),
                content="批评意见",
                aspect="work",
            )
    elif name == "rectify":
        criticisms = list(Criticism.objects.filter(meeting__campaign=stage.campaign).order_by("pk"))
        if criticisms:
            services.criticism_to_rectify(user=stage.office, criticism=_pick(criticisms, operation[1]))
    elif name == "followed_up" and meetings:
        services.meeting_followed_up(user=stage.office, meeting=_pick(meetings, operation[1]))
    elif name == "drain":
        rollup.ledger_drain_outbox()


@settings(
    max_examples=property_examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.lists(plans, min_size=1, max_size=4), then=st.lists(operations, min_size=3, max_size=25))
def test_every_meeting_figure_equals_a_recount_after_any_sequence(
    stage, django_capture_on_commit_callbacks, first, then
):
    # Each example runs in a savepoint rolled back at its end: the next starts afresh.
    with transaction.atomic():
        for operation in first + then:
            deliver = operation[-1] is True
            # A delivered change runs its roll-up task on "commit", as in production; a
            # lost one leaves only its outbox row behind.
            context = django_capture_on_commit_callbacks(execute=True) if deliver else nullcontext()
            with context:
                try:
                    with transaction.atomic():
                        _apply(stage, operation)
                except ValidationError:
                    pass  # a move the rules refuse (holding a cancelled meeting, a criticism twice turned…)
        # What the periodic re-send does for the lost messages.
        rollup.ledger_drain_outbox()
        assert not ChangeOutbox.objects.exists()
        assert_meetings_match(stage.campaign)
        assert reconcile.ledger_compare(campaign_id=stage.campaign.pk) == []
        transaction.set_rollback(True)


def _a_little_of_everything(stage: Stage) -> None:
    ready = stage.plan(0)  # the inside branch: ready at once
    assert ready.state == MeetingState.READY
    overridden = stage.plan(1)  # the outside branch: only the office's override holds it
    assert overridden.state == MeetingState.PLANNED
    stage.plan(3)  # the outside team: stays planned
    cancelled = stage.plan(2)
    services.meeting_cancel(user=stage.office, meeting=cancelled, reason="改期")
    world = stage.world
    colleague = Member.objects.get(campaign=stage.campaign, name="李四INSIDE")
    services.meeting_hold(
        user=stage.office,
        meeting=ready,
        held_on=ready.planned_on,
        minutes="会议记录",
        attendance={world.member.pk: Presence(True), colleague.pk: Presence(False, "出差")},
    )
    services.meeting_hold(
        user=stage.office,
        meeting=overridden,
        held_on=overridden.planned_on,
        minutes="会议记录",
        attendance={world.other_member.pk: Presence(True)},
        override_reason="经县委批准",
    )
    criticism = services.criticism_record(
        user=stage.office,
        meeting=ready,
        from_member=world.member,
        to_member=world.member,
        content="自我批评",
        aspect="work",
    )
    services.criticism_record(
        user=stage.office,
        meeting=overridden,
        from_member=world.other_member,
        to_member=world.other_member,
        content="查摆问题",
        aspect="integrity",
    )
    services.criticism_to_rectify(user=stage.office, criticism=criticism)
    services.meeting_followed_up(user=stage.office, meeting=ready)


def test_the_stage_summary_reads_the_county_rows(stage) -> None:
    _a_little_of_everything(stage)
    rollup.ledger_drain_outbox()
    assert reconcile.ledger_compare(campaign_id=stage.campaign.pk) == []
    section = stage_summary(stage.campaign)["meetings"]
    assert section == {
        "planned": 1,
        "ready": 0,
        "held": 2,
        "held_with_override": 1,
        "attendees": 2,
        "criticisms": 2,
        "problems_found": 1,
    }
    counts = selectors.meeting_counts(stage.campaign)
    assert section["planned"] == counts["planned"]
    assert section["held"] == counts["held"] + counts["followed_up"]

    out = StringIO()
    call_command("stage_summary", "--json", stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())["meetings"] == section
    out = StringIO()
    call_command("stage_summary", stdout=out, stderr=StringIO())
    sections = [line[:-1] for line in out.getvalue().splitlines() if not line.startswith(" ")]
    assert sections.index("meetings") == sections.index("documents") + 1


def test_a_criticism_handed_to_rectification_announces_the_meetings_unit(stage) -> None:
    """A branch meeting's problem is filed under the branch, not the member's unit that
    the rectification stage announces: the meetings stage names it."""
    _a_little_of_everything(stage)
    criticism = Criticism.objects.filter(meeting__unit=stage.world.other_branch).get()
    ChangeOutbox.objects.all().delete()
    services.criticism_to_rectify(user=stage.office, criticism=criticism)
    assert ChangeOutbox.objects.filter(source="meetings", unit=stage.world.other_branch).exists()


def test_the_sql_writer_agrees_with_the_orm_recount_and_a_partial_rollup_rewrites_its_units(stage) -> None:
    _a_little_of_everything(stage)
    ChangeOutbox.objects.all().delete()
    rollup.ledger_rollup_full(campaign_id=stage.campaign.pk)
    stored = stored_meetings(stage.campaign)
    assert stored == recounted_meetings(stage.campaign) == naive_meetings(stage.campaign)
    branch = stage.world.branch
    assert stored[(unit_scope(branch.pk), branch.pk, "meetings", "held")] == 1
    rollup.ledger_rollup_units(campaign_id=stage.campaign.pk, unit_ids=[branch.pk])
    assert stored_meetings(stage.campaign) == stored
