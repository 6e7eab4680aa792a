"""The real path: a new opinion commits, its roll-up travels through Redis to a Celery
worker, and the worker brings all three ledger levels up to date."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from celery.app.routes import MapRoute, Router
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from campaign.models import ChangeOutbox
from config.celery import app
from opinions.services import Target
from reports.models import LedgerRow
from tests.conftest import need
from tests.reports.helpers import add_opinion, assert_ledger_matches_source, build_ledgers
from tests.test_celery_worker import celery_config, redis_answers

BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"


def _figure(campaign, scope: str) -> int:
    row = LedgerRow.objects.filter(campaign=campaign, scope=scope, dimension="total").first()
    return row.value if row else 0


def _route_ledger_tasks_to(queue: str | None) -> None:
    """Send the ledger's tasks to ``queue``, so that no other worker on the broker takes
    our messages and we take no one else's (None: back to the configured routes). The
    router is replaced, not the configuration, which Celery caches beyond an override."""
    if queue is None:
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()
    else:
        app.amqp.router = Router([MapRoute({"reports.*": {"queue": queue}})], app.amqp.queues, True, app=app)


@pytest.mark.services
def test_a_new_opinion_reaches_all_three_levels_through_a_worker(transactional_db, world):
    need(redis_answers(BROKER_URL), f"Redis does not answer at {BROKER_URL}")
    ledgers = build_ledgers(world)
    campaign, member, unit = ledgers.campaign, ledgers.member, ledgers.world.unit
    queue = f"canvass-ledgers-{uuid.uuid4().hex}"
    with (
        celery_config(
            CELERY_TASK_ALWAYS_EAGER=False,
            CELERY_BROKER_URL=BROKER_URL,
            CELERY_RESULT_BACKEND=None,
            CELERY_WORKER_HIJACK_ROOT_LOGGER=False,
        ),
        start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30),
    ):
        _route_ledger_tasks_to(queue)
        try:
            # Committed for real (transactional_db): the commit sends records_changed,
            # the receiver puts the roll-up on the broker, the worker takes it.
            add_opinion(campaign, Target(member=member))
            deadline = time.monotonic() + 60
            while ChangeOutbox.objects.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            _route_ledger_tasks_to(None)

    assert not ChangeOutbox.objects.exists(), "the worker consumed the outbox row"
    assert _figure(campaign, "county") == 1
    assert _figure(campaign, f"unit:{unit.pk}") == 1
    assert _figure(campaign, f"member:{member.pk}") == 1
    assert_ledger_matches_source(campaign)
    assert app.amqp.router.route({}, "reports.rollup_units")["queue"].name == "celery", "routes restored"
    # Under pytest the settings keep tasks in-process even with a broker set; the test
    # switched that off for the worker and must leave it as the settings say.
    assert app.conf.task_always_eager == settings.CELERY_TASK_ALWAYS_EAGER, "configuration restored"
