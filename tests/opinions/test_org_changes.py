"""The opinions answer an organisation change themselves: a member's move, new rank or
removal announces the units whose opinion figures it touches, under source "opinions"."""

from __future__ import annotations

from campaign.models import ChangeOutbox, Rank
from opinions.services import SOURCE
from tests import factories as f


def announced(campaign) -> set[int | None]:
    return set(ChangeOutbox.objects.filter(campaign=campaign, source=SOURCE).values_list("unit_id", flat=True))


def test_a_member_who_moves_announces_both_units(world) -> None:
    ChangeOutbox.objects.all().delete()
    member = world.member
    member.unit, member.branch = world.other_unit, None
    member.save()
    assert announced(world.campaign) == {world.unit.pk, world.other_unit.pk}


def test_a_new_rank_announces_the_members_unit(world) -> None:
    ChangeOutbox.objects.all().delete()
    member = world.member
    member.rank = Rank.COUNTY_LEADER
    member.save()
    assert announced(world.campaign) == {world.unit.pk}


def test_a_member_removed_announces_his_unit(world) -> None:
    leaving = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="离开者")
    ChangeOutbox.objects.all().delete()
    leaving.delete()
    assert announced(world.campaign) == {world.other_unit.pk}


def test_a_change_that_moves_no_opinion_figure_announces_nothing_for_opinions(world) -> None:
    ChangeOutbox.objects.all().delete()
    member = world.member
    member.name = "张三改名INSIDE"
    member.save()
    world.unit.responsible_leader = member
    world.unit.save()
    assert announced(world.campaign) == set()
