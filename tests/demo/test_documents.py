"""The demo county's documents: one per member, long enough, routed by rank to the
right reviewer, most approved, some returned and resubmitted. One seed per module."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from campaign.models import LEADING_RANKS, Member, Rank, SupervisoryLevel, SupervisoryTeam
from reports.ledger.reconcile import ledger_compare
from reports.ledger.summary import stage_summary
from reviews import services
from reviews.models import SECTION_FIELDS, AnalysisDocument, DocumentState, Route
from reviews.selectors import documents_summary
from reviews.wordcount import count_words
from tests.reviews.ledger import assert_documents_match


@pytest.fixture
def campaign(seeded):
    return seeded.campaign


pytestmark = pytest.mark.django_db


def test_every_member_has_one_document_and_most_are_approved(campaign) -> None:
    members = Member.objects.filter(campaign=campaign).count()
    documents = AnalysisDocument.objects.filter(campaign=campaign)
    assert documents.count() == members == 2600
    summary = documents_summary(campaign)
    assert summary["approved"] > members * 0.8
    assert summary["returned_at_least_once"] > 0
    assert documents.filter(state=DocumentState.RESUBMITTED).exists()
    assert documents.filter(state=DocumentState.RETURNED).exists()


def test_submitted_documents_are_long_enough_and_counted_right(campaign) -> None:
    for document in AnalysisDocument.objects.filter(campaign=campaign).exclude(state=DocumentState.DRAFT)[::97]:
        minimum = services.minimum_words(document.member, campaign)
        counted = sum(count_words(getattr(document, name)) for name in SECTION_FIELDS)
        assert counted == document.word_count >= minimum
        latest = document.versions.order_by("-number").first()
        assert latest.word_count >= minimum


def test_routing_picks_the_right_reviewer_for_every_rank(campaign) -> None:
    municipal = SupervisoryTeam.objects.get(campaign=campaign, level=SupervisoryLevel.MUNICIPAL)
    team_of_unit = {
        unit_id: team
        for team in SupervisoryTeam.objects.filter(campaign=campaign, level=SupervisoryLevel.COUNTY).prefetch_related(
            "units", "supervisors"
        )
        for unit_id in team.units.values_list("pk", flat=True)
    }
    documents = (
        AnalysisDocument.objects.filter(campaign=campaign)
        .exclude(state=DocumentState.DRAFT)
        .select_related("member", "member__unit")
    )
    seen = set()
    for document in documents:
        member = document.member
        seen.add(member.rank)
        if member.rank == Rank.STANDING_COMMITTEE:
            assert (document.route, document.reviewer_team_id) == (Route.MUNICIPAL_TEAM, municipal.pk)
        elif member.rank in LEADING_RANKS:
            leader = team_of_unit[member.unit_id].leader
            assert (document.route, document.reviewer_supervisor_id) == (Route.COUNTY_TEAM_LEADER, leader.pk)
        else:
            assert document.route == Route.RESPONSIBLE_LEADER
            assert document.reviewer_member_id == member.unit.responsible_leader_id != member.pk
    assert seen == set(Rank.values)


def test_the_demo_reviewers_may_decide_what_is_routed_to_them_and_nothing_else(campaign) -> None:
    users = get_user_model().objects.in_bulk(["supervisor", "municipal", "secretary"], field_name="username")
    awaiting = AnalysisDocument.objects.filter(campaign=campaign, state__in=[DocumentState.SUBMITTED]).select_related(
        "member", "reviewer_supervisor", "reviewer_member"
    )
    standing = [d for d in awaiting if d.member.rank == Rank.STANDING_COMMITTEE]
    others = [d for d in awaiting if d.member.rank != Rank.STANDING_COMMITTEE]
    for document in standing:
        assert services.may_decide(users["municipal"], document)
    for document in others:
        assert not services.may_decide(users["municipal"], document)
        assert not services.may_decide(users["secretary"], document)
        routed_to_supervisor = document.reviewer_supervisor and document.reviewer_supervisor.user_id
        assert services.may_decide(users["supervisor"], document) == (routed_to_supervisor == users["supervisor"].pk)


def test_rerouting_the_demo_changes_nothing(campaign) -> None:
    assert services.documents_reroute(campaign=campaign) == 0


def test_the_stage_summary_and_the_ledger_equal_a_recount(campaign) -> None:
    assert stage_summary(campaign)["documents"] == documents_summary(campaign)
    assert_documents_match(campaign)
    assert [drift for drift in ledger_compare(campaign_id=campaign.pk) if drift.dimension == "documents"] == []


def test_the_demo_office_edits_the_routing_rules_in_the_admin(campaign, login) -> None:
    """Issue 16, 14: the office is meant to change who reviews whose document."""
    from django.urls import reverse

    from reviews.models import RoutingRule
    from tests.demo.helpers import fresh_user

    office = fresh_user("office")
    assert office.has_perms(["reviews.view_routingrule", "reviews.change_routingrule"])
    assert not office.has_perm("reviews.delete_routingrule") and not office.has_perm("reviews.change_review")
    client = login(office)
    rule = RoutingRule.objects.filter(campaign=campaign).first()
    assert client.get(reverse("admin:reviews_routingrule_changelist")).status_code == 200
    assert client.get(reverse("admin:reviews_routingrule_change", args=[rule.pk])).status_code == 200
