"""Anonymity sweep (issue 11 §5, item 4): the canaries of the box's timing test and of the
anonymity test on every public request; every table, log and cache key (Redis on a
PostgreSQL run) searched: 0 hits.

Every public page is requested, and the box used (submit, described target, refusals, a
bot, the receipt lookup, a flood, a CSRF failure) by an anonymous visitor and by a
logged-in citizen whose user name is a canary, with a canary in every header a server
could keep (address, X-Forwarded-For, X-Real-IP, User-Agent, Referer, Accept-Language,
a cookie, a custom header), directly and behind a trusted proxy. Then searched: every
column of every table (history, many-to-many, sessions decoded, axes, the outbox, the
ledgers), every log record at DEBUG of every logger with its extra fields, every SQL
statement, stderr, every cache key and value, and every key and value of the Redis
database of the broker and the results when there is one. A hit is a canary anywhere;
the citizen's user name or session key in a row the box requests changed; or a time
finer than the day in a row the box requests wrote, or in the expiry of a cache key.
The day's batch then records the submissions, and everything is searched again.
"""

from __future__ import annotations

import datetime
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import Rank, TeamKind
from opinions import public
from opinions.models import BoxSubmission, Opinion
from tests import factories as f
from tests.conftest import World
from tests.opinions.test_anonymity import CANARIES, HEADERS, cached_values, stored_values, visit_as_a_citizen
from tests.opinions.test_box_timing import cache_expiries, keys_say_only_the_day_or_the_window

pytestmark = [pytest.mark.proof, pytest.mark.django_db]

CITIZEN = "citizen-canary-6021"
COOKIE = "cookie-canary-93"


@pytest.fixture
def whole_window() -> None:
    """Start well inside a rate-limit window (as tests/opinions/conftest.py does): the
    flood's posts must all count together."""
    seconds = public.SUBMIT_LIMIT.seconds
    into = time.time() % seconds
    if into > seconds - 60:
        time.sleep(seconds - into + 0.05)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_world(world: World) -> World:
    today = timezone.localdate()
    world.campaign.starts_on = today - datetime.timedelta(days=30)
    world.campaign.ends_on = today + datetime.timedelta(days=30)
    world.campaign.save()
    f.LeadershipTeamFactory(
        campaign=world.campaign, unit=world.county, name="县委常委班子", kind=TeamKind.STANDING_COMMITTEE
    )
    f.MemberFactory(campaign=world.campaign, unit=world.county, name="县长丙", rank=Rank.COUNTY_LEADER)
    return world


def redis_values() -> Iterator[tuple[str, str]]:
    """Every key and value of the Redis databases of the broker and the results (a PG run)."""
    import redis

    urls = {django_settings.CELERY_BROKER_URL or "", getattr(django_settings, "CELERY_RESULT_BACKEND", None) or ""}
    for url in sorted(u for u in urls if u.startswith("redis")):
        client = redis.Redis.from_url(url)
        for key in client.scan_iter("*"):
            value = _redis_value(client, key)
            yield f"redis {url} key", key.decode("latin-1")
            yield f"redis {url} value {key!r}", repr(value)


def _redis_value(client, key: bytes) -> object:
    kind = client.type(key).decode()
    if kind == "string":
        return client.get(key)
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "hash":
        return client.hgetall(key)
    if kind == "set":
        return client.smembers(key)
    if kind == "zset":
        return client.zrange(key, 0, -1, withscores=True)
    return b""


def rows_with_times() -> dict[tuple[str, object], tuple]:
    """(table, pk) → the row's date-time values, for the rows of every table."""
    out: dict[tuple[str, object], tuple] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy:
            continue
        names = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, (models.DateTimeField, models.TimeField))
        ]
        if not names:
            continue
        for pk, *values in model._base_manager.values_list("pk", *names):
            out[(model._meta.db_table, pk)] = tuple(values)
    return out


def finer_than_the_day(before: dict, after: dict) -> list[str]:
    """Times in the rows the requests added or changed that are not a midnight."""
    hits = []
    for key, values in after.items():
        if before.get(key) == values:
            continue
        for value in values:
            if value is None:
                continue
            if isinstance(value, datetime.time) or timezone.localtime(value).time() != datetime.time.min:
                hits.append(f"{key[0]} row {key[1]}: {value}")
    return hits


