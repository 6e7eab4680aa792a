"""The document's workflow through the services: length by rank, routing by rank, the
state machine, who may decide, stale versions, reopening and re-routing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from campaign.models import Rank, SupervisoryLevel
from reviews import services
from reviews.models import AnalysisDocument, Decision, DocumentState, DocumentVersion, Review, Route
from tests import factories as f
from tests.reviews.conftest import sections_of

CHECKS = {"problems_accurate": True, "causes_accurate": True, "direction_accurate": True}


def _decide(document: AnalysisDocument, user: Any, decision: str, version: int = 1, **extra: Any) -> Review:
    return services.document_decide(document=document, user=user, version_number=version, decision=decision, **extra)


def test_ordinary_member_below_minimum_is_told_how_many_words_are_missing(author, write) -> None:
    document = write(author, 2990)
    with pytest.raises(ValidationError) as caught:
        services.document_submit(document=document, user=author.user)
    assert "10 words are missing" in " ".join(caught.value.messages)
    document.refresh_from_db()
    assert document.state == DocumentState.DRAFT
    assert not DocumentVersion.objects.filter(document=document).exists()


def test_ordinary_member_at_minimum_can_submit(author, write, reviewer) -> None:
    document = write(author, 3000)
    version = services.document_submit(document=document, user=author.user)
    document.refresh_from_db()
    assert (version.number, version.word_count, document.state) == (1, 3000, DocumentState.SUBMITTED)


@pytest.mark.parametrize("rank", [Rank.STANDING_COMMITTEE, Rank.COUNTY_LEADER, Rank.SECTION_CADRE])
def test_leading_cadre_needs_the_leaders_minimum(world, write, rank) -> None:
    leader = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=rank, user=f.UserFactory())
    document = write(leader, 4999)
    with pytest.raises(ValidationError, match="1 words are missing"):
        services.document_submit(document=document, user=leader.user)
    write(leader, 5000)
    services.document_submit(document=document, user=leader.user)


def test_the_campaign_setting_decides_the_minimum(world, author, write) -> None:
    world.campaign.doc_min_words_member = 100
    world.campaign.save()
    services.document_submit(document=write(author, 100), user=author.user)


def test_submitting_needs_the_four_comparisons_confirmed(author, write) -> None:
    document = write(author, 3000, confirm=False)
    with pytest.raises(ValidationError) as caught:
        services.document_submit(document=document, user=author.user)
    assert set(caught.value.error_dict) == set(services.COMPARISONS)


def test_submitting_needs_every_section(author) -> None:
    document = services.document_get_or_create(member=author)
    services.document_save(
        document=document,
        user=author.user,
        sections={"problems_ideals": sections_of(3500)["problems_ideals"] * 7},
        comparisons=dict.fromkeys(services.COMPARISONS, True),
    )
    with pytest.raises(ValidationError, match="Every section needs text"):
        services.document_submit(document=document, user=author.user)


def test_nobody_but_the_author_edits(world, author, write) -> None:
    document = write(author, 10)
    for user in (world.users["office"], world.users["admin"], world.users["secretary"]):
        with pytest.raises(ValidationError, match="Only the author"):
            services.document_save(document=document, user=user, sections={"causes": "改写"})
        with pytest.raises(ValidationError, match="Only the author"):
            services.document_submit(document=document, user=user)
    document.refresh_from_db()
    assert document.causes != "改写"


# --- Routing ---------------------------------------------------------------------


def test_routing_by_rank(world) -> None:
    municipal = f.SupervisoryTeamFactory(campaign=world.campaign, name="市督导组", level=SupervisoryLevel.MUNICIPAL)
    county_team = world.unit.supervisory_teams.get()
    county_leader = county_team.supervisors.get(is_leader=True)
    responsible = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=Rank.SECTION_CADRE)
    world.unit.responsible_leader = responsible
    world.unit.save()
    branch_member = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=Rank.ORDINARY)

    def route(rank: str):
        return services.route_for(f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=rank))

    assert route(Rank.STANDING_COMMITTEE).key == (Route.MUNICIPAL_TEAM, municipal.pk, None, None)
    assert route(Rank.COUNTY_LEADER).key == (Route.COUNTY_TEAM_LEADER, None, county_leader.pk, None)
    assert route(Rank.SECTION_CADRE).key == (Route.COUNTY_TEAM_LEADER, None, county_leader.pk, None)
    assert services.route_for(branch_member).key == (Route.RESPONSIBLE_LEADER, None, None, responsible.pk)


def test_a_team_supervising_an_ancestor_reviews_the_units_below(world) -> None:
    team = f.SupervisoryTeamFactory(campaign=world.campaign, name="县委片区督导组", level=SupervisoryLevel.COUNTY)
    team.units.add(world.other_committee)
    leader = f.SupervisorFactory(team=team, name="片区组长", is_leader=True)
    # A unit no team supervises directly: its party committee's team reviews it.
    unit = f.OrgUnitFactory(campaign=world.campaign, parent=world.other_committee, name="新单位")
    cadre = f.MemberFactory(campaign=world.campaign, unit=unit, rank=Rank.SECTION_CADRE)
    assert services.route_for(cadre).supervisor == leader


def test_the_responsible_leader_does_not_review_his_own_document(world) -> None:
    leader = f.MemberFactory(campaign=world.campaign, unit=world.unit, rank=Rank.ORDINARY)
    world.unit.responsible_leader = leader
    world.unit.save()
    assert services.route_for(leader).member is None


# --- Decisions -------------------------------------------------------------------


@pytest.fixture
def submitted(author, write, reviewer) -> AnalysisDocument:
    document = write(author, 3000)
    services.document_submit(document=document, user=author.user)
    document.refresh_from_db()
    return document


def test_only_the_routed_reviewer_decides(world, submitted, reviewer) -> None:
    others = [world.users[role] for role in ("admin", "office", "supervisor", "secretary", "member")]
    for user in others:
        with pytest.raises(ValidationError, match="Only the reviewer"):
            _decide(submitted, user, Decision.APPROVE, **CHECKS)
    assert not Review.objects.exists()
    _decide(submitted, reviewer.user, Decision.APPROVE, **CHECKS)
    submitted.refresh_from_db()
    assert submitted.state == DocumentState.APPROVED


def test_the_full_cycle_keeps_every_version(submitted, author, reviewer, write) -> None:
    _decide(
        submitted,
        reviewer.user,
        Decision.RETURN,
        overall_comment="原因分析不够深刻",
        section_comments={"causes": "要深挖根源"},
    )
    submitted.refresh_from_db()
    assert submitted.state == DocumentState.RETURNED
    write(author, 3100)
    services.document_submit(document=submitted, user=author.user)
    submitted.refresh_from_db()
    assert submitted.state == DocumentState.RESUBMITTED
    _decide(submitted, reviewer.user, Decision.APPROVE, version=2, **CHECKS)
    submitted.refresh_from_db()
    assert submitted.state == DocumentState.APPROVED
    assert list(submitted.versions.values_list("number", "word_count")) == [(1, 3000), (2, 3100)]
    first = submitted.reviews.get(version__number=1)
    assert first.comment_rows()[0][1] == "要深挖根源"
    assert submitted.history.count() >= 4  # created, saved, submitted, returned, …


def test_a_decision_on_a_version_that_is_not_the_latest_is_refused(submitted, author, reviewer, write) -> None:
    _decide(submitted, reviewer.user, Decision.RETURN, overall_comment="请修改")
    write(author, 3050)
    services.document_submit(document=submitted, user=author.user)
    with pytest.raises(ValidationError, match="since submitted version 2"):
        _decide(submitted, reviewer.user, Decision.APPROVE, version=1, **CHECKS)
    assert submitted.reviews.count() == 1


def test_a_decision_is_signed_with_the_reviewers_name_not_the_login(submitted, reviewer) -> None:
    """The author reads who returned the document: the name on the record the document
    is routed to (as the page's "Reviewer" says), not a login such as "unit-leader"."""
    review = _decide(submitted, reviewer.user, Decision.RETURN, overall_comment="请修改")
    assert review.reviewer_name == reviewer.name == "单位负责人"


def test_approval_needs_the_three_checks_and_return_needs_a_comment(submitted, reviewer) -> None:
    with pytest.raises(ValidationError) as caught:
        _decide(submitted, reviewer.user, Decision.APPROVE, problems_accurate=True)
    assert set(caught.value.error_dict) == {"causes_accurate", "direction_accurate"}
    with pytest.raises(ValidationError, match="Say what the author should revise"):
        _decide(submitted, reviewer.user, Decision.RETURN)
    assert not Review.objects.exists()


def test_an_approved_document_is_locked_until_the_office_reopens_it(submitted, author, reviewer) -> None:
    _decide(submitted, reviewer.user, Decision.APPROVE, **CHECKS)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.document_save(document=submitted, user=author.user, sections={"causes": "再改"})
    with pytest.raises(ValidationError, match="reason"):
        services.document_reopen(document=submitted, reason="  ")
    services.document_reopen(document=submitted, reason="民主生活会后需补充内容")
    submitted.refresh_from_db()
    assert (submitted.state, submitted.reopened_reason) == (DocumentState.RETURNED, "民主生活会后需补充内容")
    services.document_save(document=submitted, user=author.user, sections={"causes": submitted.causes + "补充。"})


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (DocumentState.DRAFT, "submit", True),
        (DocumentState.DRAFT, "approve", False),
        (DocumentState.DRAFT, "reopen", False),
        (DocumentState.SUBMITTED, "submit", False),
        (DocumentState.SUBMITTED, "return", True),
        (DocumentState.RETURNED, "submit", True),
        (DocumentState.RETURNED, "approve", False),
        (DocumentState.RESUBMITTED, "approve", True),
        (DocumentState.APPROVED, "return", False),
        (DocumentState.APPROVED, "submit", False),
        (DocumentState.APPROVED, "reopen", True),
    ],
)
def test_state_machine_allows_only_its_moves(state, action, allowed) -> None:
    document = AnalysisDocument(state=state)
    if allowed:
        assert services.transition(document, action) == services.TRANSITIONS[(state, action)]
    else:
        with pytest.raises(ValidationError):
            services.transition(document, action)
        assert document.state == state


