"""What changes elsewhere ask of the documents: connected in ``ReviewsConfig.ready``.

No rule lives here; each receiver notes what a change touched and calls a service:
- a new campaign gets its routing rules (``services.routing_rules_ensure``);
- a member added, moved to another unit or removed, a document or a review deleted
  changes the document figures of the author's unit (both units of one who moved): the
  units are announced to the ledger, in the same transaction (a roll-up of a unit
  recomputes every source's figures, ``DOC_MEMBERS`` among them);
- a reviewer changed — a unit's responsible leader or place in the tree, a supervisor,
  a supervisory team's level or the units it supervises, an author's rank or unit, a
  member removed — so the documents awaiting a decision are routed again
  (``services.documents_reroute``), once per campaign when the transaction commits: an
  import of thousands of rows then re-routes once, and a rolled-back change re-routes
  nothing.
The organisation's changes come announced once by ``campaign.org_events``
(``org_changed``); only the documents' own deletions are read from model signals here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from campaign.events import announce_change
from campaign.models import Campaign, Member
from campaign.org_events import SUPERVISION_KINDS, OrgChange, OrgChangeKind, org_changed
from core.transactions import collect
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
    # One collection per transaction, run once on its commit (at once outside one).
    collect(Reroute, lambda collection: collection.campaign_ids.add(campaign_id), per_savepoint=False)


def _announce(campaign_id: int, *unit_ids: int | None) -> None:
    units = {unit for unit in unit_ids if unit is not None}
    if units:
        announce_change(campaign_id=campaign_id, unit_ids=units, source=services.SOURCE)


def _origin_model(origin: Any) -> type[Model] | None:
    if isinstance(origin, QuerySet):
        return origin.model
    return type(origin) if isinstance(origin, Model) else None


# --- Campaigns ----------------------------------------------------------------------


def campaign_saved(sender: type[Campaign], instance: Campaign, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        services.routing_rules_ensure(campaign=instance)


# --- Documents and reviews deleted (the admin) ------------------------------------------


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


# --- The organisation ------------------------------------------------------------------


def org_change_received(sender: Any, change: OrgChange, **kwargs: Any) -> None:
    kind, campaign_id = change.kind, change.campaign_id
    if kind == OrgChangeKind.MEMBER_ADDED:
        _announce(campaign_id, change.new_unit_id)
    elif kind == OrgChangeKind.MEMBER_CHANGED:
        if "unit" in change.fields:
            _announce(campaign_id, change.old_unit_id, change.new_unit_id)
        if not change.raw and change.fields & {"unit", "rank"}:
            _reroute(campaign_id)  # the route of the member's own document
    elif kind == OrgChangeKind.MEMBER_REMOVED:
        _announce(campaign_id, change.old_unit_id)
        _reroute(campaign_id)  # he or she may have been a unit's responsible leader
    elif kind == OrgChangeKind.UNIT_CHANGED:
        if not change.raw and change.fields & {"responsible_leader", "parent"}:
            _reroute(campaign_id)
    elif kind in SUPERVISION_KINDS and not change.raw:
        _reroute(campaign_id)


def connect() -> None:
    from django.db.models import signals

    uid = "reviews.receivers."
    signals.post_save.connect(campaign_saved, sender=Campaign, dispatch_uid=uid + "campaign_saved")
    signals.post_delete.connect(document_deleted, sender=AnalysisDocument, dispatch_uid=uid + "document_deleted")
    signals.post_delete.connect(review_deleted, sender=Review, dispatch_uid=uid + "review_deleted")
    org_changed.connect(org_change_received, dispatch_uid=uid + "org_changed")
