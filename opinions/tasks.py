"""Celery tasks of the opinions app: thin wrappers that take ids and call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from opinions import imports, public

logger = logging.getLogger(__name__)


@shared_task(name="opinions.run_import_job", acks_late=True, reject_on_worker_lost=True)
def run_import_job(job_id: int) -> None:
    """Check or import the file of one import job (its status says which). Safe to
    deliver twice: see ``opinions.imports.import_job_run``."""
    imports.import_job_run(job_id=job_id)


@shared_task(name="opinions.flush_box", acks_late=True, reject_on_worker_lost=True)
def flush_box() -> dict[str, int]:
    """Hourly: record the public box's held submissions of past days (a no-op after the
    day's first run). The one log line of the box: per batch, never per submission."""
    result = public.box_flush()
    if result.recorded or result.refused:
        logger.info("Public box: %d held submission(s) recorded, %d left held.", result.recorded, result.refused)
    if result.refused:
        logger.warning("Public box: %d held submission(s) fail the opinion's checks now.", result.refused)
    if not public.cache_reachable():
        # Said here rather than during a box request, where the line would date it.
        logger.warning("Public box: the cache cannot be reached; rate limits are counted per process.")
    return {"recorded": result.recorded, "refused": result.refused}
