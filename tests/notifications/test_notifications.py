"""In-app notifications (notifications/): written by the services that change the state
(a list released, a document or a card returned), read only by their user, counted by
the bell in a query of its own, never saying who gave an opinion or who returned a
thing; a notice of many users costs two queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import Rank
from notifications import kinds, services
from notifications.models import Notification
from opinions import feedback
from opinions.models import Aspect
from opinions.services import Target
from reviews import services as review_services
from reviews.models import Decision, Route
from talks import services as talk_services
from talks.models import CardDecision
from tests import factories as f
from tests.opinions.factories import OpinionFactory
from tests.reviews.conftest import sections_of
from tests.talks.factories import TalkFactory

pytestmark = pytest.mark.django_db

SUBMITTER = "举报人赵某"


def _release(world, member):
    office = world.users["office"]
    campaign = world.campaign
    opinions = [
        OpinionFactory(target_member=member, submitter_name=SUBMITTER, submitter_contact="13800000000")
        for _ in range(3)
    ]
    the_list = feedback.feedback_list_get_or_create(actor=office, campaign=campaign, target=Target(member=member))
    feedback.feedback_item_create(
        actor=office, feedback_list=the_list, text="综合意见：作风有待改进", aspect=Aspect.WORK_STYLE, opinions=opinions
    )
    day = min(timezone.localdate(), campaign.ends_on)
    day = max(day, campaign.starts_on) if campaign.starts_on <= timezone.localdate() else timezone.localdate()
    feedback.feedback_lists_release(actor=office, campaign=campaign, lists=[the_list], released_on=day)
    return the_list


def test_a_released_list_tells_its_member_without_a_trace_of_who_gave_an_opinion(world, login):
    if world.campaign.starts_on > timezone.localdate():
        pytest.skip("the world's campaign has not started: no list can be released today")
    _release(world, world.member)
    notice = Notification.objects.get(user=world.users["member"])
    assert notice.kind == kinds.LIST_TO_SIGN.key and notice.url == reverse("opinions:my_feedback")
    stored = f"{notice.params} {notice.url} {notice.kind}"
    assert SUBMITTER not in stored and "13800000000" not in stored and "意见内容" not in stored
    client = login(world.users["member"])
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Your feedback list awaits your signature." in page and SUBMITTER not in page
    home = client.get(reverse("campaign:home")).content.decode()
    assert "Your feedback list awaits your signature." in home
    assert client.get(reverse("notifications:unread")).json() == {"unread": 1}


def test_a_returned_document_tells_its_author(world, login):
    leader = f.MemberFactory(
        campaign=world.campaign, unit=world.unit, rank=Rank.SECTION_CADRE, user=f.UserFactory(username="leader")
    )
    world.unit.responsible_leader = leader
    world.unit.save()
    author = world.member
    document = review_services.document_get_or_create(member=author)
    comparisons = dict.fromkeys(review_services.COMPARISONS, True)
    review_services.document_save(
        document=document, user=author.user, sections=sections_of(3100), comparisons=comparisons
    )
    review_services.document_submit(document=document, user=author.user)
    document.refresh_from_db()
    assert document.route == Route.RESPONSIBLE_LEADER
    review_services.document_decide(
        document=document,
        user=leader.user,
        version_number=1,
        decision=Decision.RETURN,
        overall_comment="请补充原因分析",
    )
    notice = Notification.objects.get(user=author.user)
    assert notice.kind == kinds.DOCUMENT_RETURNED.key
    text = login(author.user).get(reverse("notifications:list")).content.decode()
    assert "Your self-analysis document was returned" in text
    assert leader.name not in text  # who returned it is on the document, not in the notice


def test_a_returned_card_tells_its_recorder(world):
    recorder = world.users["secretary"]
    card = TalkFactory(member=world.member, other_member=None, recorded_by=recorder, outsider_name="群众甲")
    talk_services.card_review(user=world.users["supervisor"], talk=card, decision=CardDecision.RETURN, comment="补充")
    notice = Notification.objects.get(user=recorder)
    assert notice.kind == kinds.CARD_RETURNED.key
    assert notice.params == {"number": str(card.pk)}
    assert notice.url == reverse("talks:card_detail", args=[card.pk])
    # Adequate: no notice.
    other = TalkFactory(member=world.member, other_member=None, recorded_by=recorder, outsider_name="群众乙")
    talk_services.card_review(user=world.users["supervisor"], talk=other, decision=CardDecision.ADEQUATE)
    assert Notification.objects.filter(user=recorder).count() == 1


def test_opening_marks_read_and_follows_the_link_and_only_ones_own(world, login):
    services.notify(
        users=[world.users["member"]], kind=kinds.ORDER_OVERDUE.key, url="/talks/", params={"order": "整改通知1号"}
    )
    notice = Notification.objects.get(user=world.users["member"])
    assert notice.params == {"order": "整改通知1号"}
    other = login(world.users["secretary"])
    assert other.get(reverse("notifications:open", args=[notice.pk])).status_code == 404
    assert "整改通知1号" not in other.get(reverse("notifications:list")).content.decode()
    mine = login(world.users["member"])
    assert "An order is overdue: 整改通知1号." in mine.get(reverse("notifications:list")).content.decode()
    response = mine.get(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == "/talks/"
    notice.refresh_from_db()
    assert notice.is_read
    assert mine.get(reverse("notifications:unread")).json() == {"unread": 0}


def test_an_unread_notice_is_not_repeated_and_mark_all_read(world, login):
    user = world.users["member"]
    for _ in range(3):
        services.notify(users=[user], kind=kinds.LIST_TO_SIGN.key, url="/x/")
    assert Notification.objects.filter(user=user).count() == 1
    services.notify(users=[user], kind=kinds.DOCUMENT_RETURNED.key, url="/y/")
    client = login(user)
    assert client.get(reverse("notifications:unread")).json() == {"unread": 2}
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert client.get(reverse("notifications:unread")).json() == {"unread": 0}


def test_an_offsite_link_is_not_followed(world, login):
    services.notify(users=[world.users["member"]], kind=kinds.LIST_TO_SIGN.key, url="https://evil.example/")
    notice = Notification.objects.get(user=world.users["member"])
    response = login(world.users["member"]).get(reverse("notifications:open", args=[notice.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_an_unknown_kind_is_refused(world):
    with pytest.raises(LookupError):
        services.notify(users=[world.users["member"]], kind="nonsense")


def test_notifying_many_users_takes_two_queries(world):
    users = [f.UserFactory(username=f"many{i}") for i in range(30)]
    with CaptureQueriesContext(connection) as few:
        services.notify(users=users[:2], kind=kinds.LIST_TO_SIGN.key, url="/a/")
    with CaptureQueriesContext(connection) as many:
        services.notify(users=users, kind=kinds.DOCUMENT_RETURNED.key, url="/b/")
    # Savepoints aside: one read of those already told, one insert.
    assert len([q for q in many.captured_queries if "SAVEPOINT" not in q["sql"]]) == 2
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_page_of_notifications_runs_a_bounded_number_of_queries(world, login):
    user = world.users["member"]
    client = login(user)
    services.notify(users=[user], kind=kinds.LIST_TO_SIGN.key, url="/a/")
    client.get(reverse("notifications:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    for i in range(40):
        services.notify(users=[user], kind=kinds.CARD_RETURNED.key, url=f"/c/{i}/", params={"number": i})
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("notifications:list"))
    assert len(many.captured_queries) == len(few.captured_queries)
