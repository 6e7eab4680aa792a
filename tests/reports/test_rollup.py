"""Roll-ups: every write to an opinion, an event or a feedback list reaches the three
ledger levels, through the outbox and the task, with figures equal to a direct recount."""

from __future__ import annotations

import pytest

from campaign.models import ChangeOutbox
from opinions.models import Aspect, Channel, FeedbackList, OpinionKind, OpinionStatus
from opinions.services import (
    Target,
    event_update,
    opinion_delete,
    opinion_merge,
    opinion_transition,
    opinion_unmerge,
    opinion_update,
)
from reports import services
from reports.models import LedgerLevel, LedgerRow, LedgerState
from tests.reports.helpers import (
    add_event,
    add_opinion,
    assert_ledger_matches_source,
    set_list,
    stored_ledger,
)


def figure(campaign, scope: str, dimension: str, key: str) -> int:
    row = LedgerRow.objects.filter(campaign=campaign, scope=scope, dimension=dimension, key=key).first()
    return row.value if row else 0


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the records_changed signal, hence the roll-up
    task, eager here) when the block ends, as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def test_new_opinion_reaches_all_three_levels(ledgers, committed):
    campaign, unit, member = ledgers.campaign, ledgers.world.unit, ledgers.member
    with committed():
        add_opinion(campaign, Target(member=member), kind=OpinionKind.OPINION, aspect=Aspect.INTEGRITY)

    assert figure(campaign, "county", "total", "all") == 1
    assert figure(campaign, f"unit:{unit.pk}", "category", "other_members") == 1
    assert figure(campaign, f"member:{member.pk}", "aspect", Aspect.INTEGRITY) == 1
    assert figure(campaign, f"member:{member.pk}", "kind", OpinionKind.OPINION) == 1
    assert not ChangeOutbox.objects.exists(), "the roll-up consumed the outbox row"
    assert LedgerState.objects.get(campaign=campaign).rolled_up_at is not None
    assert_ledger_matches_source(campaign)


def test_reassigning_a_target_to_another_unit_moves_the_figures(ledgers, committed):
    campaign = ledgers.campaign
    with committed():
        opinion = add_opinion(campaign, Target(member=ledgers.member))
    with committed():
        opinion_update(actor=None, opinion=opinion, target=Target(member=ledgers.other_member), channel=Channel.HOTLINE)

    inside, outside = ledgers.world.unit, ledgers.world.other_unit
    assert figure(campaign, f"unit:{inside.pk}", "total", "all") == 0
    assert figure(campaign, f"member:{ledgers.member.pk}", "total", "all") == 0
    assert figure(campaign, f"unit:{outside.pk}", "channel", Channel.HOTLINE) == 1
    assert figure(campaign, f"member:{ledgers.other_member.pk}", "total", "all") == 1
    assert figure(campaign, "county", "total", "all") == 1
    assert_ledger_matches_source(campaign)


def test_reassigning_from_a_member_to_a_team_changes_the_category(ledgers, committed):
    campaign = ledgers.campaign
    with committed():
        opinion = add_opinion(campaign, Target(member=ledgers.standing_member))
    assert figure(campaign, "county", "category", "standing_committee_members") == 1
    with committed():
        opinion_update(actor=None, opinion=opinion, target=Target(team=ledgers.standing))
    assert figure(campaign, "county", "category", "standing_committee_members") == 0
    assert figure(campaign, "county", "category", "standing_committee_team") == 1
    assert figure(campaign, f"team:{ledgers.standing.pk}", "total", "all") == 1
    assert_ledger_matches_source(campaign)


def test_deleting_an_opinion_removes_it_everywhere(ledgers, committed):
    campaign = ledgers.campaign
    with committed():
        keep = add_opinion(campaign, Target(team=ledgers.team_in))
        gone = add_opinion(campaign, Target(team=ledgers.team_in))
    with committed():
        opinion_delete(actor=None, opinion=gone)
    assert figure(campaign, f"team:{ledgers.team_in.pk}", "total", "all") == 1
    assert figure(campaign, "county", "total", "all") == 1
    assert keep.pk
    assert_ledger_matches_source(campaign)


