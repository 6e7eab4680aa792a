"""One-time form tokens (``core.once``): used with the rows in one transaction, refused a
second time, forgotten when too old to be sent; and the admin's add forms."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import signing
from django.db import close_old_connections, connection
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from campaign.models import OrgUnit, OrgUnitKind
from core import once
from core.models import UsedFormToken
from tests.form_once import FIELD, token_in


def _branch(world, code: str) -> OrgUnit:
    return OrgUnit.objects.create(
        campaign=world.campaign, parent=world.unit, kind=OrgUnitKind.BRANCH, name="支部", code=code
    )


def _request(token: str | None) -> once.FormOnce:
    data = {} if token is None else {FIELD: token}
    return once.FormOnce(RequestFactory().post("/", data))


def test_each_form_shown_gets_a_new_signed_token() -> None:
    template = Template("{% load form_once %}{% form_once %}")
    first, second = (token_in(template.render(Context())) for _ in range(2))
    assert first != second
    assert _request(first).token == first.split(":")[0]


@pytest.mark.parametrize("token", [None, "", "abc", "dGhlIHNhbWUgb2xkIHRva2Vu:1abcde:forged"])
def test_a_missing_or_forged_token_is_refused_with_a_message(token) -> None:
    sent = _request(token)
    assert sent.token is None
    assert not sent.valid_for()
    assert sent.message() == str(once.MISSING)


def test_a_token_older_than_its_days_is_refused(settings, monkeypatch) -> None:
    token = once.issue()
    later = datetime.datetime.now(tz=datetime.UTC).timestamp() + (settings.FORM_TOKEN_DAYS + 1) * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    sent = _request(token)
    assert sent.token is None
    assert sent.message() == str(once.EXPIRED)


def test_the_rows_and_the_token_are_stored_together_or_not_at_all(world) -> None:
    sent = _request(once.issue())
    with pytest.raises(RuntimeError), sent.consume():
        _branch(world, "B9")
        raise RuntimeError("the service refused")
    assert not OrgUnit.objects.filter(code="B9").exists()
    assert not UsedFormToken.objects.exists(), "a refused send leaves its token unused"

    with sent.consume() as use:
        _branch(world, "B9")
        use.leads_to("/org/units/")
    with pytest.raises(once.AlreadySubmitted) as second, sent.consume():
        _branch(world, "B8")
    assert second.value.led_to == "/org/units/"
    assert OrgUnit.objects.filter(code__in=["B8", "B9"]).count() == 1


def test_a_used_token_keeps_the_day_and_nothing_of_who_or_when(db) -> None:
    sent = _request(once.issue())
    with sent.consume():
        pass
    fields = {f.name for f in UsedFormToken._meta.get_fields()}
    assert fields == {"id", "token", "used_on", "led_to"}
    row = UsedFormToken.objects.get()
    assert type(row.used_on) is datetime.date


def test_the_purge_forgets_tokens_too_old_to_be_sent(db, settings) -> None:
    today = datetime.date(2026, 3, 20)
    keep = today - datetime.timedelta(days=settings.FORM_TOKEN_DAYS)
    old = today - datetime.timedelta(days=settings.FORM_TOKEN_DAYS + 2)
    UsedFormToken.objects.create(token="k" * 22, used_on=keep)
    UsedFormToken.objects.create(token="o" * 22, used_on=old)
    assert once.once_purge(today=today) == 1
    assert list(UsedFormToken.objects.values_list("token", flat=True)) == ["k" * 22]


def test_the_purge_runs_as_a_beat_task(db, settings) -> None:
    from core import tasks

    assert "core.purge_form_tokens" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks.purge_form_tokens() == 0


# --- The admin's add forms --------------------------------------------------------


def _unit_form(world, page) -> dict[str, str]:
    return {
        "campaign": str(world.campaign.pk),
        "parent": str(world.unit.pk),
        "kind": OrgUnitKind.BRANCH,
        "name": "新支部",
        "code": "NB1",
        FIELD: token_in(page.content),
    }


def test_the_admins_add_form_sent_twice_adds_once(world, login) -> None:
    client = login(world.users["admin"])
    url = reverse("admin:campaign_orgunit_add")
    page = client.get(url)
    assert page.status_code == 200
    data = _unit_form(world, page)
    first = client.post(url, data)
    assert first.status_code == 302, first.content.decode()[:3000]
    second = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This form was already submitted; nothing was saved twice." in second.content.decode()
    assert OrgUnit.objects.filter(code="NB1").count() == 1


def test_the_admins_add_form_without_a_token_adds_nothing(world, login) -> None:
    client = login(world.users["admin"])
    url = reverse("admin:campaign_orgunit_add")
    data = {**_unit_form(world, client.get(url)), FIELD: "forged"}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert str(once.MISSING) in response.content.decode()
    assert not OrgUnit.objects.filter(code="NB1").exists()
    assert not UsedFormToken.objects.exists()


# --- Two sends at the same moment (PostgreSQL: SQLite lets one writer in at a time) ----


@pytest.mark.services
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
def test_two_sends_of_one_token_at_once_store_one_set_of_rows(transactional_db, world) -> None:
    from opinions.models import OpinionKind
    from opinions.services import OpinionRow, Target, opinions_create_batch
    from tests.opinions.factories import SolicitationEventFactory

    forum = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="老干部座谈会")
    token = once.issue()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        try:
            sent = _request(token)
            start.wait()
            with sent.consume():
                opinions_create_batch(
                    actor=world.users["secretary"],
                    campaign=world.campaign,
                    rows=[
                        OpinionRow(kind=OpinionKind.OPINION, text=f"意见{n}", target=Target(member=world.member))
                        for n in range(3)
                    ],
                    event=forum,
                    recording_unit=world.unit,
                )
            outcomes.append("stored")
        except once.AlreadySubmitted:
            outcomes.append("already")
        except Exception as error:  # reported by the main thread
            outcomes.append(repr(error))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["already", "stored"]
    from opinions.models import Opinion

    assert Opinion.objects.filter(text__startswith="意见").count() == 3
    assert UsedFormToken.objects.count() == 1
