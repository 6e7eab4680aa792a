"""How stage apps announce that their records changed, without importing ``reports``.

``announce_change`` writes one outbox row per affected unit inside the caller's
transaction, and once that transaction commits sends ``records_changed``; ``reports``
listens and enqueues its roll-ups. A crash between the two leaves the outbox rows,
which the periodic re-send picks up: nothing is lost, and roll-ups are idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable

import django.dispatch
from django.db import transaction

from campaign.models import ChangeOutbox

# Sent after commit with ``campaign_id`` and ``unit_ids`` (a frozenset; None stands
# for a change with no unit, such as a county-wide setting).
records_changed = django.dispatch.Signal()


def announce_change(*, campaign_id: int, unit_ids: Iterable[int | None], source: str) -> None:
    units = frozenset(unit_ids)
    if not units:
        return
    ChangeOutbox.objects.bulk_create(
        ChangeOutbox(campaign_id=campaign_id, unit_id=unit_id, source=source) for unit_id in units
    )
    transaction.on_commit(
        lambda: records_changed.send(sender=source, campaign_id=campaign_id, unit_ids=units), robust=True
    )
