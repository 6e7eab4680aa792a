"""Permission-matrix rows for the feedback and sign-off pages (opinions/feedback_views.py).

``tests/matrix.py`` merges ``ROWS`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: the world member's own list (a draft with one item), which his
unit's secretary and supervisory team also reach. Outside: the list of the member of
the other party committee. Elsewhere: a list in another campaign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.models import Member
from opinions import feedback
from opinions.models import Aspect, FeedbackItem, FeedbackList
from opinions.services import Target
from tests.opinions.factories import OpinionFactory

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _list_for(member: Member, marker: str) -> FeedbackList:
    feedback_list = feedback.feedback_list_get_or_create(
        actor=None, campaign=member.campaign, target=Target(member=member)
    )
    opinions = [OpinionFactory(target_member=member, text=f"原始意见{marker}{n}") for n in range(2)]
    feedback.feedback_item_create(
        actor=None, feedback_list=feedback_list, text=f"综合意见{marker}", aspect=Aspect.WORK_STYLE, opinions=opinions
    )
    # One more opinion waits to be consolidated, so the target appears among those awaiting feedback.
    OpinionFactory(target_member=member, text=f"待综合意见{marker}")
    return feedback_list


def _lists(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    return Specimens(
        inside=_list_for(mw.world.member, "INSIDE"),
        outside=_list_for(mw.world.other_member, "OUTSIDE"),
        elsewhere=_list_for(mw.elsewhere.member, "ELSEWHERE"),
    )


def _items(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    lists = mw.specimens("opinions.feedbacklist")
    return Specimens(
        inside=FeedbackItem.objects.get(feedback_list=lists.inside),
        outside=FeedbackItem.objects.get(feedback_list=lists.outside),
        elsewhere=FeedbackItem.objects.get(feedback_list=lists.elsewhere),
    )


SPECIMENS = {"opinions.feedbacklist": _lists, "opinions.feedbackitem": _items}


def rows() -> dict[str, Row]:
    from tests.matrix import LOGGED_IN, OFFICE_AND_ADMIN, ORG_STAFF, Expect, Row

    moved = Expect(302)  # back to the list's page (the Location names the list, not the item)
    to_list = Expect(302, "opinions:feedback_list", with_target=True)
    to_mine = Expect(302, "opinions:my_feedback")
    # Pages that name no list but need the lists to exist: only the "inside" side.
    page = {"model": "opinions.feedbacklist", "target": lambda obj: {}, "scoped": False}
    return {
        # The progress page and its export: staff of every kind, each within reach.
        "opinions:feedback_lists": Row(allowed=ORG_STAFF, shows="张三INSIDE", **page),
        "opinions:feedback_export": Row(allowed=ORG_STAFF, shows="张三INSIDE", xlsx=True, **page),
        # The office writes and releases.
        "opinions:feedback_targets": Row(allowed=OFFICE_AND_ADMIN, shows="张三INSIDE", **page),
        "opinions:feedback_targets_export": Row(allowed=OFFICE_AND_ADMIN, shows="张三INSIDE", xlsx=True, **page),
        "opinions:feedback_start": Row(
            allowed=OFFICE_AND_ADMIN, method="post", data={"target": "张三INSIDE"}, ok=Expect(302), **page
        ),
        "opinions:feedback_release": Row(allowed=OFFICE_AND_ADMIN, shows="张三INSIDE", **page),
        # A list and its print and Excel layouts: read by staff within reach.
        "opinions:feedback_list": Row(model="opinions.feedbacklist", allowed=ORG_STAFF, shows="综合意见INSIDE"),
        "opinions:feedback_print": Row(model="opinions.feedbacklist", allowed=ORG_STAFF, shows="综合意见INSIDE"),
        "opinions:feedback_sheet": Row(
            model="opinions.feedbacklist", allowed=ORG_STAFF, shows="综合意见INSIDE", xlsx=True
        ),
        "opinions:feedback_item_create": Row(
            model="opinions.feedbacklist", allowed=OFFICE_AND_ADMIN, shows="待综合意见INSIDE"
        ),
        "opinions:feedback_order_reset": Row(
            model="opinions.feedbacklist", allowed=OFFICE_AND_ADMIN, method="post", ok=to_list
        ),
        "opinions:feedback_wording": Row(
            model="opinions.feedbacklist",
            allowed=OFFICE_AND_ADMIN,
            method="post",
            data={"confirmed": "on"},
            ok=to_list,
        ),
        "opinions:feedback_item_edit": Row(
            model="opinions.feedbackitem", allowed=OFFICE_AND_ADMIN, shows="综合意见INSIDE"
        ),
        "opinions:feedback_item_delete": Row(
            model="opinions.feedbackitem", allowed=OFFICE_AND_ADMIN, method="post", ok=moved
        ),
        "opinions:feedback_item_move": Row(
            model="opinions.feedbackitem",
            allowed=OFFICE_AND_ADMIN,
            method="post",
            data={"direction": "up"},
            ok=moved,
        ),
        # The member's own page: open to everyone logged in (a non-member is told there
        # is no list for him or her); signing goes back to it, refused or not, for
        # whoever reaches the list — only its member (or the team's head) signs.
        "opinions:my_feedback": Row(allowed=LOGGED_IN),
        "opinions:feedback_sign": Row(
            model="opinions.feedbacklist",
            allowed=LOGGED_IN,
            method="post",
            data={"confirmed": "on"},
            ok=to_mine,
        ),
    }