def stored_changes(before: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return [item for item in stored_values() if item not in before]


@pytest.mark.parametrize("proxies", [0, 1], ids=["direct", "behind-a-proxy"])
def test_no_canary_identity_or_time_from_any_public_request_is_kept(
    open_world: World, settings, caplog, capfd, figures, proxies: int, whole_window
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    caplog.set_level(logging.DEBUG)
    citizen_user = f.UserFactory(username=CITIZEN)
    citizen = Client(enforce_csrf_checks=True)
    citizen.force_login(citizen_user, backend="django.contrib.auth.backends.ModelBackend")
    session_key = citizen.session.session_key
    identity = (CITIZEN, session_key)

    # The other public pages renew a logged-in user's session as every page does
    # (SESSION_SAVE_EVERY_REQUEST): they are visited first, their canaries searched
    # with the rest; the box's own pages are then watched for time too.
    other_pages = [reverse("login"), reverse("admin:login")]
    box_pages = [reverse("public:index"), reverse("public:receipt")]
    anonymous = Client(enforce_csrf_checks=True)
    visitors = (anonymous, citizen)
    hits: list[str] = []
    searched: Counter = Counter()

    def search(items, canaries=CANARIES) -> None:
        for where, text in items:
            searched[where.split(" ")[0].split(".")[0]] += 1
            hits.extend(f"{canary!r} in {where}" for canary in canaries if canary and canary in text)

    requests = 0
    with CaptureQueriesContext(connection) as queries:
        for client in visitors:
            client.cookies["tracker"] = COOKIE
            for url in other_pages:
                client.get(url, **HEADERS)
                requests += 1
        stored_before = set(stored_values())
        times_before = rows_with_times()
        for client in visitors:
            for url in box_pages:
                client.get(url, **HEADERS)
                requests += 1
            visit_as_a_citizen(client, open_world)
            requests += 13
            # The flood's counts are per address: the second visitor starts a fresh count,
            # after this visitor's keys were searched.
            search(cached_values())
            hits.extend(keys_say_only_the_day_or_the_window(cache_expiries()))
            search(redis_values())
            cache.clear()
    held = BoxSubmission.objects.count()
    hits.extend(finer_than_the_day(times_before, rows_with_times()))
    changes = stored_changes(stored_before)
    search(changes, (*CANARIES, *identity))

    public.box_flush(before=timezone.localdate() + datetime.timedelta(days=1))
    recorded = Opinion.objects.filter(submitter_name="热心群众").count()
    search(stored_values())
    search(stored_changes(stored_before), (*CANARIES, *identity))
    search(cached_values())
    search(redis_values())
    search(("log", record.getMessage()) for record in caplog.records)
    search(("log extra", repr(record.__dict__)) for record in caplog.records)
    search(("sql", query["sql"]) for query in queries.captured_queries)
    search([("stderr", capfd.readouterr().err)])
    # The citizen's session is as it was: not touched, not extended, not copied.
    assert Session.objects.filter(session_key=session_key).exists()

    figures(
        proxies=proxies,
        database=connection.vendor,
        cache=django_settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        redis=bool(os.environ.get("CELERY_BROKER_URL")),
        requests=requests,
        held=held,
        recorded=recorded,
        canaries=len(CANARIES) + len(identity),
        places_searched=len(searched),
        values_searched=sum(searched.values()),
        log_records=len(caplog.records),
        sql_statements=len(queries.captured_queries),
        hits=len(hits),
    )
    assert held == 8 and recorded == 8, "the sweep must look at real submissions"
    assert not hits, "\n".join(hits[:50])


def test_the_sweep_finds_what_it_looks_for(open_world: World) -> None:
    # A canary or a time put where the sweep looks is found.
    before = rows_with_times()
    user = f.UserFactory(username=CITIZEN)
    assert any(CITIZEN in text for _where, text in stored_values())
    assert finer_than_the_day(before, rows_with_times()), "a user's date joined is a time of day"
    cache.set("box:probe", CANARIES[0])
    assert any(CANARIES[0] in text for _where, text in cached_values())
    assert user.pk
