"""Reads of the organisation that pages, exports and later stages share; all scoped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Stage,
    Step,
    Supervisor,
    SupervisoryTeam,
    TeamKind,
)
from campaign.scoping import AnyUser, scope_for


def campaigns_for(user: AnyUser) -> QuerySet[Campaign]:
    return scope_for(user).filter(Campaign.objects.all()).order_by("-is_active", "-starts_on")


def current_campaign_for(user: AnyUser, campaign_id: int | None = None) -> Campaign | None:
    """The campaign a page works in: the one asked for if visible, else the newest active."""
    campaigns = campaigns_for(user)
    if campaign_id is not None:
        chosen = campaigns.filter(pk=campaign_id).first()
        if chosen is not None:
            return chosen
    return campaigns.first()


def stages_with_steps(campaign: Campaign) -> QuerySet[Stage]:
    return campaign.stages.prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("order")))


def _count(model_qs: QuerySet, field: str) -> Coalesce:
    """A correlated count subquery: one query for a page, no join fan-out."""
    counted = model_qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def units_for(
    user: AnyUser, *, campaign: Campaign | None = None, search: str = "", kind: str = "", within: OrgUnit | None = None
) -> QuerySet[OrgUnit]:
    units = scope_for(user).filter(OrgUnit.objects.all())
    if campaign is not None:
        units = units.filter(campaign=campaign)
    if within is not None:
        units = units.filter(path__startswith=within.path)
    if kind:
        units = units.filter(kind=kind)
    if search:
        units = units.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return units.select_related("parent", "responsible_leader").annotate(
        child_count=_count(OrgUnit.objects.all(), "parent"),
    )


def count_subtree_members(units: Iterable[OrgUnit]) -> list[OrgUnit]:
    """``units`` (a page of them), each with ``member_count``: the members of its subtree.

    A member sits at his branch when he has one, else at his unit; a unit's count is the
    members sitting anywhere below it (a branch's own members; a party committee's, all of
    its units'). One query whatever the page's size: the members counted per place, then
    summed by path prefix (paths end in "/", so no unit's path is a prefix of a sibling's)."""
    units = list(units)
    if not units:
        return units
    places = (
        Member.objects.filter(campaign_id__in={unit.campaign_id for unit in units})
        .annotate(place=Coalesce("branch__path", "unit__path"))
        .order_by()
        .values_list("campaign_id", "place")
        .annotate(n=Count("pk"))
    )
    counted: dict[int, list[tuple[str, int]]] = {}
    for campaign_id, place, n in places:
        counted.setdefault(campaign_id, []).append((place, n))
    for unit in units:
        unit.member_count = sum(  # type: ignore[attr-defined]  # an annotation of the page, like a queryset's
            n for place, n in counted.get(unit.campaign_id, ()) if place.startswith(unit.path)
        )
    return units


def members_for(
    user: AnyUser,
    *,
    campaign: Campaign | None = None,
    search: str = "",
    rank: str = "",
    unit: OrgUnit | None = None,
) -> QuerySet[Member]:
    members = scope_for(user).filter(Member.objects.all())
    if campaign is not None:
        members = members.filter(campaign=campaign)
    if rank:
        members = members.filter(rank=rank)
    if unit is not None:
        members = members.filter(Q(unit__path__startswith=unit.path) | Q(branch__path__startswith=unit.path))
    if search:
        members = members.filter(
            Q(name__icontains=search) | Q(number__icontains=search) | Q(position__icontains=search)
        )
    return members.select_related("unit", "branch")


def teams_for(
    user: AnyUser, *, campaign: Campaign | None = None, search: str = "", kind: str = ""
) -> QuerySet[LeadershipTeam]:
    teams = scope_for(user).filter(LeadershipTeam.objects.all())
    if campaign is not None:
        teams = teams.filter(campaign=campaign)
    if kind:
        teams = teams.filter(kind=kind)
    if search:
        teams = teams.filter(Q(name__icontains=search) | Q(code__icontains=search))
    # In the order of the office's papers: the Standing Committee, the four county teams,
    # then the departments' by organisation; never by the English codes (CONGRESS, SC…).
    order = Case(
        *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(TeamKind.values)),
        default=Value(len(TeamKind.values)),
        output_field=IntegerField(),
    )
    return (
        teams.select_related("unit", "head")
        .annotate(member_count=_count(LeadershipTeam.members.through.objects.all(), "leadershipteam"), kind_order=order)
        .order_by("kind_order", "unit__path", "name", "pk")
    )


def supervisory_teams_for(
    user: AnyUser, *, campaign: Campaign | None = None, search: str = "", level: str = ""
) -> QuerySet[SupervisoryTeam]:
    teams = scope_for(user).filter(SupervisoryTeam.objects.all())
    if campaign is not None:
        teams = teams.filter(campaign=campaign)
    if level:
        teams = teams.filter(level=level)
    if search:
        teams = teams.filter(Q(name__icontains=search) | Q(supervisors__name__icontains=search)).distinct()
    return teams.prefetch_related(
        Prefetch("supervisors", queryset=Supervisor.objects.order_by("-is_leader", "name")),
        # A county team may supervise units beyond a secretary's subtree: list only his.
        Prefetch("units", queryset=scope_for(user).filter(OrgUnit.objects.all()).order_by("path")),
    )


@dataclass(frozen=True)
class TreeNode:
    unit: OrgUnit
    level: int


def visible_tree(user: AnyUser, campaign: Campaign, *, max_kind_depth: str = OrgUnitKind.UNIT) -> list[TreeNode]:
    """The part of the org tree a user may see, down to units (branches are listed on
    each unit's page), in one query, indented relative to the highest visible node."""
    units = list(
        scope_for(user)
        .filter(OrgUnit.objects.filter(campaign=campaign))
        .exclude(kind=OrgUnitKind.BRANCH)
        .only("pk", "name", "kind", "path", "depth", "parent_id")
        .order_by("path")
    )
    if not units:
        return []
    top = min(unit.depth for unit in units)
    return [TreeNode(unit=unit, level=unit.depth - top) for unit in units]


def campaign_date_warnings(campaign: Campaign) -> list[str]:
    """What reads wrong in a campaign's dates against its stages and steps: a stage or
    a step outside its campaign's or stage's dates, stages out of order or overlapping.
    Warnings, not errors: the office may be moving the dates one record at a time."""
    warnings: list[str] = []
    stages = list(campaign.stages.prefetch_related("steps").order_by("order"))
    for stage in stages:
        if stage.starts_on < campaign.starts_on or stage.ends_on > campaign.ends_on:
            warnings.append(
                _("The stage “%(stage)s” (%(start)s – %(end)s) lies outside the campaign's dates (%(from)s – %(to)s).")
                % {
                    "stage": stage.get_kind_display(),
                    "start": stage.starts_on.isoformat(),
                    "end": stage.ends_on.isoformat(),
                    "from": campaign.starts_on.isoformat(),
                    "to": campaign.ends_on.isoformat(),
                }
            )
        warnings.extend(
            _("The step “%(step)s” (%(start)s – %(end)s) lies outside its stage “%(stage)s”.")
            % {
                "step": step.get_kind_display(),
                "start": step.starts_on.isoformat(),
                "end": step.ends_on.isoformat(),
                "stage": stage.get_kind_display(),
            }
            for step in stage.steps.all()
            if step.starts_on < stage.starts_on or step.ends_on > stage.ends_on
        )
    for earlier, later in zip(stages, stages[1:], strict=False):
        if later.starts_on <= earlier.ends_on:
            warnings.append(
                _("The stage “%(later)s” starts on %(start)s, before the stage “%(earlier)s” ends (%(end)s).")
                % {
                    "later": later.get_kind_display(),
                    "start": later.starts_on.isoformat(),
                    "earlier": earlier.get_kind_display(),
                    "end": earlier.ends_on.isoformat(),
                }
            )
    return warnings
