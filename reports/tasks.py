"""Celery tasks of the ledger: thin wrappers that take ids and call a service.

Every task is idempotent (a roll-up recomputes from source), so a message delivered
twice, or re-delivered after a worker died mid-task (acks_late with reject on worker
lost), costs time but never changes a figure.
"""

from __future__ import annotations

import datetime

from celery import shared_task

from reports import export_jobs
from reports.ledger import reconcile, rollup

# Outbox rows older than this are taken to have lost their roll-up and are sent again.
RESEND_AFTER = datetime.timedelta(minutes=1)


@shared_task(name="reports.rollup_units", acks_late=True, reject_on_worker_lost=True)
def rollup_units(campaign_id: int, unit_ids: list[int | None]) -> dict[str, int | bool | None]:
    """Recompute the ledger rows of these units (and the county's), if a change to them
    is still waiting in the outbox."""
    result = rollup.ledger_rollup_units(campaign_id=campaign_id, unit_ids=unit_ids, only_pending=True)
    return result.as_dict()


@shared_task(name="reports.resend_outbox", acks_late=True, reject_on_worker_lost=True)
def resend_outbox() -> int:
    """Send again the roll-ups of changes left in the outbox; returns how many were sent."""
    stale = rollup.stale_outbox(older_than=RESEND_AFTER)
    for campaign_id, unit_ids in stale.items():
        rollup_units.delay(campaign_id, unit_ids)
    return len(stale)


@shared_task(name="reports.reconcile_all", acks_late=True, reject_on_worker_lost=True)
def reconcile_all() -> dict[str, int]:
    """Nightly: recount every figure, record and repair any drift; drifts per campaign."""
    return reconcile.ledger_reconcile_all(repair=True, record=True)


@shared_task(name="reports.run_export_job", acks_late=True, reject_on_worker_lost=True)
def run_export_job(job_id: int) -> None:
    """Write the workbook of one export job. Safe to deliver twice: see
    ``reports.export_jobs.export_job_run``."""
    export_jobs.export_job_run(job_id=job_id)
