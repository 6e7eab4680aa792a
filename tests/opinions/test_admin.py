"""The admin of opinions and events: scoped, saving through the services, and showing
who submitted an opinion to the office and the administrator only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaign.models import ChangeOutbox, TargetCategory
from opinions.models import Opinion, SolicitationEvent
from tests.matrix import scoped_admin_permissions
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def staff(world):
    """The office and the secretary with staff status and the admin's view/change rights."""
    for role in ("office", "secretary"):
        user = world.users[role]
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*scoped_admin_permissions())
    return world.users


def change_data(opinion: Opinion, **changes) -> dict:
    data = {
        "kind": opinion.kind,
        "text": opinion.text,
        "channel": opinion.channel,
        "event": "",
        "source_group": "",
        "aspect": "",
        "target_team": opinion.target_team_id or "",
        "target_member": opinion.target_member_id or "",
        "target_unit": opinion.target_unit_id or "",
        "target_text": "",
        "received_on": opinion.received_on.isoformat(),
    }
    data.update(changes)
    return data


def test_the_submitter_is_shown_to_the_office_and_not_to_other_staff(world, targets, staff, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member, submitter_name="王大爷", submitter_contact="13800")
    url = reverse("admin:opinions_opinion_change", args=[opinion.pk])
    assert "王大爷" in login(staff["office"]).get(url).content.decode()
    page = login(staff["secretary"]).get(url).content.decode()
    assert "王大爷" not in page and "13800" not in page


def test_an_admin_edit_goes_through_the_service(world, targets, staff, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member)
    ChangeOutbox.objects.all().delete()
    client = login(staff["office"])
    response = client.post(
        reverse("admin:opinions_opinion_change", args=[opinion.pk]),
        change_data(opinion, target_member="", target_team=targets.standing_team.pk, aspect="work"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    opinion.refresh_from_db()
    assert opinion.category == TargetCategory.STANDING_COMMITTEE_TEAM
    assert opinion.aspect == "work"
    assert opinion.history.latest().history_user == staff["office"]
    assert ChangeOutbox.objects.exists()


def test_an_admin_edit_with_two_targets_or_a_bad_date_shows_the_form_again(world, targets, staff, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member)
    client = login(staff["office"])
    url = reverse("admin:opinions_opinion_change", args=[opinion.pk])
    response = client.post(url, change_data(opinion, target_team=targets.standing_team.pk))
    assert response.status_code == 200
    assert "Choose one target" in response.content.decode()
    response = client.post(url, change_data(opinion, received_on="2030-01-01"))
    assert response.context["adminform"].form.errors["received_on"] == [
        "The date must lie within the campaign (2026-01-10 to 2026-06-30)."
    ]


def test_a_secretary_in_the_admin_sees_only_his_units(world, targets, staff, login):
    OpinionFactory(target_member=targets.ordinary_member, text="内部INSIDE")
    OpinionFactory(target_member=targets.outside_member, text="外部OUTSIDE")
    SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="座谈会OUTSIDE")
    client = login(staff["secretary"])
    page = client.get(reverse("admin:opinions_opinion_changelist")).content.decode()
    assert "内部INSIDE" in page and "OUTSIDE" not in page
    assert "OUTSIDE" not in client.get(reverse("admin:opinions_solicitationevent_changelist")).content.decode()


def test_an_admin_event_edit_is_checked_like_the_page(world, staff, login):
    event = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, forms_issued=10)
    client = login(world.users["admin"])
    data = {
        "unit": event.unit_id,
        "channel": "questionnaire",
        "title": event.title,
        "level": "unit",
        "held_on": event.held_on.isoformat(),
        "ends_on": "",
        "place": "",
        "attendance": "0",
        "forms_issued": "10",
        "forms_returned": "11",
        "boxes_set": "0",
    }
    response = client.post(reverse("admin:opinions_solicitationevent_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["forms_returned"] == [
        "11 forms cannot have come back when only 10 were issued."
    ]
    response = client.post(
        reverse("admin:opinions_solicitationevent_change", args=[event.pk]), {**data, "forms_returned": "9"}
    )
    assert response.status_code == 302
    assert SolicitationEvent.objects.get().forms_returned == 9
