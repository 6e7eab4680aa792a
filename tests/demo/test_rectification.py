"""The demo county's rectification (rectification/demo.py): seed_demo then
``stage_summary --json`` gives the seed's figures exactly, and what the services
guarantee holds by construction."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from opinions.models import OpinionStatus
from rectification.models import (
    Evidence,
    Handover,
    HandoverState,
    PracticalResult,
    Problem,
    ProblemOpinion,
    ProblemState,
)
from reports.ledger import reconcile


def _summary(seeded) -> dict:
    out = StringIO()
    call_command("stage_summary", "--campaign", seeded.campaign.slug, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_stage_summary_gives_the_seeds_figures_exactly(seeded):
    summary = _summary(seeded)
    assert summary["results"] == {
        "households_visited": 935,
        "person_times": 4655,
        "practical_things": 462,
        "donations_yuan": "233670.00",
        "spring_farming_yuan": "450000.00",
        "structure_adjustment_yuan": "46879000.00",
        "condolence_yuan": "35500000.00",
        "households_planting": 400,
        "planted_mu": 2000,
        "households_livestock": 200,
        "disputes_investigated": 245,
        "disputes_solved": 215,
        "disputes_handed_over": 30,
    }
    rectification = summary["rectification"]
    assert rectification["problems_solved"] == 2420
    assert rectification["problems_open"] > 0 and rectification["problems_overdue"] > 0
    assert rectification["problems_handed_over"] > 0
    assert rectification["problems"] == rectification["problems_solved"] + rectification["problems_open"]
    problems = Problem.objects.filter(campaign=seeded.campaign)
    assert rectification["problems"] == problems.count()
    assert rectification["problems_overdue"] == problems.filter(overdue=True).count()
    assert (
        rectification["opinions_closed"]
        == ProblemOpinion.objects.filter(
            problem__campaign=seeded.campaign, opinion__status=OpinionStatus.CLOSED
        ).count()
    )
    assert reconcile.ledger_compare(campaign_id=seeded.campaign.pk) == []


def test_the_demo_problems_hold_what_the_services_guarantee(seeded):
    problems = Problem.objects.filter(campaign=seeded.campaign)
    today = timezone.localdate()
    # Every solved problem has its evidence and its published measure, and no other has.
    solved = problems.filter(state=ProblemState.SOLVED)
    assert not solved.annotate(n=Count("evidence")).filter(n=0).exists()
    assert not solved.filter(public_measure="").exists()
    assert not Evidence.objects.filter(problem__campaign=seeded.campaign).exclude(problem__state="solved").exists()
    # The overdue flag is what the daily task would set today.
    late = Q(state__in=[ProblemState.OPEN, ProblemState.IN_PROGRESS, ProblemState.HANDED_OVER], due_on__lt=today)
    assert set(problems.filter(overdue=True)) == set(problems.filter(late))
    # Handed over and accepted, one sent back, a few awaiting their answer.
    handovers = Handover.objects.filter(problem__campaign=seeded.campaign)
    assert handovers.filter(state=HandoverState.RETURNED).count() == 1
    for handover in handovers.filter(state=HandoverState.ACCEPTED).select_related("problem"):
        assert handover.problem.unit_id == handover.to_unit_id != handover.from_unit_id
    for handover in handovers.filter(state=HandoverState.PENDING).select_related("problem"):
        assert handover.problem.state == ProblemState.HANDED_OVER
        assert handover.problem.handover_to_id == handover.to_unit_id
    # The opinions behind a problem follow it.
    links = ProblemOpinion.objects.filter(problem__campaign=seeded.campaign).select_related("problem", "opinion")
    assert links.exists()
    for link in links:
        expected = OpinionStatus.CLOSED if link.problem.state == ProblemState.SOLVED else OpinionStatus.IN_RECTIFICATION
        assert link.opinion.status == expected


def test_the_demo_results_are_exact_decimals_and_disputes_are_records(seeded):
    results = PracticalResult.objects.filter(campaign=seeded.campaign)
    assert results.exists()
    for result in results:
        assert result.donations_yuan.as_tuple().exponent == -2
        assert result.disputes.filter(outcome="solved").count() <= result.disputes.count()
