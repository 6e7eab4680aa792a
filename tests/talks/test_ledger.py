"""The talk figures in the three-level ledger: the roll-up after every kind of change
equals a recount, the organisation's changes reach it through the signals, and the SQL
writer agrees with the Python recount on random worlds."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import ChangeOutbox, LeadershipTeam, Member, OrgUnit, Rank, StageKind, TeamKind
from reports.ledger import reconcile, rollup
from reports.models import LedgerRow
from reports.talks.source import recount_talks
from talks import selectors
from talks.models import CardDecision, CardState, Relation, Talk, TalkKind
from talks.services import card_review, talk_create, talk_delete, talk_update
from tests import factories as f
from tests.conftest import property_examples
from tests.talks.ledger_helpers import (
    assert_talk_ledger_matches,
    differences,
    naive_talk_ledger,
    stored_talk_ledger,
)


@dataclass
class Talks:
    world: object
    member: Member  # ordinary, on the inside team
    colleague: Member  # section cadre, heads the inside team
    other_member: Member  # heads the outside team, responsible leader of the outside unit
    cadre: Member  # county-level cadre with the outside unit in his charge
    newcomer: Member  # ordinary, inside unit, on no team

    @property
    def campaign(self):
        return self.world.campaign

    def day(self, offset: int = 0) -> datetime.date:
        stage = self.campaign.stages.get(kind=StageKind.ANALYSIS)
        return stage.starts_on + datetime.timedelta(days=offset)


@pytest.fixture
def talks(world) -> Talks:
    campaign = world.campaign
    other_member = world.other_member
    cadre = f.MemberFactory(campaign=campaign, unit=world.committee, name="分管县领导", rank=Rank.COUNTY_LEADER)
    newcomer = f.MemberFactory(campaign=campaign, unit=world.unit, branch=world.branch, name="新党员")
    cadre.in_charge_of.add(world.other_unit)
    world.other_unit.responsible_leader = other_member
    world.other_unit.save()
    rollup.ledger_rollup_full(campaign_id=campaign.pk)
    return Talks(
        world=world,
        member=world.member,
        colleague=Member.objects.get(campaign=campaign, name="李四INSIDE"),
        other_member=other_member,
        cadre=cadre,
        newcomer=newcomer,
    )


def settled(campaign) -> None:
    """Nothing waits in the outbox, and every talk figure equals both recounts."""
    assert not ChangeOutbox.objects.filter(campaign=campaign).exists()
    assert_talk_ledger_matches(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []


def figure(campaign, scope: str, key: str) -> int:
    row = LedgerRow.objects.filter(campaign=campaign, scope=scope, dimension="talks", key=key).first()
    return row.value if row else 0


def card(talks: Talks, member: Member, other: Member | None = None, *, offset: int = 0, kind: str = "", name=""):
    data = {
        "member": member,
        "other_member": other,
        "kind": kind or (TalkKind.MEMBER if other else TalkKind.PUBLIC),
        "talked_on": talks.day(offset),
        "topics": "交流学习体会",
        "outsider_name": "" if other else (name or "群众甲"),
        "outsider_relation": "" if other else Relation.RESIDENT,
    }
    return talk_create(user=None, campaign=talks.campaign, data=data)


def test_the_settled_world_has_quota_and_pair_figures_and_no_drift(talks):
    campaign = talks.campaign
    settled(campaign)
    # The inside team's head and member; the cadre with the outside unit's leader.
    assert figure(campaign, "county", "required_pairs") == 2
    assert figure(campaign, "county", "members_total") == Member.objects.filter(campaign=campaign).count()
    assert figure(campaign, f"member:{talks.cadre.pk}", "talks_required") == campaign.talk_quota_leader
    assert figure(campaign, f"member:{talks.member.pk}", "talks_required") == campaign.talk_quota_member


def test_creates_edits_reviews_and_deletes_roll_up_to_the_recount(talks, django_capture_on_commit_callbacks):
    campaign = talks.campaign
    supervisor = talks.world.users["supervisor"]
    with django_capture_on_commit_callbacks(execute=True):
        pair = card(talks, talks.member, talks.colleague, kind=TalkKind.TEAM)
        public = card(talks, talks.member, name="个体户乙")
        charge = card(talks, talks.other_member, talks.cadre, kind=TalkKind.CHARGE)
    settled(campaign)
    assert figure(campaign, "county", "cards") == 3
    assert figure(campaign, "county", "required_pairs_done") == 2
    assert figure(campaign, f"member:{talks.member.pk}", "talks") == 2
    assert figure(campaign, f"member:{talks.member.pk}", "talks_public") == 1
    # The cadre comes first on a charge card: filed under his unit.
    assert Talk.objects.get(pk=charge.pk).member_id == talks.cadre.pk
    assert figure(campaign, f"unit:{talks.world.committee.pk}", "cards") == 1

    with django_capture_on_commit_callbacks(execute=True):
        talk_update(user=None, talk=pair, data={"other_member": talks.newcomer, "kind": TalkKind.MEMBER})
    settled(campaign)
    assert figure(campaign, "county", "required_pairs_done") == 1

    for decision, comment in ((CardDecision.RETURN, "请补充"), (CardDecision.ADEQUATE, "")):
        with django_capture_on_commit_callbacks(execute=True):
            card_review(user=supervisor, talk=public, decision=decision, comment=comment)
        settled(campaign)
        if decision == CardDecision.RETURN:
            assert figure(campaign, "county", "cards_returned") == 1
            with django_capture_on_commit_callbacks(execute=True):
                talk_update(user=None, talk=public, data={"agreed": "限期整改"})
            assert figure(campaign, "county", "cards_returned") == 0
            assert figure(campaign, "county", "cards_awaiting") == 3
    assert figure(campaign, "county", "cards_reviewed") == 1

    with django_capture_on_commit_callbacks(execute=True):
        talk_delete(user=None, talk=Talk.objects.get(pk=charge.pk))
    settled(campaign)
    assert figure(campaign, "county", "cards") == 2
    assert figure(campaign, "county", "required_pairs_done") == 0


def test_a_card_returned_twice_is_counted_flagged(talks, django_capture_on_commit_callbacks):
    supervisor = talks.world.users["supervisor"]
    with django_capture_on_commit_callbacks(execute=True):
        talk = card(talks, talks.member, name="居民丙")
        for _round in range(2):
            card_review(user=supervisor, talk=talk, decision=CardDecision.RETURN, comment="请补充")
            talk_update(user=None, talk=talk, data={"agreed": f"第{_round}次修改"})
    settled(talks.campaign)
    assert figure(talks.campaign, "county", "cards_flagged") == 1
    assert figure(talks.campaign, f"unit:{talks.world.unit.pk}", "cards_flagged") == 1


def test_a_talk_between_members_of_two_units_counts_in_both(talks, django_capture_on_commit_callbacks):
    campaign, world = talks.campaign, talks.world
    with django_capture_on_commit_callbacks(execute=True):
        card(talks, talks.member, talks.other_member)
    settled(campaign)
    for member, unit in ((talks.member, world.unit), (talks.other_member, world.other_unit)):
        assert figure(campaign, f"member:{member.pk}", "talks_members") == 1
        assert figure(campaign, f"unit:{unit.pk}", "talks") == 1
        assert figure(campaign, f"unit:{unit.pk}", "talks_members") == 1
    # One card, filed under the unit of its first person; two talks counted.
    assert figure(campaign, f"unit:{world.unit.pk}", "cards") == 1
    assert figure(campaign, f"unit:{world.other_unit.pk}", "cards") == 0
    assert figure(campaign, "county", "cards") == 1
    assert figure(campaign, "county", "talks") == 2


def test_an_edit_that_changes_the_other_member_updates_the_old_and_new_units(talks, django_capture_on_commit_callbacks):
    campaign, world = talks.campaign, talks.world
    with django_capture_on_commit_callbacks(execute=True):
        talk = card(talks, talks.member, talks.other_member)
    with django_capture_on_commit_callbacks(execute=True):
        talk_update(user=None, talk=talk, data={"other_member": talks.newcomer})
    settled(campaign)
    assert figure(campaign, f"unit:{world.other_unit.pk}", "talks") == 0
    assert figure(campaign, f"unit:{world.unit.pk}", "talks") == 2


def test_team_changes_reach_the_ledger_through_the_signals(talks, django_capture_on_commit_callbacks):
    campaign, world = talks.campaign, talks.world
    team_out = LeadershipTeam.objects.get(campaign=campaign, unit=world.other_unit)
    team_in = LeadershipTeam.objects.get(campaign=campaign, unit=world.unit)
    with django_capture_on_commit_callbacks(execute=True):
        card(talks, talks.newcomer, talks.other_member)
    settled(campaign)
    before = figure(campaign, "county", "required_pairs")

    with django_capture_on_commit_callbacks(execute=True):
        team_out.members.add(talks.newcomer)
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before + 1
    assert figure(campaign, f"member:{talks.newcomer.pk}", "required_pairs_done") == 1

    with django_capture_on_commit_callbacks(execute=True):
        talks.newcomer.teams.remove(team_out)  # the reverse side of the relation
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before

    with django_capture_on_commit_callbacks(execute=True):
        talks.newcomer.teams.add(team_in)
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before + 2  # with the head and with the member

    with django_capture_on_commit_callbacks(execute=True):
        team_in.head = talks.newcomer
        team_in.save()
    settled(campaign)

    with django_capture_on_commit_callbacks(execute=True):
        team_in.members.clear()
    settled(campaign)
    assert figure(campaign, f"member:{talks.member.pk}", "required_pairs") == 0

    with django_capture_on_commit_callbacks(execute=True):
        talks.newcomer.teams.add(team_out)
        talks.newcomer.teams.clear()
    settled(campaign)

    with django_capture_on_commit_callbacks(execute=True):
        team_out.delete()
    settled(campaign)


def test_charge_and_responsible_leader_changes_reach_the_ledger(talks, django_capture_on_commit_callbacks):
    campaign, world = talks.campaign, talks.world
    with django_capture_on_commit_callbacks(execute=True):
        card(talks, talks.cadre, talks.member)
    before = figure(campaign, "county", "required_pairs")

    with django_capture_on_commit_callbacks(execute=True):
        talks.cadre.in_charge_of.add(world.unit)  # no responsible leader yet: no pair
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before

    with django_capture_on_commit_callbacks(execute=True):
        world.unit.responsible_leader = talks.member
        world.unit.save()
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before + 1
    assert figure(campaign, "county", "required_pairs_done") == 1

    with django_capture_on_commit_callbacks(execute=True):
        world.unit.responsible_leader = talks.colleague
        world.unit.save()
    settled(campaign)
    assert figure(campaign, "county", "required_pairs_done") == 0

    with django_capture_on_commit_callbacks(execute=True):
        world.unit.leaders_in_charge.remove(talks.cadre)  # the reverse side
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before

    with django_capture_on_commit_callbacks(execute=True):
        world.unit.leaders_in_charge.add(talks.cadre)
        talks.cadre.in_charge_of.clear()
    settled(campaign)
    assert figure(campaign, "county", "required_pairs") == before - 1


def test_a_members_move_and_rank_change_reach_the_ledger(talks, django_capture_on_commit_callbacks):
    campaign, world = talks.campaign, talks.world
    with django_capture_on_commit_callbacks(execute=True):
        card(talks, talks.newcomer, name="村民丁")
        card(talks, talks.newcomer, talks.member, offset=1)
    settled(campaign)

    with django_capture_on_commit_callbacks(execute=True):
        talks.newcomer.unit = world.other_unit
        talks.newcomer.branch = world.other_branch
        talks.newcomer.save()
    settled(campaign)
    scope = f"member:{talks.newcomer.pk}"
    assert LedgerRow.objects.get(campaign=campaign, scope=scope, key="talks").unit_id == world.other_unit.pk
    assert figure(campaign, f"unit:{world.other_unit.pk}", "cards") == 2

    # A member made a leading cadre: a bigger quota, and his units in charge make pairs.
    with django_capture_on_commit_callbacks(execute=True):
        talks.newcomer.in_charge_of.add(world.unit)
        world.unit.responsible_leader = talks.member
        world.unit.save()
    pairs = figure(campaign, "county", "required_pairs")
    with django_capture_on_commit_callbacks(execute=True):
        talks.newcomer.rank = Rank.SECTION_CADRE
        talks.newcomer.save()
    settled(campaign)
    assert figure(campaign, scope, "talks_required") == campaign.talk_quota_leader
    assert figure(campaign, "county", "required_pairs") == pairs + 1

    with django_capture_on_commit_callbacks(execute=True):
        f.MemberFactory(campaign=campaign, unit=world.other_unit, name="新调入党员")
    settled(campaign)


def test_a_quota_change_rolls_up_every_unit(talks, django_capture_on_commit_callbacks):
    campaign = talks.campaign
    with django_capture_on_commit_callbacks(execute=True):
        card(talks, talks.member, name="居民戊")
        card(talks, talks.member, talks.other_member)
    settled(campaign)
    assert figure(campaign, "county", "members_meeting_quota") == 0

    with django_capture_on_commit_callbacks(execute=True):
        campaign.talk_quota_member = 1
        campaign.talk_quota_leader = 1
        campaign.save()
    settled(campaign)
    assert figure(campaign, "county", "members_meeting_quota") == 2  # the two members on cards
    assert figure(campaign, "county", "talks_required") == Member.objects.filter(campaign=campaign).count()


def test_reconcile_ledgers_finds_no_drift_after_changes(talks, django_capture_on_commit_callbacks):
    campaign = talks.campaign
    card(talks, talks.member, talks.colleague)  # its roll-up message is lost: only the outbox row
    talks.world.unit.leaders_in_charge.add(talks.cadre)
    out = StringIO()
    call_command("reconcile_ledgers", "--campaign", campaign.slug, stdout=out)
    assert "No drift" in out.getvalue()
    settled(campaign)


def test_reconcile_finds_and_repairs_a_wrong_talk_figure(talks):
    campaign = talks.campaign
    LedgerRow.objects.filter(campaign=campaign, scope="county", dimension="talks", key="members_total").update(value=1)
    drifts = reconcile.ledger_reconcile(campaign_id=campaign.pk, repair=True)
    assert [(d.scope, d.key) for d in drifts] == [("county", "members_total")]
    settled(campaign)


# --- The SQL writer against the Python recount, on random worlds ---------------------

RANKS = (Rank.ORDINARY, Rank.ORDINARY, Rank.SECTION_CADRE, Rank.COUNTY_LEADER)
index = st.integers(min_value=0, max_value=40)
worlds = st.fixed_dictionaries(
    {
        "members": st.lists(st.tuples(index, st.sampled_from(RANKS)), min_size=2, max_size=12),
        "teams": st.lists(st.tuples(index, st.lists(index, max_size=5), st.booleans()), max_size=3),
        "charges": st.lists(st.tuples(index, index), max_size=5),
        "leaders": st.lists(st.tuples(index, index), max_size=4),
        "talks": st.lists(
            st.tuples(
                index,
                st.one_of(st.none(), index),
                st.integers(0, 10),
                st.sampled_from(CardState.values),
                st.integers(0, 3),
            ),
            max_size=25,
        ),
        "quotas": st.tuples(st.integers(0, 4), st.integers(0, 6)),
        "partial": st.lists(index, max_size=3),
    }
)


def _pick(items: list, i: int):
    return items[i % len(items)]


def _build(world, plan: dict) -> list[OrgUnit]:
    campaign = world.campaign
    campaign.talk_quota_member, campaign.talk_quota_leader = plan["quotas"]
    campaign.save()
    units = [world.unit, world.other_unit, world.committee, world.county]
    members = list(Member.objects.filter(campaign=campaign).order_by("pk"))
    members += [
        Member.objects.create(campaign=campaign, unit=_pick(units, u), number=f"R{n}", name=f"随机{n}", rank=rank)
        for n, (u, rank) in enumerate(plan["members"])
    ]
    for n, (u, seats, with_head) in enumerate(plan["teams"]):
        team = LeadershipTeam.objects.create(
            campaign=campaign, unit=_pick(units, u), code=f"RT{n}", name=f"随机班子{n}", kind=TeamKind.DEPARTMENT
        )
        team.members.add(*(_pick(members, i) for i in seats))
        if with_head:
            team.head = _pick(members, u + n)
            team.save()
    for cadre, unit in plan["charges"]:
        _pick(members, cadre).in_charge_of.add(_pick(units, unit))
    for unit, leader in plan["leaders"]:
        chosen = _pick(units, unit)
        chosen.responsible_leader = _pick(members, leader)
        chosen.save()
    seen = set()
    for first, second, offset, state, returns in plan["talks"]:
        member = _pick(members, first)
        other = None if second is None else _pick(members, second)
        if other is not None and other.pk == member.pk:
            other = None
        talk = Talk(
            campaign=campaign,
            kind=TalkKind.PUBLIC if other is None else TalkKind.MEMBER,
            member=member,
            other_member=other,
            outsider_name="" if other else f"群众{offset % 3}",
            talked_on=campaign.starts_on + datetime.timedelta(days=45 + offset),
            topics="谈心",
            state=state,
            times_returned=returns,
        )
        key = (selectors.ordered_pair(member.pk, other.pk) if other else (member.pk, talk.outsider_name), offset)
        if key not in seen:
            seen.add(key)
            talk.save()
    return units


@settings(
    max_examples=property_examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=worlds)
def test_the_sql_writer_agrees_with_the_python_recount_on_random_worlds(world, plan):
    with transaction.atomic():
        units = _build(world, plan)
        campaign = world.campaign
        rollup.ledger_rollup_full(campaign_id=campaign.pk)
        stored = stored_talk_ledger(campaign)
        recounted = recount_talks(campaign.pk)
        assert not differences(stored, recounted)
        assert not differences(stored, naive_talk_ledger(campaign))
        # A roll-up of some units rewrites exactly the rows filed under them.
        rollup.ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[_pick(units, i).pk for i in plan["partial"]])
        assert stored_talk_ledger(campaign) == stored
        transaction.set_rollback(True)
