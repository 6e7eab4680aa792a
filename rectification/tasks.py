"""Celery tasks of the rectification stage: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from rectification import services


@shared_task(name="rectification.flag_overdue")
def flag_overdue() -> int:
    """Daily (beat): flag the unsolved problems past their due date; idempotent."""
    return services.problems_flag_overdue()
