"""Anonymity of the public box (issue 3, "Done when"): whatever a citizen's browser and
connection reveal ends up in no table, no log line and no cache key; only what he or she
typed is stored."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import ChangeOutbox, Rank, TeamKind
from opinions import public
from opinions.models import BoxSubmission, Opinion
from tests import factories as f
from tests.conftest import World

CANARY_ADDRESS = "198.51.100.173"
CANARY_FORWARDED = ("203.0.113.219", "192.0.2.201")
CANARIES = (
    CANARY_ADDRESS,
    *CANARY_FORWARDED,
    "CanaryAgent-5b1e",
    "referer-canary-77",
    "cookie-canary-93",
    "en-canary42",
    "header-canary-3141",
    "192.0.2.202",
)
HEADERS = {
    "REMOTE_ADDR": CANARY_ADDRESS,
    "HTTP_X_FORWARDED_FOR": ", ".join(CANARY_FORWARDED),
    "HTTP_X_REAL_IP": "192.0.2.202",
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) CanaryAgent-5b1e",
    "HTTP_REFERER": "https://referer-canary-77.example/from/here",
    "HTTP_ACCEPT_LANGUAGE": "zh-CN,en-canary42;q=0.3",
    "HTTP_X_CANARY": "header-canary-3141",
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


def _value_text(value: object) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("latin-1")
    return str(value)


def stored_values() -> Iterator[tuple[str, str]]:
    """(table.column, text) of every column of every row of every model's table: the
    history tables, the many-to-many tables, sessions (decoded), axes' records and the
    change outbox included."""
    tables = set(connection.introspection.table_names())
    seen: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.proxy or table in seen or table not in tables:
            continue
        seen.add(table)
        fields = model._meta.concrete_fields
        for row in model._base_manager.values_list(*(field.attname for field in fields)):
            for field, value in zip(fields, row, strict=True):
                yield f"{table}.{field.column}", _value_text(value)
    for session in Session.objects.all():
        yield "django_session (decoded)", str(session.get_decoded())


def cached_values() -> Iterator[tuple[str, str]]:
    """Every key and value in the cache, local-memory (the default) or Redis."""
    backend = cache._cache
    if isinstance(backend, dict):  # LocMemCache keeps a dict of pickled values
        items = [(key, _value_text(value)) for key, value in backend.items()]
    else:  # RedisCache's client
        client = backend.get_client()
        items = [(key.decode(), _value_text(client.get(key))) for key in client.keys("*")]
    for key, value in items:
        yield f"cache key {key}", key
        yield f"cache value {key}", value


def visit_as_a_citizen(client: Client, world: World) -> dict[str, int]:
    """Everything a citizen (and a bot, and a flood) does, with the canary headers."""
    write = reverse("public:write", args=[world.campaign.slug])
    receipt = reverse("public:receipt")
    statuses: dict[str, int] = {}

    assert client.get(reverse("public:index"), **HEADERS).status_code == 200
    page = client.get(write, **HEADERS)
    token = page.cookies["csrftoken"].value
    targets = public.public_targets(campaign=world.campaign)
    team_token = next(token for token, target in targets.by_token.items() if target.team is not None)

    def form(**changes: str) -> dict[str, str]:
        data = {
            "csrfmiddlewaretoken": token,
            "target": team_token,
            "target_text": "",
            "kind": "opinion",
            "aspect": "",
            "text": "窗口办事效率低。",
            "name": "热心群众",
            "contact": "城东",
            "website": "",
            "once": public.form_once_new(),
        }
        data.update(changes)
        return data

    answer = client.post(write, form(), **HEADERS)
    assert answer.status_code == 200
    code = answer.content.decode().split('id="receipt-code">')[1].split("<")[0].strip()
    statuses["submit"] = answer.status_code
    statuses["described"] = client.post(write, form(target="other", target_text="县医院"), **HEADERS).status_code
    statuses["error"] = client.post(write, form(text=""), **HEADERS).status_code
    statuses["bot"] = client.post(write, form(website="http://spam"), **HEADERS).status_code
    statuses["lookup"] = client.post(receipt, {"csrfmiddlewaretoken": token, "code": code}, **HEADERS).status_code
    statuses["forged"] = client.post(receipt, {"csrfmiddlewaretoken": token, "code": "12ab"}, **HEADERS).status_code
    for _ in range(public.SUBMIT_LIMIT.count):
        statuses["flood"] = client.post(write, form(), **HEADERS).status_code
    statuses["not_found"] = client.get(reverse("public:write", args=["no-such-box"]), **HEADERS).status_code
    statuses["csrf_failure"] = Client(enforce_csrf_checks=True).post(write, form(), **HEADERS).status_code
    return statuses


@pytest.mark.parametrize("proxies", [0, 1], ids=["direct", "behind-a-proxy"])
def test_no_canary_from_the_request_is_stored_logged_or_cached(
    open_world: World, settings, caplog, capfd, proxies: int, whole_window
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    caplog.set_level(logging.DEBUG)
    client = Client(enforce_csrf_checks=True)
    client.cookies["tracker"] = "cookie-canary-93"

    outbox_before = ChangeOutbox.objects.count()
    # The SQL is logged too (at DEBUG), so a canary in any statement would show.
    with CaptureQueriesContext(connection) as queries:
        statuses = visit_as_a_citizen(client, open_world)

    assert statuses == {
        "submit": 200,
        "described": 200,
        "error": 200,
        "bot": 200,
        "lookup": 200,
        "forged": 200,
        "flood": 429,
        "not_found": 404,
        "csrf_failure": 403,
    }
    # What the citizen typed is stored (the first, the described one, and the two posts of
    # the flood still within the limit, which the bot's post shares): the scan below looks
    # at real rows, held for the day's batch and then recorded by it.
    assert BoxSubmission.objects.filter(submitter_name="热心群众", submitter_contact="城东").count() == 4
    assert ChangeOutbox.objects.count() == outbox_before  # the batch announces, not the request
    held = list(stored_values())
    assert public.box_flush(before=timezone.localdate() + datetime.timedelta(days=1)).recorded == 4
    assert Opinion.objects.filter(submitter_name="热心群众", submitter_contact="城东").count() == 4
    assert ChangeOutbox.objects.count() > outbox_before
    # The refusal of the flood is not logged either: the line would date the posts before it.
    assert not any("Too Many Requests" in record.getMessage() for record in caplog.records)

    # The scan below reads every table; these hold rows from the visit, these others exist.
    assert "opinions_boxsubmission" in {where.split(".")[0] for where, _text in held}
    scanned = {where.split(".")[0] for where, _text in stored_values()}
    assert {"opinions_opinion", "opinions_historicalopinion", "campaign_changeoutbox"} <= scanned
    tables = set(connection.introspection.table_names())
    assert {"django_session", "axes_accessattempt", "axes_accessfailurelog", "django_admin_log"} <= tables

    found = []
    everything = [
        *held,
        *stored_values(),
        *cached_values(),
        *(("log", record.getMessage()) for record in caplog.records),
        *(("log extra", repr(record.__dict__)) for record in caplog.records),
        *(("sql", query["sql"]) for query in queries.captured_queries),
        ("stderr", capfd.readouterr().err),
    ]
    for where, text in everything:
        found.extend(f"{canary} in {where}" for canary in CANARIES if canary in text)
    assert not found, "\n".join(found)
    assert not Session.objects.exists()


def test_the_scan_would_find_a_canary_that_was_stored(open_world: World) -> None:
    # The scan itself is trusted only if it sees what it looks for.
    f.MemberFactory(campaign=open_world.campaign, unit=open_world.unit, position="header-canary-3141")
    assert any("header-canary-3141" in text for _where, text in stored_values())
    cache.set("box:probe", CANARY_ADDRESS)
    assert any(CANARY_ADDRESS in text for _where, text in cached_values())


def test_the_receipt_hash_is_not_the_code_and_history_keeps_no_hash(client, open_world: World) -> None:
    code = public.receipt_code_new()
    digest = public.receipt_hash(code)
    assert code not in digest
    assert len(digest) == 64
    history_fields = {field.name for field in Opinion.history.model._meta.fields}
    assert "receipt_hash" not in history_fields
    assert "history_user" in history_fields  # and the box leaves it empty (test_public_box)


# --- A member's list does not depend on who gave the opinions -----------------------------

RAW = {
    "meetings": ("会议太多，下基层太少。", "opinion", "work"),
    "schedule": ("希望公开接访日程。", "suggestion", "purpose"),
    "delays": ("个别事项审批拖延。", "opinion", "work"),
    "integrity": ("注意廉洁自律，管好身边人。", "suggestion", "integrity"),
}
# The office's wording: item → the raw opinions it consolidates.
ITEMS = {
    "工作作风方面：深入基层不够，个别审批事项办理不及时。": ("work", ("meetings", "delays")),
    "宗旨意识方面：建议定期公开接访安排。": ("purpose", ("schedule",)),
    "廉洁自律方面：要求严格要求自己和身边工作人员。": ("integrity", ("integrity",)),
}


def _through_the_box(world: World, key: str, headers: dict[str, str], name: str, contact: str) -> None:
    text, kind, aspect = RAW[key]
    targets = public.public_targets(campaign=world.campaign)
    token = next(t for t, target in targets.by_token.items() if target.member and target.member.name == "县长丁")
    data = {
        "target": token,
        "kind": kind,
        "aspect": aspect,
        "text": text,
        "name": name,
        "contact": contact,
        "once": public.form_once_new(),
    }
    response = Client().post(reverse("public:write", args=[world.campaign.slug]), data, **headers)
    assert 'id="receipt-code"' in response.content.decode()


def _render_the_list(world: World, leader, submit) -> bytes:
    """Gather the opinions with ``submit``, consolidate and release the list, and return
    the leader's page; then undo it all, so the next scenario starts from the same state."""
    from opinions.feedback import feedback_item_create, feedback_lists_release
    from opinions.models import FeedbackList

    office = world.users["office"]
    with transaction.atomic():
        cache.clear()
        submit()
        public.box_flush(before=timezone.localdate() + datetime.timedelta(days=1))
        by_text = {opinion.text: opinion for opinion in Opinion.objects.filter(target_member=leader)}
        assert len(by_text) == len(RAW)
        feedback_list = FeedbackList.objects.get(target_member=leader)
        for wording, (aspect, keys) in ITEMS.items():
            feedback_item_create(
                actor=office,
                feedback_list=feedback_list,
                text=wording,
                aspect=aspect,
                opinions=[by_text[RAW[key][0]] for key in keys],
            )
        feedback_lists_release(
            actor=office, campaign=world.campaign, lists=[feedback_list], released_on=timezone.localdate()
        )
        client = Client()
        client.force_login(leader.user, backend="django.contrib.auth.backends.ModelBackend")
        response = client.get(reverse("opinions:my_feedback"))
        assert response.status_code == 200
        transaction.set_rollback(True)
    return response.content


