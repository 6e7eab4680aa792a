"""Scoping rules of meetings, registered with campaign.scoping at start-up.

A meeting is in reach of its organisation's subtree (the team's unit, or the branch):
its unit's secretary, the supervisory team over it, the office whole. A member sees
the meetings he or she attends: of a team he or she sits on or heads, of his or her
branch, or one he or she was added to (subqueries: one row per meeting).
"""

from django.db.models import Q

from campaign.models import LeadershipTeam, Member
from campaign.scoping import ADMIN, MEMBER, OFFICE, SECRETARY, SUPERVISOR, Rule, register, register_action
from meetings.models import AttendeeChange, Criticism, FollowUpNote, Meeting


def attends(member: Member, prefix: str = "") -> Q:
    seats = LeadershipTeam.members.through.objects.filter(member_id=member.pk).values("leadershipteam_id")
    added = AttendeeChange.objects.filter(member_id=member.pk, kind=AttendeeChange.Kind.ADD).values("meeting_id")
    removed = AttendeeChange.objects.filter(member_id=member.pk, kind=AttendeeChange.Kind.REMOVE).values("meeting_id")
    derived = Q(**{f"{prefix}team_id__in": seats}) | Q(**{f"{prefix}team__head_id": member.pk})
    if member.branch_id:
        derived |= Q(**{f"{prefix}branch_id": member.branch_id})
    pk = f"{prefix}pk" if not prefix else f"{prefix}id"
    return (derived & ~Q(**{f"{pk}__in": removed})) | Q(**{f"{pk}__in": added})


register(Meeting, Rule(campaign="campaign_id", path="unit__path", member_q=attends))
register(
    Criticism,
    Rule(campaign="meeting__campaign_id", path="meeting__unit__path", member_q=lambda m: attends(m, "meeting__")),
)
register(
    FollowUpNote,
    Rule(campaign="meeting__campaign_id", path="meeting__unit__path", member_q=lambda m: attends(m, "meeting__")),
)

register_action("meetings.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY, MEMBER})
# Planning and recording: the office (any meeting), secretaries (their branches' meetings).
register_action("meetings.manage", {ADMIN, OFFICE, SECRETARY})
# The override of the three no-convenings: the county office alone.
register_action("meetings.override", {OFFICE})
register_action("meetings.follow_up", {ADMIN, OFFICE, SUPERVISOR})
register_action("meetings.readiness", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
# The meetings' ledger page (reports/meetings/views.py): every kind of staff, each within reach.
register_action("meetings.progress", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