def test_a_merged_duplicate_counts_once_and_again_when_unmerged(ledgers, committed):
    campaign = ledgers.campaign
    with committed():
        keep = add_opinion(campaign, Target(member=ledgers.member))
        duplicate = add_opinion(campaign, Target(member=ledgers.colleague))
    assert figure(campaign, "county", "total", "all") == 2

    with committed():
        opinion_merge(actor=None, keep=keep, duplicates=[duplicate])
    assert figure(campaign, "county", "total", "all") == 1
    assert figure(campaign, f"member:{ledgers.colleague.pk}", "total", "all") == 0
    assert_ledger_matches_source(campaign)

    with committed():
        opinion_unmerge(actor=None, opinion=duplicate)
    assert figure(campaign, "county", "total", "all") == 2
    assert figure(campaign, f"member:{ledgers.colleague.pk}", "total", "all") == 1
    assert_ledger_matches_source(campaign)


def test_a_status_transition_moves_the_status_figures(ledgers, committed):
    campaign = ledgers.campaign
    with committed():
        opinion = add_opinion(campaign, Target(member=ledgers.county_leader))
    with committed():
        opinion_transition(actor=None, opinion=opinion, to=OpinionStatus.SORTED)
    assert figure(campaign, "county", "status", OpinionStatus.RECORDED) == 0
    assert figure(campaign, "county", "status", OpinionStatus.SORTED) == 1
    assert figure(campaign, f"member:{ledgers.county_leader.pk}", "status", OpinionStatus.SORTED) == 1
    assert_ledger_matches_source(campaign)


def test_events_and_feedback_lists_reach_the_ledger(ledgers, committed):
    campaign, unit = ledgers.campaign, ledgers.world.unit
    with committed():
        event = add_event(campaign, unit, forms_issued=120, forms_returned=80)
        add_event(campaign, unit, channel=Channel.SUGGESTION_BOX, boxes_set=3)
        set_list(campaign, member=ledgers.member, status=FeedbackList.Status.SIGNED)
        set_list(campaign, team=ledgers.team_in, status=FeedbackList.Status.RELEASED)
        set_list(campaign, member=ledgers.colleague, status=FeedbackList.Status.DRAFT)
    assert figure(campaign, "county", "solicitation", "forums") == 1
    assert figure(campaign, "county", "solicitation", "forms_issued") == 120
    assert figure(campaign, "county", "solicitation", "suggestion_boxes") == 3
    assert figure(campaign, f"unit:{unit.pk}", "feedback", "lists_total") == 3
    assert figure(campaign, f"unit:{unit.pk}", "feedback", "lists_released") == 2
    assert figure(campaign, f"unit:{unit.pk}", "feedback", "lists_signed") == 1
    assert figure(campaign, f"member:{ledgers.member.pk}", "feedback", "lists_signed") == 1
    assert figure(campaign, f"team:{ledgers.team_in.pk}", "feedback", "lists_released") == 1

    with committed():
        event_update(actor=None, event=event, unit=ledgers.world.other_unit)
    assert figure(campaign, f"unit:{unit.pk}", "solicitation", "forms_issued") == 0
    assert figure(campaign, f"unit:{ledgers.world.other_unit.pk}", "solicitation", "forms_issued") == 120
    assert_ledger_matches_source(campaign)


def test_opinions_without_a_target_count_in_the_general_ledger(ledgers, committed):
    campaign = ledgers.campaign
    with committed():
        add_opinion(campaign, Target(member=ledgers.member))
    add_opinion(campaign, Target())  # as from the public box: no target yet, hence no unit
    # The unassigned opinions are recomputed by every roll-up, announced or not.
    with committed():
        add_opinion(campaign, Target(member=ledgers.member))
    assert figure(campaign, "unit:none", "total", "all") == 1
    assert figure(campaign, "county", "total", "all") == 3
    assert figure(campaign, "county", "category", "") == 1
    assert_ledger_matches_source(campaign)


