"""Permission-matrix rows for the look-back's pages (lookback/views.py, file_views.py,
reports/lookback/views.py).

``tests/matrix.py`` merges ``rows()`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: the world's committee, unit and branch (the secretary's and the
supervisory team's reach). Outside: the other party committee's. Elsewhere: another
campaign's unit (and a branch, a session, a check, an order there).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from campaign.models import Member, OrgUnit, OrgUnitKind
from lookback.models import (
    Attendance,
    AttendanceStatus,
    BranchSecretary,
    CheckEvidence,
    CheckItem,
    CheckState,
    EvidenceSide,
    LookbackCheck,
    OrderState,
    RemedialOrder,
    TrainingSession,
)

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _today() -> datetime.date:
    return timezone.localdate()


def _elsewhere_branch(mw: MatrixWorld) -> OrgUnit:
    branch, _created = OrgUnit.objects.get_or_create(
        campaign=mw.elsewhere.campaign,
        code="ELSEWHERE-B",
        defaults={"kind": OrgUnitKind.BRANCH, "parent": mw.elsewhere.unit, "name": "邻县支部ELSEWHERE"},
    )
    return branch


def _branches(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    return Specimens(inside=mw.world.branch, outside=mw.world.other_branch, elsewhere=_elsewhere_branch(mw))


def _session(committee: OrgUnit, branch: OrgUnit, member: Member, marker: str) -> TrainingSession:
    session = TrainingSession.objects.create(
        campaign_id=committee.campaign_id,
        committee=committee,
        held_on=_today() - datetime.timedelta(days=1),
        place=f"党校{marker}",
        trainer="培训老师",
    )
    term = BranchSecretary.objects.create(
        campaign_id=branch.campaign_id, branch=branch, member=member, since=_today() - datetime.timedelta(days=9)
    )
    Attendance.objects.create(session=session, secretary=term, status=AttendanceStatus.PRESENT)
    return session


def _sessions(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world = mw.world
    return Specimens(
        inside=_session(world.committee, world.branch, world.member, "INSIDE"),
        outside=_session(world.other_committee, world.other_branch, world.other_member, "OUTSIDE"),
        elsewhere=_session(mw.elsewhere.unit.parent, _elsewhere_branch(mw), mw.elsewhere.member, "ELSEWHERE"),
    )


def _check(unit: OrgUnit, *, judged: bool = False) -> LookbackCheck:
    check, _created = LookbackCheck.objects.get_or_create(
        unit=unit,
        defaults={
            "campaign_id": unit.campaign_id,
            "self_checked_on": _today(),
            "state": CheckState.JUDGED if judged else CheckState.SELF_CHECKED,
            "judged_on": _today() if judged else None,
        },
    )
    for number in range(1, 7):
        CheckItem.objects.get_or_create(
            check_record=check,
            item=number,
            defaults={"self_met": True, "verdict_met": (number != 2) if judged else None},
        )
    return check


def _checked_units(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    units = (mw.world.unit, mw.world.other_unit, mw.elsewhere.unit)
    for unit in units:
        _check(unit)
    return Specimens(inside=units[0], outside=units[1], elsewhere=units[2])


def _evidence(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    def make(unit: OrgUnit, marker: str) -> CheckEvidence:
        content = f"%PDF-1.4\n% {marker}\n%%EOF\n".encode()
        return CheckEvidence.objects.create(
            check_record=_check(unit),
            item=1,
            side=EvidenceSide.SELF,
            name=f"自查{marker}.pdf",
            content_type="application/pdf",
            size=len(content),
            content=content,
        )

    return Specimens(
        inside=make(mw.world.unit, "INSIDE"),
        outside=make(mw.world.other_unit, "OUTSIDE"),
        elsewhere=make(mw.elsewhere.unit, "ELSEWHERE"),
    )


def _order(unit: OrgUnit, state: str) -> RemedialOrder:
    check = _check(unit, judged=True)
    LookbackCheck.objects.filter(pk=check.pk).update(state=CheckState.JUDGED, judged_on=_today())
    CheckItem.objects.filter(check_record=check, item=2).update(verdict_met=False)
    return RemedialOrder.objects.create(
        campaign_id=unit.campaign_id,
        unit=unit,
        check_record=check,
        items=[2],
        work="重新征求意见",
        issued_on=_today(),
        deadline=_today() + datetime.timedelta(days=7),
        state=state,
        redo="已补课" if state == OrderState.REPORTED else "",
    )


def _orders(state: str):
    def build(mw: MatrixWorld) -> Specimens:
        from tests.matrix import Specimens

        return Specimens(
            inside=_order(mw.world.unit, state),
            outside=_order(mw.world.other_unit, state),
            elsewhere=_order(mw.elsewhere.unit, state),
        )

    return build


def _short_items(mw: MatrixWorld) -> Specimens:
    """An item the verdict found not met, in each unit (item 2 of a judged check)."""
    from tests.matrix import Specimens

    def item(unit: OrgUnit) -> CheckItem:
        check = _check(unit, judged=True)
        CheckItem.objects.filter(check_record=check, item=2).update(verdict_met=False)
        return CheckItem.objects.get(check_record=check, item=2)

    return Specimens(inside=item(mw.world.unit), outside=item(mw.world.other_unit), elsewhere=item(mw.elsewhere.unit))


def _committees(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    _check(mw.world.unit)
    return Specimens(inside=mw.world.committee)


SPECIMENS = {
    "lookback.branch": _branches,
    "lookback.trainingsession": _sessions,
    "lookback.checkedunit": _checked_units,
    "lookback.checkevidence": _evidence,
    "lookback.remedialorder": _orders(OrderState.OPEN),
    "lookback.reportedorder": _orders(OrderState.REPORTED),
    "lookback.committee": _committees,
    "lookback.shortitem": _short_items,
}


def rows() -> dict[str, Row]:
    from tests.matrix import ADMIN, OFFICE, SECRETARY, SUPERVISOR, Expect, Row

    staff = frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY})  # "lookback.view", "lookback.import"
    trainers = frozenset({ADMIN, OFFICE, SECRETARY})  # "lookback.training"
    secretaries = frozenset({SECRETARY})  # "lookback.self_check"
    supervisors = frozenset({SUPERVISOR})  # "lookback.judge"
    unit = {"model": "lookback.checkedunit"}
    order = {"model": "lookback.remedialorder"}
    reported = {"model": "lookback.reportedorder"}
    orders_page = {"model": "lookback.remedialorder", "target": lambda obj: {}, "scoped": False}
    to_order = Expect(302, "lookback:order_detail", with_target=True)
    return {
        "lookback:settings": Row(allowed=frozenset({ADMIN, OFFICE}), shows="Branch secretaries trained by"),
        "lookback:training": Row(allowed=staff, shows="机关支部INSIDE"),
        "lookback:session_new": Row(allowed=trainers),
        "lookback:session_detail": Row(model="lookback.trainingsession", allowed=staff, shows="机关支部INSIDE"),
        "lookback:attendance_import": Row(allowed=staff),
        "lookback:secretary_appoint": Row(model="lookback.branch", allowed=trainers, shows="机关支部INSIDE"),
        "lookback:training_export": Row(allowed=staff, xlsx=True, shows="机关支部INSIDE"),
        "lookback:check_list_export": Row(allowed=staff, xlsx=True, shows="城关镇政府INSIDE"),
        "lookback:check_list": Row(allowed=staff, shows="城关镇政府INSIDE"),
        "lookback:checks_import": Row(allowed=staff),
        "lookback:check_detail": Row(allowed=staff, shows="城关镇政府INSIDE", **unit),
        "lookback:check_self": Row(allowed=secretaries, shows="城关镇政府INSIDE", **unit),
        "lookback:check_verdict": Row(allowed=supervisors, shows="城关镇政府INSIDE", **unit),
        "lookback:evidence_upload": Row(allowed=staff, **unit),
        "lookback:order_new": Row(allowed=supervisors, shows="城关镇政府INSIDE", **unit),
        "lookback:evidence_download": Row(model="lookback.checkevidence", allowed=staff, shows="INSIDE"),
        "lookback:committee_table": Row(
            model="lookback.committee", allowed=staff, xlsx=True, shows="城关镇政府INSIDE", scoped=False
        ),
        "lookback:order_list": Row(allowed=staff, shows="城关镇政府INSIDE", **orders_page),
        "lookback:order_list_export": Row(allowed=staff, xlsx=True, shows="城关镇政府INSIDE", **orders_page),
        "lookback:order_detail": Row(allowed=staff, shows="城关镇政府INSIDE", **order),
        "lookback:order_report": Row(
            allowed=secretaries, method="post", data={"redo": "已重新征求意见"}, ok=to_order, **order
        ),
        "lookback:order_close": Row(
            allowed=supervisors, method="post", data={"comment": "复查到位，同意销号"}, ok=to_order, **reported
        ),
        "lookback:order_return": Row(
            allowed=supervisors, method="post", data={"comment": "仍不到位"}, ok=to_order, **reported
        ),
        # An item not met made a rectification problem: the unit's supervisory team or the office.
        "lookback:item_problem": Row(
            model="lookback.shortitem",
            allowed=frozenset({ADMIN, OFFICE, SUPERVISOR}),
            method="post",
            ok=Expect(302),
        ),
        # The look-back's figures page (reports/lookback/views.py): every kind of staff.
        "reports:lookback_progress": Row(allowed=staff, shows="branch secretaries trained"),
    }
