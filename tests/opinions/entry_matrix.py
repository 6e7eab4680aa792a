"""Permission-matrix rows for recording and sorting opinions and for solicitation
events (opinions/views.py); ``tests/matrix.py`` merges them in.

Inside: an opinion about a member of the secretary's unit, recorded by that unit, and
a forum that unit held. Outside: the same in the other party committee. Elsewhere: the
same in another campaign. Members see none of these pages: raw opinions are for staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.models import Member
from opinions.models import Opinion, SolicitationEvent
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

if TYPE_CHECKING:
    from campaign.models import OrgUnit
    from tests.matrix import MatrixWorld, Row, Specimens


def _opinion(member: Member, marker: str) -> Opinion:
    return OpinionFactory(target_member=member, recording_unit=member.unit, text=f"会风文风有待改进{marker}")


def _opinions(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    colleague = Member.objects.get(campaign=mw.world.campaign, name="李四INSIDE")
    return Specimens(
        inside=_opinion(colleague, "INSIDE"),
        outside=_opinion(mw.world.other_member, "OUTSIDE"),
        elsewhere=_opinion(mw.elsewhere.member, "ELSEWHERE"),
    )


def _event(unit: OrgUnit, marker: str) -> SolicitationEvent:
    return SolicitationEventFactory(campaign=unit.campaign, unit=unit, title=f"老干部座谈会{marker}")


def _events(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    return Specimens(
        inside=_event(mw.world.unit, "INSIDE"),
        outside=_event(mw.world.other_unit, "OUTSIDE"),
        elsewhere=_event(mw.elsewhere.unit, "ELSEWHERE"),
    )


SPECIMENS = {"opinions.opinion": _opinions, "opinions.solicitationevent": _events}


def rows() -> dict[str, Row]:
    from tests.matrix import ADMIN, OFFICE, OFFICE_AND_ADMIN, ORG_STAFF, SECRETARY, Expect, Row

    enter = frozenset({SECRETARY, OFFICE, ADMIN})  # "opinions.enter"
    to_detail = Expect(302, "opinions:opinion_detail", with_target=True)
    # Pages that name no object but need the specimens to exist: only the "inside" side.
    opinions_page = {"model": "opinions.opinion", "target": lambda obj: {}, "scoped": False}
    events_page = {"model": "opinions.solicitationevent", "target": lambda obj: {}, "scoped": False}
    text = "会风文风有待改进INSIDE"
    return {
        # Reading: every kind of staff, each within reach.
        "opinions:opinion_list": Row(allowed=ORG_STAFF, shows=text, **opinions_page),
        "opinions:opinion_export": Row(allowed=ORG_STAFF, shows=text, xlsx=True, **opinions_page),
        "opinions:opinion_detail": Row(model="opinions.opinion", allowed=ORG_STAFF, shows=text),
        # Recording: secretaries (their units), the office, the administrator.
        "opinions:opinion_edit": Row(model="opinions.opinion", allowed=enter, shows=text),
        "opinions:opinion_delete": Row(model="opinions.opinion", allowed=enter, shows=text),
        "opinions:batch_entry": Row(allowed=enter, shows="老干部座谈会INSIDE", **events_page),
        # "I" is in every marker: the answer must hold the inside targets and no others.
        "opinions:target_search": Row(allowed=enter, data={"q": "I"}, shows="INSIDE", **opinions_page),
        # Sorting: the office.
        "opinions:sort": Row(allowed=OFFICE_AND_ADMIN, shows=text, **opinions_page),
        "opinions:opinion_transition": Row(
            model="opinions.opinion", allowed=OFFICE_AND_ADMIN, method="post", data={"to": "sorted"}, ok=to_detail
        ),
        # Not merged: refused with a message, back to the opinion.
        "opinions:opinion_unmerge": Row(
            model="opinions.opinion", allowed=OFFICE_AND_ADMIN, method="post", ok=to_detail
        ),
        # Events: read by staff; recorded by those who enter opinions, for their units.
        "opinions:event_list": Row(allowed=ORG_STAFF, shows="老干部座谈会INSIDE", **events_page),
        "opinions:event_export": Row(allowed=ORG_STAFF, shows="老干部座谈会INSIDE", xlsx=True, **events_page),
        "opinions:event_create": Row(allowed=enter, shows="城关镇政府INSIDE"),
        "opinions:event_edit": Row(model="opinions.solicitationevent", allowed=enter, shows="老干部座谈会INSIDE"),
    }
