"""Celery tasks of the talks app: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from talks import imports


@shared_task(name="talks.run_import_job", acks_late=True, reject_on_worker_lost=True)
def run_import_job(job_id: int) -> None:
    """Check or import the file of one import of talk cards (its status says which).
    Safe to deliver twice: see ``talks.imports.import_job_run``."""
    imports.import_job_run(job_id=job_id)
