"""The rectification services: the problems' one transition table, handovers and their
chain, evidence, the opinions closed and the public receipt; practical results; and
every bad input refused with a translated message and nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opinions import public
from opinions.models import OpinionStatus
from rectification import services
from rectification.models import (
    Dispute,
    DisputeOutcome,
    Evidence,
    Handover,
    HandoverState,
    PracticalResult,
    Problem,
    ProblemSource,
    ProblemState,
)
from tests.rectification.factories import details, opinions_about, pdf, problem_by_hand, secretary_of

pytestmark = pytest.mark.django_db


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_a_problem_of_many_opinions_counts_them_and_moves_them_to_rectification(world):
    opinions = opinions_about(world, 3)
    problem = services.problem_from_opinions(
        user=world.users["office"],
        campaign=world.campaign,
        unit=world.unit,
        details=details(),
        opinion_ids=[o.pk for o in opinions],
    )
    assert problem.source == ProblemSource.OPINIONS
    assert problem.opinion_links.count() == 3
    for opinion in opinions:
        opinion.refresh_from_db()
        assert opinion.status == OpinionStatus.IN_RECTIFICATION


def test_an_opinion_belongs_to_one_problem_at_most(world):
    opinions = opinions_about(world, 2)
    office = world.users["office"]
    services.problem_from_opinions(
        user=office, campaign=world.campaign, unit=world.unit, details=details(), opinion_ids=[opinions[0].pk]
    )
    before = Problem.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.problem_from_opinions(
            user=office,
            campaign=world.campaign,
            unit=world.unit,
            details=details(),
            opinion_ids=[o.pk for o in opinions],
        )
    assert "already in another problem" in _messages(caught.value)
    assert Problem.objects.count() == before
    opinions[1].refresh_from_db()
    assert opinions[1].status != OpinionStatus.IN_RECTIFICATION


def test_opinions_outside_the_secretarys_reach_are_refused(world):
    outside = opinions_about(world, 1, inside=False)
    with pytest.raises(ValidationError) as caught:
        services.problem_from_opinions(
            user=world.users["secretary"],
            campaign=world.campaign,
            unit=world.unit,
            details=details(),
            opinion_ids=[outside[0].pk],
        )
    assert "not in your reach" in _messages(caught.value)
    assert not Problem.objects.exists()


def test_a_secretary_files_problems_only_in_reach(world):
    with pytest.raises(ValidationError) as caught:
        problem_by_hand(world, user=world.users["secretary"], unit=world.other_unit)
    assert "in your reach" in _messages(caught.value)
    assert not Problem.objects.exists()


def test_bad_details_are_refused(world):
    with pytest.raises(ValidationError) as caught:
        problem_by_hand(world, title="", text="")
    assert set(caught.value.message_dict) == {"title"}
    with pytest.raises(ValidationError) as caught:
        services.problem_create(
            user=world.users["office"],
            campaign=world.campaign,
            unit=world.unit,
            details=services.Details(title="t", text="x" * 4001),
        )
    assert "text" in caught.value.message_dict


def test_the_whole_way_open_in_progress_handed_over_accepted_solved(world):
    office = world.users["office"]
    receiver = secretary_of(world, world.other_unit)
    opinions = opinions_about(world, 2)
    problem = services.problem_from_opinions(
        user=office, campaign=world.campaign, unit=world.unit, details=details(), opinion_ids=[o.pk for o in opinions]
    )
    problem = services.problem_start(user=world.users["secretary"], problem=problem)
    assert problem.state == ProblemState.IN_PROGRESS
    services.problem_hand_over(
        user=world.users["secretary"], problem=problem, to_unit=world.other_unit, reason="属教育部门职责"
    )
    problem.refresh_from_db()
    assert problem.state == ProblemState.HANDED_OVER and problem.handover_to == world.other_unit
    # The one who handed it over may not accept it.
    with pytest.raises(ValidationError):
        services.problem_accept(user=world.users["secretary"], problem=problem)
    with pytest.raises(ValidationError):
        services.problem_accept(user=office, problem=problem)
    problem = services.problem_accept(user=receiver, problem=problem)
    assert problem.unit == world.other_unit and problem.state == ProblemState.OPEN
    chain = list(problem.handovers.values_list("from_unit", "to_unit", "state"))
    assert chain == [(world.unit.pk, world.other_unit.pk, HandoverState.ACCEPTED)]
    # Now the receiving department's: the unit that handed it over no longer manages it.
    assert not services.may_manage(world.users["secretary"], problem)
    services.problem_start(user=receiver, problem=problem)
    problem = services.problem_solve(
        user=receiver, problem=problem, public_measure="已建立联系点制度。", uploads=[pdf()]
    )
    assert problem.state == ProblemState.SOLVED and problem.solved_on == timezone.localdate()
    assert Evidence.objects.filter(problem=problem).count() == 1
    for opinion in opinions:
        opinion.refresh_from_db()
        assert opinion.status == OpinionStatus.CLOSED


def test_sent_back_with_a_reason_returns_to_the_unit_and_the_chain_is_kept(world):
    receiver = secretary_of(world, world.other_unit)
    problem = problem_by_hand(world)
    services.problem_hand_over(user=world.users["office"], problem=problem, to_unit=world.other_unit, reason="移交")
    with pytest.raises(ValidationError):
        services.problem_return(user=receiver, problem=problem, reason="")
    problem = services.problem_return(user=receiver, problem=problem, reason="不属本单位职责")
    assert problem.state == ProblemState.IN_PROGRESS and problem.unit == world.unit and problem.handover_to is None
    handover = Handover.objects.get(problem=problem)
    assert handover.state == HandoverState.RETURNED and handover.answer == "不属本单位职责"


def test_a_handover_to_ones_own_unit_is_refused(world):
    problem = problem_by_hand(world)
    with pytest.raises(ValidationError) as caught:
        services.problem_hand_over(user=world.users["office"], problem=problem, to_unit=world.unit, reason="x")
    assert "its own unit" in _messages(caught.value)
    problem.refresh_from_db()
    assert problem.state == ProblemState.OPEN and not Handover.objects.exists()


def test_solving_needs_progress_evidence_and_a_published_measure(world):
    office = world.users["office"]
    problem = problem_by_hand(world)
    with pytest.raises(ValidationError):  # open: start work first
        services.problem_solve(user=office, problem=problem, public_measure="m", uploads=[pdf()])
    services.problem_start(user=office, problem=problem)
    with pytest.raises(ValidationError) as caught:
        services.problem_solve(user=office, problem=problem, public_measure="m", uploads=[])
    assert "at least one file" in _messages(caught.value)
    with pytest.raises(ValidationError) as caught:
        services.problem_solve(
            user=office, problem=problem, public_measure="m", uploads=[services.Upload("a.pdf", b"MZ\x90\x00evil")]
        )
    assert "not a PDF" in _messages(caught.value)
    with pytest.raises(ValidationError):
        services.problem_solve(user=office, problem=problem, public_measure="  ", uploads=[pdf()])
    problem.refresh_from_db()
    assert problem.state == ProblemState.IN_PROGRESS and not Evidence.objects.exists()


def test_overdue_problems_are_flagged_and_unflagged_daily(world):
    today = timezone.localdate()
    late = problem_by_hand(world, due_on=today + datetime.timedelta(days=1))
    assert not late.overdue
    assert services.problems_flag_overdue(today=today + datetime.timedelta(days=2)) == 1
    late.refresh_from_db()
    assert late.overdue
    assert services.problems_flag_overdue(today=today + datetime.timedelta(days=2)) == 0  # idempotent
    services.problem_start(user=world.users["office"], problem=late)
    services.problem_solve(user=world.users["office"], problem=late, public_measure="m", uploads=[pdf()])
    late.refresh_from_db()
    assert not late.overdue


def test_the_receipt_shows_the_problem_solved_with_the_published_measure(world):
    code = "1234567812345678"
    opinion = opinions_about(world, 1, receipt_hash=public.receipt_hash(code))[0]
    office = world.users["office"]
    problem = services.problem_from_opinions(
        user=office, campaign=world.campaign, unit=world.unit, details=details(), opinion_ids=[opinion.pk]
    )
    assert public.receipt_solution(code=code) is None
    services.problem_start(user=office, problem=problem)
    services.problem_solve(user=office, problem=problem, public_measure="已硬化通村公路。", uploads=[pdf()])
    assert public.receipt_status(code=code) == public.PublicStatus.CLOSED
    assert public.receipt_solution(code=code) == "已硬化通村公路。"


def test_deleting_a_problem_puts_its_opinions_back(world):
    opinions = opinions_about(world, 2, status=OpinionStatus.ACKNOWLEDGED)
    office = world.users["office"]
    problem = services.problem_from_opinions(
        user=office, campaign=world.campaign, unit=world.unit, details=details(), opinion_ids=[o.pk for o in opinions]
    )
    services.problem_delete(user=office, problem=problem)
    for opinion in opinions:
        opinion.refresh_from_db()
        assert opinion.status == OpinionStatus.ACKNOWLEDGED


def test_problems_of_other_stages_are_recorded_once(world):
    first = services.problem_record(
        campaign=world.campaign, unit=world.unit, text="未达标", source=ProblemSource.LOOKBACK_ITEM, source_id=7
    )
    again = services.problem_record(
        campaign=world.campaign, unit=world.unit, text="未达标", source=ProblemSource.LOOKBACK_ITEM, source_id=7
    )
    assert first.pk == again.pk and first.source == "lookback_item"
    with pytest.raises(ValidationError):
        services.problem_delete(user=world.users["office"], problem=first)


# --- Practical results ------------------------------------------------------------------


def _result(world, **changes):
    data = {
        "done_on": world.campaign.starts_on + datetime.timedelta(days=5),
        "counts": {"households_visited": 3, "person_times": 9},
        "amounts": {"donations_yuan": "1234.50"},
        "disputes_investigated": 3,
        "disputes_solved": 2,
        "disputes_handed_over": 1,
        "handed_to": "县信访局",
    }
    data.update(changes)
    return services.result_create(
        user=world.users["secretary"], campaign=world.campaign, unit=world.unit, data=services.ResultInput(**data)
    )


def test_a_result_keeps_exact_yuan_and_one_record_per_dispute(world):
    result = _result(world)
    result.refresh_from_db()
    assert result.donations_yuan == Decimal("1234.50")
    outcomes = sorted(Dispute.objects.filter(result=result).values_list("outcome", flat=True))
    assert outcomes == sorted([DisputeOutcome.SOLVED, DisputeOutcome.SOLVED, DisputeOutcome.HANDED_OVER])


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"amounts": {"donations_yuan": "-5"}}, "donations_yuan", "negative"),
        ({"amounts": {"condolence_yuan": "abc"}}, "condolence_yuan", "as a number"),
        ({"amounts": {"spring_farming_yuan": "10.005"}}, "spring_farming_yuan", "two decimals"),
        ({"disputes_solved": 5}, "disputes_solved", "than investigated"),
        ({"disputes_handed_over": 2}, "disputes_handed_over", "more than those investigated"),
        ({"counts": {"households_visited": "1.5"}}, "households_visited", "whole number"),
        ({"done_on": datetime.date(2000, 1, 1)}, "done_on", "within the campaign"),
    ],
)
def test_bad_results_are_refused_and_nothing_is_written(world, changes, field, words):
    with pytest.raises(ValidationError) as caught:
        _result(world, **changes)
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field])
    assert not PracticalResult.objects.exists() and not Dispute.objects.exists()


def test_a_secretary_records_results_only_in_reach(world):
    with pytest.raises(ValidationError):
        services.result_create(
            user=world.users["secretary"],
            campaign=world.campaign,
            unit=world.other_unit,
            data=services.ResultInput(done_on=world.campaign.starts_on),
        )
    assert not PracticalResult.objects.exists()


def test_a_problems_text_loses_invisible_characters_whoever_calls_it(world):
    problem = services.problem_record(
        campaign=world.campaign,
        unit=world.unit,
        text="道路\x01失修\u202e",
        source=ProblemSource.MEETING_CRITICISM,
        source_id=987654,
    )
    assert problem.text == "道路失修"
