"""Announce the talk figures that change when the organisation changes.

The talk services announce the cards they write. But a member's quota, the required
pairs and where figures are filed also follow records that other apps and the admin
edit: who sits on a leadership team and who heads it, which units a leading cadre has
in charge, each unit's responsible leader, a member's unit and rank, and the campaign's
quotas. ``campaign.org_events`` finds each such change and announces it once
(``org_changed``, in the same transaction as the change); the handler here only works
out which units' talk figures it touches and announces them
(``campaign.events.announce_change``, source "talks"), in that transaction too; the
rules themselves stay in ``talks.selectors``.

Which units a change touches follows the filing rules (``reports.ledger.registry``): a
member's figures and the unit sums under the member's unit; a card under the unit of
its first person; a required pair under the unit of its lower-id member, and in the
member rows of both. A change to a pair therefore announces the units of both members.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from campaign.events import announce_change
from campaign.models import LeadershipTeam, Member, OrgUnit
from campaign.org_events import OrgChange, OrgChangeKind, org_changed
from talks.selectors import units_of_members

SOURCE = "talks"
QUOTA_FIELDS = frozenset({"talk_quota_member", "talk_quota_leader"})


def _announce(campaign_id: int, unit_ids: Iterable[int | None]) -> None:
    units = {unit for unit in unit_ids if unit is not None}
    if units:
        announce_change(campaign_id=campaign_id, unit_ids=units, source=SOURCE)


def team_seat_units(team_ids: Iterable[int]) -> set[int]:
    """The units of everyone on these teams: their members and heads."""
    ids = list(team_ids)
    if not ids:
        return set()
    members = set(Member.objects.filter(teams__in=ids).values_list("unit_id", flat=True))
    heads = LeadershipTeam.objects.filter(pk__in=ids, head__isnull=False).values_list("head__unit_id", flat=True)
    return members | set(heads)


def _responsible_leader_units(unit_ids: Iterable[int]) -> set[int]:
    ids = list(unit_ids)
    if not ids:
        return set()
    return set(
        OrgUnit.objects.filter(pk__in=ids, responsible_leader__isnull=False).values_list(
            "responsible_leader__unit_id", flat=True
        )
    )


def _charge_pair_units(member_id: int) -> set[int]:
    """The units of the responsible leaders of the units in the member's charge."""
    return set(
        OrgUnit.objects.filter(leaders_in_charge=member_id, responsible_leader__isnull=False).values_list(
            "responsible_leader__unit_id", flat=True
        )
    )


def units_touched(change: OrgChange) -> set[int | None]:
    """The units whose talk figures the change touches."""
    kind = change.kind
    if kind == OrgChangeKind.MEMBER_ADDED:
        # A new member counts in his or her unit.
        return {change.new_unit_id}
    if kind == OrgChangeKind.MEMBER_CHANGED:
        # A member who moves takes his or her rows, cards and pairs to the new unit; a
        # new rank changes the quota and whether the units in charge make pairs.
        if not change.fields & {"unit", "rank"}:
            return set()  # another branch in the same unit: filed as before
        units: set[int | None] = {change.old_unit_id, change.new_unit_id}
        if "rank" in change.fields:
            (member_id,) = change.member_ids
            units |= _charge_pair_units(member_id)
        return units
    if kind in (OrgChangeKind.TEAM_SEATS_ADDED, OrgChangeKind.TEAM_SEATS_REMOVED):
        # Someone joined or left a team: the pairs of every seat of the team change.
        return team_seat_units(change.team_ids) | units_of_members(change.member_ids)
    if kind == OrgChangeKind.TEAM_HEAD_CHANGED:
        # A new head joins the team's pairs, the old one leaves them.
        return team_seat_units(change.team_ids) | units_of_members([change.old_leader_id, change.new_leader_id])
    if kind == OrgChangeKind.TEAM_REMOVED:
        # Announced before the delete: the seats it takes along.
        return units_of_members(change.member_ids)
    if kind == OrgChangeKind.UNIT_CHANGED:
        # A new responsible leader takes over the pairs with the cadres in charge of the unit.
        if "responsible_leader" not in change.fields:
            return set()
        cadres = set(Member.objects.filter(in_charge_of__in=change.unit_ids).values_list("unit_id", flat=True))
        return cadres | units_of_members([change.old_leader_id, change.new_leader_id, *change.member_ids])
    if kind in (OrgChangeKind.CHARGE_ADDED, OrgChangeKind.CHARGE_REMOVED):
        # A unit came into or left a cadre's charge: the pair of the cadre and the
        # unit's responsible leader comes or goes.
        return units_of_members(change.member_ids) | _responsible_leader_units(change.unit_ids)
    if kind == OrgChangeKind.QUOTAS_CHANGED and change.fields & QUOTA_FIELDS:
        # Every member's quota may change: every unit of the campaign (a full roll-up).
        return set(OrgUnit.objects.filter(campaign_id=change.campaign_id).values_list("pk", flat=True))
    return set()


def org_change_received(sender: Any, change: OrgChange, **kwargs: Any) -> None:
    _announce(change.campaign_id, units_touched(change))


def connect() -> None:
    """Wire the handler (``TalksConfig.ready``)."""
    org_changed.connect(org_change_received, dispatch_uid="talks.signals.org_changed")
