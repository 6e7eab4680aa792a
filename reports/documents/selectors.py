"""Reads of the documents' ledger rows for the progress pages and their exports: named
accessors over the ledger's one read layer (``reports.ledger.figures``).

The figures come from the ledger (dimension "documents", unit rows filed under the
author's unit), never from a scan of the documents: a page costs the same few queries
for ten members or a province. Only the list of one unit's members reads documents,
those of one page of members, through the scoping module.

Scoping: the caller has checked "documents.progress"; the organisations listed are
those the user's scope reaches, and the county figures are the county's rows only for
those who see the campaign whole (otherwise the sum of the unit rows in reach).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind
from campaign.scoping import AnyUser, scope_for
from reports.documents.source import (
    DOC_APPROVED,
    DOC_AWAITING,
    DOC_MEMBERS,
    DOC_RETURNED,
    DOC_RETURNED_ONCE,
    DOC_REVIEW_SECONDS,
    DOC_REVIEWS,
    DOC_SUBMITTED,
    DOC_WRITTEN,
    Dimension,
)
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.models import LedgerLevel, LedgerRow
from reviews.models import AnalysisDocument, Decision
from reviews.selectors import reviewer_name
from reviews.services import minimum_words

DOCUMENTS = Dimension.DOCUMENTS


class DocumentFigures(Figures):
    """The document figures of a unit, a party committee or the county."""

    DIMENSIONS = (DOCUMENTS,)

    def document(self, key: str) -> int:
        return self.get(DOCUMENTS, key)

    @property
    def members(self) -> int:
        return self.document(DOC_MEMBERS)

    @property
    def written(self) -> int:
        return self.document(DOC_WRITTEN)

    @property
    def submitted(self) -> int:
        return self.document(DOC_SUBMITTED)

    @property
    def awaiting(self) -> int:
        return self.document(DOC_AWAITING)

    @property
    def returned(self) -> int:
        return self.document(DOC_RETURNED)

    @property
    def returned_once(self) -> int:
        return self.document(DOC_RETURNED_ONCE)

    @property
    def approved(self) -> int:
        return self.document(DOC_APPROVED)

    @property
    def reviews(self) -> int:
        return self.document(DOC_REVIEWS)

    @property
    def review_seconds(self) -> int:
        return self.document(DOC_REVIEW_SECONDS)

    @property
    def not_approved(self) -> int:
        """Members whose document is not approved yet (written or not)."""
        return max(0, self.members - self.approved)

    @property
    def average_hours(self) -> float | None:
        """How long a version waited for its decision, on average."""
        if not self.reviews:
            return None
        return round(self.review_seconds / self.reviews / 3600, 1)


def _rows(campaign: Campaign) -> QuerySet[LedgerRow]:
    return ledger.rows(DocumentFigures, campaign=campaign, level=LedgerLevel.UNIT)


def county_figures(user: AnyUser, campaign: Campaign) -> DocumentFigures:
    """The county's figures for those who see the campaign whole; otherwise the sum of
    the units in the user's reach."""
    return ledger.county(DocumentFigures, user, campaign)


# --- Party committees ------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    unit: OrgUnit
    figures: DocumentFigures


def committee_lines(user: AnyUser, campaign: Campaign) -> list[Line]:
    """Each party committee in reach with the figures of its whole subtree (two queries)."""
    return [Line(committee, figures) for committee, figures in ledger.by_committee(DocumentFigures, user, campaign)]


# --- Organisations -----------------------------------------------------------------------


def _behind(campaign: Campaign) -> QuerySet[LedgerRow, dict[str, Any]]:
    """The ids of the units with members whose document is not approved yet."""
    return (
        _rows(campaign)
        .filter(key__in=[DOC_MEMBERS, DOC_APPROVED])
        .order_by()
        .values("unit_id")
        .annotate(
            members=Sum(Case(When(key=DOC_MEMBERS, then=F("value")), default=0)),
            approved=Sum(Case(When(key=DOC_APPROVED, then=F("value")), default=0)),
        )
        .filter(members__gt=F("approved"))
        .values("unit_id")
    )


