"""core.sessions: the session saved again in one UPDATE, otherwise as Django saves it."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.sessions import SessionStore


def test_the_project_uses_it() -> None:
    assert settings.SESSION_ENGINE == "core.sessions"


@pytest.mark.django_db(transaction=True)
def test_a_session_is_saved_again_in_one_update_that_moves_its_expiry() -> None:
    store = SessionStore()
    store["seen"] = 1
    store.create()
    key = store.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + datetime.timedelta(minutes=1))
    again = SessionStore(key)
    again["seen"] = 2
    with CaptureQueriesContext(connection) as queries:
        again.save()
    assert [query["sql"].split()[0] for query in queries] == ["UPDATE"]
    assert SessionStore(key)["seen"] == 2
    expiry = Session.objects.get(pk=key).expire_date
    assert expiry > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


@pytest.mark.django_db(transaction=True)
def test_a_session_deleted_meanwhile_is_not_written_back() -> None:
    store = SessionStore()
    store["seen"] = 1
    store.create()
    Session.objects.filter(pk=store.session_key).delete()  # a logout in another tab
    store["seen"] = 2
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_inside_a_transaction_and_when_new_it_is_saved_as_django_saves_it() -> None:
    store = SessionStore()
    store["seen"] = 1
    store.save()  # new: created with must_create
    with transaction.atomic():
        store["seen"] = 2
        store.save()
    assert SessionStore(store.session_key)["seen"] == 2
