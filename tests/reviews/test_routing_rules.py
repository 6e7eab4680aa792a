"""The campaign's routing rules: made with every campaign, read by the routing, edited by
the office in the admin (with history), and a change routes the documents awaiting a
decision again. A reviewer who changes (a unit's responsible leader, a team's leader or
units, an author's rank) re-routes them when the change commits."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse

from campaign.models import Campaign, Member, Rank, SupervisoryLevel
from reviews import services
from reviews.models import DEFAULT_ROUTES, AnalysisDocument, Decision, Route, RoutingRule
from tests import factories as f

CHECKS = {"problems_accurate": True, "causes_accurate": True, "direction_accurate": True}


def _rules(campaign: Campaign) -> dict[str, str]:
    return dict(RoutingRule.objects.filter(campaign=campaign).values_list("rank", "route"))


def test_every_new_campaign_gets_the_seeds_rules_with_history(db) -> None:
    campaign = f.CampaignFactory(slug="new")
    assert _rules(campaign) == {
        Rank.STANDING_COMMITTEE: Route.MUNICIPAL_TEAM,
        Rank.COUNTY_LEADER: Route.COUNTY_TEAM_LEADER,
        Rank.SECTION_CADRE: Route.COUNTY_TEAM_LEADER,
        Rank.ORDINARY: Route.RESPONSIBLE_LEADER,
    }
    assert RoutingRule.history.filter(campaign=campaign, history_type="+").count() == 4
    assert services.routing_rules_ensure(campaign=campaign) == [], "a second call changes nothing"


def test_the_migration_gives_existing_campaigns_the_missing_rules(db) -> None:
    campaign = f.CampaignFactory(slug="old")
    RoutingRule.objects.filter(campaign=campaign).exclude(rank=Rank.ORDINARY).delete()
    RoutingRule.objects.filter(campaign=campaign).update(route=Route.COUNTY_TEAM_LEADER)
    migration = importlib.import_module("reviews.migrations.0003_default_routing_rules")
    migration.add_defaults(apps, None)
    assert _rules(campaign) == {**DEFAULT_ROUTES, Rank.ORDINARY: Route.COUNTY_TEAM_LEADER}, "a set rule stays"


def test_a_missing_rule_routes_as_the_seed(world) -> None:
    RoutingRule.objects.filter(campaign=world.campaign).delete()
    assert services.routing_table(world.campaign) == DEFAULT_ROUTES


def test_the_routing_follows_the_rule(world, reviewer) -> None:
    county_leader = world.unit.supervisory_teams.get().supervisors.get(is_leader=True)
    cadre = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=Rank.SECTION_CADRE)
    assert services.route_for(cadre).key == (Route.COUNTY_TEAM_LEADER, None, county_leader.pk, None)
    RoutingRule.objects.filter(campaign=world.campaign, rank=Rank.SECTION_CADRE).update(route=Route.RESPONSIBLE_LEADER)
    assert services.route_for(cadre).key == (Route.RESPONSIBLE_LEADER, None, None, reviewer.pk)
    municipal = f.SupervisoryTeamFactory(campaign=world.campaign, name="市督导组", level=SupervisoryLevel.MUNICIPAL)
    RoutingRule.objects.filter(campaign=world.campaign, rank=Rank.ORDINARY).update(route=Route.MUNICIPAL_TEAM)
    assert services.route_for(world.member).key == (Route.MUNICIPAL_TEAM, municipal.pk, None, None)


@pytest.fixture
def awaiting(world, write, reviewer) -> dict[str, AnalysisDocument]:
    """Ordinary members' documents: two awaiting a decision, one approved, one draft."""
    documents = {}
    for name in ("待审甲", "待审乙", "已批", "草稿"):
        member = f.MemberFactory(campaign=world.campaign, unit=world.unit, name=name, user=f.UserFactory())
        documents[name] = write(member, 3000)
        if name != "草稿":
            services.document_submit(document=documents[name], user=member.user)
    services.document_decide(
        document=documents["已批"], user=reviewer.user, version_number=1, decision=Decision.APPROVE, **CHECKS
    )
    return documents


def test_changing_a_rule_routes_the_documents_awaiting_a_decision_again(world, awaiting, reviewer) -> None:
    rule = RoutingRule.objects.get(campaign=world.campaign, rank=Rank.ORDINARY)
    rule.route = Route.COUNTY_TEAM_LEADER
    assert services.routing_rule_save(rule=rule) == 2
    county_leader = world.unit.supervisory_teams.get().supervisors.get(is_leader=True)
    for name in ("待审甲", "待审乙"):
        document = AnalysisDocument.objects.get(pk=awaiting[name].pk)
        assert (document.route, document.reviewer_supervisor, document.reviewer_member) == (
            Route.COUNTY_TEAM_LEADER,
            county_leader,
            None,
        )
        assert services.may_decide(world.users["supervisor"], document)
        assert not services.may_decide(reviewer.user, document)
    approved = AnalysisDocument.objects.get(pk=awaiting["已批"].pk)
    assert (approved.route, approved.reviewer_member) == (Route.RESPONSIBLE_LEADER, reviewer), "decided: left alone"
    assert AnalysisDocument.objects.get(pk=awaiting["草稿"].pk).route == ""
    assert services.routing_rule_save(rule=rule) == 0, "saved again: nothing changes hands"


