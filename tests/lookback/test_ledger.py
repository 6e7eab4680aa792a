"""The look-back's ledger figures: whatever sequence of secretaries named, sessions held,
attendance recorded, self-checks, verdicts, orders issued, reported, returned, closed
and flagged overdue happens — with some roll-up messages lost on the way — once the
outbox is drained every figure equals the recount and the reconciliation finds no
drift; the stage summary reads them from the county rows."""

from __future__ import annotations

import datetime
import json
from contextlib import nullcontext
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import ChangeOutbox, Member, RoleKind, Supervisor, SupervisoryTeam
from lookback import services
from lookback.models import AttendanceStatus, BranchSecretary, LookbackCheck, LookbackSettings, RemedialOrder
from lookback.services import AttendanceEntry, ItemJudgement, SessionData
from reports.ledger import reconcile, rollup
from reports.lookback import source
from reports.models import LedgerRow
from tests import factories as f
from tests.conftest import property_examples
from tests.lookback.factories import today

pytestmark = pytest.mark.django_db


class Stage:
    """The world with a secretary and a supervisor on each side, each branch's members."""

    def __init__(self, world) -> None:
        self.world = world
        self.campaign = world.campaign
        self.office = world.users["office"]
        other_secretary = f.UserFactory(username="secretary2")
        f.RoleAssignmentFactory(
            user=other_secretary, campaign=world.campaign, kind=RoleKind.SECRETARY, unit=world.other_unit
        )
        other_supervisor = f.UserFactory(username="supervisor2")
        team = SupervisoryTeam.objects.get(campaign=world.campaign, units=world.other_unit)
        Supervisor.objects.create(team=team, name="第二组长", is_leader=True, user=other_supervisor)
        self.secretaries = [world.users["secretary"], other_secretary]
        self.supervisors = [world.users["supervisor"], other_supervisor]
        self.units = [world.unit, world.other_unit]
        self.branches = [world.branch, world.other_branch]
        self.committees = [world.committee, world.other_committee]
        LookbackSettings.objects.create(campaign=world.campaign, training_deadline=today())


@pytest.fixture
def stage(world) -> Stage:
    return Stage(world)


delivered = st.booleans()
side = st.integers(0, 1)
operations = st.one_of(
    st.tuples(st.just("appoint"), side, st.integers(0, 3), st.integers(0, 2), delivered),
    st.tuples(st.just("session"), side, st.integers(-1, 3), delivered),
    st.tuples(st.just("attend"), st.integers(0, 5), side, st.sampled_from(AttendanceStatus.values), delivered),
    st.tuples(st.just("self_check"), side, st.integers(0, 63), delivered),
    st.tuples(st.just("verdict"), side, st.integers(0, 63), delivered),
    st.tuples(st.just("order"), side, st.integers(0, 3), delivered),
    st.tuples(st.just("report"), st.integers(0, 5), delivered),
    st.tuples(st.just("close"), st.integers(0, 5), delivered),
    st.tuples(st.just("return"), st.integers(0, 5), delivered),
    st.tuples(st.just("flag"), st.integers(0, 6), delivered),
    st.tuples(st.just("drain")),
)


def _mask(bits: int) -> dict[int, bool]:
    return {n: not bits & (1 << (n - 1)) for n in range(1, 7)}  # a set bit: not met


def _pick(items: list, index: int):
    return items[index % len(items)]


def _apply(stage: Stage, operation: tuple) -> None:
    name = operation[0]
    if name == "appoint":
        _n, s, member_index, days, _d = operation
        branch = stage.branches[s]
        members = list(Member.objects.filter(branch=branch).order_by("pk"))
        services.secretary_appoint(
            user=stage.office,
            branch=branch,
            member=_pick(members, member_index),
            since=today() - datetime.timedelta(days=days),
        )
    elif name == "session":
        _n, s, days_ago, _d = operation
        services.session_create(
            user=stage.office,
            campaign=stage.campaign,
            data=SessionData(
                committee=stage.committees[s],
                held_on=today() - datetime.timedelta(days=days_ago),
                place="党校",
                trainer="王",
            ),
        )
    elif name == "attend":
        _n, session_index, s, status, _d = operation
        sessions = list(stage.campaign.training_sessions.order_by("pk"))
        secretary = BranchSecretary.objects.filter(branch=stage.branches[s], until__isnull=True).first()
        if sessions and secretary is not None:
            session = _pick(sessions, session_index)
            made_up = today() if status == AttendanceStatus.MADE_UP else None
            services.attendance_record(
                user=stage.office, session=session, entries=[AttendanceEntry(secretary, status, made_up)]
            )
    elif name == "self_check":
        _n, s, bits, _d = operation
        judgements = {n: ItemJudgement(met=met) for n, met in _mask(bits).items()}
        services.check_self(user=stage.secretaries[s], unit=stage.units[s], judgements=judgements)
    elif name == "verdict":
        _n, s, bits, _d = operation
        check = LookbackCheck.objects.filter(unit=stage.units[s]).first()
        if check is not None:
            judgements = {n: ItemJudgement(met=met, reason="复核认定") for n, met in _mask(bits).items()}
            services.check_verdict(user=stage.supervisors[s], check=check, judgements=judgements)
    elif name == "order":
        _n, s, days, _d = operation
        check = LookbackCheck.objects.filter(unit=stage.units[s]).first()
        if check is not None:
            short = list(check.items.filter(verdict_met=False).values_list("item", flat=True))
            services.order_issue(
                user=stage.supervisors[s],
                check=check,
                items=short,
                work="补课",
                deadline=today() + datetime.timedelta(days=days),
            )
    elif name in ("report", "close", "return"):
        orders = list(RemedialOrder.objects.filter(campaign=stage.campaign).select_related("unit").order_by("pk"))
        if orders:
            order = _pick(orders, operation[1])
            s = stage.units.index(order.unit)
            if name == "report":
                services.order_report(user=stage.secretaries[s], order=order, redo="已补课")
            elif name == "close":
                services.order_close(user=stage.supervisors[s], order=order, comment="同意销号")
            else:
                services.order_return(user=stage.supervisors[s], order=order, comment="仍不到位")
    elif name == "flag":
        services.orders_flag_overdue(on=today() + datetime.timedelta(days=operation[1]))
    elif name == "drain":
        rollup.ledger_drain_outbox()


