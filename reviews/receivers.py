"""What changes elsewhere ask of the documents: connected in ``ReviewsConfig.ready``.

No rule lives here; each receiver notes what a change touched and calls a service:
- a new campaign gets its routing rules (``services.routing_rules_ensure``);
- a member, a document or a review deleted changes the document figures of the
  author's unit: the unit is announced to the ledger, in the same transaction (a member
  created or moved is announced by ``talks.signals`` already, and a roll-up of a unit
  recomputes every source's figures, ``DOC_MEMBERS`` among them);
- a reviewer changed — a unit's responsible leader or place in the tree, a supervisor,
  the units a supervisory team supervises, an author's rank or unit, a member deleted —
  so the documents awaiting a decision are routed again (``services.documents_reroute``),
  once per campaign when the transaction commits: an import of thousands of rows then
  re-routes once, and a rolled-back change re-routes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet

from campaign.events import announce_change
from campaign.models import Campaign, Member, OrgUnit, Supervisor, SupervisoryTeam
from reviews import services
from reviews.models import AnalysisDocument, Review


class Reroute:
    """The campaigns whose documents to route again once a transaction commits."""

    def __init__(self) -> None:
        self.campaign_ids: set[int] = set()

    def __call__(self) -> None:
        # A campaign deleted meanwhile has nothing left to route.
        for campaign in Campaign.objects.filter(pk__in=self.campaign_ids).order_by("pk"):
            services.documents_reroute(campaign=campaign)


def _reroute(campaign_id: int) -> None:
    connection = transaction.get_connection()
    # This transaction's collection, if it has one already: found among the callbacks
    # waiting for its commit (a rolled-back savepoint takes its callbacks with it).
    pending = None
    if connection.in_atomic_block:
        pending = next((func for _ids, func, _robust in connection.run_on_commit if isinstance(func, Reroute)), None)
    collection = pending or Reroute()
    collection.campaign_ids.add(campaign_id)
    if pending is None:
        # Outside a transaction this runs at once, hence filled first.
        transaction.on_commit(collection, robust=True)


def _announce(campaign_id: int, unit_id: int | None) -> None:
    if unit_id is not None:
        announce_change(campaign_id=campaign_id, unit_ids=[unit_id], source=services.SOURCE)


def _origin_model(origin: Any) -> type[Model] | None:
    if isinstance(origin, QuerySet):
        return origin.model
    return type(origin) if isinstance(origin, Model) else None


# --- Campaigns ----------------------------------------------------------------------


def campaign_saved(sender: type[Campaign], instance: Campaign, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.routing_rules_ensure(campaign=instance)


# --- Members, documents and reviews deleted (the admin) --------------------------------


def member_before_save(sender: type[Member], instance: Member, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    instance._reviews_before = Member.objects.filter(pk=instance.pk).values_list("unit_id", "rank").first()


def member_saved(sender: type[Member], instance: Member, created: bool, raw: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_reviews_before", None)
    instance._reviews_before = None
    if not raw and before is not None and before != (instance.unit_id, instance.rank):
        _reroute(instance.campaign_id)  # the route of the member's own document


def member_deleted(sender: type[Member], instance: Member, origin: Any = None, **kwargs: Any) -> None:
    if _origin_model(origin) is Campaign:
        return  # the whole campaign goes, its ledger with it
    _announce(instance.campaign_id, instance.unit_id)
    _reroute(instance.campaign_id)  # he or she may have been a unit's responsible leader


def document_deleted(
    sender: type[AnalysisDocument], instance: AnalysisDocument, origin: Any = None, **kwargs: Any
) -> None:
    if _origin_model(origin) in (Member, Campaign):
        return  # announced with the member, or the whole campaign goes
    unit_id = Member.objects.filter(pk=instance.member_id).values_list("unit_id", flat=True).first()
    _announce(instance.campaign_id, unit_id)


def review_deleted(sender: type[Review], instance: Review, origin: Any = None, **kwargs: Any) -> None:
    if _origin_model(origin) in (AnalysisDocument, Member, Campaign):
        return
    row = AnalysisDocument.objects.filter(pk=instance.document_id).values_list("campaign_id", "member__unit_id").first()
    if row is not None:
        _announce(*row)


# --- Reviewers --------------------------------------------------------------------------


def unit_before_save(sender: type[OrgUnit], instance: OrgUnit, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    instance._reviews_before = (
        OrgUnit.objects.filter(pk=instance.pk).values_list("responsible_leader_id", "parent_id").first()
    )


def unit_saved(sender: type[OrgUnit], instance: OrgUnit, created: bool, raw: bool = False, **kwargs: Any) -> None:
    before = getattr(instance, "_reviews_before", None)
    instance._reviews_before = None
    if raw or created or before is None:
        return
    if before != (instance.responsible_leader_id, instance.parent_id):
        _reroute(instance.campaign_id)


def supervisor_changed(sender: type[Supervisor], instance: Supervisor, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    campaign_id = SupervisoryTeam.objects.filter(pk=instance.team_id).values_list("campaign_id", flat=True).first()
    if campaign_id is not None:
        _reroute(campaign_id)


def supervisory_team_saved(
    sender: type[SupervisoryTeam], instance: SupervisoryTeam, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and not created:
        _reroute(instance.campaign_id)


def supervised_units_changed(sender: Any, instance: SupervisoryTeam | OrgUnit, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _reroute(instance.campaign_id)


def connect() -> None:
    from django.db.models import signals

    uid = "reviews.receivers."
    signals.post_save.connect(campaign_saved, sender=Campaign, dispatch_uid=uid + "campaign_saved")
    signals.pre_save.connect(member_before_save, sender=Member, dispatch_uid=uid + "member_before_save")
    signals.post_save.connect(member_saved, sender=Member, dispatch_uid=uid + "member_saved")
    signals.post_delete.connect(member_deleted, sender=Member, dispatch_uid=uid + "member_deleted")
    signals.post_delete.connect(document_deleted, sender=AnalysisDocument, dispatch_uid=uid + "document_deleted")
    signals.post_delete.connect(review_deleted, sender=Review, dispatch_uid=uid + "review_deleted")
    signals.pre_save.connect(unit_before_save, sender=OrgUnit, dispatch_uid=uid + "unit_before_save")
    signals.post_save.connect(unit_saved, sender=OrgUnit, dispatch_uid=uid + "unit_saved")
    signals.post_save.connect(supervisor_changed, sender=Supervisor, dispatch_uid=uid + "supervisor_saved")
    signals.post_delete.connect(supervisor_changed, sender=Supervisor, dispatch_uid=uid + "supervisor_deleted")
    signals.post_save.connect(supervisory_team_saved, sender=SupervisoryTeam, dispatch_uid=uid + "team_saved")
    signals.m2m_changed.connect(
        supervised_units_changed, sender=SupervisoryTeam.units.through, dispatch_uid=uid + "supervised_units"
    )
