"""What list pages share."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``queryset`` that ``?page=`` asks for (the last one if past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
