"""Excel exports of what a list page shows, in the import format (so they round-trip)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse


def xlsx_response(kind: str, queryset: QuerySet, *, filename: str) -> HttpResponse:
    from campaign.resources import export_xlsx

    response = HttpResponse(
        export_xlsx(kind, queryset),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}.xlsx"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
