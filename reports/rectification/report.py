"""The rectification's section of the stage summary report (reports/summary_report): the
problems found and solved, and the practical results for the people — every figure a
county ledger row (yuan kept in fen, stated as exact yuan), named by its
``stage_summary --json`` path."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from reports.models import COUNTY_SCOPE
from reports.rectification import source as rect
from reports.summary_report.sections import Context, Fig, ReportSection, Sentence, fill, register_section


def _rectification(ctx: Context) -> list[Sentence]:
    problems, results = rect.Dimension.RECTIFICATION, rect.Dimension.RESULTS
    problem_page = reverse("rectification:problem_list")
    result_page = reverse("rectification:result_list")

    def problem(name: str, key: str) -> Fig:
        return Fig.row(f"rectification.{name}", problems, key, problem_page)

    def result(name: str, key: str, *, cents: bool = False) -> Fig:
        return Fig.row(f"results.{name}", results, key, result_page, cents=cents)

    figs = {
        "problems": problem("problems", rect.PROBLEMS),
        "solved": problem("problems_solved", rect.SOLVED),
        "open": Fig(
            "rectification.problems_open",
            tuple((1, COUNTY_SCOPE, problems, key) for key in (rect.OPEN, rect.IN_PROGRESS, rect.AWAITING)),
            href=problem_page,
        ),
        "overdue": problem("problems_overdue", rect.OVERDUE),
        "handed_over": problem("problems_handed_over", rect.TRANSFERRED),
        "closed": problem("opinions_closed", rect.OPINIONS_CLOSED),
        "donations": result("donations_yuan", rect.DONATIONS, cents=True),
        "spring": result("spring_farming_yuan", rect.SPRING_FARMING, cents=True),
        "structure": result("structure_adjustment_yuan", rect.STRUCTURE_ADJUSTMENT, cents=True),
        "condolence": result("condolence_yuan", rect.CONDOLENCE, cents=True),
        "planting": result("households_planting", rect.HOUSEHOLDS_PLANTING),
        "mu": result("planted_mu", rect.PLANTED_MU),
        "livestock": result("households_livestock", rect.HOUSEHOLDS_LIVESTOCK),
        "investigated": result("disputes_investigated", rect.DISPUTES_INVESTIGATED),
        "disputes_solved": result("disputes_solved", rect.DISPUTES_SOLVED),
        "disputes_handed": result("disputes_handed_over", rect.DISPUTES_HANDED_OVER),
        "households": result("households_visited", rect.HOUSEHOLDS_VISITED),
        "person_times": result("person_times", rect.PERSON_TIMES),
        "things": result("practical_things", rect.PRACTICAL_THINGS),
    }
    return [
        fill(
            _(
                "Outstanding problems were put right first, hot problems quickly, difficult ones together and deep "
                "ones through reform: of %(problems)s problems, %(solved)s were solved and %(open)s are being solved "
                "(%(overdue)s of them past their due date); %(handed_over)s were handed over to the departments "
                "concerned; %(closed)s opinions behind the problems solved were closed."
            ),
            **figs,
        ),
        fill(
            _(
                "Party members donated %(donations)s yuan in all; %(spring)s yuan of spring-farming funds and "
                "%(structure)s yuan of funds for adjusting the agricultural structure were found for the villages; "
                "%(planting)s poor households were helped to plant %(mu)s mu and %(livestock)s to raise livestock."
            ),
            **figs,
        ),
        fill(
            _(
                "%(investigated)s disputes were investigated, %(disputes_solved)s of them solved and "
                "%(disputes_handed)s handed over to the departments concerned; %(households)s households were "
                "visited (%(person_times)s person-times), %(condolence)s yuan of condolences were sent, and "
                "%(things)s practical things were done for the people."
            ),
            **figs,
        ),
    ]


register_section(
    ReportSection(
        "rectification", "", 70, lambda: _("Rectifying while learning, and practical results"), _rectification
    )
)
