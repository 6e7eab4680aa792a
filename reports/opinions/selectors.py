"""Reads of the opinions' figures that pages, exports and the summary by unit share:
named accessors over the ledger's one read layer (``reports.ledger.figures``).

Everything here reads ledger rows, never the opinions: a page costs the same few
queries with ten opinions or a million. Scoping as in ``reports.ledger.figures``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, TargetCategory
from campaign.scoping import AnyUser, scope_for
from opinions.models import Aspect, Channel, OpinionKind, OpinionStatus
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.models import TOTAL_KEY
from reports.opinions.source import (
    FEEDBACK_KEYS,
    LISTS_RELEASED,
    LISTS_SIGNED,
    LISTS_TOTAL,
    SOLICITATION_KEYS,
    Dimension,
)

# The choices each opinion dimension counts by, in the order pages list them.
DIMENSION_CHOICES: dict[str, type[models.TextChoices]] = {
    Dimension.CATEGORY: TargetCategory,
    Dimension.KIND: OpinionKind,
    Dimension.CHANNEL: Channel,
    Dimension.ASPECT: Aspect,
    Dimension.STATUS: OpinionStatus,
}
FEEDBACK_LABELS = {
    LISTS_TOTAL: _("Lists"),
    LISTS_RELEASED: _("Lists released"),
    LISTS_SIGNED: _("Lists signed"),
}
SOLICITATION_LABELS = {
    "events": _("Solicitation events"),
    "forums": _("Forums held"),
    "forms_issued": _("Forms issued"),
    "forms_returned": _("Forms returned"),
    "suggestion_boxes": _("Suggestion boxes set"),
}
# An opinion with no aspect set yet, or (category) no target assigned yet.
UNSET_LABELS: dict[str, Promise] = {
    Dimension.CATEGORY: _("No target assigned yet"),
    Dimension.ASPECT: _("Aspect not set"),
}


@dataclass(frozen=True)
class Figure:
    dimension: str
    key: str
    label: str
    value: int


class OpinionFigures(Figures):
    """The opinions' figures of one scope: the opinions by dimension, the feedback
    lists, the solicitation events."""

    DIMENSIONS = tuple(Dimension.values)

    @property
    def total(self) -> int:
        return self.get(Dimension.TOTAL, TOTAL_KEY)

    def breakdown(self, dimension: str) -> list[Figure]:
        """Every choice of an opinion dimension (zeros too), then any unset key."""
        counts = self.values.get(dimension, {})
        figures = [
            Figure(dimension, choice.value, str(choice.label), counts.get(choice.value, 0))
            for choice in DIMENSION_CHOICES[dimension]
        ]
        if counts.get(""):
            figures.append(Figure(dimension, "", str(UNSET_LABELS.get(dimension, _("Not set"))), counts[""]))
        return figures

    def feedback(self) -> list[Figure]:
        return [
            Figure(Dimension.FEEDBACK, key, str(FEEDBACK_LABELS[key]), self.get(Dimension.FEEDBACK, key))
            for key in FEEDBACK_KEYS
        ]

    def solicitation(self) -> list[Figure]:
        return [
            Figure(Dimension.SOLICITATION, key, str(SOLICITATION_LABELS[key]), self.get(Dimension.SOLICITATION, key))
            for key in SOLICITATION_KEYS
        ]

    @property
    def categories(self) -> list[Figure]:
        """The six ledger categories, in order (the columns of the summary by unit)."""
        counts = self.values.get(Dimension.CATEGORY, {})
        return [
            Figure(Dimension.CATEGORY, choice.value, str(choice.label), counts.get(choice.value, 0))
            for choice in TargetCategory
        ]

    @property
    def lists_released(self) -> int:
        return self.get(Dimension.FEEDBACK, LISTS_RELEASED)

    @property
    def lists_signed(self) -> int:
        return self.get(Dimension.FEEDBACK, LISTS_SIGNED)

    @property
    def list_status(self) -> str:
        """The state of a member's or team's one feedback list, read from its figures."""
        if self.get(Dimension.FEEDBACK, LISTS_SIGNED):
            return "signed"
        if self.get(Dimension.FEEDBACK, LISTS_RELEASED):
            return "released"
        if self.get(Dimension.FEEDBACK, LISTS_TOTAL):
            return "draft"
        return ""


def general_figures(user: AnyUser, campaign: Campaign) -> OpinionFigures:
    """The general ledger as the user may see it."""
    return ledger.county(OpinionFigures, user, campaign)


def subtree_figures(unit: OrgUnit) -> OpinionFigures:
    """A unit's sub-ledger: the unit rows of the unit and everything below it."""
    return ledger.subtree(OpinionFigures, unit)


def member_figures(member: Member) -> OpinionFigures:
    return ledger.member(OpinionFigures, member)


def unassigned_figures(campaign: Campaign) -> OpinionFigures:
    return ledger.unassigned(OpinionFigures, campaign)


# --- The summary by unit (汇总表) ------------------------------------------------------

SUMMARY_DIMENSIONS = (Dimension.TOTAL, Dimension.CATEGORY, Dimension.FEEDBACK)


@dataclass(frozen=True)
class SummaryRow:
    unit: OrgUnit
    figures: OpinionFigures


def summary_rows(campaign: Campaign, units: Iterable[OrgUnit], *, fold: bool) -> list[SummaryRow]:
    """The figures of a page of the summary, in one query."""
    return [
        SummaryRow(unit=unit, figures=figures)
        for unit, figures in ledger.by_owner(OpinionFigures, campaign, units, fold=fold, dimensions=SUMMARY_DIMENSIONS)
    ]


def summary_totals(campaign: Campaign, units: QuerySet[OrgUnit], *, fold: bool) -> OpinionFigures:
    """The foot of the summary: every row that matches the filter, not only one page."""
    return ledger.owner_totals(OpinionFigures, campaign, units, fold=fold, dimensions=SUMMARY_DIMENSIONS)


# --- Lists of members and teams in a sub-ledger ------------------------------------


def subject_figures(
    *, members: Iterable[Member] = (), teams: Iterable[LeadershipTeam] = ()
) -> tuple[dict[int, OpinionFigures], dict[int, OpinionFigures]]:
    """The list figures of some members and teams, in one query."""
    return ledger.subjects(OpinionFigures, members=members, teams=teams)


def subtree_members(user: AnyUser, unit: OrgUnit, *, search: str = "") -> QuerySet[Member]:
    members = scope_for(user).filter(
        Member.objects.filter(campaign_id=unit.campaign_id, unit__path__startswith=unit.path)
    )
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(number__icontains=search) | Q(position__icontains=search)
        )
    return members.select_related("unit").order_by("unit__path", "name", "pk")


def subtree_teams(user: AnyUser, unit: OrgUnit) -> QuerySet[LeadershipTeam]:
    teams = scope_for(user).filter(
        LeadershipTeam.objects.filter(campaign_id=unit.campaign_id, unit__path__startswith=unit.path)
    )
    return teams.select_related("unit", "head").order_by("unit__path", "code")
