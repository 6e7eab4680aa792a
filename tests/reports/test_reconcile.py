"""Reconciliation, the periodic tasks and the ledger commands."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command as django_call_command
from django.utils import timezone, translation

from campaign.models import ChangeOutbox, Member, OrgUnit, OrgUnitKind, TargetCategory
from opinions.models import Channel, FeedbackList, OpinionKind
from opinions.services import Target
from reports import tasks
from reports.ledger import rollup
from reports.models import LedgerDrift, LedgerLevel, LedgerRow
from tests.reports.helpers import add_event, add_opinion, assert_ledger_matches_source, set_list


def call_command(*args: str) -> None:
    # The messages asserted below are the English ones.
    with translation.override("en"):
        django_call_command(*args)


@pytest.fixture
def rolled_up(ledgers):
    campaign = ledgers.campaign
    for target in ledgers.targets():
        add_opinion(campaign, target)
    add_event(campaign, ledgers.world.unit, forms_issued=30, forms_returned=10)
    set_list(campaign, member=ledgers.member, status=FeedbackList.Status.SIGNED)
    rollup.ledger_drain_outbox()
    return ledgers


def test_no_drift_after_a_rollup(rolled_up, capsys):
    call_command("reconcile_ledgers", "--campaign", rolled_up.campaign.slug)
    assert "No drift" in capsys.readouterr().out


def test_reconcile_prints_each_injected_drift_and_exits_1(rolled_up, capsys):
    campaign = rolled_up.campaign
    county_total = LedgerRow.objects.get(campaign=campaign, level=LedgerLevel.COUNTY, dimension="total")
    county_total.value += 5
    county_total.save()
    LedgerRow.objects.filter(campaign=campaign, scope=f"member:{rolled_up.member.pk}", dimension="kind").delete()
    LedgerRow.objects.create(
        campaign=campaign, level="unit", scope="unit:none", dimension="channel", key=Channel.TV_NOTICE, value=2
    )

    with pytest.raises(SystemExit) as exit_:
        call_command("reconcile_ledgers", "--campaign", campaign.slug)
    assert exit_.value.code == 1
    out = capsys.readouterr()
    lines = [line for line in out.out.splitlines() if line.startswith(campaign.slug)]
    assert len(lines) == 3
    assert any("county total=all: stored 16, recounted 11" in line for line in lines)
    assert any(f"member:{rolled_up.member.pk} kind=suggestion: stored 0, recounted 1" in line for line in lines)
    assert any("unit:none channel=tv: stored 2, recounted 0" in line for line in lines)
    assert "3 figure(s) differ" in out.err
    assert not LedgerDrift.objects.exists(), "without --fix nothing is written"


def test_reconcile_fix_records_and_repairs(rolled_up, capsys):
    campaign = rolled_up.campaign
    LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.COUNTY, dimension="total").update(value=1)
    with pytest.raises(SystemExit):
        call_command("reconcile_ledgers", "--fix")
    drift = LedgerDrift.objects.get()
    assert (drift.scope, drift.stored, drift.recounted, drift.repaired) == ("county", 1, 11, True)
    assert_ledger_matches_source(campaign)
    call_command("reconcile_ledgers")
    assert "No drift" in capsys.readouterr().out


def test_changes_waiting_in_the_outbox_are_late_not_drift(rolled_up, capsys):
    campaign = rolled_up.campaign
    add_opinion(campaign, Target(member=rolled_up.member))
    assert ChangeOutbox.objects.exists()
    call_command("reconcile_ledgers")
    assert "No drift" in capsys.readouterr().out
    assert not ChangeOutbox.objects.exists()


def test_without_draining_a_missed_rollup_is_reported(rolled_up):
    add_opinion(rolled_up.campaign, Target(member=rolled_up.member))
    with pytest.raises(SystemExit):
        call_command("reconcile_ledgers", "--no-drain")


def test_reconcile_all_drains_records_and_repairs(rolled_up):
    campaign = rolled_up.campaign
    add_opinion(campaign, Target(team=rolled_up.standing))  # waiting: not drift
    # Drift where the roll-up of that waiting change does not reach: another unit's rows.
    LedgerRow.objects.filter(
        campaign=campaign, unit=rolled_up.world.other_unit, level="unit", dimension="kind"
    ).delete()
    found = tasks.reconcile_all.delay().get()
    # The unit's figure, and the county's, which the next roll-up summed from it.
    assert found == {campaign.slug: 2}
    drifts = LedgerDrift.objects.filter(campaign=campaign, dimension="kind", repaired=True)
    assert sorted(drifts.values_list("scope", "stored", "recounted")) == [
        ("county", 10, 12),
        (f"unit:{rolled_up.world.other_unit.pk}", 0, 2),
    ]
    assert_ledger_matches_source(campaign)


def test_resend_sends_only_outbox_rows_left_behind(rolled_up):
    campaign = rolled_up.campaign
    add_opinion(campaign, Target(member=rolled_up.member))
    add_opinion(campaign, Target(member=rolled_up.other_member))
    old = timezone.now() - datetime.timedelta(minutes=5)
    ChangeOutbox.objects.filter(unit=rolled_up.world.unit).update(created_at=old)

    assert tasks.resend_outbox.delay().get() == 1
    assert list(ChangeOutbox.objects.values_list("unit_id", flat=True)) == [rolled_up.world.other_unit.pk]


def test_rollup_ledgers_drains_the_outbox(rolled_up, capsys):
    add_opinion(rolled_up.campaign, Target(member=rolled_up.member))
    call_command("rollup_ledgers", "--campaign", rolled_up.campaign.slug)
    assert "1 waiting change(s) taken in" in capsys.readouterr().out
    call_command("rollup_ledgers")
    assert "Nothing was waiting" in capsys.readouterr().out
    assert_ledger_matches_source(rolled_up.campaign)


def test_rollup_ledgers_full_rebuilds_a_wiped_ledger(rolled_up, capsys):
    LedgerRow.objects.all().delete()
    call_command("rollup_ledgers", "--full")
    assert "every figure recomputed" in capsys.readouterr().out
    assert_ledger_matches_source(rolled_up.campaign)


def test_an_unknown_campaign_is_named(rolled_up):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no-such"):
        call_command("rollup_ledgers", "--campaign", "no-such")


# --- stage_summary ----------------------------------------------------------------------


def test_stage_summary_json_has_exactly_the_figures_of_the_issue(ledgers, capsys):
    campaign = ledgers.campaign
    for _ in range(2):
        add_opinion(campaign, Target(team=ledgers.standing), kind=OpinionKind.OPINION)
    add_opinion(campaign, Target(team=ledgers.standing), channel=Channel.HOTLINE)
    add_opinion(campaign, Target(team=ledgers.government))
    add_opinion(campaign, Target(member=ledgers.standing_member), channel=Channel.ONLINE)
    add_opinion(campaign, Target(member=ledgers.county_leader))
    add_opinion(campaign, Target(member=ledgers.member))
    add_opinion(campaign, Target(unit=ledgers.world.unit))
    add_event(campaign, ledgers.world.unit, forms_issued=100)
    add_event(campaign, ledgers.world.county)
    add_event(campaign, ledgers.world.unit, channel=Channel.QUESTIONNAIRE, forms_issued=250, forms_returned=200)
    add_event(campaign, ledgers.world.other_unit, channel=Channel.SUGGESTION_BOX, boxes_set=4)
    set_list(campaign, member=ledgers.member, status=FeedbackList.Status.SIGNED)
    set_list(campaign, member=ledgers.county_leader, status=FeedbackList.Status.RELEASED)
    set_list(campaign, team=ledgers.standing, status=FeedbackList.Status.DRAFT)
    call_command("rollup_ledgers")
    capsys.readouterr()

    call_command("stage_summary", "--campaign", campaign.slug, "--json")
    summary = json.loads(capsys.readouterr().out)

    # No documents were written in this campaign; the section still names every figure.
    assert summary.pop("documents") == {
        "members_total": Member.objects.filter(campaign=campaign).count(),
        "submitted": 0,
        "approved": 0,
        "returned_at_least_once": 0,
        "leaders_min_words": 5000,
        "members_min_words": 3000,
    }
    # No talk was recorded; the one required pair is the inside team's head with its member.
    assert summary.pop("talks") == {
        "total": 0,
        "members_meeting_quota": 0,
        "members_total": Member.objects.filter(campaign=campaign).count(),
        "required_pairs": 1,
        "required_pairs_done": 0,
        "cards_reviewed": 0,
    }
    # No meeting was planned, no appraisal held; the sections still name every figure.
    assert summary.pop("meetings") == dict.fromkeys(
        ["planned", "ready", "held", "held_with_override", "attendees", "criticisms", "problems_found"], 0
    )
    assert summary.pop("appraisal") == dict.fromkeys(["ballots", "members_rated", "members_flagged", "teams_rated"], 0)
    # No look-back yet: every branch's secretary untrained, every unit unchecked.
    branches = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).count()
    units = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT).count()
    assert summary.pop("training") == {"branch_secretaries": branches, "trained": 0, "committees_training": 0}
    assert summary.pop("lookback") == {
        "units": units,
        "units_checked": 0,
        "units_short": 0,
        "orders_open": 0,
        "orders_overdue": 0,
        "orders_closed": 0,
    }
    assert summary.pop("rectification") == dict.fromkeys(
        [
            "problems",
            "problems_open",
            "problems_solved",
            "problems_handed_over",
            "problems_overdue",
            "opinions_closed",
        ],
        0,
    )
    results = summary.pop("results")
    assert results == {
        **dict.fromkeys(
            [
                "households_visited",
                "person_times",
                "practical_things",
                "households_planting",
                "planted_mu",
                "households_livestock",
                "disputes_investigated",
                "disputes_solved",
                "disputes_handed_over",
            ],
            0,
        ),
        **dict.fromkeys(
            ["donations_yuan", "spring_farming_yuan", "structure_adjustment_yuan", "condolence_yuan"], "0.00"
        ),
    }
    assert summary == {
        "opinions": {
            "total": 8,
            "by_category": {
                "standing_committee_team": 3,
                "county_leadership_teams": 1,
                "department_teams": 1,
                "standing_committee_members": 1,
                "county_level_leaders": 1,
                "other_members": 1,
            },
            "by_kind": {"opinion": 2, "suggestion": 6},
            "by_channel": {**dict.fromkeys(Channel.values, 0), "forum": 6, "hotline": 1, "online": 1},
        },
        "solicitation": {"forums": 2, "forms_issued": 350, "suggestion_boxes": 4},
        "feedback": {"lists_released": 2, "lists_signed": 1},
    }
    assert set(summary["opinions"]["by_category"]) == set(TargetCategory.values)


def test_stage_summary_warns_when_the_ledger_is_behind(ledgers, capsys):
    add_opinion(ledgers.campaign, Target(member=ledgers.member))
    call_command("stage_summary")
    out = capsys.readouterr()
    assert "waiting for a roll-up" in out.err
    assert "opinions:" in out.out and "total: 0" in out.out