def test_rerouting_follows_a_new_responsible_leader(world, submitted, reviewer) -> None:
    successor = f.MemberFactory(campaign=world.campaign, unit=world.unit, user=f.UserFactory(username="successor"))
    world.unit.responsible_leader = successor
    world.unit.save()
    assert services.documents_reroute(campaign=world.campaign) == 1
    assert services.documents_reroute(campaign=world.campaign) == 0
    submitted.refresh_from_db()
    assert submitted.reviewer_member == successor
    with pytest.raises(ValidationError, match="Only the reviewer"):
        _decide(submitted, reviewer.user, Decision.APPROVE, **CHECKS)
    _decide(submitted, successor.user, Decision.APPROVE, **CHECKS)


def test_reroute_command_reports_what_it_changed(world, submitted) -> None:
    from io import StringIO

    from django.core.management import call_command

    world.unit.responsible_leader = None
    world.unit.save()
    out = StringIO()
    call_command("reroute_documents", "--campaign", world.campaign.slug, stdout=out)
    assert "1 documents re-routed" in out.getvalue()
    submitted.refresh_from_db()
    assert submitted.reviewer_member is None


def test_municipal_team_members_decide_for_standing_committee(world, write) -> None:
    team = f.SupervisoryTeamFactory(campaign=world.campaign, name="市督导组", level=SupervisoryLevel.MUNICIPAL)
    leader = f.SupervisorFactory(team=team, name="市组长", is_leader=True, user=f.UserFactory(username="m1"))
    deputy = f.SupervisorFactory(team=team, name="市组员", user=f.UserFactory(username="m2"))
    standing = f.MemberFactory(
        campaign=world.campaign, unit=world.unit, rank=Rank.STANDING_COMMITTEE, user=f.UserFactory()
    )
    document = write(standing, 5000)
    services.document_submit(document=document, user=standing.user)
    document.refresh_from_db()
    assert services.may_decide(leader.user, document) and services.may_decide(deputy.user, document)
    assert not services.may_decide(world.users["supervisor"], document)
    _decide(document, deputy.user, Decision.APPROVE, **CHECKS)
    # Signed with the deciding supervisor's own name, not the team's or the login's.
    assert document.reviews.get().reviewer_name == "市组员"
