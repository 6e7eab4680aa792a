"""Roll-ups: every write to an opinion, an event or a feedback list reaches the three
ledger levels, through the outbox and the task, with figures equal to a direct recount."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

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
from reports.ledger import reconcile, rollup
from reports.models import LedgerCell, LedgerLevel, LedgerRow, LedgerState, cell_scope
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
    rollup.ledger_rollup_full(campaign_id=campaign.pk)
    first = stored_ledger(campaign)
    rollup.ledger_rollup_full(campaign_id=campaign.pk)
    units = [ledgers.world.unit.pk, ledgers.world.other_unit.pk, ledgers.world.county.pk, None]
    rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=units)
    rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=units)
    assert stored_ledger(campaign) == first
    assert_ledger_matches_source(campaign)


def test_the_rollup_consumes_only_the_outbox_rows_of_its_units(ledgers):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    add_opinion(campaign, Target(member=ledgers.other_member))
    assert ChangeOutbox.objects.count() == 2

    result = rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk])
    assert result.consumed == 1
    assert list(ChangeOutbox.objects.values_list("unit_id", flat=True)) == [ledgers.world.other_unit.pk]

    results = rollup.ledger_drain_outbox()
    assert [r.consumed for r in results] == [1]
    assert not ChangeOutbox.objects.exists()
    assert_ledger_matches_source(campaign)


def test_a_task_with_nothing_waiting_does_nothing(ledgers):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    rollup.ledger_drain_outbox()
    LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.COUNTY).update(value=99)
    result = rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk], only_pending=True)
    assert result.skipped
    assert figure(campaign, "county", "total", "all") == 99, "a duplicate message costs no recomputation"


@pytest.mark.parametrize("path", ["_replace_subjects", "_replace"])
def test_a_change_during_a_rollup_is_not_lost(ledgers, monkeypatch, path):
    """Whether the roll-up recomputes targets (an opinion's change) or whole units (an
    event's), a change committed while it runs keeps its outbox row."""
    campaign = ledgers.campaign
    if path == "_replace_subjects":
        add_opinion(campaign, Target(member=ledgers.member))
    else:
        add_event(campaign, ledgers.world.unit)
    replace_rows = getattr(rollup, path)
    late: list = []

    def change_arrives_meanwhile(*args) -> None:
        # After the roll-up noted the outbox rows it settles, another change commits.
        if not late:
            late.append(add_opinion(campaign, Target(member=ledgers.colleague)))
        replace_rows(*args)

    monkeypatch.setattr(rollup, path, change_arrives_meanwhile)
    first = rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk], only_pending=True)
    assert late and first.consumed == 1
    waiting = list(ChangeOutbox.objects.values_list("unit_id", flat=True))
    assert waiting == [ledgers.world.unit.pk], "the late change's outbox row is left for its own roll-up"

    second = rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=waiting, only_pending=True)
    assert not second.skipped and second.consumed == 1
    assert figure(campaign, f"member:{ledgers.colleague.pk}", "total", "all") == 1
    assert_ledger_matches_source(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def test_a_member_who_moved_unit_is_filed_under_the_new_one(ledgers):
    campaign, member = ledgers.campaign, ledgers.member
    add_opinion(campaign, Target(member=member))
    rollup.ledger_rollup_full(campaign_id=campaign.pk)
    member.unit = ledgers.world.other_unit
    member.branch = None
    member.save()
    rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[ledgers.world.other_unit.pk])
    row = LedgerRow.objects.get(campaign=campaign, scope=f"member:{member.pk}", dimension="total")
    assert row.unit_id == ledgers.world.other_unit.pk
    assert_ledger_matches_source(campaign)


def test_a_rollup_of_a_deleted_campaign_does_nothing(ledgers):
    result = rollup.ledger_rollup_units(campaign_id=987654, unit_ids=[1, None], only_pending=True)
    assert result.skipped
    assert rollup.ledger_rollup_full(campaign_id=987654).skipped


def test_many_units_at_once_roll_up_the_whole_campaign(ledgers, monkeypatch):
    campaign = ledgers.campaign
    add_opinion(campaign, Target(member=ledgers.member))
    monkeypatch.setattr(rollup, "FULL_ROLLUP_ABOVE", 1)
    result = rollup.ledger_rollup_units(
        campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk, ledgers.world.other_unit.pk]
    )
    assert result.units is None
    assert LedgerState.objects.get(campaign=campaign).full_rollup_at is not None
    assert_ledger_matches_source(campaign)


