"""Reads of the ledger that pages, exports and the stage summary share.

Everything here reads ledger rows, never the opinions: a page costs the same few
queries with ten opinions or a million. Scoping: the caller has checked the action and
fetched the unit or member through ``campaign.scoping``; the figures of a visible
unit's subtree are visible, since every scope is a union of subtrees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Case, F, Q, QuerySet, Subquery, Sum, When
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, ChangeOutbox, LeadershipTeam, Member, OrgUnit, OrgUnitKind, TargetCategory
from campaign.scoping import Scope, scope_for
from opinions.models import Aspect, Channel, OpinionKind, OpinionStatus
from reports.models import (
    FEEDBACK_KEYS,
    LISTS_RELEASED,
    LISTS_SIGNED,
    LISTS_TOTAL,
    SOLICITATION_KEYS,
    TOTAL_KEY,
    Dimension,
    LedgerLevel,
    LedgerRow,
    LedgerState,
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
UNSET_LABELS = {
    Dimension.CATEGORY: _("No target assigned yet"),
    Dimension.ASPECT: _("Aspect not set"),
}


@dataclass(frozen=True)
class Figure:
    dimension: str
    key: str
    label: str
    value: int


@dataclass
class Figures:
    """Ledger figures of one scope: dimension → key → value (a missing figure is 0)."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int]]) -> Figures:
        values: dict[str, dict[str, int]] = defaultdict(dict)
        for dimension, key, value in rows:
            values[dimension][key] = values[dimension].get(key, 0) + int(value or 0)
        return cls(dict(values))

    def plus(self, other: Figures | None) -> Figures:
        if other is None:
            return self
        rows = [(d, k, v) for figures in (self, other) for d, keys in figures.values.items() for k, v in keys.items()]
        return Figures.from_rows(rows)

    def get(self, dimension: str, key: str) -> int:
        return self.values.get(dimension, {}).get(key, 0)

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


def _summed(rows: QuerySet[LedgerRow]) -> Figures:
    return Figures.from_rows(
        rows.order_by().values("dimension", "key").annotate(v=Sum("value")).values_list("dimension", "key", "v")
    )


def sees_whole(scope: Scope, campaign: Campaign) -> bool:
    return scope.is_admin or campaign.pk in scope.campaign_ids


def general_figures(user: Any, campaign: Campaign) -> Figures:
    """The general ledger as the user may see it: the county's rows for those who see
    the campaign whole, otherwise the sum of the unit rows in the user's subtrees."""
    scope = scope_for(user)
    if sees_whole(scope, campaign):
        return _summed(LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.COUNTY))
    return _summed(scope.filter(LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.UNIT)))


def subtree_figures(unit: OrgUnit) -> Figures:
    """A unit's sub-ledger: the unit rows of the unit and everything below it."""
    return _summed(
        LedgerRow.objects.filter(campaign_id=unit.campaign_id, level=LedgerLevel.UNIT, unit__path__startswith=unit.path)
    )


def member_figures(member: Member) -> Figures:
    return _summed(LedgerRow.objects.filter(level=LedgerLevel.MEMBER, member=member))


def ledger_state(campaign: Campaign) -> LedgerState | None:
    return LedgerState.objects.filter(campaign=campaign).first()


def pending_changes(campaign: Campaign, *, source: str | None = None) -> int:
    """How many changes (of one source, or of any) wait in the outbox for the roll-up:
    the pages say their figures are a moment behind."""
    rows = ChangeOutbox.objects.filter(campaign=campaign)
    if source is not None:
        rows = rows.filter(source=source)
    return rows.count()


# --- The summary by unit (汇总表) ------------------------------------------------------

SUMMARY_DIMENSIONS = (Dimension.TOTAL, Dimension.CATEGORY, Dimension.FEEDBACK)


@dataclass(frozen=True)
class SummaryRow:
    unit: OrgUnit
    figures: Figures


