"""Celery tasks of the toolbox: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from core import jobs, once


@shared_task(name="core.sweep_stale_jobs")
def sweep_stale_jobs() -> dict[str, int]:
    """Send again, or fail, the jobs whose worker died (``core.jobs.jobs_sweep_stale``)."""
    return jobs.jobs_sweep_stale()


@shared_task(name="core.purge_form_tokens")
def purge_form_tokens() -> int:
    """Forget the used one-time form tokens too old to be sent (``core.once.once_purge``)."""
    return once.once_purge()
