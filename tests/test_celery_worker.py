"""The real Celery path: a task sent through Redis and run by a worker, and the eager path.

Under pytest the settings run tasks eagerly (even with CELERY_BROKER_URL set); these tests
switch the project's own Celery app to the broker (or to eager) for their duration and put
everything back afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import ValidationError
from kombu import Exchange, Queue

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.tasks import rebuild_org_paths
from config.celery import app
from tests import factories as f
from tests.conftest import need

BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"


@contextmanager
def celery_config(**changes: object) -> Iterator[None]:
    """Override CELERY_* keys of the app's configuration, then remove the overrides so
    that the Django settings show through again."""
    saved = {key: app.conf.changes[key] for key in changes if key in app.conf.changes}
    drop_cached_connections()
    app.conf.update(changes)
    try:
        yield
    finally:
        drop_cached_connections()
        for key in changes:
            app.conf.changes.pop(key, None)
        app.conf.update(saved)


def drop_cached_connections() -> None:
    """The app caches its broker pools (even the eager path takes a producer) and its
    result backend; after a change of URL they must be built again."""
    kombu.pools.reset()  # closes every pool and forgets it, so none is handed out closed
    app._after_fork()  # Celery's own reset of the app's references to those pools
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def tree_with_stale_paths() -> tuple[Campaign, list[OrgUnit]]:
    """A county → committee → unit → branch tree, then damage of the kind a bulk load
    leaves behind: paths wiped on some rows, and new rows created without save()."""
    campaign = f.CampaignFactory()
    county = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE)
    committee = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE, parent=county)
    unit = f.OrgUnitFactory(campaign=campaign, parent=committee)
    branch = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.BRANCH, parent=unit)
    OrgUnit.objects.filter(pk__in=[committee.pk, branch.pk]).update(path="", depth=0)
    loaded = OrgUnit.objects.bulk_create(
        [
            OrgUnit(campaign=campaign, parent=committee, kind=OrgUnitKind.UNIT, code="BULK1", name="批量单位"),
            OrgUnit(campaign=campaign, parent=unit, kind=OrgUnitKind.BRANCH, code="BULK2", name="批量支部"),
        ]
    )
    return campaign, [county, committee, unit, branch, *loaded]


def assert_paths_follow_parents(campaign: Campaign) -> None:
    units = {u.pk: u for u in OrgUnit.objects.filter(campaign=campaign)}
    for u in units.values():
        parent_path = units[u.parent_id].path if u.parent_id else "/"
        assert u.path == f"{parent_path}{u.pk:08d}/"
        assert u.depth == u.path.count("/") - 2


@pytest.mark.services
def test_worker_rebuilds_org_paths_sent_through_redis(transactional_db):
    need(redis_answers(BROKER_URL), f"Redis does not answer at {BROKER_URL}")
    campaign, units = tree_with_stale_paths()
    county, committee = units[0], units[1]
    assert OrgUnit.objects.subtree_of(committee).count() == 1, "the damage hides the subtree"

    # A queue of our own, so that no other worker takes the message and we take no one else's.
    queue = f"canvass-test-{uuid.uuid4().hex}"
    with celery_config(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL=BROKER_URL,
        CELERY_RESULT_BACKEND=BROKER_URL,
        CELERY_WORKER_HIJACK_ROOT_LOGGER=False,
    ):
        try:
            with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
                result = rebuild_org_paths.apply_async(args=[campaign.pk], queue=queue)
                assert result.get(timeout=60) == 4, "two wiped rows, two loaded around save()"
                assert result.status == "SUCCESS"
                again = rebuild_org_paths.apply_async(args=[campaign.pk], queue=queue)
                assert again.get(timeout=60) == 0, "a second run finds nothing to fix"
                result.forget()
                again.forget()
        finally:
            # Leave nothing behind in the broker once the worker has stopped. A channel
            # only deletes the bindings it knows, so declare the queue on it first.
            with app.connection_for_write() as conn:
                bound = Queue(queue, Exchange(queue), routing_key=queue)(conn.default_channel)
                bound.declare()
                bound.delete()

    assert_paths_follow_parents(campaign)
    assert OrgUnit.objects.subtree_of(committee).count() == 5
    assert OrgUnit.objects.subtree_of(county).count() == 6
    assert app.conf.task_always_eager is True, "configuration restored: tests run tasks eagerly"


def test_eager_path_runs_the_task_in_process(db):
    campaign, units = tree_with_stale_paths()
    with celery_config(CELERY_TASK_ALWAYS_EAGER=True):
        result = rebuild_org_paths.delay(campaign.pk)
    assert result.get() == 4
    assert_paths_follow_parents(campaign)
    assert OrgUnit.objects.subtree_of(units[0]).count() == 6


def test_eager_path_raises_the_services_error(db):
    """CELERY_TASK_EAGER_PROPAGATES: a failing task fails loudly where it was called."""
    with celery_config(CELERY_TASK_ALWAYS_EAGER=True), pytest.raises(ValidationError):
        rebuild_org_paths.delay(987654321)
