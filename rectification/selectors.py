"""Reads of problems and practical results that the pages, the exports, the home page
and the public receipt share; every list is already scoped."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campaign.models import Campaign, OrgUnit
from campaign.scoping import get_object_for_user, scope_for
from opinions.models import Opinion
from rectification.models import (
    UNSOLVED_STATES,
    Evidence,
    Handover,
    PracticalResult,
    Problem,
    ProblemOpinion,
    ProblemState,
)

SEARCH_MAX_CHARS = 100


def _base() -> QuerySet[Problem]:
    return Problem.objects.select_related("unit", "member", "team", "handover_to").annotate(
        opinion_count=Count("opinion_links")
    )


@dataclass(frozen=True)
class ProblemFilters:
    within: OrgUnit | None = None
    state: str = ""
    category: str = ""
    source: str = ""
    overdue: bool = False
    search: str = ""
    # The day recorded (in the installation's time zone) and the day solved: the
    # dashboards' problems per day link here.
    opened_on: datetime.date | None = None
    solved_on: datetime.date | None = None


def problems_for(user: Any, campaign: Campaign | None, filters: ProblemFilters | None = None) -> QuerySet[Problem]:
    """The problem list (整改台账) in the user's reach: the problems its units own and
    those handed over to them awaiting an answer."""
    if campaign is None:
        return Problem.objects.none()
    filters = filters or ProblemFilters()
    problems = scope_for(user).filter(Problem.objects.filter(campaign=campaign))
    if filters.within is not None:
        problems = problems.filter(
            Q(unit__path__startswith=filters.within.path) | Q(handover_to__path__startswith=filters.within.path)
        )
    if filters.state:
        problems = problems.filter(state=filters.state)
    if filters.category:
        problems = problems.filter(category=filters.category)
    if filters.source:
        problems = problems.filter(source=filters.source)
    if filters.overdue:
        problems = problems.filter(overdue=True)
    if filters.opened_on is not None:
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime.combine(filters.opened_on, datetime.time(), tzinfo=zone)
        problems = problems.filter(recorded_at__gte=start, recorded_at__lt=start + datetime.timedelta(days=1))
    if filters.solved_on is not None:
        problems = problems.filter(solved_on=filters.solved_on)
    if filters.search:
        words = filters.search[:SEARCH_MAX_CHARS]
        problems = problems.filter(
            Q(title__icontains=words) | Q(text__icontains=words) | Q(responsible__icontains=words)
        )
    # The annotation after the filters: the scope's subquery stays a plain filter.
    return _base().filter(pk__in=problems.values("pk")).order_by("unit__path", "-overdue", "due_on", "pk")


def problem_for_user(user: Any, pk: int) -> Problem:
    return get_object_for_user(user, _base(), pk=pk)


@dataclass(frozen=True)
class ProblemPage:
    problem: Problem
    handovers: list[Handover]
    opinions: list[Opinion]
    evidence: list[Evidence]


def problem_page(problem: Problem) -> ProblemPage:
    """The problem's chain of handovers, the opinions behind it (their content, kind and
    aspect only: never who gave them, how or when) and its evidence (without content)."""
    handovers = list(Handover.objects.filter(problem=problem).select_related("from_unit", "to_unit").order_by("pk"))
    opinions = list(
        Opinion.objects.filter(problem_link__problem=problem)
        .only("pk", "text", "kind", "aspect", "status")
        .order_by("pk")
    )
    evidence = list(Evidence.objects.filter(problem=problem).defer("content").order_by("pk"))
    return ProblemPage(problem=problem, handovers=handovers, opinions=opinions, evidence=evidence)


def evidence_for_user(user: Any, problem_pk: int, pk: int) -> Evidence:
    problem = problem_for_user(user, problem_pk)
    return Evidence.objects.get(problem=problem, pk=pk)


def overdue_problems(user: Any, campaign: Campaign | None, *, limit: int = 10) -> list[Problem]:
    """The user's overdue problems, the longest overdue first: for a home page (one query)."""
    if campaign is None:
        return []
    problems = scope_for(user).filter(Problem.objects.filter(campaign=campaign, overdue=True))
    return list(
        Problem.objects.filter(pk__in=problems.values("pk")).select_related("unit").order_by("due_on", "pk")[:limit]
    )


