"""The admin shows staff only what their scope allows: lists, filters, choices, history."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, RoleAssignment, Stage, SupervisoryTeam
from tests import factories as f
from tests.matrix import ELSEWHERE, OUTSIDE, MatrixWorld, scoped_admin_permissions


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mw(world) -> MatrixWorld:
    """The world, another campaign, and office staff with the admin's view/change permissions."""
    return MatrixWorld(world)


def changelist(client, model: type, **params: Any):
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), params)
    assert response.status_code == 200
    return response


def listed(response) -> list[str]:
    return [str(obj) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            OrgUnit,
            {
                "中共示范县委",
                "城关镇党委",
                "城关镇政府INSIDE",
                "机关支部INSIDE",
                "教育系统党委",
                "第一中学OUTSIDE",
                "教师支部OUTSIDE",
            },
        ),
        (Member, {"张三INSIDE", "李四INSIDE", "王五OUTSIDE"}),
        (LeadershipTeam, {"城关镇领导班子INSIDE", "第一中学领导班子OUTSIDE"}),
        (SupervisoryTeam, {"县第一督导组", "县第二督导组OUTSIDE"}),
        (Campaign, {"示范县第一批"}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_office_changelist_lists_only_its_campaign(mw, login, model, expected) -> None:
    response = changelist(login(mw.users["office"]), model)
    assert set(listed(response)) == expected
    assert ELSEWHERE not in response.content.decode()


def test_office_changelists_of_stages_and_roles_leave_out_the_other_campaign(mw, login) -> None:
    client = login(mw.users["office"])
    stages = changelist(client, Stage).context["cl"].result_list
    assert {stage.campaign_id for stage in stages} == {mw.world.campaign.pk}
    roles = changelist(client, RoleAssignment).context["cl"].result_list
    assert {role.campaign_id for role in roles} == {mw.world.campaign.pk}


def test_office_search_does_not_reach_the_other_campaign(mw, login) -> None:
    response = changelist(login(mw.users["office"]), Member, q="赵六")
    assert listed(response) == []


def test_campaign_filter_offers_only_campaigns_in_scope(mw, login) -> None:
    # A second campaign for the office, so that the filter has a choice to offer.
    second = f.CampaignFactory(slug="second", name="示范县第二批")
    f.OrgUnitFactory(campaign=second, kind="county", name="第二批县委")
    f.RoleAssignmentFactory(user=mw.users["office"], campaign=second, kind="office")
    response = changelist(login(mw.users["office"]), OrgUnit)
    cl = response.context["cl"]
    offered = {
        str(choice["display"])
        for spec in cl.filter_specs
        if getattr(spec, "field_path", "") == "campaign"
        for choice in spec.choices(cl)
    }
    assert {"示范县第一批", "示范县第二批"} <= offered
    assert "邻县ELSEWHERE" not in offered
    assert ELSEWHERE not in response.content.decode()


def test_secretary_with_staff_status_lists_only_own_subtree(mw, login) -> None:
    secretary = mw.users["secretary"]
    secretary.is_staff = True
    secretary.save()
    secretary.user_permissions.add(*scoped_admin_permissions())
    client = login(secretary)
    assert set(listed(changelist(client, OrgUnit))) == {"城关镇政府INSIDE", "机关支部INSIDE"}
    assert set(listed(changelist(client, Member))) == {"张三INSIDE", "李四INSIDE"}
    page = changelist(client, OrgUnit).content.decode()
    assert OUTSIDE not in page
    assert ELSEWHERE not in page


def test_change_form_offers_only_campaigns_in_scope(mw, login) -> None:
    role = RoleAssignment.objects.get(user=mw.users["secretary"])
    response = login(mw.users["office"]).get(reverse("admin:campaign_roleassignment_change", args=[role.pk]))
    assert response.status_code == 200
    choices = list(response.context["adminform"].form.fields["campaign"].queryset)
    assert choices == [mw.world.campaign]


def test_autocomplete_offers_only_units_in_scope(mw, login) -> None:
    params = {"app_label": "campaign", "model_name": "member", "field_name": "unit", "term": ""}
    office = login(mw.users["office"]).get(reverse("admin:autocomplete"), params).json()
    names = {result["text"] for result in office["results"]}
    assert "第一中学OUTSIDE" in names
    assert not any(ELSEWHERE in name for name in names)


def test_object_outside_scope_is_not_found_in_the_admin(mw, login) -> None:
    client = login(mw.users["office"])
    unit = mw.elsewhere.unit
    for name, args in [
        ("admin:campaign_orgunit_change", [unit.pk]),
        ("admin:campaign_orgunit_history", [unit.pk]),
        ("admin:campaign_orgunit_simple_history", [unit.pk, unit.history.latest().history_id]),
    ]:
        response = client.get(reverse(name, args=args), follow=True)
        assert response.redirect_chain[0][0] == reverse("admin:index"), name
        assert ELSEWHERE not in response.content.decode(), name


def test_office_cannot_revert_an_object_outside_scope(mw, login) -> None:
    unit = mw.elsewhere.unit
    version = unit.history.latest().history_id
    url = reverse("admin:campaign_orgunit_simple_history", args=[unit.pk, version])
    response = login(mw.users["office"]).post(
        url, {"campaign": mw.world.campaign.pk, "kind": "unit", "code": "X", "name": "改名"}
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "邻县单位ELSEWHERE"


def test_view_only_staff_cannot_revert_through_history(mw, login) -> None:
    office = mw.users["office"]
    office.user_permissions.remove(*Permission.objects.filter(codename__startswith="change_"))
    unit = mw.world.unit
    version = unit.history.latest().history_id
    url = reverse("admin:campaign_orgunit_simple_history", args=[unit.pk, version])
    client = login(office)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"campaign": unit.campaign_id, "kind": unit.kind, "code": unit.code, "name": "改名", "parent": unit.parent_id},
    )
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.name == "城关镇政府INSIDE"


def test_office_history_of_its_own_object_opens(mw, login) -> None:
    member = Member.objects.get(name="王五OUTSIDE")  # outside the secretary's unit, inside the office's campaign
    response = login(mw.users["office"]).get(reverse("admin:campaign_member_history", args=[member.pk]))
    assert response.status_code == 200
    assert "王五OUTSIDE" in response.content.decode()
