"""Readiness by condition in the ledger (issue 17): the gate's open conditions are stored
per planned meeting (``meetings.OpenCondition``) whenever the state follows the gate, the
ledger's ``readiness`` dimension counts them, and both equal the gate evaluated afresh;
what another stage changes reaches them through the receivers; a held or cancelled
meeting waits on nothing; keeping them costs the same queries for one meeting or many;
the reconciliation recounts them and names a deliberate drift."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from campaign.models import ChangeOutbox, Member
from meetings import gate as gates
from meetings import services
from meetings.models import Condition, Meeting, MeetingState, OpenCondition
from meetings.services import Presence
from opinions import feedback
from reports.ledger import reconcile, rollup
from reports.meetings.source import Dimension
from reports.models import COUNTY_SCOPE, LedgerLevel, LedgerRow, unit_scope
from tests import factories as f
from tests.meetings.factories import (
    MeetingFactory,
    bulk_branch_meetings,
    document,
    low_quotas,
    settle,
    signed_list,
    talk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    low_quotas(world.campaign)
    return world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")


def take_in(world) -> None:
    """What the test built directly (quotas, lists, documents, talks) announced nothing:
    the ledger takes it in whole, as the nightly reconciliation would."""
    rollup.ledger_rollup_full(campaign_id=world.campaign.pk)


def live_open(meeting: Meeting) -> set[str]:
    """The conditions the gate, evaluated now, finds unmet by someone."""
    verdict = gates.gate_for(Meeting.objects.select_related("campaign", "team").get(pk=meeting.pk), links=False)
    return {condition for condition, rows in verdict.open_conditions().items() if rows}


def stored_open(meeting: Meeting) -> set[str]:
    return set(OpenCondition.objects.filter(meeting=meeting).values_list("condition", flat=True))


def readiness_rows(campaign) -> dict[tuple[str, str], int]:
    rows = LedgerRow.objects.filter(campaign=campaign, dimension=Dimension.READINESS)
    return {(row.scope, row.key): row.value for row in rows}


def test_a_planned_meeting_stores_what_its_gate_finds_open_and_the_ledger_counts_it(world, people):
    zhang, li = people
    settle([li])
    document(zhang)  # zhang: approved, but no list signed, and nobody talked
    take_in(world)
    meeting = services.meeting_plan(
        user=world.users["office"],
        campaign=world.campaign,
        plan=services.Plan(
            kind="organisational_life", planned_on=world.campaign.starts_on, place="会议室", branch=world.branch
        ),
    )
    assert meeting.state == MeetingState.PLANNED
    assert stored_open(meeting) == live_open(meeting) == {Condition.OPINIONS, Condition.TALKS}
    rollup.ledger_drain_outbox()
    branch = unit_scope(world.branch.pk)
    assert readiness_rows(world.campaign) == {
        (branch, Condition.OPINIONS): 1,
        (branch, Condition.TALKS): 1,
        (COUNTY_SCOPE, Condition.OPINIONS): 1,
        (COUNTY_SCOPE, Condition.TALKS): 1,
    }
    assert reconcile.ledger_compare(campaign_id=world.campaign.pk) == []


def test_what_another_stage_changes_reaches_the_stored_conditions_and_the_ledger(
    world, people, django_capture_on_commit_callbacks
):
    zhang, li = people
    settle([li])
    document(zhang)
    talk(zhang, li)
    released = signed_list(member=zhang, status="released")
    meeting = MeetingFactory(branch=world.branch)
    services.meetings_follow_gate(campaign_id=world.campaign.pk)
    take_in(world)
    assert stored_open(meeting) == {Condition.OPINIONS}
    assert readiness_rows(world.campaign)[(COUNTY_SCOPE, Condition.OPINIONS)] == 1

    # Zhang signs for his list through the feedback service: the receivers follow the gate.
    with django_capture_on_commit_callbacks(execute=True):
        feedback.feedback_list_sign(actor=world.users["member"], feedback_list=released, confirmed=True)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY and stored_open(meeting) == set()
    rollup.ledger_drain_outbox()
    assert readiness_rows(world.campaign) == {}
    assert (
        LedgerRow.objects.get(
            campaign=world.campaign, level=LedgerLevel.COUNTY, dimension="meetings", key="ready"
        ).value
        == 1
    )
    assert reconcile.ledger_compare(campaign_id=world.campaign.pk) == []


def test_a_change_of_conditions_that_moves_no_state_is_announced(world, people):
    """Planned before and after, but held back by one condition fewer: the ledger hears."""
    zhang, li = people
    meeting = MeetingFactory(branch=world.branch)
    services.meetings_follow_gate(campaign_id=world.campaign.pk)
    assert stored_open(meeting) == {Condition.OPINIONS, Condition.TALKS, Condition.DOCUMENT}
    settle([zhang, li])  # built directly: lists and documents done, the talks not
    ChangeOutbox.objects.all().delete()
    assert services.meetings_follow_gate(campaign_id=world.campaign.pk) == 0
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED and stored_open(meeting) == {Condition.TALKS}
    assert ChangeOutbox.objects.filter(source="meetings", unit=world.branch).exists()
    # Nothing changed: nothing announced.
    ChangeOutbox.objects.all().delete()
    services.meetings_follow_gate(campaign_id=world.campaign.pk)
    assert not ChangeOutbox.objects.exists()


def test_a_meeting_held_on_the_override_or_cancelled_waits_on_nothing(world, people):
    zhang, li = people
    held, cancelled = MeetingFactory(branch=world.branch), MeetingFactory(branch=world.branch)
    services.meetings_follow_gate(campaign_id=world.campaign.pk)
    take_in(world)
    assert stored_open(held) and stored_open(cancelled)
    services.meeting_hold(
        user=world.users["office"],
        meeting=held,
        held_on=held.planned_on,
        minutes="会议记录",
        attendance={m.pk: Presence(present=True) for m in (zhang, li)},
        override_reason="经县委同意",
    )
    services.meeting_cancel(user=world.users["office"], meeting=cancelled, reason="改期")
    assert not OpenCondition.objects.exists()
    rollup.ledger_drain_outbox()
    assert readiness_rows(world.campaign) == {}
    assert reconcile.ledger_compare(campaign_id=world.campaign.pk) == []


def test_following_the_gates_costs_the_same_queries_for_one_meeting_or_many(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    low_quotas(world.campaign)
    branches = f.bulk_units(world.campaign, [world.unit] * 20, kind="branch")
    f.bulk_members(world.campaign, [{"unit": world.unit, "branch": b} for b in branches for _ in range(3)])
    bulk_branch_meetings(world.campaign, branches[:1])
    with CaptureQueriesContext(connection) as one:
        services.meetings_follow_gate(campaign_id=world.campaign.pk)
    Meeting.objects.filter(campaign=world.campaign).delete()
    bulk_branch_meetings(world.campaign, branches)
    with CaptureQueriesContext(connection) as many:
        services.meetings_follow_gate(campaign_id=world.campaign.pk)
    assert OpenCondition.objects.count() == 20 * 3
    assert len(many) == len(one), (len(one), len(many))


def test_reconcile_names_a_deliberate_drift_in_the_readiness_figures(world, people, capsys):
    meeting = MeetingFactory(branch=world.branch)
    services.meetings_follow_gate(campaign_id=world.campaign.pk)
    take_in(world)
    assert stored_open(meeting) == {Condition.OPINIONS, Condition.TALKS, Condition.DOCUMENT}
    LedgerRow.objects.filter(
        campaign=world.campaign, scope=unit_scope(world.branch.pk), dimension=Dimension.READINESS, key="talks"
    ).update(value=4)
    drift = reconcile.ledger_compare(campaign_id=world.campaign.pk)
    assert [(d.scope, d.dimension, d.key, d.stored, d.recounted) for d in drift] == [
        (unit_scope(world.branch.pk), "readiness", "talks", 4, 1)
    ]
    out = StringIO()
    with translation.override("en"), pytest.raises(SystemExit) as exit_:
        call_command("reconcile_ledgers", "--campaign", world.campaign.slug, stdout=out)
    assert exit_.value.code == 1
    assert f"unit:{world.branch.pk} readiness=talks: stored 4, recounted 1" in out.getvalue()
