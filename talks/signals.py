"""Announce the talk figures that change when the organisation changes.

The talk services announce the cards they write. But a member's quota, the required
pairs and where figures are filed also follow records that other apps and the admin
edit: who sits on a leadership team and who heads it, which units a leading cadre has
in charge, each unit's responsible leader, a member's unit and rank, and the campaign's
quotas. Each handler here only works out which units' talk figures such a change
touches and announces them (``campaign.events.announce_change``, source "talks"), in
the same transaction as the change; the rules themselves stay in ``talks.selectors``.

Which units a change touches follows the filing rules (``reports.ledger.registry``): a
member's figures and the unit sums under the member's unit; a card under the unit of
its first person; a required pair under the unit of its lower-id member, and in the
member rows of both. A change to a pair therefore announces the units of both members.

The old value of a field is read in ``pre_save`` (one query, only for a record that
exists and only when the save may write the field) and compared in ``post_save``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from talks.selectors import units_of_members

SOURCE = "talks"
_BEFORE = "_talks_before"  # the instance attribute that carries old values to post_save


def _announce(campaign_id: int, unit_ids: Iterable[int | None]) -> None:
    units = {unit for unit in unit_ids if unit is not None}
    if units:
        announce_change(campaign_id=campaign_id, unit_ids=units, source=SOURCE)


def _writes(update_fields: Iterable[str] | None, *fields: str) -> bool:
    return update_fields is None or bool(set(update_fields) & set(fields))


def _old_values(instance: Any, update_fields: Iterable[str] | None, *fields: str) -> None:
    """Remember the stored values of ``fields`` (attnames) before a save that may change them."""
    setattr(instance, _BEFORE, None)
    if instance._state.adding or instance.pk is None:
        return
    names = [instance._meta.get_field(name).name for name in fields]
    if not _writes(update_fields, *names, *fields):
        return
    stored = type(instance)._base_manager.filter(pk=instance.pk).values(*fields).first()
    setattr(instance, _BEFORE, stored)


def _changed(instance: Any, *fields: str) -> dict[str, Any] | None:
    """The stored values before the save, if any of ``fields`` changed; else None."""
    before = getattr(instance, _BEFORE, None)
    setattr(instance, _BEFORE, None)
    if before is None or all(before[name] == getattr(instance, name) for name in fields):
        return None
    return before


# --- Leadership teams: their seats (members and head) make the team pairs -----------------


def team_seat_units(team_ids: Iterable[int]) -> set[int]:
    """The units of everyone on these teams: their members and heads."""
    ids = list(team_ids)
    if not ids:
        return set()
    members = set(Member.objects.filter(teams__in=ids).values_list("unit_id", flat=True))
    heads = LeadershipTeam.objects.filter(pk__in=ids, head__isnull=False).values_list("head__unit_id", flat=True)
    return members | set(heads)


def team_members_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Someone joined or left a team (either side of the relation): the pairs of every
    seat of the team change."""
    if action == "pre_clear":
        team_ids = list(instance.teams.values_list("pk", flat=True)) if reverse else [instance.pk]
        units = team_seat_units(team_ids)
        if reverse:
            units.add(instance.unit_id)
        setattr(instance, _BEFORE, units)
        return
    if action == "post_clear":
        _announce(instance.campaign_id, getattr(instance, _BEFORE, None) or ())
        setattr(instance, _BEFORE, None)
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    if reverse:  # a member's teams: instance is the member, pk_set the teams
        units = team_seat_units(pk_set) | {instance.unit_id}
    else:  # a team's members: those joining or leaving, and everyone still on it
        units = team_seat_units([instance.pk]) | units_of_members(pk_set)
    _announce(instance.campaign_id, units)


def team_before_save(sender: Any, instance: LeadershipTeam, update_fields: Any = None, **kwargs: Any) -> None:
    _old_values(instance, update_fields, "head_id")


def team_saved(sender: Any, instance: LeadershipTeam, created: bool, **kwargs: Any) -> None:
    """A new head joins the team's pairs, the old one leaves them."""
    if created:
        if instance.head_id is not None:
            _announce(instance.campaign_id, units_of_members([instance.head_id]))
        return
    before = _changed(instance, "head_id")
    if before is None:
        return
    units = team_seat_units([instance.pk]) | units_of_members([before["head_id"], instance.head_id])
    _announce(instance.campaign_id, units)


def team_deleted(sender: Any, instance: LeadershipTeam, **kwargs: Any) -> None:
    # Before the delete, while the seats can still be read: deleting a team removes
    # them with no m2m signal.
    _announce(instance.campaign_id, team_seat_units([instance.pk]))


# --- Units in a leading cadre's charge, and each unit's responsible leader ----------------


def _responsible_leader_units(unit_ids: Iterable[int]) -> set[int]:
    ids = list(unit_ids)
    if not ids:
        return set()
    return set(
        OrgUnit.objects.filter(pk__in=ids, responsible_leader__isnull=False).values_list(
            "responsible_leader__unit_id", flat=True
        )
    )


