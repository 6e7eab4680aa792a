"""Background jobs (``core.models.Job``): claiming one, and its progress as the
progress bar reads it.

Any job with ``status``, ``get_status_display()``, ``running``, ``rows_done``,
``rows_total`` and ``percent`` can be polled by ``static/js/progress.js`` through a view
that returns ``progress_response(job, url)``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _


def claim_job(namespace: int, job_id: int) -> bool:
    """Whether this run of a job's task may work on it: on PostgreSQL an advisory lock
    (in ``namespace``, one per kind of job) held until the end of the transaction, so
    that a second delivery of the task waits its turn; elsewhere (SQLite, one writer
    at a time) always."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, job_id])
        return bool(cursor.fetchone()[0])


def progress_response(job: Any, url: str) -> JsonResponse:
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "running": job.running,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            "text": _("%(done)d of about %(total)d rows") % {"done": job.rows_done, "total": job.rows_total},
            "url": url,
        }
    )
