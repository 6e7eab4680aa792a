"""One announcement of each change to the organisation: ``org_changed``.

Several stages follow the organisation: a member's talk quota and required pairs
follow his or her rank, unit, team seats and charges (``talks``); who reviews a
self-analysis document follows units' responsible leaders, the tree and the
supervisory teams, and the document figures are filed under the author's unit
(``reviews``). Those records are edited by services, imports and the admin alike, so
the change is found here, from the model signals of this app's own models, and sent
once as ``org_changed`` with an ``OrgChange``; the stages subscribe to it and never
read old values themselves.

What is watched, and the kind of change announced:
- a member added, removed, or saved with another unit, branch or rank (MEMBER_*);
- a leadership team's seats: members joining or leaving (either side of the relation,
  ``clear`` included), a new head (a team created with one too), a team deleted;
- a unit saved with another responsible leader or parent (UNIT_CHANGED);
- the units in a member's charge (either side of the relation);
- supervisory teams: a supervisor added, removed or moved to another team or made or
  unmade its leader, a team's level, the units a team supervises;
- the campaign's quotas (talks required; the documents' minimum words).
A save that changes nothing watched announces nothing. Writes that bypass the model
signals (``QuerySet.update``, ``bulk_create``) are not seen: whoever makes them
announces what they touched (the spreadsheet import does, ``org_import``).

When: synchronously, inside the transaction of the change, right after it is written
(``post_save``, ``post_add``…), so that a subscriber may read the organisation as it is
now and write in the same transaction (the ledger's outbox rows are written with the
change, ``campaign.events``); a subscriber that needs the commit defers itself
(``transaction.on_commit``). A change rolled back was announced all the same, and what
its subscribers wrote or deferred goes with it. Only a team's removal is announced
before the delete, while its seats can still be read. A record deleted with its whole
campaign announces nothing: nothing is left to follow it.

The old values are read in ``pre_save``: one query, only for a record that exists and
only when the save may write a watched field (``update_fields``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import django.dispatch
from django.db.models import Model, QuerySet
from django.db.models.fields import Field
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Supervisor, SupervisoryTeam


class OrgChangeKind(enum.StrEnum):
    MEMBER_ADDED = "member_added"
    # unit, branch or rank (``fields`` says which): one announcement for one save
    MEMBER_CHANGED = "member_changed"
    MEMBER_REMOVED = "member_removed"
    TEAM_SEATS_ADDED = "team_seats_added"
    TEAM_SEATS_REMOVED = "team_seats_removed"
    TEAM_HEAD_CHANGED = "team_head_changed"
    TEAM_REMOVED = "team_removed"
    # responsible leader or parent (``fields``)
    UNIT_CHANGED = "unit_changed"
    CHARGE_ADDED = "charge_added"
    CHARGE_REMOVED = "charge_removed"
    SUPERVISOR_ADDED = "supervisor_added"
    # its team or whether it leads the team (``fields``)
    SUPERVISOR_CHANGED = "supervisor_changed"
    SUPERVISOR_REMOVED = "supervisor_removed"
    # its level
    SUPERVISORY_TEAM_CHANGED = "supervisory_team_changed"
    SUPERVISED_UNITS_ADDED = "supervised_units_added"
    SUPERVISED_UNITS_REMOVED = "supervised_units_removed"
    # the settings named in ``fields``
    QUOTAS_CHANGED = "quotas_changed"


SUPERVISION_KINDS = frozenset(
    {
        OrgChangeKind.SUPERVISOR_ADDED,
        OrgChangeKind.SUPERVISOR_CHANGED,
        OrgChangeKind.SUPERVISOR_REMOVED,
        OrgChangeKind.SUPERVISORY_TEAM_CHANGED,
        OrgChangeKind.SUPERVISED_UNITS_ADDED,
        OrgChangeKind.SUPERVISED_UNITS_REMOVED,
    }
)


@dataclass(frozen=True)
class OrgChange:
    """One change to the organisation. Ids only: a subscriber reads what it needs.

    - ``member_ids``: the member added, changed or removed; those joining or leaving a
      team (TEAM_SEATS_*); everyone seated on a team removed (members and head); the
      cadres whose charge changed (CHARGE_*); the old and new responsible leaders of
      several units changed at once (UNIT_CHANGED by an import, which leaves
      ``*_leader_id`` and ``*_parent_id`` unset).
    - ``team_ids``: the leadership teams (TEAM_*), or the supervisory teams (SUPERVISOR_*,
      SUPERVISORY_TEAM_CHANGED, SUPERVISED_UNITS_*): a supervisor moved names both.
    - ``unit_ids``: the unit changed (UNIT_CHANGED); the units coming into or leaving a
      charge, or a supervisory team's care.
    - ``supervisor_ids``: the supervisor added, changed or removed.
    - ``fields``: for a record saved, the watched fields that changed (model field names).
    - ``old_*``/``new_*``: a member's unit, branch and rank (MEMBER_*: ``old_*`` only for
      one removed, ``new_*`` only for one added); a team's head or a unit's responsible
      leader (``*_leader_id``); a unit's parent (``*_parent_id``).
    - ``raw``: saved as stored by ``loaddata``, where other records may not be there yet.
    """

    campaign_id: int
    kind: OrgChangeKind
    fields: frozenset[str] = frozenset()
    member_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] = frozenset()
    supervisor_ids: frozenset[int] = frozenset()
    old_unit_id: int | None = None
    new_unit_id: int | None = None
    old_branch_id: int | None = None
    new_branch_id: int | None = None
    old_rank: str = ""
    new_rank: str = ""
    old_leader_id: int | None = None
    new_leader_id: int | None = None
    old_parent_id: int | None = None
    new_parent_id: int | None = None
    raw: bool = False


# Sent with ``change`` (an ``OrgChange``); the sender is the model of the record changed
# (for a relation, the model that declares it).
org_changed = django.dispatch.Signal()


def _send(sender: type[Model], change: OrgChange) -> None:
    # Not robust: a subscriber that fails fails the change, as a receiver of the save
    # would, so that nothing is written that its followers did not take in.
    org_changed.send(sender=sender, change=change)


def _ids(values: Iterable[int | None]) -> frozenset[int]:
    return frozenset(value for value in values if value is not None)


# --- Old values: read before a save, compared after it ------------------------------------

_BEFORE = "_org_before"  # the instance attribute that carries old values to post_save

QUOTA_FIELDS = ("talk_quota_member", "talk_quota_leader", "doc_min_words_leader", "doc_min_words_member")
WATCHED: dict[type[Model], tuple[str, ...]] = {
    Member: ("unit", "branch", "rank"),
    OrgUnit: ("responsible_leader", "parent"),
    LeadershipTeam: ("head",),
    Campaign: QUOTA_FIELDS,
    Supervisor: ("team", "is_leader"),
    SupervisoryTeam: ("level",),
}


def _watched_field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), f"{model.__name__}.{name} is watched but is no column"
    return field


def _written(model: type[Model], update_fields: Iterable[str] | None) -> list[Field]:
    """The watched fields the save may write."""
    fields = [_watched_field(model, name) for name in WATCHED[model]]
    if update_fields is None:
        return fields
    written = set(update_fields)
    return [field for field in fields if field.name in written or field.attname in written]


def _before_save(sender: type[Model], instance: Model, update_fields: Any = None, **kwargs: Any) -> None:
    instance.__dict__.pop(_BEFORE, None)
    if instance._state.adding or instance.pk is None:
        return
    fields = _written(sender, update_fields)
    if not fields:
        return
    stored = sender._base_manager.filter(pk=instance.pk).values(*(field.attname for field in fields)).first()
    if stored is not None:
        setattr(instance, _BEFORE, stored)


def _old_values(instance: Model) -> tuple[dict[str, Any], frozenset[str]]:
    """The stored values before the save (by attname) and the names of the watched
    fields the save changed (none: nothing to announce)."""
    stored = instance.__dict__.pop(_BEFORE, None) or {}
    changed = frozenset(
        instance._meta.get_field(attname).name
        for attname, value in stored.items()
        if value != getattr(instance, attname)
    )
    return stored, changed


def _was(stored: dict[str, Any], instance: Model, attname: str) -> Any:
    return stored.get(attname, getattr(instance, attname))


def _origin_model(origin: Any) -> type[Model] | None:
    if isinstance(origin, QuerySet):
        return origin.model
    return type(origin) if isinstance(origin, Model) else None


def _with_its_campaign(origin: Any) -> bool:
    return _origin_model(origin) is Campaign


# --- Members -------------------------------------------------------------------------


def _member_saved(sender: type[Member], instance: Member, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created:
        instance.__dict__.pop(_BEFORE, None)
        _send(
            Member,
            OrgChange(
                campaign_id=instance.campaign_id,
                kind=OrgChangeKind.MEMBER_ADDED,
                member_ids=frozenset({instance.pk}),
                new_unit_id=instance.unit_id,
                new_branch_id=instance.branch_id,
                new_rank=str(instance.rank),
                raw=raw,
            ),
        )
        return
    stored, changed = _old_values(instance)
    if not changed:
        return
    _send(
        Member,
        OrgChange(
            campaign_id=instance.campaign_id,
            kind=OrgChangeKind.MEMBER_CHANGED,
            fields=changed,
            member_ids=frozenset({instance.pk}),
            old_unit_id=_was(stored, instance, "unit_id"),
            new_unit_id=instance.unit_id,
            old_branch_id=_was(stored, instance, "branch_id"),
            new_branch_id=instance.branch_id,
            old_rank=str(_was(stored, instance, "rank")),
            new_rank=str(instance.rank),
            raw=raw,
        ),
    )


def _member_deleted(sender: type[Member], instance: Member, origin: Any = None, **kwargs: Any) -> None:
    if _with_its_campaign(origin):
        return
    _send(
        Member,
        OrgChange(
            campaign_id=instance.campaign_id,
            kind=OrgChangeKind.MEMBER_REMOVED,
            member_ids=frozenset({instance.pk}),
            old_unit_id=instance.unit_id,
            old_branch_id=instance.branch_id,
            old_rank=str(instance.rank),
        ),
    )


# --- Leadership teams ------------------------------------------------------------------


def _team_saved(
    sender: type[LeadershipTeam], instance: LeadershipTeam, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created:
        # A team created with a head: the head's seat is new.
        instance.__dict__.pop(_BEFORE, None)
        old_head = None
        changed = frozenset({"head"}) if instance.head_id is not None else frozenset()
    else:
        stored, changed = _old_values(instance)
        old_head = _was(stored, instance, "head_id")
    if not changed:
        return
    _send(
        LeadershipTeam,
        OrgChange(
            campaign_id=instance.campaign_id,
            kind=OrgChangeKind.TEAM_HEAD_CHANGED,
            fields=changed,
            team_ids=frozenset({instance.pk}),
            old_leader_id=old_head,
            new_leader_id=instance.head_id,
            raw=raw,
        ),
    )


def _team_deleted(sender: type[LeadershipTeam], instance: LeadershipTeam, origin: Any = None, **kwargs: Any) -> None:
    # Before the delete, while the seats can still be read: deleting a team removes
    # them with no m2m signal.
    if _with_its_campaign(origin):
        return
    seats = set(
        LeadershipTeam.members.through.objects.filter(leadershipteam_id=instance.pk).values_list("member_id", flat=True)
    )
    _send(
        LeadershipTeam,
        OrgChange(
            campaign_id=instance.campaign_id,
            kind=OrgChangeKind.TEAM_REMOVED,
            team_ids=frozenset({instance.pk}),
            member_ids=_ids([*seats, instance.head_id]),
            old_leader_id=instance.head_id,
        ),
    )


# --- Units -----------------------------------------------------------------------------


def _unit_saved(sender: type[OrgUnit], instance: OrgUnit, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created:
        # No cadre has it in charge, no member sits in it, no team supervises it yet.
        instance.__dict__.pop(_BEFORE, None)
        return
    stored, changed = _old_values(instance)
    if not changed:
        return
    # Sent from within ``OrgUnit.save``: the paths of a unit moved and of its subtree
    # are rewritten after this, in the same transaction.
    _send(
        OrgUnit,
        OrgChange(
            campaign_id=instance.campaign_id,
            kind=OrgChangeKind.UNIT_CHANGED,
            fields=changed,
            unit_ids=frozenset({instance.pk}),
            old_leader_id=_was(stored, instance, "responsible_leader_id"),
            new_leader_id=instance.responsible_leader_id,
            old_parent_id=_was(stored, instance, "parent_id"),
            new_parent_id=instance.parent_id,
            raw=raw,
        ),
    )


# --- The campaign's settings -------------------------------------------------------------


def _campaign_saved(
    sender: type[Campaign], instance: Campaign, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created:
        instance.__dict__.pop(_BEFORE, None)
        return
    _stored, changed = _old_values(instance)
    if changed:
        _send(
            Campaign,
            OrgChange(campaign_id=instance.pk, kind=OrgChangeKind.QUOTAS_CHANGED, fields=changed, raw=raw),
        )


# --- Supervisory teams -------------------------------------------------------------------


def _campaign_of_teams(team_ids: Iterable[int]) -> int | None:
    return SupervisoryTeam.objects.filter(pk__in=list(team_ids)).values_list("campaign_id", flat=True).first()


def _supervisor_saved(
    sender: type[Supervisor], instance: Supervisor, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created:
        instance.__dict__.pop(_BEFORE, None)
        changed: frozenset[str] = frozenset()
        kind, teams = OrgChangeKind.SUPERVISOR_ADDED, {instance.team_id}
    else:
        stored, changed = _old_values(instance)
        if not changed:
            return
        kind, teams = OrgChangeKind.SUPERVISOR_CHANGED, {_was(stored, instance, "team_id"), instance.team_id}
    campaign_id = _campaign_of_teams(_ids(teams))
    if campaign_id is None:
        return
    _send(
        Supervisor,
        OrgChange(
            campaign_id=campaign_id,
            kind=kind,
            fields=changed,
            team_ids=_ids(teams),
            supervisor_ids=frozenset({instance.pk}),
            raw=raw,
        ),
    )


def _supervisor_deleted(sender: type[Supervisor], instance: Supervisor, origin: Any = None, **kwargs: Any) -> None:
    if _with_its_campaign(origin):
        return
    campaign_id = _campaign_of_teams([instance.team_id])
    if campaign_id is None:
        return
    _send(
        Supervisor,
        OrgChange(
            campaign_id=campaign_id,
            kind=OrgChangeKind.SUPERVISOR_REMOVED,
            team_ids=frozenset({instance.team_id}),
            supervisor_ids=frozenset({instance.pk}),
        ),
    )


def _supervisory_team_saved(
    sender: type[SupervisoryTeam], instance: SupervisoryTeam, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created:
        # Nobody on it and nothing in its care yet: those come as their own changes.
        instance.__dict__.pop(_BEFORE, None)
        return
    _stored, changed = _old_values(instance)
    if changed:
        _send(
            SupervisoryTeam,
            OrgChange(
                campaign_id=instance.campaign_id,
                kind=OrgChangeKind.SUPERVISORY_TEAM_CHANGED,
                fields=changed,
                team_ids=frozenset({instance.pk}),
                raw=raw,
            ),
        )


# --- Relations: team seats, charges, supervised units ------------------------------------

_CLEARING = "_org_clearing"  # the instance attribute that carries the ids a clear removes


@dataclass(frozen=True)
class _Relation:
    """A many-to-many relation watched: which model declares it, the payload's fields
    for its two sides, and the kinds of change."""

    model: type[Model]
    source: str  # the payload field of the declaring model's ids
    target: str  # the payload field of the related model's ids
    added: OrgChangeKind
    removed: OrgChangeKind


_RELATIONS: dict[type[Model], _Relation] = {}


def _relation_changed(
    sender: type[Model], instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    relation = _RELATIONS[sender]
    if action == "pre_clear":
        # The rows a clear removes: it names none itself.
        ids = _related_ids(sender, relation, instance, reverse)
        instance.__dict__.setdefault(_CLEARING, {})[sender] = ids
        return
    if action == "post_clear":
        pk_set = instance.__dict__.get(_CLEARING, {}).pop(sender, None)
        action = "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    # ``instance`` is a record of the declaring model, unless the relation was edited
    # from the other side (``reverse``).
    mine, theirs = ({instance.pk}, set(pk_set)) if not reverse else (set(pk_set), {instance.pk})
    # The payload fields are named by the relation: keyword arguments mypy cannot match.
    sides: dict[str, Any] = {relation.source: frozenset(mine), relation.target: frozenset(theirs)}
    _send(
        relation.model,
        OrgChange(
            campaign_id=instance.campaign_id,
            kind=relation.added if action == "post_add" else relation.removed,
            **sides,
        ),
    )


def _related_ids(through: type[Model], relation: _Relation, instance: Any, reverse: bool) -> set[int]:
    source_column, target_column = _through_columns(through, relation.model)
    mine, theirs = (source_column, target_column) if not reverse else (target_column, source_column)
    return set(through._default_manager.filter(**{mine: instance.pk}).values_list(theirs, flat=True))


def _through_columns(through: type[Model], model: type[Model]) -> tuple[str, str]:
    """The through model's columns to the declaring model and to the related one."""
    keys = [field for field in through._meta.get_fields() if isinstance(field, Field) and field.many_to_one]
    source = next(field for field in keys if field.related_model is model)
    target = next(field for field in keys if field is not source)
    return source.attname, target.attname


