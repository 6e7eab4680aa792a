"""The kinds of notification and their wording: a small registry.

A stage that lands registers its kinds here with ``register_kind`` (or uses one of the
four below) and calls ``notifications.services.notify`` from the service that changes the
state. The wording is a lazily translated string with ``%(name)s`` placeholders filled
from the notification's ``params``: it is translated when shown, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    key: str
    wording: str | Promise
    params: tuple[str, ...] = ()  # the names the wording uses; nothing else is stored

    def text(self, params: Mapping[str, Any]) -> str:
        values = {name: str(params.get(name, "")) for name in self.params}
        return str(self.wording) % values if values else str(self.wording)


KINDS: dict[str, Kind] = {}


def register_kind(key: str, wording: str | Promise, params: tuple[str, ...] = ()) -> Kind:
    if len(key) > 40:
        raise ValueError(f"A notification kind's key has at most 40 characters: {key!r}")
    kind = Kind(key, wording, params)
    KINDS[key] = kind
    return kind


def kind_of(key: str) -> Kind | None:
    return KINDS.get(key)


LIST_TO_SIGN = register_kind("list_to_sign", _("Your feedback list awaits your signature."))
TEAM_LIST_TO_SIGN = register_kind(
    "team_list_to_sign", _("The feedback list of %(team)s awaits your signature."), params=("team",)
)
DOCUMENT_RETURNED = register_kind(
    "document_returned", _("Your self-analysis document was returned: read the comments, revise and resubmit it.")
)
CARD_RETURNED = register_kind(
    "card_returned", _("Talk card no. %(number)s was returned to you for revision."), params=("number",)
)
# For the look-back's rectification orders (lookback, rectification): the stage calls
# notify(kind=ORDER_OVERDUE.key, params={"order": title}, url=…) when an order runs late.
ORDER_OVERDUE = register_kind("order_overdue", _("An order is overdue: %(order)s."), params=("order",))
