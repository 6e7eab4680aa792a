"""The public box records no *when* (issue 11): nothing in the database, the logs, the
cache or any page places a box submission in time finer than its day, or orders it
among other records; and the box saves or refuses with a message whatever the cache does."""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.db import models
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from campaign.events import records_changed
from campaign.models import ChangeOutbox, LeadershipTeam, Member, Rank, TeamKind
from core.sessions import renew_seconds
from opinions import public
from opinions.models import BoxSubmission, Channel, Opinion, OpinionKind
from opinions.services import Target, opinion_create
from opinions.tasks import flush_box
from reports.ledger.reconcile import ledger_compare
from reports.ledger.rollup import ledger_rollup_full
from reports.models import LedgerState
from tests import factories as f
from tests.conftest import World
from tests.opinions.test_anonymity import cached_values

CODE = 'id="receipt-code">'
# A cache that cannot be reached: nothing listens on port 1.
CACHE_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "KEY_PREFIX": "canvass",
    }
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@dataclass
class Box:
    world: World
    team: LeadershipTeam
    leader: Member

    @property
    def url(self) -> str:
        return reverse("public:write", args=[self.world.campaign.slug])


@pytest.fixture
def box(world: World) -> Box:
    today = timezone.localdate()
    campaign = world.campaign
    campaign.starts_on = today - datetime.timedelta(days=40)
    campaign.ends_on = today + datetime.timedelta(days=40)
    campaign.save()
    team = f.LeadershipTeamFactory(
        campaign=campaign, unit=world.county, name="县政府领导班子", kind=TeamKind.GOVERNMENT
    )
    leader = f.MemberFactory(campaign=campaign, unit=world.unit, name="副县长乙", rank=Rank.COUNTY_LEADER)
    ledger_rollup_full(campaign_id=campaign.pk)
    return Box(world, team, leader)


def form(box: Box, **changes: str) -> dict[str, str]:
    data = {
        "target": f"team-{box.team.pk}",
        "target_text": "",
        "kind": OpinionKind.OPINION,
        "aspect": "work",
        "text": "窗口办事效率低。",
        "name": "",
        "contact": "",
        "website": "",
        "once": public.form_once_new(),
    }
    data.update(changes)
    return data


def code_of(response) -> str:
    page = response.content.decode()
    assert CODE in page, page
    return page.split(CODE)[1].split("<")[0].strip()


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def cache_expiries() -> dict[str, float]:
    """When each cache key expires (seconds since the epoch), local memory or Redis."""
    backend = cache._cache
    if isinstance(backend, dict):  # LocMemCache
        return dict(cache._expire_info)
    client = backend.get_client()
    now = time.time()
    return {key.decode(): now + client.pttl(key) / 1000 for key in client.keys("*")}


def keys_say_only_the_day_or_the_window(expiries: dict[str, float]) -> list[str]:
    """The keys whose time to live would tell when they were written: a form token must
    expire ONCE_SECONDS after the coming midnight, a count at the end of its window."""
    once_at = midnight(tomorrow()).timestamp() + public.ONCE_SECONDS
    wrong = []
    for key, at in expiries.items():
        if "box:once:" in key:
            fine = abs(at - once_at) < 2
        elif "box:rate:" in key:
            offset = at % public.SUBMIT_LIMIT.seconds
            fine = min(offset, public.SUBMIT_LIMIT.seconds - offset) < 2
        else:
            fine = False
        if not fine:
            wrong.append(f"{key} expires at {at}")
    return wrong


# --- Every channel, wherever the box submission falls among staff entries ------------------


