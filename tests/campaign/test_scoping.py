"""Who sees which rows: ``scope_for(user).filter(...)`` for every role and model."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.http import Http404
from django.urls import reverse

from campaign.forms import MemberFilterForm
from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    RoleKind,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
)
from campaign.scoping import get_object_for_user, scope_for
from tests import factories as f
from tests.matrix import build_elsewhere

User = get_user_model()

MODELS = (OrgUnit, Member, LeadershipTeam, SupervisoryTeam, Supervisor, Campaign)

COUNTY, COMMITTEE, UNIT, BRANCH = "中共示范县委", "城关镇党委", "城关镇政府INSIDE", "机关支部INSIDE"
OTHER_COMMITTEE, OTHER_UNIT, OTHER_BRANCH = "教育系统党委", "第一中学OUTSIDE", "教师支部OUTSIDE"
MEMBER, COLLEAGUE, OTHER_MEMBER = "张三INSIDE", "李四INSIDE", "王五OUTSIDE"
TEAM, OTHER_TEAM = "城关镇领导班子INSIDE", "第一中学领导班子OUTSIDE"
SUPERVISORY_TEAM, OTHER_SUPERVISORY_TEAM = "县第一督导组", "县第二督导组OUTSIDE"
SUPERVISOR = "督导组长"
CAMPAIGN = "示范县第一批"

WHOLE_CAMPAIGN: dict[type[models.Model], set[str]] = {
    OrgUnit: {COUNTY, COMMITTEE, UNIT, BRANCH, OTHER_COMMITTEE, OTHER_UNIT, OTHER_BRANCH},
    Member: {MEMBER, COLLEAGUE, OTHER_MEMBER},
    LeadershipTeam: {TEAM, OTHER_TEAM},
    SupervisoryTeam: {SUPERVISORY_TEAM, OTHER_SUPERVISORY_TEAM},
    Supervisor: {SUPERVISOR},
    Campaign: {CAMPAIGN},
}
OWN_UNIT: dict[type[models.Model], set[str]] = {
    OrgUnit: {UNIT, BRANCH},
    Member: {MEMBER, COLLEAGUE},
    LeadershipTeam: {TEAM},
    SupervisoryTeam: {SUPERVISORY_TEAM},
    Supervisor: {SUPERVISOR},
    Campaign: {CAMPAIGN},
}
EXPECTED: dict[str, dict[type[models.Model], set[str]]] = {
    "office": WHOLE_CAMPAIGN,
    "secretary": OWN_UNIT,
    "supervisor": OWN_UNIT,  # a county team: the units it supervises and below
    "member": {
        OrgUnit: {COUNTY, COMMITTEE, UNIT, BRANCH},  # own unit and branch, and their ancestors
        Member: {MEMBER},
        LeadershipTeam: {TEAM},  # the teams he or she belongs to
        SupervisoryTeam: set(),
        Supervisor: set(),
        Campaign: {CAMPAIGN},
    },
}


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def elsewhere(world):
    """Another campaign, outside every role's scope but the administrator's."""
    return build_elsewhere()


def visible(user: Any, model: type[models.Model]) -> list[str]:
    # A fresh user object each time: the scope is cached on the one a request holds.
    if user is not None:
        user = User.objects.get(pk=user.pk)
    return list(scope_for(user).filter(model.objects.all()).values_list("name", flat=True))


def assert_sees(user: Any, expected: dict[type[models.Model], set[str]]) -> None:
    for model, names in expected.items():
        rows = visible(user, model)
        assert set(rows) == names, f"{model.__name__}: sees {sorted(rows)}, expected {sorted(names)}"
        assert len(rows) == len(set(rows)), f"{model.__name__}: rows repeated: {sorted(rows)}"


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_role_sees_its_scope(world, elsewhere, role, model) -> None:
    rows = visible(world.users[role], model)
    assert sorted(rows) == sorted(EXPECTED[role][model])


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_administrator_sees_every_campaign(world, elsewhere, model) -> None:
    rows = visible(world.users["admin"], model)
    assert sorted(rows) == sorted(model.objects.values_list("name", flat=True))
    assert any("ELSEWHERE" in name for name in rows)


def test_secretary_of_a_party_committee_sees_the_whole_subtree(world, elsewhere) -> None:
    police = f.OrgUnitFactory(campaign=world.campaign, parent=world.committee, name="城关镇派出所")
    police_branch = f.OrgUnitFactory(campaign=world.campaign, kind=OrgUnitKind.BRANCH, parent=police, name="派出所支部")
    f.MemberFactory(campaign=world.campaign, unit=police, branch=police_branch, name="民警")
    # The team supervising both units under the committee is still one row.
    SupervisoryTeam.objects.get(name=SUPERVISORY_TEAM).units.add(police)
    user = f.UserFactory(username="committee-secretary")
    f.RoleAssignmentFactory(user=user, campaign=world.campaign, kind=RoleKind.SECRETARY, unit=world.committee)

    assert_sees(
        user,
        {
            OrgUnit: {COMMITTEE, UNIT, BRANCH, "城关镇派出所", "派出所支部"},
            Member: {MEMBER, COLLEAGUE, "民警"},
            LeadershipTeam: {TEAM},
            SupervisoryTeam: {SUPERVISORY_TEAM},
            Supervisor: {SUPERVISOR},
            Campaign: {CAMPAIGN},
        },
    )


def test_municipal_supervisor_sees_the_whole_campaign(world, elsewhere) -> None:
    team = f.SupervisoryTeamFactory(campaign=world.campaign, name="市督导组", level=SupervisoryLevel.MUNICIPAL)
    user = f.UserFactory(username="municipal")
    f.SupervisorFactory(team=team, name="市督导员", user=user)

    assert_sees(
        user,
        {
            **WHOLE_CAMPAIGN,
            SupervisoryTeam: {SUPERVISORY_TEAM, OTHER_SUPERVISORY_TEAM, "市督导组"},
            Supervisor: {SUPERVISOR, "市督导员"},
        },
    )


def test_member_without_a_branch_sees_own_unit_and_its_ancestors(world) -> None:
    user = f.UserFactory(username="no-branch")
    f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="赵七", user=user)

    assert_sees(
        user,
        {
            OrgUnit: {COUNTY, OTHER_COMMITTEE, OTHER_UNIT},
            Member: {"赵七"},
            LeadershipTeam: set(),
            SupervisoryTeam: set(),
            Supervisor: set(),
            Campaign: {CAMPAIGN},
        },
    )


def test_user_with_no_role_sees_nothing(world) -> None:
    user = f.UserFactory(username="nobody")
    assert_sees(user, {model: set() for model in MODELS})
    assert not scope_for(user).roles


def test_anonymous_visitor_sees_nothing(world) -> None:
    assert_sees(None, {model: set() for model in MODELS})


def test_deactivated_account_sees_nothing(world) -> None:
    secretary = world.users["secretary"]
    secretary.is_active = False
    secretary.save()
    assert_sees(secretary, {model: set() for model in MODELS})


def test_secretary_who_is_also_a_member_sees_the_union(world) -> None:
    # Secretary of the inside unit, and a member of the outside one (and its team).
    user = world.users["secretary"]
    world.other_member.user = user
    world.other_member.save()

    assert_sees(
        user,
        {
            OrgUnit: {UNIT, BRANCH, COUNTY, OTHER_COMMITTEE, OTHER_UNIT, OTHER_BRANCH},
            Member: {MEMBER, COLLEAGUE, OTHER_MEMBER},
            LeadershipTeam: {TEAM, OTHER_TEAM},
            SupervisoryTeam: {SUPERVISORY_TEAM},
            Supervisor: {SUPERVISOR},
            Campaign: {CAMPAIGN},
        },
    )


def test_supervisor_who_is_also_a_secretary_sees_the_union(world, elsewhere) -> None:
    user = world.users["supervisor"]
    f.RoleAssignmentFactory(user=user, campaign=world.campaign, kind=RoleKind.SECRETARY, unit=world.other_unit)

    assert_sees(
        user,
        {
            OrgUnit: {UNIT, BRANCH, OTHER_UNIT, OTHER_BRANCH},
            Member: {MEMBER, COLLEAGUE, OTHER_MEMBER},
            LeadershipTeam: {TEAM, OTHER_TEAM},
            SupervisoryTeam: {SUPERVISORY_TEAM, OTHER_SUPERVISORY_TEAM},
            Supervisor: {SUPERVISOR},
            Campaign: {CAMPAIGN},
        },
    )


def test_office_of_two_campaigns_sees_both(world, elsewhere) -> None:
    user = world.users["office"]
    f.RoleAssignmentFactory(user=user, campaign=elsewhere.campaign, kind=RoleKind.OFFICE)
    assert set(visible(user, Campaign)) == {CAMPAIGN, "邻县ELSEWHERE"}
    assert "邻县单位ELSEWHERE" in visible(user, OrgUnit)


ACTIONS = {
    "org.view": {"admin", "office", "supervisor", "secretary", "member"},
    "org.browse": {"admin", "office", "supervisor", "secretary"},
    "org.export": {"admin", "office", "supervisor", "secretary"},
    "org.import": {"admin", "office"},
    "campaign.manage": {"admin", "office"},
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_actions_allowed_by_role(world, action) -> None:
    allowed = {role for role, user in world.users.items() if scope_for(user).can(action)}
    assert allowed == ACTIONS[action]


def test_secretary_gets_not_found_for_a_unit_outside_scope(world) -> None:
    secretary = world.users["secretary"]
    assert get_object_for_user(secretary, OrgUnit.objects.all(), pk=world.unit.pk) == world.unit
    with pytest.raises(Http404):
        get_object_for_user(secretary, OrgUnit.objects.all(), pk=world.other_unit.pk)


def member_filter_units(user: Any, data: dict | None = None) -> MemberFilterForm:
    return MemberFilterForm(data, user=User.objects.get(pk=user.pk))


@pytest.mark.parametrize(
    ("role", "units"),
    [
        ("secretary", [UNIT]),
        ("supervisor", [UNIT]),
        ("office", [COUNTY, COMMITTEE, UNIT, OTHER_COMMITTEE, OTHER_UNIT]),
    ],
)
def test_member_filter_offers_only_units_in_scope(world, elsewhere, role, units) -> None:
    form = member_filter_units(world.users[role])
    offered = [label for value, label in form.fields["unit"].choices if value != ""]
    # Branches are left out: a member's branch lies within the unit chosen.
    assert sorted(offered) == sorted(units)


def test_member_filter_rejects_a_unit_outside_scope(world) -> None:
    form = member_filter_units(world.users["secretary"], {"unit": world.other_unit.pk})
    assert not form.is_valid()
    assert "unit" in form.errors
    assert member_filter_units(world.users["secretary"], {"unit": world.unit.pk}).is_valid()


def test_secretary_sees_only_own_units_of_a_team_that_supervises_more(world, login) -> None:
    # The county team over the secretary's unit also supervises one beyond it.
    team = SupervisoryTeam.objects.get(name=SUPERVISORY_TEAM)
    team.units.add(world.other_unit)
    client = login(world.users["secretary"])
    page = client.get(reverse("campaign:supervisory_team_detail", args=[team.pk])).content.decode()
    assert UNIT in page
    assert OTHER_UNIT not in page
    # The team's own supervisor sees both.
    page = login(world.users["supervisor"]).get(reverse("campaign:supervisory_team_detail", args=[team.pk]))
    assert OTHER_UNIT in page.content.decode()