# --- The finer grain: a change to a few opinions rolls up only their targets -----------


def test_a_change_to_an_opinion_recomputes_only_its_targets_figures(ledgers, committed):
    """An edit announces the opinion's ledger unit and target; the roll-up it brings
    recomputes that target's cells and the rows summed from them — the opinions'
    figures of the unit, the member and the county — and no other source's figure."""
    campaign, unit, member = ledgers.campaign, ledgers.world.unit, ledgers.member
    with committed():
        opinion = add_opinion(campaign, Target(member=member), aspect=Aspect.INTEGRITY)
        add_opinion(campaign, Target(member=ledgers.colleague), aspect=Aspect.INTEGRITY)
        add_event(campaign, unit, forms_issued=40)
    # Another source's figure of the same unit, wrong on purpose: a roll-up of the whole
    # unit would put it right, one of the opinion's target leaves it alone.
    planted = LedgerRow.objects.filter(scope=f"unit:{unit.pk}", dimension="solicitation", key="forms_issued")
    assert planted.update(value=7) == 1

    with committed():
        opinion_update(actor=None, opinion=opinion, aspect=Aspect.WORK_STYLE)
        waiting = list(ChangeOutbox.objects.values_list("unit_id", "target", "source"))
    assert waiting == [(unit.pk, f"member:{member.pk}", "opinions")]
    assert not ChangeOutbox.objects.exists()
    for scope in (f"unit:{unit.pk}", f"member:{member.pk}", "county"):
        assert figure(campaign, scope, "aspect", Aspect.WORK_STYLE) == 1, scope
    assert figure(campaign, f"unit:{unit.pk}", "aspect", Aspect.INTEGRITY) == 1
    assert figure(campaign, "county", "aspect", Aspect.INTEGRITY) == 1
    assert figure(campaign, f"member:{member.pk}", "aspect", Aspect.INTEGRITY) == 0
    assert planted.get().value == 7
    drifts = reconcile.ledger_compare(campaign_id=campaign.pk)
    assert [(d.scope, d.dimension, d.key, d.stored, d.recounted) for d in drifts] == [
        (f"unit:{unit.pk}", "solicitation", "forms_issued", 7, 40)
    ]


