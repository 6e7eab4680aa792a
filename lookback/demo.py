"""The demo county's look-back (issue 13, item 6): two steps for ``seed_demo``.

- **Training** (registered here, after the meetings): each of the 287 branches gets a
  secretary (a section-level cadre of the branch where one sits in it, else one of its
  members), and each of the 15 party committees trains its branches' secretaries on the
  first day of the look-back step (12 April in the seed). A few were absent that day and
  made it up the next; the campaign's deadline is two days after the sessions ("before
  the 14th"): 287 of 287 trained, every one on time.
- **Checks and orders** (registered by ``reports.demo`` after the ledgers are rolled up,
  since the figures beside the six items are the ledger's): every unit self-checked and
  was judged by its supervisory team. The verdict follows the figures' proposal: a unit
  is short exactly on the items its figures fall short on — the units that fell behind
  (``DemoCounty.lagging_units``): opinions not sought enough, shallow analysis, documents
  not up to standard. Each short unit got an order naming its short items; most were
  redone and closed (the check re-run for those items), two redos wait for the
  supervisory team, and one order — the demo secretary's unit's, if short — is overdue,
  its deadline passed with no redo reported (the day before the seed runs at the latest,
  so it is overdue on any day).

Rows are bulk-created with their history (``bulk_create_with_history``); what the
services guarantee holds by construction. ``tests/lookback/test_demo.py`` checks it.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaign import demo
from campaign.events import announce_change
from campaign.models import Member, OrgUnit, Rank, Step, StepKind
from lookback import evidence
from lookback.models import (
    Attendance,
    AttendanceStatus,
    BranchSecretary,
    CheckItem,
    CheckState,
    Item,
    LookbackCheck,
    LookbackSettings,
    OrderState,
    RemedialOrder,
    TrainingSession,
)
from lookback.services import SOURCE

CHANGE_REASON = "demo seed"
ABSENT_AT_SESSION = 6  # secretaries who missed the session and made it up the next day
REPORTED_ORDERS = 2  # orders whose redo waits for the supervisory team

# The seed's words for what the short units fell short on, by item.
SHORT_NOTES = {
    Item.AWARENESS: "谈心谈话不够深入，部分党员未完成谈话任务",
    Item.STANDARDS: "征求意见不充分，走过场",
    Item.PRINCIPLES: "党性分析不深刻，分析材料不合格",
    Item.PROGRESS: "反馈意见不及时，工作推进缓慢",
    Item.LEADERSHIP: "领导指导不到位",
    Item.SATISFACTION: "党员群众满意度不高",
}


def _lookback_step(county: demo.DemoCounty) -> Step:
    return Step.objects.get(stage__campaign=county.campaign, kind=StepKind.LOOKBACK)


def build_training(county: demo.DemoCounty) -> demo.Totals:
    campaign = county.campaign
    step = _lookback_step(county)
    session_day = step.starts_on
    made_up_day = session_day + datetime.timedelta(days=1)
    deadline = session_day + datetime.timedelta(days=2)
    LookbackSettings.objects.create(campaign=campaign, training_deadline=deadline)
    rng = county.rng("lookback-training")

    branches = [branch for unit in county.units for branch in county.branches[unit.pk]]
    members: dict[int, list[Member]] = {}
    for member in Member.objects.filter(campaign=campaign, branch__isnull=False).order_by("pk"):
        assert member.branch_id is not None
        members.setdefault(member.branch_id, []).append(member)
    secretaries = []
    for branch in branches:
        in_branch = members[branch.pk]
        cadres = [m for m in in_branch if m.rank == Rank.SECTION_CADRE]
        chosen = cadres[0] if cadres else rng.choice(in_branch)
        secretaries.append(BranchSecretary(campaign=campaign, branch=branch, member=chosen, since=campaign.starts_on))
    secretaries = bulk_create_with_history(secretaries, BranchSecretary, default_change_reason=CHANGE_REASON)

    committees = sorted(county.committees, key=lambda c: c.path)
    sessions = bulk_create_with_history(
        [
            TrainingSession(
                campaign=campaign,
                committee=committee,
                held_on=session_day,
                place=f"{committee.name.removeprefix('中共').removesuffix('委员会')}会议室",
                trainer=county.names(),
                notes="“回头看”工作程序、政策规定及问题解答",
            )
            for committee in committees
        ],
        TrainingSession,
        default_change_reason=CHANGE_REASON,
    )
    session_of = {session.committee_id: session for session in sessions}
    committee_of = {}
    for committee in committees:
        for unit in county.units:
            if unit.path.startswith(committee.path):
                for branch in county.branches[unit.pk]:
                    committee_of[branch.pk] = committee.pk
    absent = set(rng.sample(range(len(secretaries)), ABSENT_AT_SESSION))
    attendance = [
        Attendance(
            session=session_of[committee_of[secretary.branch_id]],
            secretary=secretary,
            status=AttendanceStatus.MADE_UP if index in absent else AttendanceStatus.PRESENT,
            made_up_on=made_up_day if index in absent else None,
        )
        for index, secretary in enumerate(secretaries)
    ]
    bulk_create_with_history(attendance, Attendance, default_change_reason=CHANGE_REASON)
    announce_change(
        campaign_id=campaign.pk, unit_ids={b.pk for b in branches} | {c.pk for c in committees}, source=SOURCE
    )
    return {
        _("branch secretaries"): len(secretaries),
        _("training sessions"): len(sessions),
        _("made up later"): len(absent),
    }


def _demo_secretary_unit(county: demo.DemoCounty) -> OrgUnit:
    leader = county.standing[2]
    charge = sorted(leader.in_charge_of.all(), key=lambda unit: unit.code)
    return max(charge, key=lambda unit: len(county.branches[unit.pk]))


def build_checks(county: demo.DemoCounty) -> demo.Totals:
    """Every unit checked, the verdict following the figures (read from the ledger)."""
    campaign = county.campaign
    step = _lookback_step(county)
    self_day = step.starts_on + datetime.timedelta(days=3)
    judged_day = step.starts_on + datetime.timedelta(days=5)
    units = sorted(county.units, key=lambda unit: unit.path)
    settings = LookbackSettings.objects.get(campaign=campaign)
    found = evidence.evidence_for(campaign, units)
    proposed = {unit.pk: evidence.proposals(found[unit.pk], settings) for unit in units}

    checks = bulk_create_with_history(
        [
            LookbackCheck(
                campaign=campaign,
                unit=unit,
                state=CheckState.JUDGED,
                self_checked_on=self_day,
                judged_on=judged_day,
            )
            for unit in units
        ],
        LookbackCheck,
        default_change_reason=CHANGE_REASON,
    )
    items = []
    short_units: list[tuple[LookbackCheck, list[int]]] = []
    for check, unit in zip(checks, units, strict=True):
        short = [n for n in Item.values if proposed[unit.pk][n]]
        if short:
            short_units.append((check, short))
        for number in Item.values:
            is_short = number in short
            items.append(
                CheckItem(
                    check_record=check,
                    item=number,
                    # The units behind saw some of it themselves: the talks and the lists.
                    self_met=not (is_short and number in (Item.AWARENESS, Item.PROGRESS)),
                    self_notes="" if not is_short else "自查发现存在差距，正在补课",
                    verdict_met=not is_short,
                    verdict_notes=SHORT_NOTES[Item(number)] if is_short else "",
                    proposed_short=is_short,
                )
            )
    items = bulk_create_with_history(items, CheckItem, default_change_reason=CHANGE_REASON)

    # The orders: one per short unit; the demo secretary's is overdue, two wait for the
    # supervisory team, the others were redone and closed.
    today = timezone.localdate()
    secretary_unit = _demo_secretary_unit(county).pk
    ordered = sorted(short_units, key=lambda pair: (pair[0].unit_id != secretary_unit, pair[0].unit.path))
    orders = []
    for index, (check, short) in enumerate(ordered):
        work = "；".join(f"{Item(n).label}：重新补课，整改到位" for n in short)
        order = RemedialOrder(
            campaign=campaign,
            unit_id=check.unit_id,
            check_record=check,
            items=short,
            work=f"针对{len(short)}个方面不达标问题，重新组织补课：{work}",
            issued_on=judged_day,
            deadline=judged_day + datetime.timedelta(days=3),
        )
        if index == 0:
            # Overdue on any day: its deadline at the latest yesterday.
            order.deadline = min(order.deadline, today - datetime.timedelta(days=1))
            order.issued_on = min(order.issued_on, order.deadline)
            order.state = OrderState.OPEN
            order.overdue_since = order.deadline + datetime.timedelta(days=1)
        elif index <= REPORTED_ORDERS:
            order.state = OrderState.REPORTED
            order.redo = "已重新召开座谈会广泛征求意见，重新撰写党性分析材料并报审。"
            order.reported_on = order.deadline
        else:
            order.state = OrderState.CLOSED
            order.redo = "已按要求补课，重新征求意见并完善党性分析材料。"
            order.reported_on = order.deadline - datetime.timedelta(days=1)
            order.comment = "经督导组复查，补课到位，同意销号。"
            order.closed_on = order.deadline
        orders.append(order)
    orders = bulk_create_with_history(orders, RemedialOrder, default_change_reason=CHANGE_REASON)

    # A closed order re-ran the check for its items: met now, the figures (unchanged in
    # the demo's sources) overruled with the supervisory team's comment.
    closed = {o.check_record_id: o for o in orders if o.state == OrderState.CLOSED}
    rechecked = []
    for item in items:
        closing = closed.get(item.check_record_id)
        if closing is not None and item.item in closing.items:
            item.verdict_met = True
            item.overrule_reason = closing.comment
            item.rechecked_on = closing.closed_on
            rechecked.append(item)
    bulk_update_with_history(
        rechecked,
        CheckItem,
        ["verdict_met", "overrule_reason", "rechecked_on"],
        default_change_reason=CHANGE_REASON,
    )
    announce_change(campaign_id=campaign.pk, unit_ids={unit.pk for unit in units}, source=SOURCE)
    return {
        _("units checked"): len(checks),
        _("units short"): len(short_units),
        _("remedial orders"): len(orders),
    }


demo.register_step(gettext_lazy("training of branch secretaries"), build_training)
