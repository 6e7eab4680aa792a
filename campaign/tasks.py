"""Celery tasks of the ground floor: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from campaign import maintenance


@shared_task(name="campaign.rebuild_org_paths")
def rebuild_org_paths(campaign_id: int) -> int:
    """Repair OrgUnit.path/depth of one campaign; returns the number of rows fixed.
    Idempotent: a second run finds nothing to fix, so a retry or a duplicate is harmless."""
    return maintenance.org_paths_rebuild(campaign_id=campaign_id)
