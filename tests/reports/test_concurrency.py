"""Roll-ups running at the same time as each other and as new changes, each in its own
connection (PostgreSQL: SQLite lets one writer in at a time, so nothing overlaps there)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from campaign.models import ChangeOutbox
from reports.ledger import reconcile, rollup
from tests.reports.helpers import add_opinion, assert_ledger_matches_source, build_ledgers

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")


def test_concurrent_changes_and_rollups_leave_every_figure_right(transactional_db, world):
    ledgers = build_ledgers(world)
    campaign = ledgers.campaign
    targets = [t for t in ledgers.targets() if t.obj is not None]
    start = threading.Barrier(4)
    errors: list[Exception] = []

    def work(offset: int) -> None:
        try:
            start.wait()
            for i in range(8):
                # Each opinion commits; its roll-up runs at once (eager) in this thread,
                # overlapping the other threads' writes and roll-ups.
                add_opinion(campaign, targets[(offset + i) % len(targets)])
                rollup.ledger_rollup_units(
                    campaign_id=campaign.pk, unit_ids=[ledgers.world.unit.pk, None], only_pending=True
                )
        except Exception as error:  # reported by the main thread
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(n * 3,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    rollup.ledger_drain_outbox()
    assert not ChangeOutbox.objects.exists()
    assert_ledger_matches_source(campaign)
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []
