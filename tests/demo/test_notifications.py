"""The demo's notifications (issue 16): the demo logins find what they were told, as the
services tell it (notifications/demo.py) — read where the work is done, unread where it
waits — and no notice names a person."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import Member
from notifications import kinds
from notifications.models import Notification
from opinions.models import Opinion
from tests.demo.helpers import fresh_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def notices(username: str) -> list[tuple[str, bool]]:
    return list(
        Notification.objects.filter(user__username=username).order_by("created_on", "pk").values_list("kind", "is_read")
    )


def test_the_logins_were_told_of_their_work_and_read_what_is_done() -> None:
    responsible = notices("responsible")
    assert (kinds.DOCUMENT_RETURNED.key, False) in responsible  # his document waits for his revision
    assert (kinds.LIST_TO_SIGN.key, True) in responsible  # his list, signed
    assert (kinds.TEAM_LIST_TO_SIGN.key, True) in responsible  # his team's, signed
    assert (kinds.CARD_RETURNED.key, True) in responsible  # a card returned, since revised
    assert (kinds.LIST_TO_SIGN.key, True) in notices("leader")
    for username in ("secretary", "office"):
        assert (kinds.ORDER_OVERDUE.key, False) in notices(username)
    assert notices("supervisor") == notices("municipal") == []


def test_no_notice_names_a_person_and_none_is_dated_after_today(seeded) -> None:
    names = set(Member.objects.filter(campaign=seeded.campaign).values_list("name", flat=True))
    names |= set(
        Opinion.objects.filter(campaign=seeded.campaign)
        .exclude(submitter_name="")
        .values_list("submitter_name", flat=True)
    )
    seeded_notices = Notification.objects.all()
    assert seeded_notices.exists()
    for notice in seeded_notices:
        text = kinds.kind_of(notice.kind).text(notice.params)
        assert not any(name in text for name in names), text
        assert set(notice.params) <= {"number", "team", "order"}
        assert notice.created_on <= timezone.localdate()


def test_the_responsible_leader_sees_his_unread_notice_on_his_home_page(login) -> None:
    client = login(fresh_user("responsible"))
    page = client.get(reverse("notifications:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your self-analysis document was returned" in page
    assert client.get(reverse("notifications:unread")).status_code == 200