def test_rolling_up_twice_leaves_the_same_rows(ledgers):
    campaign = ledgers.campaign
    for target in ledgers.targets():
        add_opinion(campaign, target)
    add_event(campaign, ledgers.world.unit, forms_issued=5)
    services.ledger_rollup_full(campaign_id=campaign.pk)
    first = stored_ledger(campaign)
    services.ledger_rollup_full(campaign_id=campaign.pk)
    units = [ledgers.world.unit.pk, ledgers.world.other_unit.pk, ledgers.world.county.pk, None]
    services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=units)
    services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=units)
    assert stored_ledger(campaign) == first
    assert_ledger_matches_source(campaign)


def test_the_rollup_consumes_only_the_outbox_rows_of_its_units(ledgers):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    add_opinion(campaign, Target(member=ledgers.other_member))
    assert ChangeOutbox.objects.count() == 2

    result = services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk])
    assert result.consumed == 1
    assert list(ChangeOutbox.objects.values_list("unit_id", flat=True)) == [ledgers.world.other_unit.pk]

    results = services.ledger_drain_outbox()
    assert [r.consumed for r in results] == [1]
    assert not ChangeOutbox.objects.exists()
    assert_ledger_matches_source(campaign)


def test_a_task_with_nothing_waiting_does_nothing(ledgers):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    services.ledger_drain_outbox()
    LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.COUNTY).update(value=99)
    result = services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk], only_pending=True)
    assert result.skipped
    assert figure(campaign, "county", "total", "all") == 99, "a duplicate message costs no recomputation"


def test_a_change_during_a_rollup_is_not_lost(ledgers, monkeypatch):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    replace_rows = services._replace
    late: list = []

    def change_arrives_meanwhile(campaign_id: int, unit_ids: list[int]) -> None:
        # After the roll-up noted the outbox rows it settles, another change commits.
        if not late:
            late.append(add_opinion(campaign, Target(member=ledgers.colleague)))
        replace_rows(campaign_id, unit_ids)

    monkeypatch.setattr(services, "_replace", change_arrives_meanwhile)
    first = services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk], only_pending=True)
    assert first.consumed == 1
    waiting = list(ChangeOutbox.objects.values_list("unit_id", flat=True))
    assert waiting == [ledgers.world.unit.pk], "the late change's outbox row is left for its own roll-up"

    second = services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=waiting, only_pending=True)
    assert not second.skipped and second.consumed == 1
    assert figure(campaign, f"member:{ledgers.colleague.pk}", "total", "all") == 1
    assert_ledger_matches_source(campaign)


def test_a_member_who_moved_unit_is_filed_under_the_new_one(ledgers):
    campaign, member = ledgers.campaign, ledgers.member
    add_opinion(campaign, Target(member=member))
    services.ledger_rollup_full(campaign_id=campaign.pk)
    member.unit = ledgers.world.other_unit
    member.branch = None
    member.save()
    services.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.other_unit.pk])
    row = LedgerRow.objects.get(campaign=campaign, scope=f"member:{member.pk}", dimension="total")
    assert row.unit_id == ledgers.world.other_unit.pk
    assert_ledger_matches_source(campaign)


def test_a_rollup_of_a_deleted_campaign_does_nothing(ledgers):
    result = services.ledger_rollup_units(campaign_id=987654, unit_ids=[1, None], only_pending=True)
    assert result.skipped
    assert services.ledger_rollup_full(campaign_id=987654).skipped


def test_many_units_at_once_roll_up_the_whole_campaign(ledgers, monkeypatch):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    monkeypatch.setattr(services, "FULL_ROLLUP_ABOVE", 1)
    result = services.ledger_rollup_units(
        campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk, ledgers.world.other_unit.pk]
    )
    assert result.units is None
    assert LedgerState.objects.get(campaign=campaign).full_rollup_at is not None
    assert_ledger_matches_source(campaign)
