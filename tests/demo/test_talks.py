"""The demo county's talks: after `manage.py seed_demo` the stage summary's talk figures
equal a direct recount from the demo data, most but not all members meet their quota,
some required pairs are missing, some cards are returned (a few twice, flagged), and
the cards hold together the way the talk services would have left them.

Seeding takes a while, so the whole module shares one seed, rolled back at the end;
each test runs in a savepoint of its own inside it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone, translation

from campaign.models import LEADING_RANKS, Campaign, ChangeOutbox, LeadershipTeam, Member, OrgUnit, StageKind
from talks import selectors
from talks.models import CardDecision, CardState, Talk, TalkKind, TalkReview, pair_key
from tests.demo.conftest import Seeded
from tests.talks.ledger_helpers import naive_required_pairs, naive_talk_ledger, stored_talk_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def talks_summary(seeded: Seeded) -> dict:
    out, err = StringIO(), StringIO()
    call_command("stage_summary", "--campaign", seeded.campaign.slug, "--json", stdout=out, stderr=err)
    assert err.getvalue() == ""  # nothing waiting for a roll-up
    return json.loads(out.getvalue())["talks"]


@dataclass
class Recount:
    """The demo's talk figures counted directly from its rows, one at a time."""

    cards: list[Talk]
    held: Counter
    quota: dict[int, int]
    required: set[tuple[int, int]]
    talked: set[tuple[int, int]]

    @classmethod
    def of(cls, campaign: Campaign) -> Recount:
        cards = list(Talk.objects.filter(campaign=campaign))
        held: Counter = Counter()
        for card in cards:
            held[card.member_id] += 1
            if card.other_member_id:
                held[card.other_member_id] += 1
        quota = {
            pk: campaign.talk_quota_leader if rank in LEADING_RANKS else campaign.talk_quota_member
            for pk, rank in Member.objects.filter(campaign=campaign).values_list("pk", "rank")
        }
        talked = {tuple(sorted((c.member_id, c.other_member_id))) for c in cards if c.other_member_id}
        return cls(cards, held, quota, naive_required_pairs(campaign), talked)

    @property
    def meeting_quota(self) -> int:
        return sum(1 for pk, quota in self.quota.items() if self.held[pk] >= quota)

    @property
    def missing(self) -> set[tuple[int, int]]:
        return self.required - self.talked


@pytest.fixture(scope="module")
def recount(seeded) -> Recount:
    return Recount.of(seeded.campaign)


def test_the_stage_summary_talk_figures_equal_a_direct_recount(seeded, recount):
    assert talks_summary(seeded) == {
        "total": len(recount.cards),
        "members_meeting_quota": recount.meeting_quota,
        "members_total": len(recount.quota),
        "required_pairs": len(recount.required),
        "required_pairs_done": len(recount.required & recount.talked),
        "cards_reviewed": sum(1 for card in recount.cards if card.state == CardState.ADEQUATE),
    }


def test_every_talk_figure_of_the_ledger_equals_a_naive_recount(seeded):
    assert stored_talk_ledger(seeded.campaign) == naive_talk_ledger(seeded.campaign)


def test_most_but_not_all_members_meet_their_quota(recount):
    members = len(recount.quota)
    assert 0.8 * members < recount.meeting_quota < members
    # Leading cadres too: most meet the larger quota, not every one.
    leaders = [pk for pk, quota in recount.quota.items() if quota > min(recount.quota.values())]
    meeting = sum(1 for pk in leaders if recount.held[pk] >= recount.quota[pk])
    assert 0.7 * len(leaders) < meeting < len(leaders)


def test_some_required_pairs_are_missing_and_the_plan_lists_exactly_those(seeded, recount):
    missing = recount.missing
    assert 0 < len(missing) < 0.2 * len(recount.required)
    plan = selectors.missing_pairs(seeded.campaign)
    assert set(plan) == missing
    # Both kinds go missing: pairs of a team and a cadre's with a unit's leader.
    assert set(plan.values()) == {TalkKind.TEAM, TalkKind.CHARGE}


def test_some_cards_are_returned_a_few_twice_some_await_review_most_are_adequate(recount):
    states = Counter(card.state for card in recount.cards)
    total = len(recount.cards)
    assert states[CardState.ADEQUATE] > 0.6 * total
    assert states[CardState.RETURNED] > 0
    assert states[CardState.RECORDED] + states[CardState.REVISED] > 0
    flagged = [card for card in recount.cards if card.is_flagged]
    assert 0 < len(flagged) < 0.05 * total
    assert {card.state for card in flagged} >= {CardState.RETURNED}


