"""Scoping rules for the opinions app, registered with campaign.scoping at start-up."""

from django.db.models import Q

from campaign.models import LeadershipTeam, Member
from campaign.scoping import ADMIN, OFFICE, SECRETARY, SUPERVISOR, Rule, register, register_action
from opinions.models import FeedbackItem, FeedbackList, Opinion, ReleaseBatch, SolicitationEvent


def _about(member: Member) -> Q:
    # About him, or about a team he sits on or heads. The teams as a subquery, not a join
    # through the seats: the condition also serves as a column of a list (one row each).
    teams = LeadershipTeam.objects.filter(Q(members=member) | Q(head=member)).values("pk")
    return Q(target_member=member) | Q(target_team__in=teams)


def _own_list(member: Member) -> Q:
    # A member sees his or her own list, and the head of a team the team's list.
    return Q(target_member=member) | Q(target_team__head=member)


register(
    Opinion,
    Rule(
        campaign="campaign_id",
        path="ledger_unit__path",
        also_paths=("recording_unit__path",),
        about=_about,
    ),
)
register(SolicitationEvent, Rule(campaign="campaign_id", path="unit__path"))
register(FeedbackList, Rule(campaign="campaign_id", path="ledger_unit__path", member_q=_own_list))
register(
    FeedbackItem,
    Rule(
        campaign="feedback_list__campaign_id",
        path="feedback_list__ledger_unit__path",
        member_q=lambda member: Q(feedback_list__target_member=member) | Q(feedback_list__target_team__head=member),
    ),
)
register(ReleaseBatch, Rule(campaign="campaign_id", path=None))

register_action("opinions.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
register_action("opinions.enter", {ADMIN, OFFICE, SECRETARY})
register_action("opinions.sort", {ADMIN, OFFICE})
register_action("opinions.import", {ADMIN, OFFICE})
register_action("feedback.write", {ADMIN, OFFICE})
register_action("feedback.release", {ADMIN, OFFICE})
