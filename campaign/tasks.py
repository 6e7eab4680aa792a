"""Celery tasks of the ground floor: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from campaign import accounts, maintenance


@shared_task(name="campaign.rebuild_org_paths")
def rebuild_org_paths(campaign_id: int) -> int:
    """Repair OrgUnit.path/depth of one campaign; returns the number of rows fixed.
    Idempotent: a second run finds nothing to fix, so a retry or a duplicate is harmless."""
    return maintenance.org_paths_rebuild(campaign_id=campaign_id)


@shared_task(name="campaign.purge_login_records")
def purge_login_records() -> int:
    """Delete log-in records past the retention period (nightly from Celery beat);
    returns how many rows went. Idempotent."""
    report = accounts.login_records_purge()
    return report.logins + report.failures + report.attempts
