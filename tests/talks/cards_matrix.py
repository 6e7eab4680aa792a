"""Permission-matrix rows for the talk card pages (talks/views.py) and their admin.

``tests/matrix.py`` merges ``rows()`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: a card between the world's member and his colleague (both in the
unit his secretary and supervisory team reach), returned twice and revised — so it is
flagged and awaiting review. Outside: a card between two members of the other party
committee. Elsewhere: one in another campaign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils import timezone

from campaign.models import Member
from talks.models import CardDecision, CardState, Talk, TalkReview
from tests import factories as f
from tests.talks.factories import TalkFactory, analysis_day

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _card(member: Member, other: Member, marker: str) -> Talk:
    # Built directly, not through the services: the rows need a card in a given state
    # whoever may review it; the services' rules have their own tests.
    talk = TalkFactory(
        member=member,
        other_member=other,
        talked_on=analysis_day(member.campaign, 3),
        topics=f"谈话主题{marker}",
        state=CardState.REVISED,
        times_returned=2,
    )
    reviewer = get_user_model().objects.create(username=f"card-reviewer-{marker.lower()}")
    for round_ in (1, 2):
        TalkReview.objects.create(
            talk=talk,
            decision=CardDecision.RETURN,
            comment=f"退回意见{marker}{round_}",
            reviewer=reviewer,
            reviewer_name="督导员",
            decided_at=timezone.now(),
        )
    return talk


def _cards(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world = mw.world
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    other_colleague = f.MemberFactory(
        campaign=world.campaign, unit=world.other_unit, branch=world.other_branch, name="钱七OUTSIDE"
    )
    elsewhere_colleague = f.MemberFactory(campaign=mw.elsewhere.campaign, unit=mw.elsewhere.unit, name="孙八ELSEWHERE")
    return Specimens(
        inside=_card(world.member, colleague, "INSIDE"),
        outside=_card(world.other_member, other_colleague, "OUTSIDE"),
        elsewhere=_card(mw.elsewhere.member, elsewhere_colleague, "ELSEWHERE"),
    )


def _reviews(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    cards = mw.specimens("talks.talk")
    return Specimens(
        inside=cards.inside.reviews.order_by("pk").first(),
        outside=cards.outside.reviews.order_by("pk").first(),
        elsewhere=cards.elsewhere.reviews.order_by("pk").first(),
    )


SPECIMENS = {
    "talks.talk": _cards,
    "talks.talkreview": _reviews,
}


def rows() -> dict[str, Row]:
    from tests.matrix import (
        _ADMIN_ONLY,
        ADMIN,
        DENIED,
        LOGGED_IN,
        MEMBER,
        OFFICE,
        OFFICE_AND_ADMIN,
        SECRETARY,
        STAFF,
        SUPERVISOR,
        Expect,
        Row,
    )

    card = {"model": "talks.talk"}
    # A page that names no card, with the cards built (inside, outside, elsewhere) so
    # that what it lists is checked against each role's scope.
    page = {"model": "talks.talk", "target": lambda obj: {}, "scoped": False}
    loggers = frozenset({MEMBER, SECRETARY, OFFICE, ADMIN})  # "talks.log"
    supervisors = frozenset({SUPERVISOR})  # "talks.review"
    return {
        # The register (a member's own cards and quota) and a card: everyone who reaches it.
        "talks:card_list": Row(allowed=LOGGED_IN, shows="李四INSIDE", **page),
        "talks:card_detail": Row(allowed=LOGGED_IN, shows="退回意见INSIDE2", **card),
        # Logging and correcting: members (their own talks), secretaries, the office.
        "talks:card_new": Row(allowed=loggers),
        "talks:card_edit": Row(allowed=loggers, shows="谈话主题INSIDE", **card),
        "talks:card_delete": Row(allowed=loggers, shows="谈话主题INSIDE", **card),
        # The autocomplete of the people on a card (JSON escapes Chinese: an ASCII marker).
        "talks:member_search": Row(allowed=loggers, data={"q": "INSIDE"}, shows="INSIDE"),
        "talks:first_member_search": Row(allowed=loggers, data={"q": "INSIDE"}, shows="INSIDE"),
        # The supervisory team's queue and decision; the flagged cards for the office.
        "talks:review_queue": Row(allowed=supervisors, shows="李四INSIDE", **page),
        "talks:card_review": Row(
            allowed=supervisors,
            method="post",
            data={"decision": CardDecision.ADEQUATE},
            ok=Expect(302, "talks:review_queue"),
            **card,
        ),
        "talks:flagged": Row(allowed=OFFICE_AND_ADMIN, shows="退回意见INSIDE2", **page),
        # The admin shows cards and reviews; nobody adds or deletes them there (the
        # services keep the checks and the ledger announcements).
        "admin:talks_talk_add": Row(allowed=STAFF, ok=DENIED, **_ADMIN_ONLY),
        "admin:talks_talkreview_add": Row(allowed=STAFF, ok=DENIED, **_ADMIN_ONLY),
        "admin:talks_talk_delete": Row(
            allowed=STAFF, target=lambda obj: {"object_id": obj.pk}, ok=DENIED, outside=DENIED, **card, **_ADMIN_ONLY
        ),
        "admin:talks_talkreview_delete": Row(
            model="talks.talkreview",
            allowed=STAFF,
            target=lambda obj: {"object_id": obj.pk},
            ok=DENIED,
            outside=DENIED,
            **_ADMIN_ONLY,
        ),
    }