@pytest.mark.parametrize("why", ["a change with no target waits too", "too many targets"])
def test_otherwise_the_rollup_recomputes_whole_units(ledgers, monkeypatch, why):
    campaign, unit = ledgers.campaign, ledgers.world.unit
    add_event(campaign, unit, forms_issued=40)
    rollup.ledger_drain_outbox()
    planted = LedgerRow.objects.filter(scope=f"unit:{unit.pk}", dimension="solicitation", key="forms_issued")
    planted.update(value=7)
    add_opinion(campaign, Target(member=ledgers.member))
    if why == "too many targets":
        monkeypatch.setattr(rollup, "SUBJECTS_ABOVE", 0)
    else:
        add_event(campaign, ledgers.world.other_unit)  # its unit is another: it does not wait for this one
        set_list(campaign, member=ledgers.colleague, status=FeedbackList.Status.DRAFT)

    result = rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[unit.pk], only_pending=True)
    assert not result.skipped
    assert planted.get().value == 40, "the unit's every figure was recomputed"
    rollup.ledger_drain_outbox()
    assert_ledger_matches_source(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def test_targets_of_every_kind_and_none_roll_up_alike(ledgers, committed):
    """Members, teams, a unit named as a whole and no target yet: created, edited,
    reassigned from one kind to another, merged and deleted, each change rolled up by
    its targets, and every figure (and cell) equal to a recount after each."""
    campaign = ledgers.campaign
    with committed():
        opinions = [add_opinion(campaign, target) for target in ledgers.targets()]
    for opinion, target in zip(opinions, reversed(ledgers.targets()), strict=True):
        with committed():
            opinion_update(actor=None, opinion=opinion, target=target, channel=Channel.HOTLINE)
        assert reconcile.ledger_compare(campaign_id=campaign.pk) == []
    with committed():
        opinion_merge(actor=None, keep=opinions[0], duplicates=opinions[1:4])
    with committed():
        opinion_delete(actor=None, opinion=opinions[0])  # the merged ones count again
    with committed():
        opinion_delete(actor=None, opinion=opinions[-1])
    assert not ChangeOutbox.objects.exists()
    assert figure(campaign, "county", "total", "all") == len(opinions) - 2
    assert_ledger_matches_source(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def test_after_a_member_moves_his_targets_roll_up_under_the_new_unit(ledgers, committed):
    campaign, member = ledgers.campaign, ledgers.member
    with committed():
        opinion = add_opinion(campaign, Target(member=member))
    with committed():
        member.unit = ledgers.world.other_unit
        member.branch = None
        member.save()  # announced by unit (the talks' receivers): a roll-up of both units
    with committed():
        opinion_update(actor=None, opinion=opinion, aspect=Aspect.WORK_STYLE)
    row = LedgerRow.objects.get(campaign=campaign, scope=f"member:{member.pk}", dimension="aspect")
    assert (row.unit_id, row.key, row.value) == (ledgers.world.other_unit.pk, Aspect.WORK_STYLE, 1)
    # The opinion keeps the ledger unit it was recorded under.
    assert figure(campaign, f"unit:{ledgers.world.unit.pk}", "aspect", Aspect.WORK_STYLE) == 1
    assert_ledger_matches_source(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def test_a_drifted_cell_is_reported_and_repaired(ledgers):
    campaign, unit, member = ledgers.campaign, ledgers.world.unit, ledgers.member
    add_opinion(campaign, Target(member=member))
    rollup.ledger_drain_outbox()
    scope = cell_scope(unit.pk, member.pk, None)
    assert LedgerCell.objects.filter(scope=scope, dimension="total").update(value=5) == 1

    drifts = reconcile.ledger_reconcile(campaign_id=campaign.pk, repair=True)
    found = [(d.scope, d.unit_id, d.dimension, d.stored, d.recounted) for d in drifts]
    assert found == [(scope, unit.pk, "total", 5, 1)]
    assert LedgerCell.objects.get(scope=scope, dimension="total").value == 1
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def test_the_upgrade_fills_the_cells_of_the_opinions_already_there(ledgers):
    campaign = ledgers.campaign
    for target in ledgers.targets():
        add_opinion(campaign, target, aspect=Aspect.INTEGRITY)
    rollup.ledger_drain_outbox()
    figures = ("scope", "unit_id", "member_id", "team_id", "dimension", "key", "value")
    # The cells of the opinions' own dimensions (the "opinion_days" source came later).
    rolled_up = set(LedgerCell.objects.exclude(dimension="day").values_list(*figures))
    assert len(rolled_up) == 6 * len(ledgers.targets())
    LedgerCell.objects.all().delete()

    migration = importlib.import_module("reports.migrations.0005_fill_ledger_cells")
    migration.fill_cells(django_apps, None)
    assert set(LedgerCell.objects.values_list(*figures)) == rolled_up


def test_changes_announced_under_a_unit_the_target_has_left_still_reach_his_row(ledgers, committed):
    """An opinion keeps its ledger unit, a feedback list too, when their member moves;
    a change to either later still redoes his row, filed under the unit he is in now —
    by target, and by unit when something else waits for that unit too."""
    campaign, member = ledgers.campaign, ledgers.member
    with committed():
        opinion = add_opinion(campaign, Target(member=member))
        set_list(campaign, member=member, status=FeedbackList.Status.DRAFT)
    with committed():
        member.unit = ledgers.world.other_unit
        member.branch = None
        member.save()
    with committed():
        opinion_update(actor=None, opinion=opinion, aspect=Aspect.WORK_STYLE)
        add_event(campaign, ledgers.world.unit)  # waits for the same unit, names no target
    assert figure(campaign, f"member:{member.pk}", "aspect", Aspect.WORK_STYLE) == 1
    with committed():
        set_list(campaign, member=member, status=FeedbackList.Status.SIGNED)
    row = LedgerRow.objects.get(scope=f"member:{member.pk}", dimension="feedback", key="lists_signed")
    assert (row.unit_id, row.value) == (ledgers.world.other_unit.pk, 1)
    assert figure(campaign, f"unit:{ledgers.world.unit.pk}", "feedback", "lists_signed") == 1
    assert_ledger_matches_source(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []
