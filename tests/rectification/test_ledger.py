"""The rectification ledger: whatever sequence of problems made by hand or of opinions,
starts, handovers, acceptances, returns, solutions, deletions, overdue flags and
practical results happens — some roll-up messages lost on the way — once the outbox is
drained every figure equals a naive count (in Python, one record at a time) and the
reconciliation finds no drift; the stage summary reads them from the county rows."""

from __future__ import annotations

import datetime
from collections import Counter
from contextlib import nullcontext
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import ChangeOutbox
from rectification import services
from rectification.models import Dispute, HandoverState, PracticalResult, Problem, ProblemState
from reports.ledger import reconcile, rollup
from reports.ledger.summary import stage_summary
from reports.models import COUNTY_SCOPE, LedgerRow
from tests.conftest import World, property_examples
from tests.rectification.factories import details, opinions_about, pdf, secretary_of
from tests.rectification.test_days import naive_days, stored_days

pytestmark = pytest.mark.django_db


def naive(campaign) -> dict[str, Any]:
    """The stage summary's two sections, counted record by record."""
    problems = list(Problem.objects.filter(campaign=campaign).prefetch_related("handovers", "opinion_links"))
    results = list(PracticalResult.objects.filter(campaign=campaign))
    disputes = list(Dispute.objects.filter(result__campaign=campaign))
    amounts: Counter[str] = Counter()
    for r in results:
        for field in services.AMOUNT_FIELDS:
            amounts[field] += r.__dict__[field]
    return {
        "rectification": {
            "problems": len(problems),
            "problems_open": sum(p.state != ProblemState.SOLVED for p in problems),
            "problems_solved": sum(p.state == ProblemState.SOLVED for p in problems),
            "problems_handed_over": sum(
                any(h.state == HandoverState.ACCEPTED for h in p.handovers.all()) for p in problems
            ),
            "problems_overdue": sum(p.overdue for p in problems),
            "opinions_closed": sum(p.opinion_links.count() for p in problems if p.state == ProblemState.SOLVED),
        },
        "results": {
            "households_visited": sum(r.households_visited for r in results),
            "person_times": sum(r.person_times for r in results),
            "practical_things": sum(r.practical_things for r in results),
            **{field: str(Decimal(amounts[field]).quantize(Decimal("0.01"))) for field in services.AMOUNT_FIELDS},
            "households_planting": sum(r.households_planting for r in results),
            "planted_mu": sum(r.planted_mu for r in results),
            "households_livestock": sum(r.households_livestock for r in results),
            "disputes_investigated": len(disputes),
            "disputes_solved": sum(d.outcome == "solved" for d in disputes),
            "disputes_handed_over": sum(d.outcome == "handed_over" for d in disputes),
        },
    }


class Stage:
    def __init__(self, world: World) -> None:
        self.world = world
        self.campaign = world.campaign
        self.office = world.users["office"]
        self.receiver = secretary_of(world, world.other_unit)
        self.units = [world.unit, world.other_unit]
        self.opinions = opinions_about(world, 4) + opinions_about(world, 4, inside=False)
        # The opinions were written without the services: the ledger takes them in first.
        rollup.ledger_rollup_full(campaign_id=self.campaign.pk)

    def problem(self, index: int) -> Problem | None:
        problems = list(Problem.objects.filter(campaign=self.campaign).order_by("pk"))
        return problems[index % len(problems)] if problems else None


@pytest.fixture
def stage(world: World) -> Stage:
    return Stage(world)


index = st.integers(0, 7)
deliver = st.booleans()
operation = st.one_of(
    st.tuples(st.just("by_hand"), st.integers(0, 1), st.integers(-3, 3), deliver),
    st.tuples(st.just("of_opinions"), st.lists(index, min_size=1, max_size=3), deliver),
    st.tuples(st.just("start"), index, deliver),
    st.tuples(st.just("hand_over"), index, deliver),
    st.tuples(st.just("accept"), index, deliver),
    st.tuples(st.just("return"), index, deliver),
    st.tuples(st.just("solve"), index, deliver),
    st.tuples(st.just("delete"), index, deliver),
    st.tuples(st.just("flag"), st.integers(-2, 5), deliver),
    st.tuples(
        st.just("result"),
        st.integers(0, 1),
        st.integers(0, 50),
        st.decimals(min_value=0, max_value=100000, places=2),
        st.integers(0, 4),
        st.integers(0, 4),
        deliver,
    ),
    st.tuples(st.just("drop_result"), index, deliver),
)


