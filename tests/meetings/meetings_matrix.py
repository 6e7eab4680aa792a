"""Permission-matrix rows for the meetings' pages (meetings/views.py).

``tests/matrix.py`` merges ``rows()`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: the special organisational life meeting of the world's branch (the
member attends it; the secretary's unit and the supervisory team's reach). Outside:
the other party committee's branch meeting. Elsewhere: a team meeting in another
campaign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.models import Member
from meetings.models import Criticism
from tests.meetings.factories import MeetingFactory, TeamMeetingFactory

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _meetings(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    world = mw.world
    return Specimens(
        inside=MeetingFactory(branch=world.branch, place="会议室INSIDE"),
        outside=MeetingFactory(branch=world.other_branch, place="会议室OUTSIDE"),
        elsewhere=TeamMeetingFactory(team=mw.elsewhere.team, place="会议室ELSEWHERE"),
    )


def _criticism(meeting, member: Member, other: Member, marker: str) -> Criticism:
    return Criticism.objects.create(
        meeting=meeting, from_member=member, to_member=other, content=f"批评{marker}", aspect="work"
    )


def _criticisms(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    meetings = mw.specimens("meetings.meeting")
    world = mw.world
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    return Specimens(
        inside=_criticism(meetings.inside, world.member, colleague, "INSIDE"),
        outside=_criticism(meetings.outside, world.other_member, world.other_member, "OUTSIDE"),
        elsewhere=_criticism(meetings.elsewhere, mw.elsewhere.member, mw.elsewhere.member, "ELSEWHERE"),
    )


SPECIMENS = {"meetings.meeting": _meetings, "meetings.criticism": _criticisms}


def rows() -> dict[str, Row]:
    from tests.matrix import _ADMIN_ONLY, ADMIN, DENIED, LOGGED_IN, OFFICE, SECRETARY, STAFF, SUPERVISOR, Expect, Row

    meeting = {"model": "meetings.meeting"}
    page = {"model": "meetings.meeting", "target": lambda obj: {}, "scoped": False}
    managers = frozenset({ADMIN, OFFICE, SECRETARY})  # "meetings.manage"
    followers = frozenset({ADMIN, OFFICE, SUPERVISOR})  # "meetings.follow_up"
    readers = frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY})  # "meetings.readiness"
    to_meeting = Expect(302, "meetings:meeting_detail", with_target=True)
    return {
        "meetings:meeting_list": Row(allowed=LOGGED_IN, shows="会议室INSIDE", **page),
        "meetings:meeting_new": Row(allowed=managers),
        "meetings:meeting_detail": Row(allowed=LOGGED_IN, shows="机关支部INSIDE", **meeting),
        "meetings:meeting_reschedule": Row(allowed=managers, shows="会议室INSIDE", **meeting),
        "meetings:meeting_cancel": Row(allowed=managers, shows="会议室INSIDE", **meeting),
        "meetings:meeting_attendees": Row(allowed=managers, shows="会议室INSIDE", **meeting),
        "meetings:meeting_hold": Row(allowed=managers, shows="张三INSIDE", **meeting),
        "meetings:self_criticism": Row(allowed=managers, shows="会议室INSIDE", **meeting),
        "meetings:criticism_new": Row(allowed=managers, shows="李四INSIDE", **meeting),
        "meetings:follow_up_note": Row(allowed=followers, shows="张三INSIDE", **meeting),
        "meetings:meeting_followed_up": Row(allowed=followers, method="post", ok=to_meeting, **meeting),
        "meetings:criticism_rectify": Row(model="meetings.criticism", allowed=managers, method="post", ok=Expect(302)),
        "meetings:readiness": Row(allowed=readers, shows="机关支部INSIDE", **page),
        "meetings:readiness_export": Row(allowed=readers, xlsx=True, shows="机关支部INSIDE", **page),
        # The meetings' ledger page ("meetings.progress", reports/meetings/views.py): every
        # kind of staff, each within reach; branches are folded into their unit's line.
        "reports:meetings_progress": Row(allowed=readers, shows="城关镇政府INSIDE", **page),
        "reports:meetings_progress_export": Row(allowed=readers, xlsx=True, shows="城关镇政府INSIDE", **page),
        # Meeting records in and out as files (meetings/file_views.py).
        "meetings:records_import": Row(allowed=managers),
        "meetings:record_xlsx": Row(allowed=LOGGED_IN, xlsx=True, shows="机关支部INSIDE", **meeting),
        "meetings:record_docx": Row(allowed=LOGGED_IN, docx=True, shows="机关支部INSIDE", **meeting),
        "meetings:record_data": Row(allowed=managers, xlsx=True, **meeting),
        # The admin shows meetings; nobody adds or deletes one there (the services keep
        # the gate, the transitions and the announcements).
        "admin:meetings_meeting_add": Row(allowed=STAFF, ok=DENIED, **_ADMIN_ONLY),
        "admin:meetings_meeting_delete": Row(
            allowed=STAFF, target=lambda obj: {"object_id": obj.pk}, ok=DENIED, outside=DENIED, **meeting, **_ADMIN_ONLY
        ),
    }