def _charge_units(member: Member) -> set[int]:
    """The member's unit and those of the responsible leaders of the units in his or her charge."""
    in_charge = member.in_charge_of.values_list("pk", flat=True)
    return {member.unit_id} | _responsible_leader_units(in_charge)


def in_charge_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """A unit came into or left a cadre's charge: the pair of the cadre and the unit's
    responsible leader comes or goes."""
    if action == "pre_clear":
        if reverse:  # a unit's leaders in charge
            units = set(instance.leaders_in_charge.values_list("unit_id", flat=True))
            units |= units_of_members([instance.responsible_leader_id])
        else:
            units = _charge_units(instance)
        setattr(instance, _BEFORE, units)
        return
    if action == "post_clear":
        _announce(instance.campaign_id, getattr(instance, _BEFORE, None) or ())
        setattr(instance, _BEFORE, None)
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    if reverse:  # instance is the unit, pk_set the cadres
        units = units_of_members(pk_set) | units_of_members([instance.responsible_leader_id])
    else:  # instance is the cadre, pk_set the units
        units = {instance.unit_id} | _responsible_leader_units(pk_set)
    _announce(instance.campaign_id, units)


def unit_before_save(sender: Any, instance: OrgUnit, update_fields: Any = None, **kwargs: Any) -> None:
    _old_values(instance, update_fields, "responsible_leader_id")


def unit_saved(sender: Any, instance: OrgUnit, created: bool, **kwargs: Any) -> None:
    """A new responsible leader takes over the pairs with the cadres in charge of the unit."""
    if created:
        return  # no cadre has it in charge yet
    before = _changed(instance, "responsible_leader_id")
    if before is None:
        return
    units = set(instance.leaders_in_charge.values_list("unit_id", flat=True))
    units |= units_of_members([before["responsible_leader_id"], instance.responsible_leader_id])
    _announce(instance.campaign_id, units)


# --- A member's unit and rank --------------------------------------------------------


def member_before_save(sender: Any, instance: Member, update_fields: Any = None, **kwargs: Any) -> None:
    _old_values(instance, update_fields, "unit_id", "rank")


def member_saved(sender: Any, instance: Member, created: bool, **kwargs: Any) -> None:
    """A new member counts in his or her unit; a member who moves takes his or her rows,
    cards and pairs to the new unit; a new rank changes the quota and whether the units
    in charge make pairs."""
    if created:
        _announce(instance.campaign_id, [instance.unit_id])
        return
    before = _changed(instance, "unit_id", "rank")
    if before is None:
        return
    units = {before["unit_id"], instance.unit_id}
    if before["rank"] != instance.rank:
        units |= _charge_units(instance)
    _announce(instance.campaign_id, units)


# --- The campaign's quotas --------------------------------------------------------------

QUOTA_FIELDS = ("talk_quota_member", "talk_quota_leader")


def campaign_before_save(sender: Any, instance: Campaign, update_fields: Any = None, **kwargs: Any) -> None:
    _old_values(instance, update_fields, *QUOTA_FIELDS)


def campaign_saved(sender: Any, instance: Campaign, created: bool, **kwargs: Any) -> None:
    """Every member's quota may change: every unit of the campaign (a full roll-up)."""
    if created or _changed(instance, *QUOTA_FIELDS) is None:
        return
    _announce(instance.pk, OrgUnit.objects.filter(campaign=instance).values_list("pk", flat=True))


def connect() -> None:
    """Wire the handlers (``TalksConfig.ready``)."""
    uid = "talks.signals."
    m2m_changed.connect(team_members_changed, sender=LeadershipTeam.members.through, dispatch_uid=uid + "team")
    m2m_changed.connect(in_charge_changed, sender=Member.in_charge_of.through, dispatch_uid=uid + "charge")
    pre_save.connect(team_before_save, sender=LeadershipTeam, dispatch_uid=uid + "team_pre")
    post_save.connect(team_saved, sender=LeadershipTeam, dispatch_uid=uid + "team_post")
    pre_delete.connect(team_deleted, sender=LeadershipTeam, dispatch_uid=uid + "team_delete")
    pre_save.connect(unit_before_save, sender=OrgUnit, dispatch_uid=uid + "unit_pre")
    post_save.connect(unit_saved, sender=OrgUnit, dispatch_uid=uid + "unit_post")
    pre_save.connect(member_before_save, sender=Member, dispatch_uid=uid + "member_pre")
    post_save.connect(member_saved, sender=Member, dispatch_uid=uid + "member_post")
    pre_save.connect(campaign_before_save, sender=Campaign, dispatch_uid=uid + "campaign_pre")
    post_save.connect(campaign_saved, sender=Campaign, dispatch_uid=uid + "campaign_post")
