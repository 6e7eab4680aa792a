"""Log-in records (address, browser) are kept for the campaigns' retention period, then
purged: nightly by Celery beat, or with manage.py purge_login_records."""

from __future__ import annotations

import datetime
import io

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from campaign import accounts, tasks
from campaign.models import Campaign
from tests import factories as f


def aged(model, days: int, **fields):
    row = model.objects.create(
        username="someone", ip_address="192.0.2.1", user_agent="Firefox", http_accept="*/*", path_info="/", **fields
    )
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - datetime.timedelta(days=days))
    return row


def records(days: int) -> None:
    aged(AccessLog, days)
    aged(AccessFailureLog, days)
    aged(AccessAttempt, days, get_data="", post_data="", failures_since_start=1)


def remaining() -> tuple[int, int, int]:
    return AccessLog.objects.count(), AccessFailureLog.objects.count(), AccessAttempt.objects.count()


@pytest.mark.django_db
def test_records_older_than_90_days_go_and_younger_ones_stay():
    f.CampaignFactory()
    records(91)
    aged(AccessLog, 89)
    report = accounts.login_records_purge()
    assert (report.days, report.logins, report.failures, report.attempts) == (90, 1, 1, 1)
    assert remaining() == (1, 0, 0)
    assert accounts.login_records_purge().logins == 0, "a second run finds nothing more"


@pytest.mark.django_db
def test_the_longest_setting_of_the_active_campaigns_governs():
    f.CampaignFactory(login_record_days=30)
    f.CampaignFactory(login_record_days=180)
    f.CampaignFactory(login_record_days=365, is_active=False)  # finished: prolongs nothing
    assert accounts.login_record_days() == 180
    records(200)
    aged(AccessLog, 179)
    accounts.login_records_purge()
    assert remaining() == (1, 0, 0)


@pytest.mark.django_db
def test_with_no_active_campaign_the_default_applies():
    assert not Campaign.objects.exists()
    assert accounts.login_record_days() == 90


@pytest.mark.django_db
def test_a_log_in_leaves_a_record_that_the_purge_reaches(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    f.UserFactory(username="clerk")
    client.post("/accounts/login/", {"username": "clerk", "password": f.PASSWORD}, HTTP_USER_AGENT="Firefox")
    record = AccessLog.objects.get(username="clerk")
    assert record.user_agent == "Firefox" and record.ip_address == "127.0.0.1"
    AccessLog.objects.update(attempt_time=timezone.now() - datetime.timedelta(days=91))
    accounts.login_records_purge()
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_the_task_and_the_command_purge():
    records(100)
    assert tasks.purge_login_records.delay().get() == 3
    records(100)
    out = io.StringIO()
    call_command("purge_login_records", stdout=out)
    assert "older than 90 days" in out.getvalue()
    assert remaining() == (0, 0, 0)


def test_the_purge_is_scheduled_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-purge-login-records"]
    assert entry["task"] == tasks.purge_login_records.name
    assert entry["schedule"].hour == {3}


@pytest.mark.django_db
def test_ended_sessions_go_with_the_records():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    ended, live = SessionStore(), SessionStore()
    ended.create()
    live.create()
    Session.objects.filter(session_key=ended.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    accounts.login_records_purge()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
