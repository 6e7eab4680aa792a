"""Solicitation events: the rules with their messages at the field, who may record
them for which unit, the list with its filters and export, and its bounded queries."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import ChangeOutbox
from core import once
from opinions import services
from opinions.models import Channel, EventLevel, SolicitationEvent, SourceGroup
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

pytestmark = pytest.mark.usefixtures("english")

DAY = datetime.date(2026, 2, 1)


def forum_fields(world, **changes):
    fields = {
        "unit": world.unit,
        "channel": Channel.FORUM,
        "title": "老干部座谈会",
        "level": EventLevel.UNIT,
        "held_on": DAY,
        "attendee_groups": [SourceGroup.VETERAN_CADRES, SourceGroup.DEPUTIES],
        "attendance": 24,
    }
    fields.update(changes)
    return fields


def test_a_secretary_records_a_forum_of_his_unit(world):
    event = services.event_create(actor=world.users["secretary"], campaign=world.campaign, **forum_fields(world))
    assert event.attendance == 24
    assert event.attendee_groups == ["veterans", "deputies"]
    assert event.history.latest().history_user == world.users["secretary"]
    assert list(ChangeOutbox.objects.values_list("unit_id", "source")) == [(world.unit.pk, "events")]


def test_a_secretary_may_not_record_an_event_of_another_unit(world):
    with pytest.raises(ValidationError) as caught:
        services.event_create(
            actor=world.users["secretary"], campaign=world.campaign, **forum_fields(world, unit=world.other_unit)
        )
    assert caught.value.message_dict["unit"] == ["You may not record events for 第一中学OUTSIDE."]
    assert not SolicitationEvent.objects.exists()


def test_the_office_records_events_for_every_unit(world):
    event = services.event_create(
        actor=world.users["office"], campaign=world.campaign, **forum_fields(world, unit=world.other_unit)
    )
    assert event.unit == world.other_unit


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"channel": Channel.QUESTIONNAIRE, "forms_issued": 100, "forms_returned": 120},
            "forms_returned",
            "120 forms cannot have come back when only 100 were issued.",
        ),
        (
            {"channel": Channel.SUGGESTION_BOX, "held_on": DAY, "ends_on": DAY - datetime.timedelta(days=1)},
            "ends_on",
            "The event cannot end before it starts (2026-02-01).",
        ),
        (
            {"held_on": datetime.date(2025, 12, 31)},
            "held_on",
            "The date must lie within the campaign (2026-01-10 to 2026-06-30).",
        ),
        (
            {"ends_on": datetime.date(2026, 7, 2)},
            "ends_on",
            "The date must lie within the campaign (2026-01-10 to 2026-06-30).",
        ),
        ({"attendee_groups": ["aliens"]}, "attendee_groups", "Unknown attendee groups: aliens."),
    ],
)
def test_wrong_events_are_refused_with_the_message_at_the_field(world, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        services.event_create(actor=world.users["office"], campaign=world.campaign, **forum_fields(world, **changes))
    assert caught.value.message_dict[field] == [message]
    assert not SolicitationEvent.objects.exists()


def test_moving_an_event_announces_both_units(world):
    office = world.users["office"]
    event = services.event_create(actor=office, campaign=world.campaign, **forum_fields(world))
    ChangeOutbox.objects.all().delete()
    services.event_update(actor=office, event=event, unit=world.other_unit)
    assert sorted(ChangeOutbox.objects.values_list("unit_id", flat=True)) == sorted(
        [world.unit.pk, world.other_unit.pk]
    )


# --- Pages ----------------------------------------------------------------------


def post_event(client, **changes):
    data = {
        once.FIELD: once.issue(),  # the page's one-time token (core.once)
        "channel": "questionnaire",
        "title": "征求意见表发放",
        "unit": "",
        "level": "unit",
        "held_on": "2026-02-01",
        "ends_on": "",
        "place": "",
        "attendance": "0",
        "forms_issued": "200",
        "forms_returned": "180",
        "boxes_set": "0",
    }
    data.update(changes)
    return client.post(reverse("opinions:event_create"), data)


def test_the_event_form_shows_each_message_by_its_field(world, login):
    client = login(world.users["secretary"])
    response = post_event(client, unit=world.unit.pk, forms_returned="250", ends_on="2026-01-20")
    assert response.status_code == 200
    page = response.content.decode()
    assert "250 forms cannot have come back when only 200 were issued." in page
    assert "The event cannot end before it starts (2026-02-01)." in page
    form = response.context["form"]
    assert set(form.errors) == {"forms_returned", "ends_on"}
    assert not SolicitationEvent.objects.exists()


def test_the_event_form_offers_only_the_secretarys_units(world, login):
    client = login(world.users["secretary"])
    response = client.get(reverse("opinions:event_create"))
    units = set(response.context["form"].fields["unit"].queryset)
    assert units == {world.unit, world.branch}
    response = post_event(client, unit=world.other_unit.pk)
    assert "unit" in response.context["form"].errors
    assert not SolicitationEvent.objects.exists()


def test_a_secretary_records_then_edits_an_event(world, login):
    client = login(world.users["secretary"])
    response = post_event(client, unit=world.unit.pk)
    assert response.status_code == 302
    event = SolicitationEvent.objects.get()
    assert (event.forms_issued, event.forms_returned) == (200, 180)
    response = client.post(
        reverse("opinions:event_edit", args=[event.pk]),
        {**event_form_data(event), "forms_returned": "190"},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.forms_returned == 190
    assert event.history.count() == 2


def event_form_data(event) -> dict:
    return {
        "channel": event.channel,
        "title": event.title,
        "unit": event.unit_id,
        "level": event.level,
        "held_on": event.held_on.isoformat(),
        "ends_on": "",
        "place": event.place,
        "attendance": event.attendance,
        "forms_issued": event.forms_issued,
        "forms_returned": event.forms_returned,
        "boxes_set": event.boxes_set,
    }


def test_a_secretary_cannot_edit_an_event_of_another_unit(world, login):
    event = SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="教育座谈会OUTSIDE")
    response = login(world.users["secretary"]).get(reverse("opinions:event_edit", args=[event.pk]))
    assert response.status_code == 404


def test_the_event_list_filters_by_unit_channel_date_and_search(world, login):
    SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="老干部座谈会", held_on=DAY)
    SolicitationEventFactory(
        campaign=world.campaign,
        unit=world.branch,
        title="支部意见箱",
        channel=Channel.SUGGESTION_BOX,
        held_on=DAY,
        ends_on=DAY + datetime.timedelta(days=20),
        boxes_set=3,
    )
    SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="教师座谈会OUTSIDE", held_on=DAY)
    client = login(world.users["office"])

    def titles(**params):
        response = client.get(reverse("opinions:event_list"), params)
        return sorted(event.title for event in response.context["page"])

    assert titles() == ["支部意见箱", "教师座谈会OUTSIDE", "老干部座谈会"]
    assert titles(unit=world.unit.pk) == ["支部意见箱", "老干部座谈会"]
    assert titles(channel="box") == ["支部意见箱"]
    assert titles(q="干部") == ["老干部座谈会"]
    # A box stands for a period: it is found by any day it covers.
    assert titles(held_from="2026-02-10") == ["支部意见箱"]
    assert titles(held_to="2026-01-31") == []

    login(world.users["secretary"])
    assert titles() == ["支部意见箱", "老干部座谈会"]


def test_the_event_export_holds_what_the_list_shows(world, login):
    SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title='=HYPERLINK("x")', held_on=DAY)
    SolicitationEventFactory(
        campaign=world.campaign,
        unit=world.unit,
        title="问卷",
        channel=Channel.QUESTIONNAIRE,
        forms_issued=300,
        forms_returned=280,
        held_on=DAY,
    )
    response = login(world.users["secretary"]).get(reverse("opinions:event_export"), {"channel": "questionnaire"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("No.", "Title", "Kind")
    assert rows[2][1] == "问卷" and 300 in rows[2] and 280 in rows[2]
    assert rows[-1][0] == "Total: 1"
    response = login(world.users["secretary"]).get(reverse("opinions:event_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    formula = next(cell for row in sheet.iter_rows() for cell in row if cell.value == '=HYPERLINK("x")')
    assert formula.data_type == "s" and formula.quotePrefix


@pytest.mark.parametrize("page", ["opinions:event_list", "opinions:event_export"])
def test_the_event_list_runs_the_same_queries_for_5_and_200_events(world, login, page):
    client = login(world.users["secretary"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse(page)).status_code == 200
        return len(context.captured_queries)

    events = [SolicitationEventFactory(campaign=world.campaign, unit=world.unit) for _ in range(5)]
    OpinionFactory(target_member=world.member, event=events[0])
    few = queries()
    for _ in range(195):
        SolicitationEventFactory(campaign=world.campaign, unit=world.branch)
    assert queries() == few
