"""Reads shared by the pages, the stage summary and the tests, already scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet

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


@dataclass
class ProgressRow:
    unit_id: int | None
    name: str
    members: int = 0
    written: int = 0
    submitted: int = 0
    returned: int = 0
    approved: int = 0
    average_hours: float | None = None
    review_seconds: float = 0.0
    reviews: int = 0


@dataclass
class Progress:
    rows: list[ProgressRow] = field(default_factory=list)
    total: ProgressRow = field(default_factory=lambda: ProgressRow(unit_id=None, name=""))


def progress_by_unit(user: Any, campaign: Campaign) -> Progress:
    """Per unit in the user's reach and for all of them: members, documents written
    (any text saved), submitted (at least once), returned at least once, approved, and
    the average time a version waited for its decision. Three aggregate queries."""
    members = scope_for(user).filter(Member.objects.filter(campaign=campaign))
    returned = Review.objects.filter(document=OuterRef("analysis_documents"), decision=Decision.RETURN)
    counts = (
        members.values("unit_id", "unit__name", "unit__path")
        .annotate(
            n=Count("pk", distinct=True),
            written=Count("analysis_documents", filter=Q(analysis_documents__word_count__gt=0)),
            submitted=Count("analysis_documents", filter=~Q(analysis_documents__state=DocumentState.DRAFT)),
            returned=Count("analysis_documents", filter=Q(Exists(returned))),
            approved=Count("analysis_documents", filter=Q(analysis_documents__state=DocumentState.APPROVED)),
        )
        .order_by("unit__path")
    )
    waits = {
        row["document__member__unit_id"]: row
        for row in Review.objects.filter(document__member__in=members.values("pk"))
        .values("document__member__unit_id")
        .annotate(avg=Avg("waited_seconds"), n=Count("pk"))
        .order_by()
    }
    progress = Progress()
    total = progress.total
    for row in counts:
        wait = waits.get(row["unit_id"])
        item = ProgressRow(
            unit_id=row["unit_id"],
            name=row["unit__name"],
            members=row["n"],
            written=row["written"],
            submitted=row["submitted"],
            returned=row["returned"],
            approved=row["approved"],
            average_hours=round(wait["avg"] / 3600, 1) if wait else None,
            reviews=wait["n"] if wait else 0,
            review_seconds=(wait["avg"] * wait["n"]) if wait else 0.0,
        )
        progress.rows.append(item)
        for name in ("members", "written", "submitted", "returned", "approved", "reviews", "review_seconds"):
            setattr(total, name, getattr(total, name) + getattr(item, name))
    if total.reviews:
        total.average_hours = round(total.review_seconds / total.reviews / 3600, 1)
    return progress


def documents_summary(campaign: Campaign) -> dict[str, int]:
    """The stage summary's "documents" section (reports wires it into stage_summary)."""
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
