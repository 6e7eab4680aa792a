"""Reads shared by the pages, the stage summary and the tests, already scoped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from campaign.models import Campaign, Member
from campaign.scoping import scope_for
from reviews.models import AWAITING_STATES, AnalysisDocument, Decision, DocumentState, Review, Route


def queue_for(user: Any, campaign: Campaign | None) -> QuerySet[AnalysisDocument]:
    """Documents waiting for this user's decision, oldest submission first."""
    scope = scope_for(user)
    routed = Q()
    if scope.supervisor is not None:
        routed |= Q(route=Route.MUNICIPAL_TEAM, reviewer_team_id=scope.supervisor.team_id)
        routed |= Q(route=Route.COUNTY_TEAM_LEADER, reviewer_supervisor=scope.supervisor)
    if scope.member is not None:
        routed |= Q(route=Route.RESPONSIBLE_LEADER, reviewer_member=scope.member)
    if not routed or campaign is None:
        return AnalysisDocument.objects.none()
    return (
        AnalysisDocument.objects.filter(routed, campaign=campaign, state__in=AWAITING_STATES)
        .exclude(member__user=user)
        .select_related("member", "member__unit")
        .annotate(latest_version=Max("versions__number"))
        .order_by("submitted_at", "pk")
    )


def documents_in_reach(user: Any, campaign: Campaign) -> QuerySet[AnalysisDocument]:
    return scope_for(user).filter(AnalysisDocument.objects.filter(campaign=campaign))


def reviewer_name(document: AnalysisDocument) -> str:
    """Who the document is routed to, as pages and exports name him, her or the team
    (load ``reviewer_team``, ``reviewer_supervisor`` and ``reviewer_member`` with it)."""
    if document.route == Route.MUNICIPAL_TEAM and document.reviewer_team:
        return document.reviewer_team.name
    if document.route == Route.COUNTY_TEAM_LEADER and document.reviewer_supervisor:
        return document.reviewer_supervisor.name
    if document.route == Route.RESPONSIBLE_LEADER and document.reviewer_member:
        return document.reviewer_member.name
    return ""


def documents_summary(campaign: Campaign) -> dict[str, int]:
    """The figures of the stage summary's "documents" section counted straight from the
    documents (the summary reads them from the ledger; this is the check on it)."""
    documents = AnalysisDocument.objects.filter(campaign=campaign)
    figures = documents.aggregate(
        submitted=Count("pk", filter=~Q(state=DocumentState.DRAFT)),
        approved=Count("pk", filter=Q(state=DocumentState.APPROVED)),
        returned=Count(
            "pk",
            filter=Q(Exists(Review.objects.filter(document=OuterRef("pk"), decision=Decision.RETURN))),
        ),
    )
    return {
        "members_total": Member.objects.filter(campaign=campaign).count(),
        "submitted": figures["submitted"],
        "approved": figures["approved"],
        "returned_at_least_once": figures["returned"],
        "leaders_min_words": campaign.doc_min_words_leader,
        "members_min_words": campaign.doc_min_words_member,
    }


def document_states(campaign: Campaign | int, member_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Member id → (his or her document's id, its state), for the members asked about
    who have a document; one query (the meetings' gate asks it for every attendee)."""
    ids = set(member_ids)
    if not ids:
        return {}
    rows = AnalysisDocument.objects.filter(campaign=campaign, member_id__in=ids).values_list("member_id", "pk", "state")
    return {member_id: (pk, state) for member_id, pk, state in rows}
