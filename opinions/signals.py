"""Announce the opinion figures that an organisation change moves.

An opinion keeps the ledger unit it was filed under, but the member rows of the ledger
are filed under the member's *current* unit, and the category of an opinion about a
member follows his or her rank. ``campaign.org_events`` announces each member who moves,
changes rank or leaves (``org_changed``); here the opinions answer for themselves (source
"opinions") with the units whose opinion figures that touches, in the same transaction,
rather than relying on another stage's announcement of the same change.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from campaign.org_events import OrgChange, OrgChangeKind, org_changed
from opinions.services import SOURCE


def units_touched(change: OrgChange) -> set[int]:
    if change.kind == OrgChangeKind.MEMBER_CHANGED and change.fields & {"unit", "rank"}:
        units = {change.old_unit_id, change.new_unit_id}
    elif change.kind == OrgChangeKind.MEMBER_REMOVED:
        units = {change.old_unit_id}
    else:
        return set()
    return {unit for unit in units if unit is not None}


def on_org_changed(sender: Any, change: OrgChange, **kwargs: Any) -> None:
    units = units_touched(change)
    if units:
        announce_change(campaign_id=change.campaign_id, unit_ids=units, source=SOURCE)


def connect() -> None:
    org_changed.connect(on_org_changed, dispatch_uid="opinions.org_changed")
    # The box's copy of its campaigns and targets (``opinions.public.recent``) follows
    # any save or delete of what it is read from, in this process at once.
    from opinions.public import recent

    for model in (Campaign, LeadershipTeam, Member, OrgUnit):
        post_save.connect(recent.clear, sender=model, dispatch_uid=f"opinions.recent.{model.__name__}.saved")
        post_delete.connect(recent.clear, sender=model, dispatch_uid=f"opinions.recent.{model.__name__}.deleted")
