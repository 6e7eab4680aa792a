"""The demo county's rectification (issue 14): a step for ``seed_demo``.

The seed's figures exactly: 2,420 problems solved, each with its evidence and the
measure its unit published — some of them made of the opinions behind them (closed),
some handed over to and accepted by another department; besides, a few problems still
open or in progress (some past their due date, flagged overdue), a few handed over and
accepted but not yet solved, one sent back with a reason, a few awaiting the answer of
the department they were handed to (one of them the demo secretary's unit).

The practical results: records of the units' working teams that sum to the seed's
figures — 935 households visited, 4,655 person-times, 462 practical things, donations
233,670 yuan, spring-farming funds 450,000 yuan, structure-adjustment funds 46,879,000
yuan, condolence funds 35,500,000 yuan, 400 poor households helped to plant 2,000 mu of
navel oranges, 200 to breed beef cattle; 245 disputes investigated, 215 solved, 30
handed over (each a record with its outcome).

Dates follow today (due dates before or after it), so the overdue flags hold on any
day. Rows are bulk-created with their history rows; what the services guarantee holds
by construction (``tests/demo/test_rectification.py`` checks it).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaign import demo
from campaign.events import announce_change
from campaign.models import StageKind
from opinions.models import Opinion, OpinionStatus
from opinions.services import SOURCE as OPINIONS_SOURCE
from rectification.models import (
    Dispute,
    DisputeOutcome,
    Evidence,
    Handover,
    HandoverState,
    PracticalResult,
    Problem,
    ProblemCategory,
    ProblemOpinion,
    ProblemSource,
    ProblemState,
)
from rectification.services import RESULTS_SOURCE, SOURCE

SOLVED = 2_420
SOLVED_OF_OPINIONS = 150  # of the solved, made of 2–4 opinions each
SOLVED_HANDED_OVER = 8  # of the solved, handed over and accepted first
OPEN = 26
IN_PROGRESS = 14
OVERDUE_OPEN = 7
OVERDUE_IN_PROGRESS = 5
ACCEPTED_OPEN = 4  # handed over, accepted, not yet solved
AWAITING = 3
UNSOLVED_OF_OPINIONS = 10

HOUSEHOLDS_VISITED = 935
PERSON_TIMES = 4_655
PRACTICAL_THINGS = 462
DONATIONS = 233_670
SPRING_FARMING = 450_000
STRUCTURE_ADJUSTMENT = 46_879_000
CONDOLENCE = 35_500_000
PLANTING_HOUSEHOLDS = 400
PLANTED_MU = 2_000
CROP = "脐橙"
LIVESTOCK_HOUSEHOLDS = 200
LIVESTOCK_HEAD_EACH = 2
LIVESTOCK_KIND = "肉牛"
DISPUTES_SOLVED = 215
DISPUTES_HANDED_OVER = 30
RESULT_UNITS = 60  # the units whose working teams recorded results

# A few bytes that are a PDF to the upload check (the demo's scanned notices).
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

PROBLEMS = (
    (
        "深入基层调研不够",
        "班子成员深入基层调查研究的次数偏少，对群众反映的实际困难掌握不全面。",
        "制定班子成员基层联系点制度，每人每月至少到联系点调研两次。",
    ),
    (
        "办事效率不高",
        "群众办事需多次往返，部分审批环节时限过长。",
        "推行一次性告知和限时办结制度，公开办事流程和时限。",
    ),
    ("政务公开不及时", "部分涉及群众利益的事项公开不及时、不全面。", "建立政务公开栏和网上公开专栏，每月更新一次。"),
    (
        "服务态度生硬",
        "个别窗口工作人员服务态度生硬，群众有意见。",
        "开展文明服务培训，设立群众评议箱，实行服务承诺制。",
    ),
    (
        "理论学习不系统",
        "政治理论学习满足于读文件、听报告，联系实际不够。",
        "制定学习计划，每月集中学习一次，撰写学习心得。",
    ),
    ("村道路况差", "通村公路年久失修，群众出行不便。", "争取项目资金，组织群众投工投劳，硬化通村公路。"),
    ("农田水利设施老化", "部分山塘水渠淤塞渗漏，影响春耕灌溉。", "组织清淤修渠，落实管护责任人。"),
    ("财务管理不规范", "村级财务公开不及时，账目不够清楚。", "实行村账乡代管，每季度公开一次财务收支。"),
    ("会风文风不实", "会议多、文件多，落实少。", "精简会议文件，推行督查落实制度。"),
    ("联系群众不紧密", "党员与群众联系不够，结对帮扶流于形式。", "落实党员联系户制度，每名党员联系三至五户群众。"),
)
MEASURE_PUBLISHED = "经研究，已{measure}该问题已整改到位，欢迎群众继续监督。"
HANDOVER_REASON = "该问题涉及其他部门职能，需由相关部门牵头解决。"
RETURN_REASON = "经核实，该问题属原单位职责范围，请原单位继续整改。"
NOTES = (
    "组织工作组进村入户走访，宣传政策，帮助解决实际困难。",
    "开展“为民办实事”活动，为困难群众送去慰问金和生产物资。",
    "排查调处矛盾纠纷，帮助发展产业。",
)
DISPUTES = ("山林权属纠纷", "宅基地纠纷", "邻里纠纷", "土地承包纠纷", "用水纠纷", "婚姻家庭纠纷")


def _rectification_days(county: demo.DemoCounty) -> tuple[datetime.date, datetime.date]:
    """The days on which the demo's problems were found and solved: rectifying while
    learning (边学边改) from the analysis stage's start, through the rectification
    stage's first weeks, and never after today (so that the dashboards' problems per day
    span the weeks gone, not the day of the seed)."""
    today = timezone.localdate()
    analysis = county.campaign.stages.get(kind=StageKind.ANALYSIS)
    stage = county.campaign.stages.get(kind=StageKind.RECTIFICATION)
    start = min(analysis.starts_on, today)
    return start, min(stage.starts_on + datetime.timedelta(days=40), today)


def _secretary_unit(county: demo.DemoCounty) -> int:
    # The demo secretary's unit (campaign.demo.build_demo_logins).
    leader = county.standing[2]
    charge = sorted(leader.in_charge_of.all(), key=lambda unit: unit.code)
    return max(charge, key=lambda unit: len(county.branches[unit.pk])).pk


def build_problems(county: demo.DemoCounty) -> demo.Totals:
    campaign = county.campaign
    rng = county.rng("rectification")
    today = timezone.localdate()
    first, last = _rectification_days(county)
    span = max((last - first).days, 0)
    units = sorted(county.units, key=lambda unit: unit.code)
    unit_ids = [unit.pk for unit in units]
    secretary_unit = _secretary_unit(county)

    # Opinions in signed lists, by ledger unit: some problems are made of them.
    free = list(
        Opinion.objects.filter(
            campaign=campaign,
            status=OpinionStatus.ACKNOWLEDGED,
            merged_into__isnull=True,
            ledger_unit_id__in=unit_ids,
        )
        .order_by("ledger_unit_id", "pk")
        .values_list("pk", "ledger_unit_id", "target_member_id")
    )
    groups: list[tuple[int, list[int], int | None]] = []
    at = 0
    while at < len(free) and len(groups) < SOLVED_OF_OPINIONS + UNSOLVED_OF_OPINIONS:
        size = rng.randint(2, 4)
        chunk = [row for row in free[at : at + size] if row[1] == free[at][1]]
        groups.append((chunk[0][1], [row[0] for row in chunk], chunk[0][2]))
        at += len(chunk)
    if len(groups) < SOLVED_OF_OPINIONS + UNSOLVED_OF_OPINIONS:
        raise RuntimeError("The demo county has too few acknowledged opinions to make its problems of.")

    shares = demo.allocate(SOLVED - SOLVED_OF_OPINIONS, [len(county.branches[pk]) + 2 for pk in unit_ids], minimum=5)
    problems: list[Problem] = []
    opinion_links: list[tuple[int, list[int]]] = []  # index in problems, opinion ids

    def problem(
        unit_id: int, state: str, *, source: str = ProblemSource.MANUAL, member_id: int | None = None
    ) -> Problem:
        title, text, measures = rng.choice(PROBLEMS)
        category = rng.choices(ProblemCategory.values, weights=(5, 3, 2, 1))[0]
        made = Problem(
            campaign=campaign,
            unit_id=unit_id,
            member_id=member_id,
            title=title,
            text=text,
            measures=measures,
            category=category,
            responsible=county.names(),
            source=source,
            state=state,
            due_on=last + datetime.timedelta(days=30),
        )
        if state == ProblemState.SOLVED:
            made.solved_on = first + datetime.timedelta(days=rng.randint(0, span))
            made.due_on = made.solved_on + datetime.timedelta(days=rng.randint(0, 20))
            made.public_measure = MEASURE_PUBLISHED.format(measure=measures)
        problems.append(made)
        return made

    for unit_id, share in zip(unit_ids, shares, strict=True):
        for _n in range(share):
            problem(unit_id, ProblemState.SOLVED)
    for unit_id, ids, member_id in groups[:SOLVED_OF_OPINIONS]:
        problem(unit_id, ProblemState.SOLVED, source=ProblemSource.OPINIONS, member_id=member_id)
        opinion_links.append((len(problems) - 1, ids))
    unsolved_start = len(problems)
    for n in range(OPEN + IN_PROGRESS):
        state = ProblemState.OPEN if n < OPEN else ProblemState.IN_PROGRESS
        made = problem(rng.choice(unit_ids), state)
        late = n < OVERDUE_OPEN or OPEN <= n < OPEN + OVERDUE_IN_PROGRESS
        made.due_on = (
            today - datetime.timedelta(days=rng.randint(1, 20))
            if late
            else today + datetime.timedelta(days=rng.randint(5, 40))
        )
        made.overdue = late
    for unit_id, ids, member_id in groups[SOLVED_OF_OPINIONS:]:
        made = problem(unit_id, ProblemState.IN_PROGRESS, source=ProblemSource.OPINIONS, member_id=member_id)
        made.due_on = today + datetime.timedelta(days=rng.randint(5, 40))
        opinion_links.append((len(problems) - 1, ids))

    # Handovers: some solved problems were handed over first and accepted; some open
    # ones were accepted and wait to be solved; one was sent back; a few await an answer.
    handovers: list[tuple[int, int, int, str]] = []  # problem index, from unit, to unit, state
    solved_indexes = rng.sample(range(SOLVED - SOLVED_OF_OPINIONS), SOLVED_HANDED_OVER)
    open_indexes = list(range(unsolved_start, unsolved_start + OPEN))
    picked = rng.sample(open_indexes[OVERDUE_OPEN:], ACCEPTED_OPEN + AWAITING)
    returned = unsolved_start + OPEN + OVERDUE_IN_PROGRESS  # an in-progress one, not overdue

    def other_unit(unit_id: int) -> int:
        return rng.choice([pk for pk in unit_ids if pk != unit_id and pk != secretary_unit])

    for index in [*solved_indexes, *picked[:ACCEPTED_OPEN]]:
        made = problems[index]
        receiver = other_unit(made.unit_id)
        handovers.append((index, made.unit_id, receiver, HandoverState.ACCEPTED))
        made.unit_id = receiver
    for n, index in enumerate(picked[ACCEPTED_OPEN:]):
        made = problems[index]
        receiver = secretary_unit if n == 0 and made.unit_id != secretary_unit else other_unit(made.unit_id)
        handovers.append((index, made.unit_id, receiver, HandoverState.PENDING))
        made.state = ProblemState.HANDED_OVER
        made.handover_to_id = receiver
    handovers.append(
        (returned, problems[returned].unit_id, other_unit(problems[returned].unit_id), HandoverState.RETURNED)
    )

    created = bulk_create_with_history(problems, Problem, default_change_reason=demo.CHANGE_REASON)
    # Recorded over the stage, each before it was solved (a draw of its own, so that the
    # demo's other draws stay as they were): the dashboards' problems per day.
    days = county.rng("rectification_days")
    for made in created:
        end = min(made.solved_on or last, last)
        day = first + datetime.timedelta(days=days.randint(0, max((end - first).days, 0)))
        made.recorded_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(days.randint(8, 17))))
    Problem.objects.bulk_update(created, ["recorded_at"], batch_size=500)
    handed_on = first
    bulk_create_with_history(
        [
            Handover(
                problem=created[index],
                from_unit_id=from_unit,
                to_unit_id=to_unit,
                reason=HANDOVER_REASON,
                state=state,
                answer=RETURN_REASON if state == HandoverState.RETURNED else "",
                handed_on=handed_on,
                answered_on=handed_on + datetime.timedelta(days=2) if state != HandoverState.PENDING else None,
            )
            for index, from_unit, to_unit, state in handovers
        ],
        Handover,
        default_change_reason=demo.CHANGE_REASON,
    )
    Evidence.objects.bulk_create(
        Evidence(
            problem=made,
            name=f"整改材料-{made.pk}.pdf",
            content_type="application/pdf",
            size=len(EVIDENCE_PDF),
            content=EVIDENCE_PDF,
            uploaded_on=made.solved_on,
        )
        for made in created
        if made.state == ProblemState.SOLVED
    )
    ProblemOpinion.objects.bulk_create(
        ProblemOpinion(problem=created[index], opinion_id=pk, status_before=OpinionStatus.ACKNOWLEDGED)
        for index, ids in opinion_links
        for pk in ids
    )
    status_of = {
        pk: OpinionStatus.CLOSED if created[index].state == ProblemState.SOLVED else OpinionStatus.IN_RECTIFICATION
        for index, ids in opinion_links
        for pk in ids
    }
    opinions = list(Opinion.objects.filter(pk__in=list(status_of)))
    for opinion in opinions:
        opinion.status = status_of[opinion.pk]
    bulk_update_with_history(opinions, Opinion, ["status"], default_change_reason=demo.CHANGE_REASON)
    touched = {made.unit_id for made in created} | {to for _i, _f, to, _s in handovers}
    announce_change(campaign_id=campaign.pk, unit_ids=touched, source=SOURCE)
    announce_change(campaign_id=campaign.pk, unit_ids={o.ledger_unit_id for o in opinions}, source=OPINIONS_SOURCE)
    return {
        _("problems"): len(created),
        _("problems solved"): sum(1 for made in created if made.state == ProblemState.SOLVED),
        _("handovers"): len(handovers),
        _("opinions closed"): sum(1 for status in status_of.values() if status == OpinionStatus.CLOSED),
    }


def build_results(county: demo.DemoCounty) -> demo.Totals:
    campaign = county.campaign
    rng = county.rng("practical results")
    first, last = _rectification_days(county)
    span = max((last - first).days, 0)
    units = sorted(rng.sample(sorted(county.units, key=lambda unit: unit.code), RESULT_UNITS), key=lambda u: u.code)
    weights = [rng.randint(2, 8) for _unit in units]

    def split(total: int, minimum: int = 0) -> list[int]:
        return demo.allocate(total, weights, minimum=minimum)

    visited = split(HOUSEHOLDS_VISITED, 5)
    person_times = [v * 4 for v in visited]
    person_times = [p + extra for p, extra in zip(person_times, split(PERSON_TIMES - sum(person_times)), strict=True)]
    things = split(PRACTICAL_THINGS, 2)
    donations, spring, structure, condolence = (
        split(DONATIONS),
        split(SPRING_FARMING),
        split(STRUCTURE_ADJUSTMENT),
        split(CONDOLENCE),
    )
    # Planting and breeding: the townships' units only (every third of the chosen).
    growers = list(range(0, RESULT_UNITS, 3))
    planting = demo.allocate(PLANTING_HOUSEHOLDS, [weights[i] for i in growers], minimum=1)
    livestock = demo.allocate(LIVESTOCK_HOUSEHOLDS, [weights[i] for i in growers], minimum=1)
    disputes_solved = split(DISPUTES_SOLVED)
    disputes_handed = split(DISPUTES_HANDED_OVER)
    results = []
    for n, unit in enumerate(units):
        grower = growers.index(n) if n in growers else None
        households = planting[grower] if grower is not None else 0
        breeders = livestock[grower] if grower is not None else 0
        results.append(
            PracticalResult(
                campaign=campaign,
                unit=unit,
                working_team=f"第{demo.chinese_number(n % 15 + 1)}工作组",
                done_on=first + datetime.timedelta(days=rng.randint(0, span)),
                households_visited=visited[n],
                person_times=person_times[n],
                practical_things=things[n],
                donations_yuan=Decimal(donations[n]),
                spring_farming_yuan=Decimal(spring[n]),
                structure_adjustment_yuan=Decimal(structure[n]),
                condolence_yuan=Decimal(condolence[n]),
                households_planting=households,
                planted_mu=households * PLANTED_MU // PLANTING_HOUSEHOLDS,
                crop=CROP if households else "",
                households_livestock=breeders,
                livestock_head=breeders * LIVESTOCK_HEAD_EACH,
                livestock_kind=LIVESTOCK_KIND if breeders else "",
                note=rng.choice(NOTES),
            )
        )
    created = bulk_create_with_history(results, PracticalResult, default_change_reason=demo.CHANGE_REASON)
    disputes = []
    for n, result in enumerate(created):
        for outcome, count in (
            (DisputeOutcome.SOLVED, disputes_solved[n]),
            (DisputeOutcome.HANDED_OVER, disputes_handed[n]),
        ):
            disputes.extend(
                Dispute(
                    result=result,
                    subject=rng.choice(DISPUTES),
                    outcome=outcome,
                    handed_to="县信访局" if outcome == DisputeOutcome.HANDED_OVER else "",
                )
                for _k in range(count)
            )
    bulk_create_with_history(disputes, Dispute, default_change_reason=demo.CHANGE_REASON)
    announce_change(campaign_id=campaign.pk, unit_ids={unit.pk for unit in units}, source=RESULTS_SOURCE)
    return {_("practical results"): len(created), _("disputes"): len(disputes)}


demo.register_step(gettext_lazy("problems to rectify"), build_problems)
demo.register_step(gettext_lazy("practical results"), build_results)