def progress_units(
    user: AnyUser,
    campaign: Campaign,
    *,
    committee: OrgUnit | None = None,
    search: str = "",
    behind: bool = False,
) -> QuerySet[OrgUnit]:
    """The organisations in reach that have members (a document is filed under its
    author's unit, never a branch), in tree order; ``behind``: only those with a
    document not approved yet."""
    units = scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign).exclude(kind=OrgUnitKind.BRANCH))
    units = units.filter(pk__in=Subquery(_rows(campaign).filter(key=DOC_MEMBERS).values("unit_id")))
    if committee is not None:
        units = units.filter(path__startswith=committee.path)
    if search:
        units = units.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if behind:
        units = units.filter(pk__in=Subquery(_behind(campaign)))
    return units.select_related("parent").order_by("path")


def unit_lines(campaign: Campaign, units: Iterable[OrgUnit]) -> list[Line]:
    """The figures of a page of organisations, in one query."""
    units = list(units)
    figures = ledger.by_unit(DocumentFigures, campaign, units)
    return [Line(unit, figures[unit.pk]) for unit in units]


def units_total(campaign: Campaign, units: QuerySet[OrgUnit]) -> DocumentFigures:
    """Every organisation that matches the filter, not only one page."""
    return ledger.units_total(DocumentFigures, campaign, units)


def unit_figures(unit: OrgUnit) -> DocumentFigures:
    """The figures filed under the unit itself (its members' documents)."""
    return ledger.unit_own(DocumentFigures, unit)


# --- One unit's members ---------------------------------------------------------------

NOT_STARTED = "none"


def unit_members(user: AnyUser, unit: OrgUnit, *, search: str = "", state: str = "") -> QuerySet[Member]:
    """The members of one unit in the user's reach; ``state``: whose document is in
    that state, or ``NOT_STARTED`` (no document yet)."""
    members = scope_for(user).filter(Member.objects.filter(campaign_id=unit.campaign_id, unit=unit))
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(number__icontains=search) | Q(position__icontains=search)
        )
    if state:
        documents = AnalysisDocument.objects.filter(member=OuterRef("pk"))
        if state == NOT_STARTED:
            members = members.filter(~Exists(documents))
        else:
            members = members.filter(Exists(documents.filter(state=state)))
    return members.select_related("branch").order_by("name", "pk")


def documents_of(user: AnyUser, members: Iterable[Member]) -> dict[int, AnalysisDocument]:
    """The documents of some members (one page), as far as the user may see them, with
    what the list shows: the reviewer, the versions submitted, the times returned."""
    ids = [member.pk for member in members]
    if not ids:
        return {}
    documents = (
        scope_for(user)
        .filter(AnalysisDocument.objects.filter(member_id__in=ids))
        .select_related("reviewer_team", "reviewer_supervisor", "reviewer_member")
        .annotate(
            version_count=Count("versions", distinct=True),
            return_count=Count("reviews", filter=Q(reviews__decision=Decision.RETURN), distinct=True),
        )
    )
    return {document.member_id: document for document in documents}


@dataclass(frozen=True)
class MemberLine:
    """A member of the unit's list: his or her document (None: not started yet)."""

    member: Member
    document: AnalysisDocument | None
    minimum: int

    @property
    def state_label(self) -> str:
        if self.document is None:
            return str(_("Not started"))
        return str(self.document.get_state_display())

    @property
    def words(self) -> int:
        return self.document.word_count if self.document else 0

    @property
    def short(self) -> bool:
        return self.words < self.minimum

    @property
    def reviewer(self) -> str:
        return reviewer_name(self.document) if self.document else ""

    @property
    def versions(self) -> int:
        return getattr(self.document, "version_count", 0) if self.document else 0

    @property
    def times_returned(self) -> int:
        return getattr(self.document, "return_count", 0) if self.document else 0


def member_lines(user: AnyUser, campaign: Campaign, members: Iterable[Member]) -> list[MemberLine]:
    """A page of members with their documents, in one query for the documents."""
    members = list(members)
    documents = documents_of(user, members)
    return [MemberLine(member, documents.get(member.pk), minimum_words(member, campaign)) for member in members]
