"""``scope_for`` reads a user's roles in one query (bench/README.md, "Load"), and reads
them afresh for every request: nothing outlives a role given, changed or withdrawn."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from campaign.models import Campaign, OrgUnitKind, RoleAssignment, RoleKind, SupervisoryLevel
from campaign.scoping import ADMIN, MEMBER, OFFICE, SECRETARY, SUPERVISOR, scope_for
from tests import factories as f

User = get_user_model()
LEDGERS = reverse("reports:general_ledger")


@pytest.fixture
def county(db):
    campaign = f.CampaignFactory()
    top = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE)
    inner = f.OrgUnitFactory(campaign=campaign, parent=top)
    other = f.OrgUnitFactory(campaign=campaign)
    return campaign, top, inner, other


def fresh(user):
    """The user as the next request loads him: a new object, no scope kept on it."""
    return User.objects.get(pk=user.pk)


def test_an_office_users_scope_is_one_query(county, django_assert_num_queries):
    campaign, *_units = county
    user = f.UserFactory()
    f.RoleAssignmentFactory(user=user, campaign=campaign, kind=RoleKind.OFFICE)
    user = fresh(user)
    with django_assert_num_queries(1):
        scope = scope_for(user)
    assert scope.roles == {OFFICE}
    assert scope.campaign_ids == scope.office_campaign_ids == {campaign.pk}
    assert scope.member is None and scope.supervisor is None


def test_every_role_at_once_is_read_with_the_records_it_needs(county, django_assert_num_queries):
    campaign, top, inner, other = county
    user = f.UserFactory()
    user.is_superuser = True
    user.save()
    f.RoleAssignmentFactory(user=user, campaign=campaign, kind=RoleKind.SECRETARY, unit=inner)
    team = f.SupervisoryTeamFactory(campaign=campaign, level=SupervisoryLevel.COUNTY)
    team.units.set([top, other])
    supervisor = f.SupervisorFactory(team=team, user=user)
    member = f.MemberFactory(unit=inner, user=user)
    user = fresh(user)
    with django_assert_num_queries(3):  # the roles, then the supervisor and the member themselves
        scope = scope_for(user)
    assert scope.roles == {ADMIN, SECRETARY, SUPERVISOR, MEMBER}
    assert scope.secretary_paths == (inner.path,)
    assert set(scope.paths) == {top.path, other.path}, "the secretary's unit lies inside the team's"
    assert scope.supervisor == supervisor and scope.supervisor.team == team
    assert scope.member == member and scope.member.unit == inner
    assert scope.campaign_ids == frozenset()


def test_a_municipal_team_sees_its_campaign_whole_and_a_team_without_units_nothing(county):
    campaign, *_units = county
    municipal = f.SupervisorFactory(team=f.SupervisoryTeamFactory(campaign=campaign, level=SupervisoryLevel.MUNICIPAL))
    municipal.user = f.UserFactory()
    municipal.save()
    scope = scope_for(fresh(municipal.user))
    assert scope.roles == {SUPERVISOR} and scope.campaign_ids == {campaign.pk} and scope.paths == ()
    empty = f.SupervisorFactory(team=f.SupervisoryTeamFactory(campaign=campaign, level=SupervisoryLevel.COUNTY))
    empty.user = f.UserFactory()
    empty.save()
    scope = scope_for(fresh(empty.user))
    assert scope.roles == {SUPERVISOR} and scope.campaign_ids == frozenset() and scope.paths == ()


def test_changes_to_roles_and_charges_take_effect_on_the_next_request(county):
    campaign, top, inner, other = county
    user = f.UserFactory()
    assert scope_for(fresh(user)).roles == frozenset()
    role = f.RoleAssignmentFactory(user=user, campaign=campaign, kind=RoleKind.SECRETARY, unit=inner)
    assert scope_for(fresh(user)).paths == (inner.path,)
    RoleAssignment.objects.filter(pk=role.pk).update(unit=other)  # even without a signal
    assert scope_for(fresh(user)).paths == (other.path,)
    role.delete()
    team = f.SupervisoryTeamFactory(campaign=campaign, level=SupervisoryLevel.COUNTY)
    f.SupervisorFactory(team=team, user=user)
    assert scope_for(fresh(user)).paths == ()
    team.units.add(inner)
    assert scope_for(fresh(user)).paths == (inner.path,)
    team.units.remove(inner)
    team.level = SupervisoryLevel.MUNICIPAL
    team.save()
    assert scope_for(fresh(user)).campaign_ids == {campaign.pk}


def test_a_withdrawn_office_role_closes_the_ledger_on_the_next_request(county, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    campaign, *_units = county
    user = f.UserFactory()
    role = f.RoleAssignmentFactory(user=user, campaign=campaign, kind=RoleKind.OFFICE)
    client = Client()
    client.force_login(user)
    assert client.get(LEDGERS).status_code == 200
    role.delete()
    assert client.get(LEDGERS).status_code == 403
    f.RoleAssignmentFactory(user=user, campaign=campaign, kind=RoleKind.OFFICE)
    assert client.get(LEDGERS).status_code == 200


def test_the_campaigns_known_without_a_query_are_those_the_filter_keeps(county):
    campaign, _top, inner, _other = county
    elsewhere = f.CampaignFactory()
    office, member, secretary, admin, nobody = (f.UserFactory() for _n in range(5))
    f.RoleAssignmentFactory(user=office, campaign=elsewhere, kind=RoleKind.OFFICE)
    f.MemberFactory(unit=inner, user=member)
    f.RoleAssignmentFactory(user=secretary, campaign=campaign, kind=RoleKind.SECRETARY, unit=inner)
    admin.is_superuser = True
    admin.save()
    for user, known in ((office, {elsewhere.pk}), (member, {campaign.pk}), (nobody, set())):
        scope = scope_for(fresh(user))
        assert scope.campaign_ids_known() == known
        assert set(scope.filter(Campaign.objects.all()).values_list("pk", flat=True)) == known
    assert scope_for(fresh(secretary)).campaign_ids_known() is None, "a subtree: it takes a query"
    assert scope_for(fresh(admin)).campaign_ids_known() is None, "every campaign"