@pytest.mark.parametrize("position", ["before", "between", "after"])
def test_nothing_orders_a_box_submission_among_staff_entries(
    box: Box, position: str, caplog, django_capture_on_commit_callbacks, whole_window
) -> None:
    """A logged-in citizen writes through the box before, between or after two staff
    entries of the same day. Every channel known to date a record is read; what each
    says is the same whichever the position, so none of them can order the submission."""
    world = box.world
    office = world.users["office"]
    citizen = Client()
    citizen.force_login(world.users["member"], backend="django.contrib.auth.backends.ModelBackend")
    caplog.set_level(logging.DEBUG)
    labels: dict[int, str] = {}
    effects: dict[str, object] = {}

    def staff_entry(label: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            opinion = opinion_create(
                actor=office,
                campaign=world.campaign,
                kind=OpinionKind.OPINION,
                text=f"座谈会意见{label}",
                channel=Channel.FORUM,
                received_on=timezone.localdate(),
                target=Target(team=box.team),
            )
        labels[opinion.pk] = label

    def through_the_box() -> None:
        sessions = set(Session.objects.values_list("session_key", "session_data", "expire_date"))
        outbox = set(ChangeOutbox.objects.values_list("pk", flat=True))
        state = LedgerState.objects.values_list("rolled_up_at", "full_rollup_at").get(campaign=world.campaign)
        caplog.clear()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            page = citizen.get(box.url)
            answer = citizen.post(box.url, form(box, text="网上意见"))
        effects.update(
            {
                "code shown": CODE in answer.content.decode(),
                # The office's menu is shown to a logged-in user only.
                "user seen by the box": "mainnav" in page.content.decode() + answer.content.decode(),
                "cookies set": sorted((set(page.cookies) | set(answer.cookies)) - {"csrftoken"}),
                "session rows changed": set(Session.objects.values_list("session_key", "session_data", "expire_date"))
                != sessions,
                "outbox rows added": ChangeOutbox.objects.exclude(pk__in=outbox).count(),
                "ledger state moved": LedgerState.objects.values_list("rolled_up_at", "full_rollup_at").get(
                    campaign=world.campaign
                )
                != state,
                "tasks or callbacks": len(callbacks),
                "log lines": [f"{record.name}: {record.getMessage()}" for record in caplog.records],
                "opinions written": Opinion.objects.filter(channel=Channel.ONLINE).count(),
            }
        )

    steps = {
        "before": (through_the_box, lambda: staff_entry("A"), lambda: staff_entry("B")),
        "between": (lambda: staff_entry("A"), through_the_box, lambda: staff_entry("B")),
        "after": (lambda: staff_entry("A"), lambda: staff_entry("B"), through_the_box),
    }[position]
    for step in steps:
        step()

    # The held row: a random key, a date, what was typed; no time, no order.
    held = BoxSubmission.objects.get()
    assert uuid.UUID(str(held.pk)).version == 4
    assert held.received_on == timezone.localdate()
    assert not [field.name for field in BoxSubmission._meta.fields if isinstance(field, models.DateTimeField)]
    assert not hasattr(BoxSubmission, "history")
    expiries = cache_expiries()
    assert any("box:once:" in key for key in expiries)
    assert not keys_say_only_the_day_or_the_window(expiries)
    assert all("box:" in where for where, _text in cached_values())

    # The day's batch, after the day (here: as if it were tomorrow).
    flushed_at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert public.box_flush(before=tomorrow()).recorded == 1
    box_opinion = Opinion.objects.get(channel=Channel.ONLINE)
    labels[box_opinion.pk] = "box"
    history = Opinion.history.model.objects.filter(id__in=labels).order_by("history_id")
    observed = {
        **effects,
        "order of ids": [labels[pk] for pk in sorted(labels)],
        "order of history ids": list(dict.fromkeys(labels[record.id] for record in history)),
        "box history dated": {
            timezone.localtime(record.history_date).isoformat() for record in box_opinion.history.all()
        },
        "box history author": {record.history_user_id for record in box_opinion.history.all()},
        "outbox rows before the batch": ChangeOutbox.objects.filter(created_at__lt=flushed_at, source="opinions")
        .exclude(target=f"team:{box.team.pk}")
        .count(),
        "ledger after the batch": ledger_compare(campaign_id=world.campaign.pk),
        "receipt": public.receipt_status(code="0000000000000000"),
    }
    assert observed == {
        "code shown": True,
        "user seen by the box": False,
        "cookies set": [],
        "session rows changed": False,
        "outbox rows added": 0,
        "ledger state moved": False,
        "tasks or callbacks": 0,
        "log lines": [],
        "opinions written": 0,
        # The batch comes after the whole day: the box opinion is last, wherever it fell.
        "order of ids": ["A", "B", "box"],
        "order of history ids": ["A", "B", "box"],
        "box history dated": {midnight(timezone.localdate()).isoformat()},
        "box history author": {None},
        "outbox rows before the batch": 0,
        "ledger after the batch": [],
        "receipt": None,
    }


def test_the_receipt_says_received_while_held_and_the_status_once_recorded(client, box: Box) -> None:
    code = code_of(client.post(box.url, form(box)))
    lookup = reverse("public:receipt")
    page = client.post(lookup, {"code": code}).content.decode()
    assert 'class="status-word">Received<' in page
    assert "It is recorded together with the day" in page
    public.box_flush(before=tomorrow())
    assert 'class="status-word">Recorded<' in client.post(lookup, {"code": code}).content.decode()
    assert not BoxSubmission.objects.exists()


# --- The batch -------------------------------------------------------------------------------


def _hold(box: Box, count: int, *, day: datetime.date | None = None) -> list[str]:
    texts = []
    for i in range(count):
        text = f"第{i:02d}条意见"
        public.public_opinion_submit(
            campaign=box.world.campaign,
            submission=public.Submission(kind=OpinionKind.OPINION, text=text, target=Target(team=box.team)),
            once=public.form_once_new(),
        )
        texts.append(text)
    if day is not None:
        BoxSubmission.objects.filter(text__in=texts).update(received_on=day)
    return texts


def test_the_batch_records_past_days_shuffled_dated_by_day_with_one_announcement(
    box: Box, django_capture_on_commit_callbacks
) -> None:
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    earlier = _hold(box, 30, day=yesterday)
    todays = _hold(box, 3)
    announcements = []

    def heard(sender, **kwargs) -> None:
        announcements.append(kwargs["unit_ids"])

    records_changed.connect(heard)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = public.box_flush()
    finally:
        records_changed.disconnect(heard)

    # Only the days before today; today's wait for tomorrow, whenever the batch runs.
    assert (result.recorded, result.refused) == (30, 0)
    assert set(BoxSubmission.objects.values_list("text", flat=True)) == set(todays)
    recorded = list(Opinion.objects.filter(channel=Channel.ONLINE).order_by("pk"))
    assert sorted(opinion.text for opinion in recorded) == earlier
    # Shuffled: the ids do not follow the order the submissions came in (1 in 30! by chance).
    assert [opinion.text for opinion in recorded] != earlier
    assert {opinion.received_on for opinion in recorded} == {yesterday}
    dates = {record.history_date for opinion in recorded for record in opinion.history.all()}
    assert dates == {midnight(yesterday)}
    # One announcement for the whole batch, and the ledger is up to date right after.
    assert len(announcements) == 1
    assert not ChangeOutbox.objects.exists()
    assert ledger_compare(campaign_id=box.world.campaign.pk) == []

    # Run again the same day: nothing more to do.
    assert public.box_flush().recorded == 0


def test_a_held_submission_the_checks_now_refuse_stays_held(box: Box) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _hold(box, 2, day=yesterday)
    campaign = box.world.campaign
    campaign.starts_on = timezone.localdate()  # the campaign's dates moved past the day
    campaign.save()
    result = public.box_flush()
    assert (result.recorded, result.refused) == (0, 2)
    assert BoxSubmission.objects.count() == 2


def test_opening_the_list_of_opinions_runs_the_batch_for_past_days_only(client, box: Box) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _hold(box, 1, day=yesterday)
    (todays,) = _hold(box, 1)
    client.force_login(box.world.users["office"], backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("opinions:opinion_list"))
    assert page.status_code == 200
    assert "第00条意见" in page.content.decode()
    assert Opinion.objects.filter(channel=Channel.ONLINE).count() == 1
    assert list(BoxSubmission.objects.values_list("text", flat=True)) == [todays]
    # Nobody who happens to open the page becomes the history's author.
    assert Opinion.objects.get(channel=Channel.ONLINE).history.get().history_user is None


def test_the_command_and_the_task_run_the_batch(box: Box, capsys, caplog) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _hold(box, 2, day=yesterday)
    call_command("flush_box")
    assert "2 held submission(s) recorded as opinions, 0 left held." in capsys.readouterr().out
    _hold(box, 1, day=yesterday)
    caplog.set_level(logging.INFO)
    assert flush_box() == {"recorded": 1, "refused": 0}
    assert [record.getMessage() for record in caplog.records if record.name == "opinions.tasks"] == [
        "Public box: 1 held submission(s) recorded, 0 left held."
    ]


def test_the_box_request_logs_nothing_but_other_pages_still_do(client, box: Box, caplog, whole_window) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(public.SUBMIT_LIMIT.count + 1):
        last = client.post(box.url, form(box))
    assert last.status_code == 429
    assert client.get(reverse("public:write", args=["no-such-box"])).status_code == 404
    assert Client(enforce_csrf_checks=True).post(box.url, form(box)).status_code == 403
    assert not [record for record in caplog.records if record.name.startswith("django")]
    assert client.get("/no-such-page/").status_code == 404
    assert any(record.name == "django.request" for record in caplog.records)


def test_a_logged_in_citizen_keeps_his_session_untouched_and_unextended(box: Box) -> None:
    user = get_user_model().objects.get(pk=box.world.users["member"].pk)
    citizen = Client()
    citizen.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    # As if his last page were a while ago: any other page would renew the expiry now
    # (a session is written again at most once per core.sessions.renew_seconds()).
    lagging = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - renew_seconds() - 5)
    Session.objects.update(expire_date=lagging)
    before = Session.objects.values_list("session_key", "expire_date", "session_data").get()
    for response in (
        citizen.get(reverse("public:index")),
        citizen.get(box.url),
        citizen.post(box.url, form(box)),
        citizen.post(reverse("public:receipt"), {"code": "0000000000000000"}),
        citizen.post(reverse("set_language"), {"language": "en", "next": box.url}),
    ):
        assert "sessionid" not in response.cookies
    assert Session.objects.values_list("session_key", "expire_date", "session_data").get() == before
    # The session still works elsewhere: the box did not log him out.
    assert citizen.get(reverse("opinions:opinion_list")).status_code in (200, 403)
    assert citizen.cookies["sessionid"].value == before[0]
    # Elsewhere the session is renewed as before (SESSION_SAVE_EVERY_REQUEST, throttled).
    citizen.post(reverse("set_language"), {"language": "en", "next": reverse("campaign:home")})
    assert Session.objects.values_list("expire_date", flat=True).get() > before[1]


