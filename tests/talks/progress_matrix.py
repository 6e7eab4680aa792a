"""Permission-matrix rows for the talk plan (talks/views_plan.py) and the talk progress
pages (reports/talks/views.py); ``tests/matrix.py`` merges them in.

The specimens: the world of ``tests/talks/progress_helpers.py`` (teams, a county leader
in charge of both units, some talks; its missing pairs inside scope are 张三INSIDE–王二INSIDE
and 赵县长–李四INSIDE, outside 王五OUTSIDE–孙七OUTSIDE), and in the other campaign a team
of two whose pair is missing (赵六ELSEWHERE–钱九ELSEWHERE) with a card of each kind;
both ledgers rolled up. Members see no progress page ("talks.progress" is for staff).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f
from tests.talks.factories import PublicTalkFactory
from tests.talks.progress_helpers import build_talk_world

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _progress(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world, elsewhere = mw.world, mw.elsewhere
    build_talk_world(world)
    partner = f.MemberFactory(campaign=elsewhere.campaign, unit=elsewhere.unit, name="钱九ELSEWHERE")
    elsewhere.team.members.add(partner)
    PublicTalkFactory(member=elsewhere.member, outsider_name="群众ELSEWHERE")
    for campaign in (world.campaign, elsewhere.campaign):
        ledger_rollup_full(campaign_id=campaign.pk)
    return Specimens(inside=world.unit, outside=world.other_unit, elsewhere=elsewhere.unit)


def _members(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    mw.specimens("talks.progress")
    return Specimens(inside=mw.world.member, outside=mw.world.other_member, elsewhere=mw.elsewhere.member)


SPECIMENS = {
    "talks.progress": _progress,
    "talks.progress_member": _members,
}


def rows() -> dict[str, Row]:
    from tests.matrix import ORG_STAFF, Row

    # Pages that name no object but need the world's talks: only the "inside" side.
    page = {"model": "talks.progress", "target": lambda obj: {}, "scoped": False}
    unit = {"model": "talks.progress"}
    member = {"model": "talks.progress_member"}
    # "talks.progress" and "talks.export": every kind of staff, each within reach.
    return {
        "talks:plan": Row(allowed=ORG_STAFF, shows="王二INSIDE", **page),
        "talks:plan_export": Row(allowed=ORG_STAFF, shows="王二INSIDE", xlsx=True, **page),
        "reports:talks_county": Row(allowed=ORG_STAFF, shows="城关镇政府INSIDE", **page),
        "reports:talks_county_export": Row(allowed=ORG_STAFF, shows="城关镇政府INSIDE", xlsx=True, **page),
        "reports:talks_unit": Row(allowed=ORG_STAFF, shows="李四INSIDE", **unit),
        "reports:talks_unit_export": Row(allowed=ORG_STAFF, shows="李四INSIDE", xlsx=True, **unit),
        "reports:talks_member": Row(allowed=ORG_STAFF, shows="王二INSIDE", **member),
        "reports:talks_member_export": Row(allowed=ORG_STAFF, shows="王二INSIDE", xlsx=True, **member),
        "reports:talks_review": Row(allowed=ORG_STAFF, shows="县第一督导组", **page),
        "reports:talks_review_export": Row(allowed=ORG_STAFF, shows="县第一督导组", xlsx=True, **page),
    }
