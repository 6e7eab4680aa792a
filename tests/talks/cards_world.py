"""The ``cards`` fixture: the ``world`` with what talk cards need — the colleague on the
member's leadership team, a leading cadre in charge of the other unit whose head is
the outside member, a supervisor of the other unit, and a day inside the
analysis-and-evaluation stage. Test modules import it:

    from tests.talks.cards_world import cards_fixture  # noqa: F401 (the ``cards`` fixture)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from campaign.models import Member, Rank, Stage, StageKind, SupervisoryTeam
from tests import factories as f
from tests.conftest import World


@dataclass
class Cards:
    world: World
    member: Member  # 张三INSIDE, ordinary member, logs in as "member"
    colleague: Member  # 李四INSIDE, section cadre, same unit and leadership team
    outsider: Member  # 王五OUTSIDE, head of the other unit
    cadre: Member  # county-level cadre in the county office, in charge of the other unit
    stage: Stage
    day: datetime.date
    users: dict[str, Any]

    def data(self, **changes: Any) -> dict[str, Any]:
        """A good card between the member and the colleague, with changes."""
        data = {
            "kind": "member",
            "member": self.member,
            "other_member": self.colleague,
            "talked_on": self.day,
            "place": "党员活动室",
            "topics": "工作作风",
            "member_problems": "学习不深",
            "other_problems": "联系群众少",
            "agreed": "互相监督",
        }
        data.update(changes)
        return data


@pytest.fixture(name="cards")
def cards_fixture(world: World) -> Cards:
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    cadre = f.MemberFactory(
        campaign=world.campaign,
        unit=world.county,
        name="县领导赵",
        rank=Rank.COUNTY_LEADER,
        user=f.UserFactory(username="cadre"),
    )
    cadre.in_charge_of.add(world.other_unit)
    world.other_unit.responsible_leader = world.other_member
    world.other_unit.save()
    outside_team = SupervisoryTeam.objects.get(campaign=world.campaign, name__endswith="OUTSIDE")
    outside_supervisor = f.UserFactory(username="supervisor-outside")
    f.SupervisorFactory(team=outside_team, name="督导员OUTSIDE", is_leader=True, user=outside_supervisor)
    stage = world.campaign.stages.get(kind=StageKind.ANALYSIS)
    users = {**world.users, "supervisor_outside": outside_supervisor, "cadre": cadre.user}
    return Cards(
        world=world,
        member=world.member,
        colleague=colleague,
        outsider=world.other_member,
        cadre=cadre,
        stage=stage,
        day=stage.starts_on + datetime.timedelta(days=3),
        users=users,
    )
