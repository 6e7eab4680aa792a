"""Celery tasks of the look-back: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from lookback import services


@shared_task(name="lookback.flag_overdue_orders", acks_late=True, reject_on_worker_lost=True)
def flag_overdue_orders() -> int:
    """Every day: flag the remedial orders past their deadline with no redo reported, so
    the office's pages and the ledger show them (idempotent)."""
    return services.orders_flag_overdue()