def connect() -> None:
    """Wire the detection (``CampaignConfig.ready``)."""
    uid = "campaign.org_events."
    for model in WATCHED:
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}before:{model._meta.label}")
    post_save.connect(_member_saved, sender=Member, dispatch_uid=uid + "member_saved")
    post_delete.connect(_member_deleted, sender=Member, dispatch_uid=uid + "member_deleted")
    post_save.connect(_team_saved, sender=LeadershipTeam, dispatch_uid=uid + "team_saved")
    pre_delete.connect(_team_deleted, sender=LeadershipTeam, dispatch_uid=uid + "team_deleted")
    post_save.connect(_unit_saved, sender=OrgUnit, dispatch_uid=uid + "unit_saved")
    post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid=uid + "campaign_saved")
    post_save.connect(_supervisor_saved, sender=Supervisor, dispatch_uid=uid + "supervisor_saved")
    post_delete.connect(_supervisor_deleted, sender=Supervisor, dispatch_uid=uid + "supervisor_deleted")
    post_save.connect(_supervisory_team_saved, sender=SupervisoryTeam, dispatch_uid=uid + "supervisory_team_saved")

    K = OrgChangeKind
    relations = {
        LeadershipTeam.members.through: _Relation(
            LeadershipTeam, "team_ids", "member_ids", K.TEAM_SEATS_ADDED, K.TEAM_SEATS_REMOVED
        ),
        Member.in_charge_of.through: _Relation(Member, "member_ids", "unit_ids", K.CHARGE_ADDED, K.CHARGE_REMOVED),
        SupervisoryTeam.units.through: _Relation(
            SupervisoryTeam, "team_ids", "unit_ids", K.SUPERVISED_UNITS_ADDED, K.SUPERVISED_UNITS_REMOVED
        ),
    }
    _RELATIONS.update(relations)
    for through in relations:
        m2m_changed.connect(_relation_changed, sender=through, dispatch_uid=f"{uid}relation:{through._meta.label}")
