"""The progress of a long job (an import, an export) as the progress bar reads it.

Any job with ``status``, ``get_status_display()``, ``running``, ``rows_done``,
``rows_total`` and ``percent`` can be polled by ``static/js/progress.js`` through a view
that returns ``progress_response(job, url)``.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext as _


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
