"""Permission-matrix rows for the rectification pages (rectification/views.py).

``tests/matrix.py`` merges ``rows()`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: a problem of the world's unit about the world's member, and a
practical result of that unit; outside: the other party committee's; elsewhere: another
campaign's. A problem handed over to the world's unit is answered by its secretary alone.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from campaign.models import OrgUnit
from rectification.models import Evidence, Handover, PracticalResult, Problem, ProblemSource, ProblemState
from tests.rectification.factories import PDF

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _problem(unit: OrgUnit, marker: str, member=None, **fields) -> Problem:
    return Problem.objects.create(
        campaign_id=unit.campaign_id,
        unit=unit,
        member=member,
        title=f"问题{marker}",
        text=f"问题描述{marker}",
        source=ProblemSource.MANUAL,
        **fields,
    )


def _problems(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world = mw.world
    return Specimens(
        inside=_problem(world.unit, "INSIDE", member=world.member),
        outside=_problem(world.other_unit, "OUTSIDE"),
        elsewhere=_problem(mw.elsewhere.unit, "ELSEWHERE"),
    )


def _offered(unit: OrgUnit, to_unit: OrgUnit, marker: str) -> Problem:
    problem = _problem(unit, marker, state=ProblemState.HANDED_OVER, handover_to=to_unit)
    Handover.objects.create(
        problem=problem, from_unit=unit, to_unit=to_unit, reason="移交", handed_on=timezone.localdate()
    )
    return problem


def _offered_problems(mw: MatrixWorld) -> Specimens:
    """Problems handed over and awaiting an answer: inside, to the world's unit."""
    from tests.matrix import Specimens

    world = mw.world
    other = OrgUnit.objects.create(
        campaign=mw.elsewhere.campaign, parent=mw.elsewhere.unit.parent, name="另一单位ELSEWHERE", code="X-ELSE"
    )
    return Specimens(
        # From the party committee above the world's unit (outside its secretary's reach).
        inside=_offered(world.committee, world.unit, "OFFERED-INSIDE"),
        outside=_offered(world.other_unit, world.other_committee, "OFFERED-OUTSIDE"),
        elsewhere=_offered(mw.elsewhere.unit, other, "OFFERED-ELSEWHERE"),
    )


def _evidence(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    problems = mw.specimens("rectification.problem")

    def file(problem: Problem) -> Evidence:
        return Evidence.objects.create(
            problem=problem,
            name="整改报告.pdf",
            content_type="application/pdf",
            size=len(PDF),
            content=PDF,
            uploaded_on=timezone.localdate(),
        )

    return Specimens(inside=file(problems.inside), outside=file(problems.outside), elsewhere=file(problems.elsewhere))


def _results(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    def result(unit: OrgUnit, marker: str) -> PracticalResult:
        campaign = unit.campaign
        return PracticalResult.objects.create(
            campaign=campaign,
            unit=unit,
            working_team=f"工作组{marker}",
            done_on=campaign.starts_on + datetime.timedelta(days=3),
            households_visited=3,
        )

    world = mw.world
    return Specimens(
        inside=result(world.unit, "INSIDE"),
        outside=result(world.other_unit, "OUTSIDE"),
        elsewhere=result(mw.elsewhere.unit, "ELSEWHERE"),
    )


SPECIMENS = {
    "rectification.problem": _problems,
    "rectification.offered": _offered_problems,
    "rectification.evidence": _evidence,
    "rectification.practicalresult": _results,
}


def rows() -> dict[str, Row]:
    from tests.matrix import (
        ADMIN,
        DENIED,
        INSIDE_SIDE,
        LOGGED_IN,
        OFFICE,
        OUTSIDE_SIDE,
        SECRETARY,
        SUPERVISOR,
        Expect,
        Row,
    )

    problem = {"model": "rectification.problem"}
    offered = {"model": "rectification.offered"}
    result = {"model": "rectification.practicalresult"}
    page = {"model": "rectification.problem", "target": lambda obj: {}, "scoped": False}
    results_page = {"model": "rectification.practicalresult", "target": lambda obj: {}, "scoped": False}
    managers = frozenset({ADMIN, OFFICE, SECRETARY})  # "rectification.manage", "rectification.results"
    readers = frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY})  # "rectification.results_view"
    to_problem = Expect(302, "rectification:problem_detail", with_target=True)
    # Only the receiving department's secretary answers a handover: the office and the
    # administrator see the problem but may not accept it or send it back.
    answer_only = {(ADMIN, INSIDE_SIDE): DENIED, (ADMIN, OUTSIDE_SIDE): DENIED, (OFFICE, INSIDE_SIDE): DENIED}
    return {
        "rectification:problem_list": Row(allowed=LOGGED_IN, shows="问题INSIDE", **page),
        "rectification:problem_export": Row(allowed=LOGGED_IN, xlsx=True, shows="问题INSIDE", **page),
        "rectification:problem_new": Row(allowed=managers),
        "rectification:problem_from_opinions": Row(allowed=managers),
        "rectification:problems_from_document": Row(
            model="reviews.analysisdocument", allowed=managers, method="post", ok=Expect(302)
        ),
        "rectification:problem_detail": Row(allowed=LOGGED_IN, shows="问题描述INSIDE", **problem),
        "rectification:problem_edit": Row(allowed=managers, shows="问题INSIDE", **problem),
        "rectification:problem_start": Row(allowed=managers, method="post", ok=to_problem, **problem),
        "rectification:problem_hand_over": Row(allowed=managers, shows="问题INSIDE", **problem),
        "rectification:problem_solve": Row(allowed=managers, shows="问题INSIDE", **problem),
        "rectification:problem_delete": Row(
            allowed=managers, method="post", ok=Expect(302, "rectification:problem_list"), **problem
        ),
        "rectification:problem_accept": Row(
            allowed=managers, method="post", ok=Expect(302), overrides=answer_only, **offered
        ),
        "rectification:problem_return": Row(
            allowed=managers, shows="问题OFFERED-INSIDE", overrides=answer_only, **offered
        ),
        "rectification:evidence_file": Row(
            model="rectification.evidence",
            allowed=LOGGED_IN,
            target=lambda obj: {"pk": obj.problem_id, "file_pk": obj.pk},
        ),
        "rectification:result_list": Row(allowed=readers, shows="工作组INSIDE", **results_page),
        "rectification:result_export": Row(allowed=readers, xlsx=True, shows="工作组INSIDE", **results_page),
        "rectification:result_new": Row(allowed=managers),
        "rectification:results_import": Row(allowed=managers),
        "rectification:result_detail": Row(allowed=readers, shows="工作组INSIDE", **result),
        "rectification:result_delete": Row(
            allowed=managers, method="post", ok=Expect(302, "rectification:result_list"), **result
        ),
    }
