"""Permission-matrix rows for the democratic appraisal (meetings/appraisal/views.py and
public_views.py).

``tests/matrix.py`` merges ``rows()`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: the open window of the world's branch (the member's, in the
secretary's unit and the supervisory team's), with a paper tally entered by someone
else. Outside: the window of the other party committee's branch. Elsewhere: one in
another campaign. A branch without a window is the specimen of opening one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils import timezone

from campaign.models import OrgUnit, OrgUnitKind
from meetings.appraisal.models import AppraisalWindow, PaperSheet
from tests import factories as f

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _window(branch: OrgUnit, teller) -> AppraisalWindow:
    window = AppraisalWindow.objects.create(campaign=branch.campaign, branch=branch, opened_on=timezone.localdate())
    PaperSheet.objects.create(window=window, present=0, entered_by=teller)
    return window


def _elsewhere_branch(mw: MatrixWorld) -> OrgUnit:
    return f.OrgUnitFactory(
        campaign=mw.elsewhere.campaign, parent=mw.elsewhere.unit, kind=OrgUnitKind.BRANCH, name="邻县支部ELSEWHERE"
    )


def _windows(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    teller = get_user_model().objects.create(username="matrix-teller")
    return Specimens(
        inside=_window(mw.world.branch, teller),
        outside=_window(mw.world.other_branch, teller),
        elsewhere=_window(_elsewhere_branch(mw), teller),
    )


def _branches(mw: MatrixWorld) -> Specimens:
    """Branches with no window yet."""
    from tests.matrix import Specimens

    world = mw.world
    return Specimens(
        inside=f.OrgUnitFactory(
            campaign=world.campaign, parent=world.unit, kind=OrgUnitKind.BRANCH, name="新支部INSIDE"
        ),
        outside=f.OrgUnitFactory(
            campaign=world.campaign, parent=world.other_unit, kind=OrgUnitKind.BRANCH, name="新支部OUTSIDE"
        ),
        elsewhere=_elsewhere_branch(mw),
    )


SPECIMENS = {
    "meetings.appraisalwindow": _windows,
    "appraisal.branch": _branches,
}


def rows() -> dict[str, Row]:
    from tests.matrix import ADMIN, LOGGED_IN, MEMBER, OFFICE, OK, SECRETARY, SUPERVISOR, Expect, Row

    viewers = frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY})  # "appraisal.view"
    tellers = frozenset({ADMIN, OFFICE, SECRETARY})  # "appraisal.manage"
    window = {"model": "meetings.appraisalwindow"}
    # A page that names no window, with the windows built so that what it lists is
    # checked against each role's scope.
    page = {"model": "meetings.appraisalwindow", "target": lambda obj: {}, "scoped": False}
    public = {"allowed": LOGGED_IN, "anonymous": OK}
    return {
        # The member's ballot: his or her branch's open window; the world's colleague on it.
        "appraisal:vote": Row(allowed=frozenset({MEMBER}), shows="李四INSIDE", **page),
        "appraisal:window_list": Row(allowed=viewers, shows="机关支部INSIDE", **page),
        "appraisal:window_open": Row(
            model="appraisal.branch", method="post", allowed=tellers, ok=Expect(302, "appraisal:window_list")
        ),
        "appraisal:window_detail": Row(allowed=viewers, shows="机关支部INSIDE", **window),
        "appraisal:window_close": Row(
            method="post", allowed=tellers, ok=Expect(302, "appraisal:window_detail", with_target=True), **window
        ),
        "appraisal:paper_entry": Row(allowed=tellers, shows="李四INSIDE", **window),
        "appraisal:paper_confirm": Row(
            method="post", allowed=tellers, ok=Expect(302, "appraisal:paper_entry", with_target=True), **window
        ),
        # The tellers' files (meetings/appraisal/file_views.py).
        "appraisal:paper_import": Row(allowed=tellers),
        "appraisal:tally_xlsx": Row(allowed=tellers, xlsx=True, shows="机关支部INSIDE", **window),
        "appraisal:tally_docx": Row(allowed=tellers, docx=True, shows="机关支部INSIDE", **window),
        "appraisal:tally_data": Row(allowed=tellers, xlsx=True, **window),
        "appraisal:results": Row(allowed=viewers, shows="城关镇领导班子INSIDE", **page),
        "appraisal:results_export": Row(allowed=viewers, xlsx=True, shows="示范县第一批", **page),
        "appraisal:flagged": Row(allowed=viewers, shows="Flagged in the appraisal", **page),
        "appraisal:settings": Row(allowed=frozenset({OFFICE, ADMIN}), shows="min_ballots"),
        # The public rating: everyone, signed in or not; the world's campaign has none open.
        "appraisal_public:index": Row(shows="Rate the leadership teams", **public),
        "appraisal_public:rate": Row(target=lambda obj: {"slug": "demo"}, shows="示范县第一批", **public),
    }
