"""Permission-matrix rows for the ledger pages and exports (reports/views.py) and the
ledger's admin; ``tests/matrix.py`` merges them in.

The specimens roll up a ledger: inside, opinions about the secretary's unit and its
members; outside, the same in the other party committee; elsewhere, in another
campaign. Members see no ledger (their own list is shown elsewhere).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from campaign.models import LeadershipTeam, Member
from opinions.services import Target
from reports import services
from reports.models import LedgerDrift, LedgerRow
from tests.reports.helpers import add_opinion

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens

INSIDE_TEXT = "干部作风需改进INSIDE"


def _ledger(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world, elsewhere = mw.world, mw.elsewhere
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    add_opinion(world.campaign, Target(member=colleague), text=INSIDE_TEXT)
    add_opinion(world.campaign, Target(team=LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)))
    add_opinion(world.campaign, Target(member=world.other_member), text="干部作风需改进OUTSIDE")
    add_opinion(elsewhere.campaign, Target(member=elsewhere.member), text="干部作风需改进ELSEWHERE")
    services.ledger_drain_outbox()
    return Specimens(inside=world.unit, outside=world.other_unit, elsewhere=elsewhere.unit)


def _members(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    mw.specimens("reports.ledger")  # the figures behind the members' pages
    return Specimens(inside=mw.world.member, outside=mw.world.other_member, elsewhere=mw.elsewhere.member)


def _ledger_row(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    unit = mw.world.unit
    row = LedgerRow.objects.create(
        campaign=mw.world.campaign,
        level="unit",
        unit=unit,
        scope=f"unit:{unit.pk}",
        dimension="total",
        key="all",
        value=1,
    )
    return Specimens(inside=row)


def _drift(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    drift = LedgerDrift.objects.create(
        campaign=mw.world.campaign,
        found_at=timezone.now(),
        scope="county",
        dimension="total",
        key="all",
        stored=2,
        recounted=1,
    )
    return Specimens(inside=drift)


SPECIMENS = {
    "reports.ledger": _ledger,
    "reports.member": _members,
    "reports.ledgerrow": _ledger_row,
    "reports.ledgerdrift": _drift,
}


def rows() -> dict[str, Row]:
    from tests.matrix import _ADMIN_ONLY, DENIED, ORG_STAFF, STAFF, Row

    # Pages that name no object but need a rolled-up ledger: only the "inside" side.
    page = {"model": "reports.ledger", "target": lambda obj: {}, "scoped": False}
    unit = "城关镇政府INSIDE"
    # "ledgers.view" and "ledgers.export": every kind of staff, each within reach.
    return {
        "reports:general_ledger": Row(allowed=ORG_STAFF, shows=unit, **page),
        "reports:summary_export": Row(allowed=ORG_STAFF, shows=unit, xlsx=True, **page),
        "reports:opinion_ledger_export": Row(allowed=ORG_STAFF, shows=INSIDE_TEXT, xlsx=True, **page),
        "reports:unit_ledger": Row(model="reports.ledger", allowed=ORG_STAFF, shows=unit),
        "reports:unit_ledger_export": Row(model="reports.ledger", allowed=ORG_STAFF, shows="李四INSIDE", xlsx=True),
        "reports:member_ledger": Row(model="reports.member", allowed=ORG_STAFF, shows="张三INSIDE"),
        # Ledger figures are written only by the roll-ups: the admin shows them, nobody
        # adds, changes or deletes one there.
        "admin:reports_ledgerrow_add": Row(allowed=STAFF, ok=DENIED, **_ADMIN_ONLY),
        "admin:reports_ledgerrow_delete": Row(
            model="reports.ledgerrow",
            target=lambda obj: {"object_id": obj.pk},
            scoped=False,
            allowed=STAFF,
            ok=DENIED,
            **_ADMIN_ONLY,
        ),
        "admin:reports_ledgerdrift_add": Row(allowed=STAFF, ok=DENIED, **_ADMIN_ONLY),
    }
