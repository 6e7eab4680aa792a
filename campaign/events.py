"""How stage apps announce that their records changed, without importing ``reports``.

``announce_change`` writes one outbox row per affected unit inside the caller's
transaction, and once that transaction commits sends ``records_changed``; ``reports``
listens and enqueues its roll-ups. A crash between the two leaves the outbox rows,
which the periodic re-send picks up: nothing is lost, and roll-ups are idempotent.

Announcements made in one transaction are sent together when it commits: one
``records_changed`` per campaign with the union of the units, however many records
changed — a seed or an import that touches a thousand rows sends one message, not a
thousand.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

import django.dispatch
from django.db import DEFAULT_DB_ALIAS, transaction

from campaign.models import ChangeOutbox
from core.transactions import collect

logger = logging.getLogger(__name__)

# Sent after commit with ``campaign_id``, ``unit_ids`` (a frozenset; None stands for a
# change with no unit, such as a county-wide setting) and ``sources`` (what changed).
records_changed = django.dispatch.Signal()


def _send(*, sender: str, **kwargs: object) -> None:
    # A receiver that fails (no broker) must not stop the others; the outbox rows stay
    # and the periodic re-send takes them up.
    for receiver, result in records_changed.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("records_changed receiver %r failed", receiver, exc_info=result)


class _Pending:
    """The announcements of one transaction, sent by one on-commit callback
    (``core.transactions.collect``: one per atomic block, so that a savepoint rolled
    back takes its announcements along)."""

    def __init__(self) -> None:
        self.units: dict[int, set[int | None]] = defaultdict(set)
        self.sources: dict[int, set[str]] = defaultdict(set)

    def __call__(self) -> None:
        for campaign_id, units in sorted(self.units.items()):
            sources = frozenset(self.sources[campaign_id])
            _send(sender=",".join(sorted(sources)), campaign_id=campaign_id, unit_ids=frozenset(units), sources=sources)


def announce_change(*, campaign_id: int, unit_ids: Iterable[int | None], source: str) -> None:
    """Some records of these units changed (None: of no unit, or county-wide)."""
    _announce(campaign_id, {(unit_id, "") for unit_id in unit_ids}, source)


def announce_targets(*, campaign_id: int, subjects: Iterable[tuple[int | None, str]], source: str) -> None:
    """Some records of these units changed, and only those about the named targets
    (``ChangeOutbox.target``): pairs of (unit, target). The roll-up may then recompute
    just those targets' figures; it is sent, and re-sent, by unit all the same."""
    _announce(campaign_id, set(subjects), source)


def _announce(campaign_id: int, subjects: set[tuple[int | None, str]], source: str) -> None:
    if not subjects:
        return
    units = frozenset(unit_id for unit_id, _target in subjects)
    ChangeOutbox.objects.bulk_create(
        ChangeOutbox(campaign_id=campaign_id, unit_id=unit_id, source=source, target=target)
        for unit_id, target in sorted(subjects, key=lambda pair: (pair[0] is None, pair[0] or 0, pair[1]))
    )
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    if not connection.in_atomic_block:
        # Autocommit: the rows are committed already.
        _send(sender=source, campaign_id=campaign_id, unit_ids=units, sources=frozenset({source}))
        return

    def add(pending: _Pending) -> None:
        pending.units[campaign_id] |= units
        pending.sources[campaign_id].add(source)

    collect(_Pending, add)
