"""``campaign.org_events``: every change to the organisation is announced once
(``org_changed``), with the ids a subscriber needs, whether a plain save makes it (as
the admin does) or the spreadsheet import; a save that changes nothing watched
announces nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    Rank,
    SupervisoryLevel,
    SupervisoryTeam,
)
from campaign.org_events import OrgChange, OrgChangeKind, org_changed
from tests import factories as f
from tests.campaign.importing import MEMBER_HEADERS, SUPERVISORY_HEADERS, TEAM_HEADERS, messages, run, xlsx

K = OrgChangeKind


@pytest.fixture
def announced(world) -> Iterator[list[OrgChange]]:
    """What is announced from now on (the world is built already)."""
    changes: list[OrgChange] = []

    def receive(sender, change: OrgChange, **kwargs) -> None:
        changes.append(change)

    org_changed.connect(receive, dispatch_uid="tests.org_events")
    yield changes
    org_changed.disconnect(dispatch_uid="tests.org_events")


def one(changes: list[OrgChange]) -> OrgChange:
    assert len(changes) == 1, changes
    return changes[0]


def team_in(world) -> LeadershipTeam:
    return LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)


def supervision(world) -> SupervisoryTeam:
    return SupervisoryTeam.objects.get(campaign=world.campaign, name="县第一督导组")


def colleague(world) -> Member:
    return Member.objects.get(campaign=world.campaign, name="李四INSIDE")


# --- Members ------------------------------------------------------------------------------


def test_a_member_moved_is_one_change_with_the_old_and_new_unit_and_branch(world, announced):
    member = Member.objects.get(pk=world.member.pk)  # as the admin loads it
    member.unit, member.branch = world.other_unit, world.other_branch
    member.save()
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.MEMBER_CHANGED,
        fields=frozenset({"unit", "branch"}),
        member_ids=frozenset({member.pk}),
        old_unit_id=world.unit.pk,
        new_unit_id=world.other_unit.pk,
        old_branch_id=world.branch.pk,
        new_branch_id=world.other_branch.pk,
        old_rank=Rank.ORDINARY,
        new_rank=Rank.ORDINARY,
    )


def test_a_rank_changed_is_one_change_with_the_old_and_new_rank(world, announced):
    member = Member.objects.get(pk=world.member.pk)
    member.rank = Rank.SECTION_CADRE
    member.save()
    change = one(announced)
    assert (change.kind, change.fields, change.member_ids) == (K.MEMBER_CHANGED, {"rank"}, {member.pk})
    assert (change.old_rank, change.new_rank) == (Rank.ORDINARY, Rank.SECTION_CADRE)
    assert change.old_unit_id == change.new_unit_id == world.unit.pk


def test_a_save_that_moves_and_promotes_is_still_one_change(world, announced):
    member = Member.objects.get(pk=world.member.pk)
    member.unit, member.branch, member.rank = world.other_unit, None, Rank.COUNTY_LEADER
    member.save()
    change = one(announced)
    assert change.fields == {"unit", "branch", "rank"}
    assert (change.old_unit_id, change.new_unit_id) == (world.unit.pk, world.other_unit.pk)
    assert (change.old_rank, change.new_rank) == (Rank.ORDINARY, Rank.COUNTY_LEADER)


def test_a_member_added_and_removed(world, announced):
    newcomer = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, rank=Rank.SECTION_CADRE)
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.MEMBER_ADDED,
        member_ids=frozenset({newcomer.pk}),
        new_unit_id=world.other_unit.pk,
        new_rank=Rank.SECTION_CADRE,
    )
    announced.clear()
    pk = newcomer.pk
    Member.objects.get(pk=pk).delete()
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.MEMBER_REMOVED,
        member_ids=frozenset({pk}),
        old_unit_id=world.other_unit.pk,
        old_rank=Rank.SECTION_CADRE,
    )


def test_saves_that_change_nothing_watched_announce_nothing(world, announced):
    member = Member.objects.get(pk=world.member.pk)
    member.save()
    member.name, member.position = "张三丰", "副主任"
    member.save()
    unit = OrgUnit.objects.get(pk=world.unit.pk)
    unit.save()
    unit.name = "城关镇人民政府"
    unit.save()
    team = team_in(world)
    team.save()
    team.name = "新名字"
    team.save()
    campaign = Campaign.objects.get(pk=world.campaign.pk)
    campaign.save()
    campaign.feedback_threshold = 4
    campaign.save()
    supervisors = supervision(world)
    supervisors.save()
    leader = supervisors.supervisors.get()
    leader.position = "组长"
    leader.save()
    assert announced == []


def test_a_save_that_does_not_write_the_watched_fields_reads_and_announces_nothing(world, announced):
    member = Member.objects.get(pk=world.member.pk)
    member.unit = world.other_unit  # not written: not a move
    member.name = "张三丰"
    with CaptureQueriesContext(connection) as queries:
        member.save(update_fields=["name"])
    # No read of the old values (the history reads the charges, as on every save).
    assert not [q["sql"] for q in queries.captured_queries if 'FROM "campaign_member" ' in q["sql"]]
    assert announced == []
    member.save(update_fields=["unit"])
    assert one(announced).fields == {"unit"}


# --- Leadership teams -------------------------------------------------------------------


def test_seats_added_and_removed_from_either_side(world, announced):
    team, newcomer = team_in(world), world.other_member
    team.members.add(newcomer)
    newcomer.teams.remove(team)  # the reverse side
    newcomer.teams.add(team)
    team.members.remove(newcomer)
    expected = {"campaign_id": world.campaign.pk, "team_ids": {team.pk}, "member_ids": {newcomer.pk}}
    assert announced == [
        OrgChange(kind=K.TEAM_SEATS_ADDED, **expected),
        OrgChange(kind=K.TEAM_SEATS_REMOVED, **expected),
        OrgChange(kind=K.TEAM_SEATS_ADDED, **expected),
        OrgChange(kind=K.TEAM_SEATS_REMOVED, **expected),
    ]


def test_a_clear_names_the_seats_it_emptied_and_an_empty_one_announces_nothing(world, announced):
    team = team_in(world)
    team.members.clear()
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.TEAM_SEATS_REMOVED,
        team_ids=frozenset({team.pk}),
        member_ids=frozenset({world.member.pk, colleague(world).pk}),
    )
    announced.clear()
    team.members.clear()
    team.members.add()  # nothing to add
    world.other_member.teams.add(team)
    world.other_member.teams.add(team)  # already there
    world.other_member.teams.clear()
    assert [(c.kind, c.team_ids, c.member_ids) for c in announced] == [
        (K.TEAM_SEATS_ADDED, {team.pk}, {world.other_member.pk}),
        (K.TEAM_SEATS_REMOVED, {team.pk, team_out(world).pk}, {world.other_member.pk}),
    ]


def team_out(world) -> LeadershipTeam:
    return LeadershipTeam.objects.get(campaign=world.campaign, unit=world.other_unit)


def test_a_new_head_and_a_team_created_with_one(world, announced):
    team = team_in(world)
    old_head = colleague(world)
    team.head = world.member
    team.save()
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.TEAM_HEAD_CHANGED,
        fields=frozenset({"head"}),
        team_ids=frozenset({team.pk}),
        old_leader_id=old_head.pk,
        new_leader_id=world.member.pk,
    )
    announced.clear()
    headless = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.other_unit)
    assert announced == []
    headed = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.other_unit, head=world.other_member)
    change = one(announced)
    assert (change.kind, change.team_ids, change.old_leader_id, change.new_leader_id) == (
        K.TEAM_HEAD_CHANGED,
        {headed.pk},
        None,
        world.other_member.pk,
    )
    assert headless.pk != headed.pk


def test_a_team_removed_names_everyone_it_seated(world, announced):
    team = team_in(world)
    team.head = world.other_member  # a head who is not among its members
    team.save()
    announced.clear()
    pk = team.pk
    team.delete()
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.TEAM_REMOVED,
        team_ids=frozenset({pk}),
        member_ids=frozenset({world.member.pk, colleague(world).pk, world.other_member.pk}),
        old_leader_id=world.other_member.pk,
    )


# --- Units and charges ---------------------------------------------------------------------


def test_a_responsible_leader_and_a_parent_changed(world, announced):
    unit = OrgUnit.objects.get(pk=world.unit.pk)
    unit.responsible_leader = world.member
    unit.save()
    assert one(announced) == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.UNIT_CHANGED,
        fields=frozenset({"responsible_leader"}),
        unit_ids=frozenset({unit.pk}),
        old_leader_id=None,
        new_leader_id=world.member.pk,
        old_parent_id=world.committee.pk,
        new_parent_id=world.committee.pk,
    )
    announced.clear()
    unit.parent = world.other_committee
    unit.save()
    change = one(announced)
    assert (change.kind, change.fields) == (K.UNIT_CHANGED, {"parent"})
    assert (change.old_parent_id, change.new_parent_id) == (world.committee.pk, world.other_committee.pk)
    assert change.old_leader_id == change.new_leader_id == world.member.pk


def test_a_unit_created_announces_nothing(world, announced):
    f.OrgUnitFactory(campaign=world.campaign, parent=world.committee, responsible_leader=world.member)
    assert announced == []


def test_charges_from_either_side(world, announced):
    cadre = colleague(world)
    cadre.in_charge_of.add(world.unit, world.other_unit)
    world.other_unit.leaders_in_charge.remove(cadre)  # the reverse side
    world.unit.leaders_in_charge.clear()
    cadre.in_charge_of.clear()  # nothing left
    assert announced == [
        OrgChange(
            campaign_id=world.campaign.pk,
            kind=K.CHARGE_ADDED,
            member_ids=frozenset({cadre.pk}),
            unit_ids=frozenset({world.unit.pk, world.other_unit.pk}),
        ),
        OrgChange(
            campaign_id=world.campaign.pk,
            kind=K.CHARGE_REMOVED,
            member_ids=frozenset({cadre.pk}),
            unit_ids=frozenset({world.other_unit.pk}),
        ),
        OrgChange(
            campaign_id=world.campaign.pk,
            kind=K.CHARGE_REMOVED,
            member_ids=frozenset({cadre.pk}),
            unit_ids=frozenset({world.unit.pk}),
        ),
    ]


# --- Supervisory teams -------------------------------------------------------------------


def test_supervisors_added_changed_moved_and_removed(world, announced):
    team = supervision(world)
    other = SupervisoryTeam.objects.get(campaign=world.campaign, name="县第二督导组OUTSIDE")
    supervisor = f.SupervisorFactory(team=team, name="新组员")
    supervisor.position = "组员"  # not watched
    supervisor.save()
    team.supervisors.filter(is_leader=True).update(is_leader=False)  # no signal: not seen
    supervisor.is_leader = True
    supervisor.save(update_fields=["is_leader"])
    supervisor.team, supervisor.is_leader = other, False
    supervisor.save()
    pk = supervisor.pk
    supervisor.delete()
    base = {"campaign_id": world.campaign.pk, "supervisor_ids": frozenset({pk})}
    assert announced == [
        OrgChange(kind=K.SUPERVISOR_ADDED, team_ids=frozenset({team.pk}), **base),
        OrgChange(kind=K.SUPERVISOR_CHANGED, fields=frozenset({"is_leader"}), team_ids=frozenset({team.pk}), **base),
        OrgChange(
            kind=K.SUPERVISOR_CHANGED,
            fields=frozenset({"team", "is_leader"}),
            team_ids=frozenset({team.pk, other.pk}),
            **base,
        ),
        OrgChange(kind=K.SUPERVISOR_REMOVED, team_ids=frozenset({other.pk}), **base),
    ]


def test_a_supervisory_teams_level_and_units(world, announced):
    team = supervision(world)
    team.level = SupervisoryLevel.MUNICIPAL
    team.save()
    team.units.add(world.other_unit)
    world.unit.supervisory_teams.remove(team)  # the reverse side
    team.units.clear()
    base = {"campaign_id": world.campaign.pk, "team_ids": frozenset({team.pk})}
    assert announced == [
        OrgChange(kind=K.SUPERVISORY_TEAM_CHANGED, fields=frozenset({"level"}), **base),
        OrgChange(kind=K.SUPERVISED_UNITS_ADDED, unit_ids=frozenset({world.other_unit.pk}), **base),
        OrgChange(kind=K.SUPERVISED_UNITS_REMOVED, unit_ids=frozenset({world.unit.pk}), **base),
        OrgChange(kind=K.SUPERVISED_UNITS_REMOVED, unit_ids=frozenset({world.other_unit.pk}), **base),
    ]


# --- The campaign -------------------------------------------------------------------------


def test_quotas_changed(world, announced):
    campaign = Campaign.objects.get(pk=world.campaign.pk)
    campaign.talk_quota_leader = 12
    campaign.doc_min_words_member = 2500
    campaign.save()
    assert one(announced) == OrgChange(
        campaign_id=campaign.pk,
        kind=K.QUOTAS_CHANGED,
        fields=frozenset({"talk_quota_leader", "doc_min_words_member"}),
    )
    announced.clear()
    f.CampaignFactory()  # a new campaign: no quota of anyone changes
    assert announced == []


def test_a_campaign_deleted_with_its_supervisors_announces_nothing(world, announced):
    # (Members and units protect their campaign from a delete: supervisors go with it.)
    campaign = f.CampaignFactory()
    supervisor = f.SupervisorFactory(team=f.SupervisoryTeamFactory(campaign=campaign))
    announced.clear()
    campaign.delete()
    assert not SupervisoryTeam.objects.filter(pk=supervisor.team_id).exists()
    assert announced == []


# --- Through the import service ------------------------------------------------------------


def test_the_import_announces_each_change_once(world, announced):
    member, cadre = world.member, colleague(world)
    team = team_in(world)
    supervisors = supervision(world)
    report = run(
        world.campaign,
        xlsx(
            {
                "党员": [
                    MEMBER_HEADERS,
                    # Moved to the other unit.
                    [member.number, member.name, world.other_unit.code, world.other_branch.code, "Ordinary member",
                     "", ""],
                    # Promoted, and given a unit in charge.
                    [cadre.number, cadre.name, world.unit.code, world.branch.code, "County-level leading cadre",
                     "", world.other_unit.code],
                    # Unchanged.
                    [world.other_member.number, world.other_member.name, world.other_unit.code,
                     world.other_branch.code, "Ordinary member", "", ""],
                ],
                "领导班子": [
                    TEAM_HEADERS,
                    # The same head; the member leaves, the outside member joins.
                    [team.code, team.name, team.get_kind_display(), world.unit.code, cadre.number,
                     f"{cadre.number}, {world.other_member.number}"],
                ],
                "督导组": [
                    SUPERVISORY_HEADERS,
                    # The same leader; a member joins; it supervises the other unit instead.
                    [supervisors.name, "County", "督导组长", "新组员", world.other_unit.code],
                ],
            }
        ),
        user=world.users["office"],
    )  # fmt: skip
    assert report.ok, messages(report)
    by_kind = {(change.kind, change.team_ids or change.member_ids): change for change in announced}
    assert len(by_kind) == len(announced), announced
    moved = by_kind[(K.MEMBER_CHANGED, frozenset({member.pk}))]
    assert moved.fields == {"unit", "branch"}
    assert (moved.old_unit_id, moved.new_unit_id) == (world.unit.pk, world.other_unit.pk)
    promoted = by_kind[(K.MEMBER_CHANGED, frozenset({cadre.pk}))]
    assert promoted.fields == {"rank"}
    assert (promoted.old_rank, promoted.new_rank) == (Rank.SECTION_CADRE, Rank.COUNTY_LEADER)
    assert by_kind[(K.CHARGE_ADDED, frozenset({cadre.pk}))].unit_ids == {world.other_unit.pk}
    assert by_kind[(K.TEAM_SEATS_REMOVED, frozenset({team.pk}))] == OrgChange(
        campaign_id=world.campaign.pk,
        kind=K.TEAM_SEATS_REMOVED,
        team_ids=frozenset({team.pk}),
        member_ids=frozenset({member.pk}),
    )
    assert by_kind[(K.TEAM_SEATS_ADDED, frozenset({team.pk}))].member_ids == {world.other_member.pk}
    added = by_kind[(K.SUPERVISOR_ADDED, frozenset({supervisors.pk}))]
    assert added.supervisor_ids == set(supervisors.supervisors.filter(name="新组员").values_list("pk", flat=True))
    assert by_kind[(K.SUPERVISED_UNITS_REMOVED, frozenset({supervisors.pk}))].unit_ids == {world.unit.pk}
    assert by_kind[(K.SUPERVISED_UNITS_ADDED, frozenset({supervisors.pk}))].unit_ids == {world.other_unit.pk}
    assert set(by_kind) == {
        (K.MEMBER_CHANGED, frozenset({member.pk})),
        (K.MEMBER_CHANGED, frozenset({cadre.pk})),
        (K.CHARGE_ADDED, frozenset({cadre.pk})),
        (K.TEAM_SEATS_REMOVED, frozenset({team.pk})),
        (K.TEAM_SEATS_ADDED, frozenset({team.pk})),
        (K.SUPERVISOR_ADDED, frozenset({supervisors.pk})),
        (K.SUPERVISED_UNITS_REMOVED, frozenset({supervisors.pk})),
        (K.SUPERVISED_UNITS_ADDED, frozenset({supervisors.pk})),
    }


def test_an_import_that_changes_nothing_announces_nothing(world, announced):
    member = world.member
    report = run(
        world.campaign,
        xlsx(
            {
                "党员": [
                    MEMBER_HEADERS,
                    [member.number, member.name, world.unit.code, world.branch.code, "Ordinary member", "", ""],
                ]
            }
        ),
    )
    assert report.ok, messages(report)
    assert announced == []