def awaiting_answer(user: Any, campaign: Campaign | None) -> QuerySet[Problem]:
    """The problems handed over to a department in the user's reach as secretary."""
    scope = scope_for(user)
    if campaign is None or not scope.secretary_paths:
        return Problem.objects.none()
    reach = Q(pk__in=[])
    for path in scope.secretary_paths:
        reach |= Q(handover_to__path__startswith=path)
    return Problem.objects.filter(reach, campaign=campaign, state=ProblemState.HANDED_OVER)


def opinions_to_choose(user: Any, campaign: Campaign | None, *, search: str = "") -> QuerySet[Opinion]:
    """The opinions in reach that could be made into a problem: in none yet, merged
    into none."""
    if campaign is None:
        return Opinion.objects.none()
    opinions = scope_for(user).filter(
        Opinion.objects.filter(campaign=campaign, merged_into__isnull=True, problem_link__isnull=True)
    )
    if search:
        opinions = opinions.filter(text__icontains=search[:SEARCH_MAX_CHARS])
    return (
        Opinion.objects.filter(pk__in=opinions.values("pk"))
        .select_related("ledger_unit", "target_member", "target_team")
        .only(
            "pk",
            "text",
            "kind",
            "aspect",
            "status",
            "ledger_unit__name",
            "target_member__name",
            "target_team__name",
        )
        .order_by("ledger_unit__path", "pk")
    )


def published_measure(opinion_id: int) -> str | None:
    """For the public receipt: the measure the unit published, if the problem this
    opinion is in has been solved; else None. Nothing else of the problem."""
    link = (
        ProblemOpinion.objects.filter(opinion_id=opinion_id, problem__state=ProblemState.SOLVED)
        .values_list("problem__public_measure", flat=True)
        .first()
    )
    return link


def problem_counts(campaign_id: int) -> dict[str, int]:
    """Plain counts of the campaign's problems (for tests and the recount)."""
    today = timezone.localdate()
    rows = Problem.objects.filter(campaign_id=campaign_id).aggregate(
        problems=Count("pk"),
        unsolved=Count("pk", filter=Q(state__in=UNSOLVED_STATES)),
        solved=Count("pk", filter=Q(state=ProblemState.SOLVED)),
        late=Count("pk", filter=Q(state__in=UNSOLVED_STATES, due_on__lt=today)),
    )
    return rows


@dataclass(frozen=True)
class ResultFilters:
    within: OrgUnit | None = None
    search: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None


def results_for(
    user: Any, campaign: Campaign | None, filters: ResultFilters | None = None
) -> QuerySet[PracticalResult]:
    if campaign is None:
        return PracticalResult.objects.none()
    filters = filters or ResultFilters()
    results = scope_for(user).filter(PracticalResult.objects.filter(campaign=campaign))
    if filters.within is not None:
        results = results.filter(unit__path__startswith=filters.within.path)
    if filters.search:
        words = filters.search[:SEARCH_MAX_CHARS]
        results = results.filter(
            Q(working_team__icontains=words)
            | Q(note__icontains=words)
            | Q(crop__icontains=words)
            | Q(livestock_kind__icontains=words)
        )
    if filters.start:
        results = results.filter(done_on__gte=filters.start)
    if filters.end:
        results = results.filter(done_on__lte=filters.end)
    return (
        results.select_related("unit")
        .annotate(
            disputes_investigated=Count("disputes"),
            disputes_solved=Count("disputes", filter=Q(disputes__outcome="solved")),
            disputes_handed_over=Count("disputes", filter=Q(disputes__outcome="handed_over")),
        )
        .order_by("unit__path", "-done_on", "pk")
    )


def result_for_user(user: Any, pk: int) -> PracticalResult:
    return get_object_for_user(user, PracticalResult.objects.select_related("unit"), pk=pk)