def test_a_members_list_renders_byte_identical_whoever_gave_the_opinions(open_world: World, monkeypatch) -> None:
    from opinions.feedback import feedback_list_get_or_create
    from opinions.models import Channel, SolicitationEvent, SourceGroup
    from opinions.services import Target, opinion_create

    # The CSRF token's random mask is the one part of any page that changes between two
    # renders; fix it, so that whatever else differs shows.
    monkeypatch.setattr("django.middleware.csrf._get_new_csrf_string", lambda: "x" * 32)
    world = open_world
    leader = f.MemberFactory(
        campaign=world.campaign,
        unit=world.unit,
        name="县长丁",
        rank=Rank.COUNTY_LEADER,
        user=f.UserFactory(username="leader"),
    )
    # The list exists before either scenario, as it would once the office starts it.
    feedback_list_get_or_create(actor=world.users["office"], campaign=world.campaign, target=Target(member=leader))
    today = timezone.localdate()

    def one_citizen_through_the_box() -> None:
        headers = {**HEADERS, "HTTP_USER_AGENT": "Citizen-A"}
        for key in RAW:
            _through_the_box(world, key, headers, name="甲某", contact="13900000001")

    def many_people_many_ways() -> None:
        forum = SolicitationEvent.objects.create(
            campaign=world.campaign,
            unit=world.unit,
            channel=Channel.FORUM,
            title="老干部座谈会",
            held_on=today - datetime.timedelta(days=3),
        )

        def entered(key: str, **how) -> None:
            text, kind, aspect = RAW[key]
            opinion_create(
                campaign=world.campaign,
                kind=kind,
                text=text,
                aspect=aspect,
                target=Target(member=leader),
                **how,
            )

        # Another order of arrival, other people, other channels, events and dates.
        entered(
            "integrity",
            actor=world.users["office"],
            channel=Channel.HOTLINE,
            received_on=world.campaign.starts_on,
        )
        entered(
            "schedule",
            actor=world.users["secretary"],
            channel=Channel.FORUM,
            event=forum,
            source_group=SourceGroup.VETERAN_CADRES,
            received_on=forum.held_on,
            recording_unit=world.unit,
        )
        _through_the_box(world, "delays", {"REMOTE_ADDR": "192.0.2.77"}, name="", contact="")
        _through_the_box(world, "meetings", {"REMOTE_ADDR": "192.0.2.78"}, name="乙某", contact="城西")

    first = _render_the_list(world, leader, one_citizen_through_the_box)
    second = _render_the_list(world, leader, many_people_many_ways)

    page = first.decode()
    for wording in ITEMS:
        assert wording in page
    for secret in ("甲某", "乙某", "13900000001", "城西", "老干部座谈会", *(text for text, _k, _a in RAW.values())):
        assert secret not in page
    assert first == second
