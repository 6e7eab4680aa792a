"""Permission-matrix rows for the talk cards' import and export and the talk registers
(talks/import_views.py); ``tests/matrix.py`` merges them in.

The office, the administrator and secretaries import (``talks.import``); they and the
supervisory teams export (``talks.export``). The exports hold the cards in the user's
reach: the inside card (between two members of the world's unit) is in everyone's, the
outside card (two members of the other party committee's unit) and the elsewhere card
(another campaign) must not show in a scoped role's file.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from campaign.models import Member
from talks.models import Talk, TalkImportJob
from tests import factories as f
from tests.talks.factories import TalkFactory, analysis_day

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens

CARDS = "talks.talk/import"


def _card(member: Member, other: Member, marker: str) -> Talk:
    return TalkFactory(
        member=member, other_member=other, talked_on=analysis_day(member.campaign, 4), topics=f"登记{marker}"
    )


def _cards(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world = mw.world
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    outside_colleague = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="周九OUTSIDE")
    elsewhere_colleague = f.MemberFactory(campaign=mw.elsewhere.campaign, unit=mw.elsewhere.unit, name="吴十ELSEWHERE")
    return Specimens(
        inside=_card(world.member, colleague, "INSIDE"),
        outside=_card(world.other_member, outside_colleague, "OUTSIDE"),
        elsewhere=_card(mw.elsewhere.member, elsewhere_colleague, "ELSEWHERE"),
    )


def _job(user: Any, campaign: Any, marker: str) -> TalkImportJob:
    name = f"谈心谈话{marker}.csv"
    return TalkImportJob.objects.create(
        campaign=campaign,
        user=user,
        filename=name,
        # No file behind it: a confirmation finds it gone and ends the job as failed.
        path=f"imports/{secrets.token_urlsafe(32)}.csv",
        status=TalkImportJob.Status.CHECKED,
        rows_total=3,
        counts=[{"sheet": name, "created": 3}],
    )


def _jobs(mw: MatrixWorld) -> Specimens:
    """A large import's job is seen only by the user who started it: the inside job is
    the world's office's, so even the administrator is told it does not exist."""
    from tests.matrix import OFFICE, Specimens

    return Specimens(
        inside=_job(mw.users[OFFICE], mw.world.campaign, "INSIDE"),
        elsewhere=_job(mw.elsewhere.role.user, mw.elsewhere.campaign, "ELSEWHERE"),
    )


SPECIMENS = {CARDS: _cards, "talks.talkimportjob": _jobs}


def rows() -> dict[str, Row]:
    from tests.matrix import ADMIN, INSIDE_SIDE, NOT_FOUND, OFFICE, ORG_STAFF, OUTSIDE_SIDE, SECRETARY, Expect, Row

    importers = frozenset({ADMIN, OFFICE, SECRETARY})
    not_theirs = {(who, side): NOT_FOUND for who in (ADMIN, SECRETARY) for side in (INSIDE_SIDE, OUTSIDE_SIDE)}
    job = {"model": "talks.talkimportjob", "allowed": importers, "overrides": not_theirs}
    return {
        "talks:import_job": Row(shows="谈心谈话INSIDE.csv", **job),
        "talks:import_status": Row(shows='"status": "checked"', **job),
        "talks:import_confirm": Row(method="post", ok=Expect(302, "talks:import_job", with_target=True), **job),
        # The format table names each column in both languages.
        "talks:import_page": Row(allowed=importers, shows="谈话人编号"),
        # Every card in the user's reach, in the import format: no object to be outside of.
        "talks:import_export": Row(
            model=CARDS, target=lambda obj: {}, scoped=False, allowed=ORG_STAFF, xlsx=True, shows="登记INSIDE"
        ),
        "talks:register": Row(allowed=ORG_STAFF, shows="城关镇政府INSIDE"),
        # A unit's register: a unit outside the user's reach is not found.
        "talks:register_export": Row(model="campaign.orgunit", allowed=ORG_STAFF, xlsx=True, shows="城关镇政府INSIDE"),
    }
