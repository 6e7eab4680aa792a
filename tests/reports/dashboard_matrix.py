"""Permission-matrix rows for the dashboards (reports/dashboard/) and the stage summary
report (reports/summary_report/); ``tests/matrix.py`` merges them in.

The dashboards are every staff role's, each over its reach (a unit's or a supervisory
team's outside the reach is not found); the report states the county's figures and is
the office's and the administrator's alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.matrix import Row

SPECIMENS: dict = {}


def rows() -> dict[str, Row]:
    from tests.matrix import ORG_STAFF, STAFF, Expect, Row

    page = {"model": "reports.ledger", "target": lambda obj: {}, "scoped": False}
    stage = {**page, "target": lambda obj: {"stage": "analysis"}}
    unit = "城关镇政府INSIDE"
    return {
        "reports:dashboard": Row(allowed=ORG_STAFF, shows=unit, **page),
        "reports:dashboard_unit": Row(model="reports.ledger", allowed=ORG_STAFF, shows=unit),
        "reports:dashboard_team": Row(model="campaign.supervisoryteam", allowed=ORG_STAFF, shows=unit),
        "reports:stage_report": Row(allowed=STAFF, shows="示范县第一批", **page),
        "reports:stage_report_stage": Row(allowed=STAFF, shows="示范县第一批", **stage),
        "reports:stage_report_edit": Row(allowed=STAFF, shows="示范县第一批", **stage),
        "reports:stage_report_export": Row(
            allowed=STAFF, method="post", data={"what": "docx"}, ok=Expect(302), **stage
        ),
    }
