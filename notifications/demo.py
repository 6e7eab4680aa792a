"""The demo's notifications: what the demo logins were told, as the services tell it.

Run after the demo logins are made (``register_step(..., after_logins=True)``), from the
state the other steps left: each notice is written by ``notify`` as the service that
changed the state would have written it, dated the day of the change, and read when the
work it announced is done.

- a feedback list released to a login's member (or to the team he heads): read and
  signed, or unread while it awaits the signature;
- a talk card of a login's member returned for revision: read once revised;
- a login's document returned: unread while it waits for the revision;
- a remedial order overdue in the demo secretary's unit: unread, for the unit's
  secretary and the county office.

A notice holds its kind, a card's number or an order's unit, and a link: never who gave an
opinion or who decided (``notifications.models``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext_lazy

from campaign import demo
from campaign.models import LeadershipTeam, Member, RoleAssignment, RoleKind
from lookback.models import RemedialOrder
from lookback.services import AWAITING_UNIT
from notifications import kinds
from notifications.models import Notification
from notifications.services import notify
from opinions.models import FeedbackList
from reviews.models import AnalysisDocument, Decision, DocumentState
from talks.models import CardDecision, CardState, Talk


def _tell(users: Iterable[int], kind: kinds.Kind, url: str, day: datetime.date, *, read: bool, **params: object) -> int:
    users = [pk for pk in users if pk]
    written = notify(users=users, kind=kind.key, url=url, params=params)
    # Dated the day of the change it announces; read once the work was done.
    Notification.objects.filter(user_id__in=users, kind=kind.key, url=url, is_read=False).update(
        created_on=day, is_read=read
    )
    return written


def build_notifications(county: demo.DemoCounty) -> demo.Totals:
    campaign = county.campaign
    members = {m.pk: m for m in Member.objects.filter(campaign=campaign, user__isnull=False).order_by("pk")}
    written = 0
    mine = reverse("opinions:my_feedback")

    lists = FeedbackList.objects.filter(campaign=campaign, released_on__isnull=False)
    for each in lists.filter(target_member_id__in=members).order_by("pk"):
        user = members[each.target_member_id].user_id
        written += _tell([user], kinds.LIST_TO_SIGN, mine, each.released_on, read=each.signed_at is not None)
    heads = LeadershipTeam.objects.filter(campaign=campaign, head_id__in=members)
    for each in lists.filter(target_team__in=heads).select_related("target_team").order_by("pk"):
        user = members[each.target_team.head_id].user_id
        written += _tell(
            [user],
            kinds.TEAM_LIST_TO_SIGN,
            mine,
            each.released_on,
            read=each.signed_at is not None,
            team=each.target_team.name,
        )

    returned_cards = Talk.objects.filter(campaign=campaign, member_id__in=members, times_returned__gt=0)
    for talk in returned_cards.order_by("pk"):
        last = talk.reviews.filter(decision=CardDecision.RETURN).order_by("-decided_at").first()
        if last is None:
            continue
        written += _tell(
            [members[talk.member_id].user_id],
            kinds.CARD_RETURNED,
            reverse("talks:card_detail", args=[talk.pk]),
            last.decided_at.date(),
            read=talk.state != CardState.RETURNED,
            number=talk.pk,
        )

    returned = AnalysisDocument.objects.filter(
        campaign=campaign, member_id__in=members, state=DocumentState.RETURNED
    ).order_by("pk")
    for document in returned:
        last = document.reviews.filter(decision=Decision.RETURN).order_by("-decided_at").first()
        if last is not None:
            written += _tell(
                [members[document.member_id].user_id],
                kinds.DOCUMENT_RETURNED,
                reverse("reviews:my_document"),
                last.decided_at.date(),
                read=False,
            )

    roles = RoleAssignment.objects.filter(campaign=campaign)
    office = list(roles.filter(kind=RoleKind.OFFICE).values_list("user_id", flat=True))
    overdue = RemedialOrder.objects.filter(campaign=campaign, state__in=AWAITING_UNIT, overdue_since__isnull=False)
    overdue = overdue.select_related("unit")
    for order in overdue.order_by("pk"):
        secretaries = roles.filter(kind=RoleKind.SECRETARY, unit_id=order.unit_id).values_list("user_id", flat=True)
        written += _tell(
            [*secretaries, *office],
            kinds.ORDER_OVERDUE,
            reverse("lookback:order_detail", args=[order.pk]),
            order.overdue_since,
            read=False,
            order=order.unit.name,
        )

    unread = Notification.objects.filter(user__in=[m.user_id for m in members.values()] + office, is_read=False)
    return {gettext_lazy("notifications"): written, gettext_lazy("unread"): unread.count()}


demo.register_step(gettext_lazy("notifications of the demo logins"), build_notifications, after_logins=True)
