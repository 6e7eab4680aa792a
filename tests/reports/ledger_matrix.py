"""Permission-matrix rows for the ledger pages and exports (reports/opinions/views.py) and the
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
from reports import export_jobs
from reports.ledger import rollup
from reports.models import ExportJob, LedgerDrift, LedgerRow
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
    rollup.ledger_drain_outbox()
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


def _export(user, campaign, marker: str) -> ExportJob:
    job = export_jobs.export_job_create(user=user, campaign=campaign, unit=None, language="zh-hans")
    export_jobs.export_job_run(job_id=job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    job.filename = f"台账{marker}.xlsx"
    job.save(update_fields=["filename"])
    return job


def _exports(mw: MatrixWorld) -> Specimens:
    """The general ledger of opinions written for the world's office (it holds the inside
    opinion), and for the other campaign's office."""
    from tests.matrix import OFFICE, Specimens

    mw.specimens("reports.ledger")  # the opinions the workbooks hold
    return Specimens(
        inside=_export(mw.users[OFFICE], mw.world.campaign, "INSIDE"),
        elsewhere=_export(mw.elsewhere.role.user, mw.elsewhere.campaign, "ELSEWHERE"),
    )


SPECIMENS = {
    "reports.ledger": _ledger,
    "reports.exportjob": _exports,
    "reports.member": _members,
    "reports.ledgerrow": _ledger_row,
    "reports.ledgerdrift": _drift,
}


def rows() -> dict[str, Row]:
    from tests.matrix import (
        _ADMIN_ONLY,
        ADMIN,
        DENIED,
        INSIDE_SIDE,
        NOT_FOUND,
        ORG_STAFF,
        OUTSIDE_SIDE,
        SECRETARY,
        STAFF,
        SUPERVISOR,
        Expect,
        Row,
    )

    # Pages that name no object but need a rolled-up ledger: only the "inside" side.
    page = {"model": "reports.ledger", "target": lambda obj: {}, "scoped": False}
    unit = "城关镇政府INSIDE"
    # An export job is seen by the user who asked for it (the office, inside) and by
    # nobody else, not even the administrator: any other staff is told it does not exist.
    theirs_only = {
        (role, side): NOT_FOUND for role in (ADMIN, SECRETARY, SUPERVISOR) for side in (INSIDE_SIDE, OUTSIDE_SIDE)
    }
    job = {"model": "reports.exportjob", "allowed": ORG_STAFF, "overrides": theirs_only}
    # "ledgers.view" and "ledgers.export": every kind of staff, each within reach.
    return {
        "reports:general_ledger": Row(allowed=ORG_STAFF, shows=unit, **page),
        "reports:summary_export": Row(allowed=ORG_STAFF, shows=unit, xlsx=True, **page),
        # Asks for the general ledger of opinions, then shows the job's page.
        "reports:opinion_ledger_export": Row(allowed=ORG_STAFF, method="post", ok=Expect(302), **page),
        "reports:export_job": Row(shows="台账INSIDE.xlsx", **job),
        "reports:export_job_status": Row(shows='"status": "done"', **job),
        "reports:export_job_download": Row(shows=INSIDE_TEXT, xlsx=True, **job),
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