@settings(
    max_examples=property_examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(then=st.lists(operations, min_size=3, max_size=25))
def test_every_lookback_figure_equals_a_recount_after_any_sequence(stage, django_capture_on_commit_callbacks, then):
    with transaction.atomic():
        for operation in then:
            deliver = operation[-1] is True
            context = django_capture_on_commit_callbacks(execute=True) if deliver else nullcontext()
            with context:
                try:
                    with transaction.atomic():
                        _apply(stage, operation)
                except ValidationError:
                    pass  # a move the rules refuse
        rollup.ledger_drain_outbox()
        assert not ChangeOutbox.objects.exists()
        assert reconcile.ledger_compare(campaign_id=stage.campaign.pk) == []
        transaction.set_rollback(True)


def _a_little_of_everything(stage: Stage) -> RemedialOrder:
    world = stage.world
    session = services.session_create(
        user=stage.office,
        campaign=stage.campaign,
        data=SessionData(committee=world.committee, held_on=today(), place="党校", trainer="王"),
    )
    term = services.secretary_appoint(user=stage.office, branch=world.branch, member=world.member)
    services.attendance_record(user=stage.office, session=session, entries=[AttendanceEntry(term, "present")])
    check = services.check_self(
        user=stage.secretaries[0], unit=world.unit, judgements={n: ItemJudgement(met=True) for n in range(1, 7)}
    )
    proposed = services.proposals_for(world.unit)
    services.check_verdict(
        user=stage.supervisors[0],
        check=check,
        judgements={n: ItemJudgement(met=n != 2, reason="复核认定" if proposed[n] else "") for n in range(1, 7)},
    )
    return services.order_issue(user=stage.supervisors[0], check=check, items=[2], work="补课", deadline=today())


def test_the_stage_summary_reads_the_county_rows(stage) -> None:
    _a_little_of_everything(stage)
    services.orders_flag_overdue(on=today() + datetime.timedelta(days=1))
    rollup.ledger_drain_outbox()
    assert reconcile.ledger_compare(campaign_id=stage.campaign.pk) == []
    out = StringIO()
    call_command("stage_summary", "--campaign", stage.campaign.slug, "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["training"] == {"branch_secretaries": 2, "trained": 1, "committees_training": 1}
    assert summary["lookback"] == {
        "units": 2,
        "units_checked": 1,
        "units_short": 1,
        "orders_open": 1,
        "orders_overdue": 1,
        "orders_closed": 0,
    }


def test_the_sql_writer_agrees_with_the_orm_recount_and_files_by_organisation(stage) -> None:
    order = _a_little_of_everything(stage)
    rollup.ledger_rollup_full(campaign_id=stage.campaign.pk)
    rows = {
        (r.scope, r.dimension, r.key): r.value
        for r in LedgerRow.objects.filter(campaign=stage.campaign, dimension__in=source.Dimension.values)
    }
    world = stage.world
    assert rows[(f"unit:{world.branch.pk}", "training", "trained")] == 1
    assert (f"unit:{world.other_branch.pk}", "training", "trained") not in rows
    assert rows[(f"unit:{world.committee.pk}", "training", "committees_training")] == 1
    assert rows[(f"unit:{order.unit_id}", "lookback", "short_standards")] == 1
    assert rows[(f"unit:{order.unit_id}", "orders", "open")] == 1
    assert reconcile.ledger_compare(campaign_id=stage.campaign.pk) == []