def summary_units(
    user: Any, campaign: Campaign, *, committee: OrgUnit | None = None, search: str = ""
) -> tuple[QuerySet[OrgUnit], bool]:
    """The rows of the summary by unit: the visible organisations above branch level,
    each standing for itself and its branches (``fold`` True). A user who sees only
    branches gets the branches themselves (``fold`` False)."""
    visible = scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign))
    if committee is not None:
        visible = visible.filter(path__startswith=committee.path)
    if search:
        visible = visible.filter(Q(name__icontains=search) | Q(code__icontains=search))
    above_branches = visible.exclude(kind=OrgUnitKind.BRANCH)
    fold = above_branches.exists() or not visible.exists()
    units = above_branches if fold else visible
    return units.select_related("parent").order_by("path"), fold


def _owner(fold: bool) -> Any:
    # A branch's figures are shown in its unit's row: branches hang under a unit, a
    # party committee or the county, never under another branch.
    if not fold:
        return F("unit_id")
    return Case(When(unit__kind=OrgUnitKind.BRANCH, then=F("unit__parent_id")), default=F("unit_id"))


def _unit_rows(campaign: Campaign) -> QuerySet[LedgerRow]:
    return LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.UNIT, dimension__in=SUMMARY_DIMENSIONS)


def summary_rows(campaign: Campaign, units: Iterable[OrgUnit], *, fold: bool) -> list[SummaryRow]:
    """The figures of a page of the summary, in one query."""
    units = list(units)
    per_unit: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    rows = (
        _unit_rows(campaign)
        .annotate(owner=_owner(fold))
        .filter(owner__in=[unit.pk for unit in units])
        .order_by()
        .values("owner", "dimension", "key")
        .annotate(v=Sum("value"))
    )
    for row in rows:
        per_unit[row["owner"]].append((row["dimension"], row["key"], row["v"]))
    return [SummaryRow(unit=unit, figures=Figures.from_rows(per_unit[unit.pk])) for unit in units]


def summary_totals(campaign: Campaign, units: QuerySet[OrgUnit], *, fold: bool) -> Figures:
    """The foot of the summary: every row that matches the filter, not only one page."""
    return _summed(
        _unit_rows(campaign).annotate(owner=_owner(fold)).filter(owner__in=Subquery(units.order_by().values("pk")))
    )


def unassigned_figures(campaign: Campaign) -> Figures:
    return _summed(LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.UNIT, unit__isnull=True))


# --- Lists of members and teams in a sub-ledger ------------------------------------


def subject_figures(
    *, members: Iterable[Member] = (), teams: Iterable[LeadershipTeam] = ()
) -> tuple[dict[int, Figures], dict[int, Figures]]:
    """The list figures of some members and teams, in one query."""
    member_ids = [member.pk for member in members]
    team_ids = [team.pk for team in teams]
    by_member: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    by_team: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    if member_ids or team_ids:
        rows = LedgerRow.objects.filter(
            Q(level=LedgerLevel.MEMBER, member_id__in=member_ids) | Q(level=LedgerLevel.TEAM, team_id__in=team_ids)
        ).values_list("member_id", "team_id", "dimension", "key", "value")
        for member_id, team_id, dimension, key, value in rows:
            (by_member[member_id] if member_id else by_team[team_id]).append((dimension, key, value))
    return (
        {pk: Figures.from_rows(by_member[pk]) for pk in member_ids},
        {pk: Figures.from_rows(by_team[pk]) for pk in team_ids},
    )


def subtree_members(user: Any, unit: OrgUnit, *, search: str = "") -> QuerySet[Member]:
    members = scope_for(user).filter(
        Member.objects.filter(campaign_id=unit.campaign_id, unit__path__startswith=unit.path)
    )
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(number__icontains=search) | Q(position__icontains=search)
        )
    return members.select_related("unit").order_by("unit__path", "name", "pk")


def subtree_teams(user: Any, unit: OrgUnit) -> QuerySet[LeadershipTeam]:
    teams = scope_for(user).filter(
        LeadershipTeam.objects.filter(campaign_id=unit.campaign_id, unit__path__startswith=unit.path)
    )
    return teams.select_related("unit", "head").order_by("unit__path", "code")