def test_each_cards_review_history_matches_its_state(seeded):
    decisions: dict[int, list[str]] = {}
    for talk_id, decision in (
        TalkReview.objects.filter(talk__campaign=seeded.campaign)
        .order_by("talk_id", "decided_at", "pk")
        .values_list("talk_id", "decision")
    ):
        decisions.setdefault(talk_id, []).append(decision)
    for card in Talk.objects.filter(campaign=seeded.campaign).only("pk", "state", "times_returned"):
        mine = decisions.get(card.pk, [])
        assert mine.count(CardDecision.RETURN) == card.times_returned
        if card.state == CardState.ADEQUATE:
            assert mine[-1] == CardDecision.ADEQUATE
        elif card.state == CardState.RETURNED:
            assert mine[-1] == CardDecision.RETURN
        elif card.state == CardState.REVISED:
            assert mine and mine[-1] == CardDecision.RETURN
        else:
            assert mine == []


def test_cards_are_dated_by_the_story_not_by_the_seed_run(seeded):
    """The review queue orders by when a card last changed and shows how long it waited:
    recorded on the day of the talk, changed last at its last decision (a revised card
    the day after), so the demo's queue reads true."""
    last_decision = {
        row["talk_id"]: row["last"]
        for row in TalkReview.objects.filter(talk__campaign=seeded.campaign)
        .values("talk_id")
        .annotate(last=Max("decided_at"))
        .order_by()
    }
    recorded: dict[int, list] = {}
    for pk, when in Talk.history.filter(campaign=seeded.campaign).values_list("id", "history_date"):
        recorded.setdefault(pk, []).append(when)
    for card in Talk.objects.filter(campaign=seeded.campaign).only(
        "pk", "talked_on", "state", "created_at", "updated_at"
    ):
        assert timezone.localdate(card.created_at) == card.talked_on
        assert recorded[card.pk] == [card.created_at]
        if card.pk in last_decision:
            assert card.updated_at >= last_decision[card.pk] > card.created_at
        else:
            assert card.updated_at == card.created_at


def test_cards_hold_together_as_the_services_would_leave_them(seeded, recount):
    campaign = seeded.campaign
    stage = campaign.stages.get(kind=StageKind.ANALYSIS)
    team_seats = {
        team.pk: {m.pk for m in team.members.all()} | ({team.head_id} if team.head_id else set())
        for team in LeadershipTeam.objects.filter(campaign=campaign).prefetch_related("members")
    }
    charge = {
        (cadre, unit.responsible_leader_id)
        for cadre, unit in (
            (member.pk, unit)
            for member in Member.objects.filter(campaign=campaign, rank__in=LEADING_RANKS).prefetch_related(
                "in_charge_of"
            )
            for unit in member.in_charge_of.all()
        )
    }
    seen = set()
    for card in recount.cards:
        assert stage.starts_on <= card.talked_on <= stage.ends_on
        assert card.pair == pair_key(card.member_id, card.other_member_id, card.outsider_name)
        assert card.pair not in seen  # one card for two people
        seen.add(card.pair)
        assert (card.kind == TalkKind.PUBLIC) == (card.other_member_id is None)
        if card.kind == TalkKind.PUBLIC:
            assert card.outsider_name and card.outsider_relation
        if card.kind == TalkKind.TEAM:
            assert any({card.member_id, card.other_member_id} <= seats for seats in team_seats.values())
        if card.kind == TalkKind.CHARGE:
            assert (card.member_id, card.other_member_id) in charge  # the cadre first
    assert Talk.history.filter(campaign=campaign).count() == len(recount.cards)
    assert TalkReview.objects.filter(talk__campaign=campaign, decided_at__date__lt=stage.starts_on).count() == 0


def test_the_talks_reach_every_unit_with_members(seeded):
    units_with_cards = set(Talk.objects.filter(campaign=seeded.campaign).values_list("member__unit_id", flat=True))
    units_with_members = set(
        OrgUnit.objects.filter(campaign=seeded.campaign, members__isnull=False).values_list("pk", flat=True)
    )
    assert units_with_cards == units_with_members


def test_reconcile_ledgers_finds_no_drift_and_nothing_is_left_in_the_outbox(seeded):
    assert not ChangeOutbox.objects.filter(campaign=seeded.campaign).exists()
    out = StringIO()
    # Exits with status 1 (SystemExit) on any drift.
    with translation.override("en"):
        call_command("reconcile_ledgers", "--campaign", seeded.campaign.slug, "--no-drain", stdout=out)
    assert "No drift" in out.getvalue()


def test_the_seed_reports_the_talks_step(seeded):
    assert "heart-to-heart talks" in seeded.output
