"""Listens to ``campaign.events.records_changed`` and enqueues the roll-up.

No rule lives here: the receiver only turns the announcement into a task message. If
the message cannot be sent (no broker), the outbox row stays and the periodic re-send
picks it up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from reports import tasks


def enqueue_rollup(sender: Any, *, campaign_id: int, unit_ids: Iterable[int | None], **kwargs: Any) -> None:
    units = set(unit_ids)
    ids = sorted(unit for unit in units if unit is not None) + ([None] if None in units else [])
    # The signal is sent after commit; should anyone send it inside a transaction, the
    # task still waits for the commit, so that it reads what the change wrote.
    transaction.on_commit(lambda: tasks.rollup_units.delay(campaign_id, ids), robust=True)
