"""Reconciliation of the ledger: every figure recounted from source and compared.

Each source recounts its own figures with plain ORM queries — on purpose not the SQL
its roll-up writes with (``reports.ledger.registry``) — and the stored rows and cells
are compared with the recount under the campaign's ledger lock, in one snapshot. A
difference is a drift: logged, and with ``record`` kept as a ``LedgerDrift``; with
``repair`` the ledger is recomputed whole. The nightly task runs it on every campaign.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from campaign.models import Campaign
from reports.ledger import registry
from reports.ledger.registry import FigureKey
from reports.ledger.rollup import ledger_drain_outbox, ledger_rollup_full, lock_ledger
from reports.models import LedgerCell, LedgerDrift, LedgerRow, LedgerState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drift:
    campaign_id: int
    scope: str
    unit_id: int | None
    dimension: str
    key: str
    stored: int
    recounted: int

    def __str__(self) -> str:
        return f"{self.scope} {self.dimension}={self.key or '∅'}: stored {self.stored}, recounted {self.recounted}"


def ledger_recount(*, campaign_id: int) -> dict[FigureKey, int]:
    """Every figure of a campaign's ledger counted afresh from source, by every source."""
    return registry.recount_all(campaign_id)


def ledger_stored(*, campaign_id: int) -> dict[FigureKey, int]:
    """Every stored figure of a campaign: its ledger rows and its cells."""
    stored: dict[FigureKey, int] = {}
    for model in (LedgerRow, LedgerCell):
        rows = model.objects.filter(campaign_id=campaign_id).values_list(
            "scope", "unit_id", "dimension", "key", "value"
        )
        stored.update({(scope, unit_id, dimension, key): value for scope, unit_id, dimension, key, value in rows})
    return stored


def _set_snapshot_isolation() -> None:
    # One snapshot for the recount and the stored rows, so that a change committed
    # between the two reads is not mistaken for drift (SQLite reads one snapshot anyway).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def ledger_compare(*, campaign_id: int) -> list[Drift]:
    """Every figure that differs from a direct recount (read under the ledger lock)."""
    outermost = not connection.in_atomic_block  # inside another transaction, its isolation stands
    with transaction.atomic():
        if outermost:
            _set_snapshot_isolation()
        if not lock_ledger(campaign_id):
            return []
        recounted = ledger_recount(campaign_id=campaign_id)
        stored = ledger_stored(campaign_id=campaign_id)
    drifts = []
    for figure in sorted(set(recounted) | set(stored), key=lambda k: (k[0], k[1] or 0, k[2], k[3])):
        if recounted.get(figure, 0) != stored.get(figure, 0):
            scope, unit_id, dimension, key = figure
            drifts.append(
                Drift(
                    campaign_id=campaign_id,
                    scope=scope,
                    unit_id=unit_id,
                    dimension=dimension,
                    key=key,
                    stored=stored.get(figure, 0),
                    recounted=recounted.get(figure, 0),
                )
            )
    return drifts


def ledger_reconcile(*, campaign_id: int, repair: bool = False, record: bool = False) -> list[Drift]:
    """Compare a campaign's ledger with a direct recount; optionally record each drift
    (``LedgerDrift``) and repair the ledger with a full roll-up."""
    drifts = ledger_compare(campaign_id=campaign_id)
    with transaction.atomic():
        if drifts and repair:
            ledger_rollup_full(campaign_id=campaign_id)
        now = timezone.now()
        if record:
            LedgerDrift.objects.bulk_create(
                LedgerDrift(
                    campaign_id=campaign_id,
                    found_at=now,
                    scope=drift.scope,
                    unit_ref=drift.unit_id,
                    dimension=drift.dimension,
                    key=drift.key,
                    stored=drift.stored,
                    recounted=drift.recounted,
                    repaired=repair,
                )
                for drift in drifts
            )
        LedgerState.objects.filter(campaign_id=campaign_id).update(reconciled_at=now)
    for drift in drifts:
        logger.warning("Ledger drift in campaign %s: %s", campaign_id, drift)
    return drifts


def ledger_reconcile_all(*, repair: bool = True, record: bool = True) -> dict[str, int]:
    """The nightly check: take in whatever waits in the outbox, then reconcile every
    campaign. Returns the number of drifts found per campaign code."""
    ledger_drain_outbox()
    return {
        campaign.slug: len(ledger_reconcile(campaign_id=campaign.pk, repair=repair, record=record))
        for campaign in Campaign.objects.order_by("pk").only("pk", "slug")
    }
