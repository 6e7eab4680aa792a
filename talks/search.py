"""Talk cards in the top bar's search, by their number (campaign/search.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign
from campaign.scoping import Scope
from campaign.search import Hit, SearchKind, register_search
from talks.models import Talk


def _cards(scope: Scope, campaign: Campaign, text: str, number: int | None) -> list[Hit]:
    if number is None:
        return []
    cards = scope.filter(Talk.objects.filter(campaign=campaign, pk=number)).select_related("member", "other_member")
    return [
        Hit(
            _("Talk card #%(number)d") % {"number": card.pk},
            " · ".join(
                part
                for part in (
                    card.talked_on.strftime("%Y-%m-%d"),
                    card.member.name,
                    card.other_member.name if card.other_member else card.outsider_name,
                    str(card.get_kind_display()),
                )
                if part
            ),
            reverse("talks:card_detail", args=[card.pk]),
        )
        for card in cards
    ]


register_search(SearchKind("talk_cards", _("Talk cards"), "talks.view", _cards))