def _apply(stage: Stage, op: tuple) -> None:
    name = op[0]
    office = stage.office
    today = timezone.localdate()
    if name == "by_hand":
        _n, unit, due, _d = op
        services.problem_create(
            user=office,
            campaign=stage.campaign,
            unit=stage.units[unit],
            details=details(due_on=today + datetime.timedelta(days=due)),
        )
    elif name == "of_opinions":
        ids = [stage.opinions[i].pk for i in op[1]]
        services.problem_from_opinions(
            user=office, campaign=stage.campaign, unit=stage.units[0], details=details(), opinion_ids=ids
        )
    elif name == "flag":
        services.problems_flag_overdue(today=today + datetime.timedelta(days=op[1]))
    elif name == "result":
        _n, unit, visits, yuan, solved, handed, _d = op
        services.result_create(
            user=office,
            campaign=stage.campaign,
            unit=stage.units[unit],
            data=services.ResultInput(
                done_on=stage.campaign.starts_on,
                counts={"households_visited": visits, "person_times": visits * 2},
                amounts={"donations_yuan": yuan, "condolence_yuan": yuan / 3},
                disputes_investigated=solved + handed + 1,
                disputes_solved=solved,
                disputes_handed_over=handed,
            ),
        )
    elif name == "drop_result":
        results = list(PracticalResult.objects.filter(campaign=stage.campaign).order_by("pk"))
        if results:
            services.result_delete(user=office, result=results[op[1] % len(results)])
    else:
        problem = stage.problem(op[1])
        if problem is None:
            return
        receiver = stage.receiver
        if name == "start":
            services.problem_start(user=office, problem=problem)
        elif name == "hand_over":
            target = stage.units[1] if problem.unit_id == stage.units[0].pk else stage.units[0]
            services.problem_hand_over(user=office, problem=problem, to_unit=target, reason="移交")
        elif name == "accept":
            services.problem_accept(user=receiver, problem=problem)
        elif name == "return":
            services.problem_return(user=receiver, problem=problem, reason="退回")
        elif name == "solve":
            services.problem_solve(user=office, problem=problem, public_measure="已整改", uploads=[pdf()])
        elif name == "delete":
            services.problem_delete(user=office, problem=problem)


@settings(
    max_examples=property_examples(60),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_every_figure_equals_a_recount_after_any_sequence(stage, django_capture_on_commit_callbacks, operations):
    with transaction.atomic():
        for op in operations:
            context = django_capture_on_commit_callbacks(execute=True) if op[-1] is True else nullcontext()
            with context:
                try:
                    with transaction.atomic():
                        _apply(stage, op)
                except ValidationError:
                    pass  # a move the rules refuse: nothing written
        rollup.ledger_drain_outbox()
        assert not ChangeOutbox.objects.exists()
        assert reconcile.ledger_compare(campaign_id=stage.campaign.pk) == []
        summary = stage_summary(stage.campaign)
        assert {key: summary[key] for key in ("rectification", "results")} == naive(stage.campaign)
        assert stored_days(stage.campaign) == naive_days(stage.campaign)
        transaction.set_rollback(True)


def test_the_ledger_keeps_yuan_exact_in_fen(stage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for amount in ("0.10", "0.20", "46879000.00", "0.01"):
            services.result_create(
                user=stage.office,
                campaign=stage.campaign,
                unit=stage.world.unit,
                data=services.ResultInput(
                    done_on=stage.campaign.starts_on, amounts={"structure_adjustment_yuan": amount}
                ),
            )
    row = LedgerRow.objects.get(
        campaign=stage.campaign, scope=COUNTY_SCOPE, dimension="results", key="structure_adjustment_fen"
    )
    assert row.value == 4_687_900_031
    assert stage_summary(stage.campaign)["results"]["structure_adjustment_yuan"] == "46879000.31"


def test_the_named_figures_read_the_ledger_for_the_secretarys_reach(stage, django_capture_on_commit_callbacks):
    from reports.rectification import selectors as figures

    with django_capture_on_commit_callbacks(execute=True):
        problem = services.problem_create(
            user=stage.office, campaign=stage.campaign, unit=stage.world.unit, details=details()
        )
        services.problem_create(
            user=stage.office, campaign=stage.campaign, unit=stage.world.other_unit, details=details()
        )
        services.problem_start(user=stage.office, problem=problem)
        services.problem_solve(user=stage.office, problem=problem, public_measure="已整改", uploads=[pdf()])
    mine = figures.county_figures(stage.world.users["secretary"], stage.campaign)
    assert (mine.problems, mine.solved, mine.unsolved) == (1, 1, 0)
    whole = figures.county_figures(stage.office, stage.campaign)
    assert (whole.problems, whole.solved, whole.unsolved) == (2, 1, 1)
    lines = dict(figures.unit_figures(stage.campaign, [stage.world.unit, stage.world.other_unit]))
    assert lines[stage.world.other_unit].unsolved == 1
