"""Permission-matrix rows for the spreadsheet import and export of opinions and events
(opinions/import_views.py); ``tests/matrix.py`` merges them in.

Only the office and the administrator import. A job is seen only by the user who
started it: the inside job is the world's office's, so even the administrator is told
it does not exist; the elsewhere job is another campaign's office's.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from opinions.models import ImportJob

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _job(user: Any, campaign: Any, marker: str) -> ImportJob:
    name = f"意见{marker}.csv"
    return ImportJob.objects.create(
        campaign=campaign,
        user=user,
        filename=name,
        # No file behind it: a confirmation finds it gone and ends the job as failed.
        path=f"imports/{secrets.token_urlsafe(32)}.csv",
        status=ImportJob.Status.CHECKED,
        rows_total=3,
        counts=[{"kind": "opinions", "sheet": name, "created": 3, "unchanged": 0}],
    )


def _jobs(mw: MatrixWorld) -> Specimens:
    from tests.matrix import OFFICE, Specimens

    return Specimens(
        inside=_job(mw.users[OFFICE], mw.world.campaign, "INSIDE"),
        elsewhere=_job(mw.elsewhere.role.user, mw.elsewhere.campaign, "ELSEWHERE"),
    )


SPECIMENS = {"opinions.importjob": _jobs}


def rows() -> dict[str, Row]:
    from tests.matrix import ADMIN, INSIDE_SIDE, NOT_FOUND, OFFICE_AND_ADMIN, OUTSIDE_SIDE, Expect, Row

    not_even_admin = {(ADMIN, INSIDE_SIDE): NOT_FOUND, (ADMIN, OUTSIDE_SIDE): NOT_FOUND}
    job = {"model": "opinions.importjob", "allowed": OFFICE_AND_ADMIN, "overrides": not_even_admin}
    return {
        "opinions:import_page": Row(allowed=OFFICE_AND_ADMIN, shows="对象代码"),
        # The campaign's events and opinions in the import format (a workbook).
        "opinions:import_export": Row(
            model="opinions.opinion",
            target=lambda obj: {},
            scoped=False,
            allowed=OFFICE_AND_ADMIN,
            xlsx=True,
            shows="会风文风有待改进INSIDE",
        ),
        "opinions:import_job": Row(shows="意见INSIDE.csv", **job),
        "opinions:import_status": Row(shows='"status": "checked"', **job),
        "opinions:import_confirm": Row(method="post", ok=Expect(302, "opinions:import_job", with_target=True), **job),
    }