# --- The cache down --------------------------------------------------------------------------


def test_with_the_cache_down_the_box_saves_or_refuses_with_a_message(client, box: Box, whole_window) -> None:
    lookup = reverse("public:receipt")
    with override_settings(CACHES=CACHE_DOWN):
        assert not public.cache_reachable()
        assert client.get(box.url).status_code == 200
        data = form(box)
        answer = client.post(box.url, data, REMOTE_ADDR="192.0.2.61")
        assert answer.status_code == 200
        code = code_of(answer)
        assert BoxSubmission.objects.count() == 1
        # A resent form is still recognised, by this process.
        again = client.post(box.url, data, REMOTE_ADDR="192.0.2.61")
        assert "This form has already been sent" in again.content.decode()
        assert BoxSubmission.objects.count() == 1
        # The receipt answers.
        found = client.post(lookup, {"code": code}, REMOTE_ADDR="192.0.2.61")
        assert found.status_code == 200
        assert 'class="status-word">Received<' in found.content.decode()
        # The limit still holds, counted in this process: a flood is refused politely.
        statuses = [
            client.post(box.url, form(box), REMOTE_ADDR="192.0.2.62").status_code
            for _ in range(public.SUBMIT_LIMIT.count + 1)
        ]
        assert statuses == [200] * public.SUBMIT_LIMIT.count + [429]
        refused = client.post(box.url, form(box, text="第七条"), REMOTE_ADDR="192.0.2.62")
        assert "Please wait 10 minutes and send again: what you wrote is kept below." in refused.content.decode()
        assert "第七条" in refused.content.decode()
        looks = [
            client.post(lookup, {"code": "0000000000000000"}, REMOTE_ADDR="192.0.2.63").status_code
            for _ in range(public.RECEIPT_LIMIT.count + 1)
        ]
        assert looks == [200] * public.RECEIPT_LIMIT.count + [429]
    assert BoxSubmission.objects.count() == 1 + public.SUBMIT_LIMIT.count
