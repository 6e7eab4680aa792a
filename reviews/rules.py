"""Scoping rules of self-analysis documents, registered with campaign.scoping at start-up.

Staff see the documents of the units in their reach (the office and the municipal team
the whole campaign); a member sees his or her own document, and, as a unit's
responsible leader, the documents routed to him or her for review.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Q

from campaign.models import Member
from campaign.navigation import register_count
from campaign.scoping import ADMIN, MEMBER, OFFICE, SECRETARY, SUPERVISOR, Rule, Scope, register, register_action
from reviews.models import AnalysisDocument, DocumentVersion, Review, RoutingRule


def _own_or_routed(prefix: str = "") -> Callable[[Member], Q]:
    def condition(member: Member) -> Q:
        return Q(**{f"{prefix}member": member}) | Q(**{f"{prefix}reviewer_member": member})

    return condition


register(
    AnalysisDocument,
    Rule(campaign="campaign_id", path="member__unit__path", member_q=_own_or_routed()),
)
register(
    DocumentVersion,
    Rule(campaign="document__campaign_id", path="document__member__unit__path", member_q=_own_or_routed("document__")),
)
register(
    Review,
    Rule(campaign="document__campaign_id", path="document__member__unit__path", member_q=_own_or_routed("document__")),
)

# A campaign's routing rules: those who see the campaign whole (the office edits them).
register(RoutingRule, Rule(campaign="campaign_id", path=None))

register_action("documents.write", {MEMBER})
register_action("documents.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY, MEMBER})
register_action("documents.review", {SUPERVISOR, MEMBER})
register_action("documents.progress", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
register_action("documents.reopen", {ADMIN, OFFICE})


def _documents_waiting(scope: Scope, campaign: Any) -> int:
    from reviews.selectors import queue_for  # selectors import these rules' models at call time

    return queue_for(scope.user, campaign).count()


# The reviewer's queue shows its count in the menu (Self-analysis › To review 12).
register_count("reviews:queue", _documents_waiting)
