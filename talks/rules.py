"""Scoping rules of talk cards, registered with campaign.scoping at start-up.

A card is in reach of the units of both people on it (a talk between members of two
units counts for both); a member sees the cards he or she is on.
"""

from typing import Any

from django.db.models import Q

from campaign.navigation import register_count
from campaign.scoping import ADMIN, MEMBER, OFFICE, SECRETARY, SUPERVISOR, Rule, Scope, register, register_action
from talks.models import Talk, TalkReview

register(
    Talk,
    Rule(
        campaign="campaign_id",
        path="member__unit__path",
        also_paths=("other_member__unit__path",),
        member_q=lambda member: Q(member=member) | Q(other_member=member),
    ),
)
register(
    TalkReview,
    Rule(
        campaign="talk__campaign_id",
        path="talk__member__unit__path",
        also_paths=("talk__other_member__unit__path",),
        member_q=lambda member: Q(talk__member=member) | Q(talk__other_member=member),
    ),
)

# Members log their own talks; unit secretaries for their unit; the office anywhere.
register_action("talks.log", {ADMIN, OFFICE, SECRETARY, MEMBER})
register_action("talks.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY, MEMBER})
register_action("talks.review", {SUPERVISOR})
register_action("talks.progress", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
register_action("talks.import", {ADMIN, OFFICE, SECRETARY})
register_action("talks.export", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})


def _cards_waiting(scope: Scope, campaign: Any) -> int:
    from talks.card_selectors import review_queue

    return review_queue(scope.user, campaign).count()


# The supervisor's queue shows its count in the menu (Talks › Cards to review 69).
register_count("talks:review_queue", _cards_waiting)