def test_the_office_changes_a_rule_in_the_admin_with_history(world, awaiting, login) -> None:
    from tests.matrix import scoped_admin_permissions

    office = world.users["office"]
    office.is_staff = True
    office.save()
    office.user_permissions.add(*scoped_admin_permissions())
    client = login(office)
    rule = RoutingRule.objects.get(campaign=world.campaign, rank=Rank.ORDINARY)
    url = reverse("admin:reviews_routingrule_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"route": Route.COUNTY_TEAM_LEADER}, follow=True)
    assert "2 documents awaiting a decision were routed to their new reviewers." in response.content.decode()
    rule.refresh_from_db()
    assert (rule.route, rule.campaign, rule.rank) == (Route.COUNTY_TEAM_LEADER, world.campaign, Rank.ORDINARY)
    latest = rule.history.latest()
    assert (latest.history_user, latest.route) == (office, Route.COUNTY_TEAM_LEADER)
    assert AnalysisDocument.objects.filter(route=Route.COUNTY_TEAM_LEADER).count() == 2
    # Rules are never deleted: every rank keeps one.
    assert client.get(reverse("admin:reviews_routingrule_delete", args=[rule.pk])).status_code == 403


def test_the_office_sees_only_its_campaigns_rules(world, login) -> None:
    from tests.matrix import scoped_admin_permissions

    other = f.CampaignFactory(slug="neighbour", name="邻县")
    office = world.users["office"]
    office.is_staff = True
    office.save()
    office.user_permissions.add(*scoped_admin_permissions())
    response = login(office).get(reverse("admin:reviews_routingrule_changelist"))
    shown = {rule.campaign_id for rule in response.context["cl"].result_list}
    assert shown == {world.campaign.pk}
    rule = RoutingRule.objects.filter(campaign=other).first()
    assert login(office).get(reverse("admin:reviews_routingrule_change", args=[rule.pk])).status_code == 302


# --- A reviewer who changes: re-routed when the change commits ------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_new_responsible_leader_gets_the_documents_awaiting_a_decision(world, awaiting, reviewer) -> None:
    successor = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="新负责人", user=f.UserFactory())
    with transaction.atomic():
        world.unit.responsible_leader = successor
        world.unit.save()
        # Not before the commit: the change may still be rolled back.
        assert AnalysisDocument.objects.get(pk=awaiting["待审甲"].pk).reviewer_member == reviewer
    for name in ("待审甲", "待审乙"):
        assert AnalysisDocument.objects.get(pk=awaiting[name].pk).reviewer_member == successor
    assert AnalysisDocument.objects.get(pk=awaiting["已批"].pk).reviewer_member == reviewer


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_routes_nothing_again(world, awaiting, reviewer) -> None:
    successor = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="新负责人", user=f.UserFactory())
    with pytest.raises(RuntimeError), transaction.atomic():
        world.unit.responsible_leader = successor
        world.unit.save()
        raise RuntimeError("changed my mind")
    assert AnalysisDocument.objects.get(pk=awaiting["待审甲"].pk).reviewer_member == reviewer


@pytest.mark.django_db(transaction=True)
def test_a_new_team_leader_and_a_rank_change_reroute(world, write) -> None:
    cadre = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=Rank.SECTION_CADRE, user=f.UserFactory())
    document = write(cadre, 5000)
    services.document_submit(document=document, user=cadre.user)
    team = world.unit.supervisory_teams.get()
    old = team.supervisors.get(is_leader=True)
    assert AnalysisDocument.objects.get(pk=document.pk).reviewer_supervisor == old
    with transaction.atomic():
        old.is_leader = False
        old.save()
        new = f.SupervisorFactory(team=team, name="新组长", is_leader=True)
    assert AnalysisDocument.objects.get(pk=document.pk).reviewer_supervisor == new

    # Promoted to the Standing Committee: the municipal team reviews his document now.
    municipal = f.SupervisoryTeamFactory(campaign=world.campaign, name="市督导组", level=SupervisoryLevel.MUNICIPAL)
    with transaction.atomic():
        member = Member.objects.get(pk=cadre.pk)
        member.rank = Rank.STANDING_COMMITTEE
        member.save()
    document = AnalysisDocument.objects.get(pk=document.pk)
    assert (document.route, document.reviewer_team) == (Route.MUNICIPAL_TEAM, municipal)


@pytest.mark.django_db(transaction=True)
def test_a_unit_given_to_another_team_goes_to_its_leader(world, write) -> None:
    cadre = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=Rank.COUNTY_LEADER, user=f.UserFactory())
    document = write(cadre, 5000)
    services.document_submit(document=document, user=cadre.user)
    other_team = world.other_unit.supervisory_teams.get()
    other_leader = f.SupervisorFactory(team=other_team, name="二组组长", is_leader=True)
    with transaction.atomic():
        world.unit.supervisory_teams.clear()
        other_team.units.add(world.unit)
    assert AnalysisDocument.objects.get(pk=document.pk).reviewer_supervisor == other_leader


@pytest.mark.django_db(transaction=True)
def test_one_transaction_reroutes_once(world, monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(services, "documents_reroute", lambda *, campaign: calls.append(campaign.pk) or 0)
    with transaction.atomic():
        for n in range(5):
            leader = f.MemberFactory(campaign=world.campaign, unit=world.unit, name=f"负责人{n}")
            world.unit.responsible_leader = leader
            world.unit.save()
        assert calls == []
    assert calls == [world.campaign.pk]
