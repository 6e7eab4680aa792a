"""The card pages as each role uses them: a member's own cards against quota, logging
a talk (and being offered the card already on record), the register's filters and
scope, correcting, deleting, the review queue and decision, the flagged cards, and
the autocomplete of the people on a card. List pages run a bounded number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import Member, Rank
from core import once
from talks import services
from talks.models import CardDecision, CardState, Relation, Talk, TalkKind, TalkReview
from tests import factories as f
from tests.talks.cards_world import Cards, cards_fixture  # noqa: F401 (the ``cards`` fixture)
from tests.talks.factories import PublicTalkFactory, TalkFactory, bulk_talks

pytestmark = pytest.mark.django_db

LIST = reverse("talks:card_list")
NEW = reverse("talks:card_new")
QUEUE = reverse("talks:review_queue")
FLAGGED = reverse("talks:flagged")


def token(member: Member) -> str:
    return f"member:{member.pk}"


def card_post(cards: Cards, **changes: str) -> dict[str, str]:
    data = {
        once.FIELD: once.issue(),  # the page's one-time token (core.once)
        "kind": "member",
        "other_member": "",
        "other_member_token": token(cards.colleague),
        "talked_on": cards.day.isoformat(),
        "place": "党员活动室",
        "topics": "工作作风",
        "member_problems": "学习不深",
        "other_problems": "",
        "agreed": "互相监督",
    }
    data.update(changes)
    return data


# --- A member -----------------------------------------------------------------------


def test_member_sees_own_cards_and_talks_against_quota(cards: Cards, login) -> None:
    TalkFactory(member=cards.member, other_member=cards.colleague, talked_on=cards.day)
    TalkFactory(member=cards.outsider, other_member=cards.member, talked_on=cards.day)
    PublicTalkFactory(member=cards.member, talked_on=cards.day, outsider_name="刘大妈")
    TalkFactory(member=cards.colleague, other_member=cards.outsider, talked_on=cards.day, topics="别人的谈话")
    response = login(cards.users["member"]).get(LIST)
    assert response.status_code == 200
    own = response.context["own"]
    assert (own.with_members, own.with_public, own.quota, own.missing) == (2, 1, 5, 2)
    body = response.content.decode()
    assert "刘大妈" in body and "王五OUTSIDE" in body
    assert "别人的谈话" not in body and response.context["page"].paginator.count == 3
    assert "2 more talks are needed." in body
    assert response.context["form"] is None  # a member has no register to filter


def test_leading_cadre_counts_against_the_leader_quota(cards: Cards, login) -> None:
    cards.member.rank = Rank.SECTION_CADRE
    cards.member.save()
    response = login(cards.users["member"]).get(LIST)
    assert response.context["own"].quota == cards.world.campaign.talk_quota_leader == 10


def test_member_logs_a_talk(cards: Cards, login) -> None:
    client = login(cards.users["member"])
    page = client.get(NEW)
    assert page.status_code == 200
    assert 'name="member_token"' not in page.content.decode()  # the first person is the member himself
    response = client.post(NEW, card_post(cards))
    talk = Talk.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("talks:card_detail", args=[talk.pk])
    assert (talk.member, talk.other_member, talk.recorded_by) == (cards.member, cards.colleague, cards.users["member"])


def test_member_logs_a_talk_by_typing_the_full_name(cards: Cards, login) -> None:
    login(cards.users["member"]).post(NEW, card_post(cards, other_member="李四INSIDE", other_member_token=""))
    assert Talk.objects.get().other_member == cards.colleague


def test_invisible_characters_on_a_card_are_not_stored(cards: Cards, login) -> None:
    changes = {"place": "党员\x01活动室", "topics": "工作\u202e作风", "agreed": "互相\x02监督\r\n再谈"}
    response = login(cards.users["member"]).post(NEW, card_post(cards, **changes))
    assert response.status_code == 302
    talk = Talk.objects.get()
    assert (talk.place, talk.topics, talk.agreed) == ("党员活动室", "工作作风", "互相监督\n再谈")


def test_a_talk_with_the_public_ignores_the_member_box(cards: Cards, login) -> None:
    data = card_post(
        cards,
        kind=TalkKind.PUBLIC,
        outsider_name="刘大妈",
        outsider_role="社区居民",
        outsider_relation=Relation.RESIDENT,
    )
    login(cards.users["member"]).post(NEW, data)
    talk = Talk.objects.get()
    assert talk.other_member is None and talk.outsider_name == "刘大妈"


def test_bad_date_is_shown_at_the_field_and_nothing_written(cards: Cards, login) -> None:
    day = cards.stage.ends_on + datetime.timedelta(days=1)
    response = login(cards.users["member"]).post(NEW, card_post(cards, talked_on=day.isoformat()))
    assert response.status_code == 200 and not Talk.objects.exists()
    errors = response.context["form"].errors["talked_on"]
    assert cards.stage.starts_on.isoformat() in errors[0] and cards.stage.ends_on.isoformat() in errors[0]


def test_the_same_talk_again_offers_the_card_for_correction(cards: Cards, login) -> None:
    existing = TalkFactory(member=cards.colleague, other_member=cards.member, talked_on=cards.day)
    response = login(cards.users["member"]).post(NEW, card_post(cards))
    assert response.status_code == 200 and Talk.objects.count() == 1
    assert response.context["duplicate"] == existing and response.context["duplicate_editable"]
    body = response.content.decode()
    assert reverse("talks:card_edit", args=[existing.pk]) in body
    assert "already on record" in body


def test_duplicate_the_user_may_not_correct_is_shown_without_the_edit_link(cards: Cards, login) -> None:
    # The card is in the secretary's register, but its first person is the cadre outside his unit.
    existing = TalkFactory(member=cards.cadre, other_member=cards.colleague, kind=TalkKind.MEMBER, talked_on=cards.day)
    response = login(cards.users["secretary"]).post(
        NEW, card_post(cards, member_token=token(cards.colleague), other_member_token=token(cards.cadre))
    )
    assert response.context["duplicate"] == existing and not response.context["duplicate_editable"]
    assert reverse("talks:card_edit", args=[existing.pk]) not in response.content.decode()


# --- A secretary ----------------------------------------------------------------------


def test_secretary_logs_for_a_member_of_the_unit(cards: Cards, login) -> None:
    response = login(cards.users["secretary"]).post(
        NEW, card_post(cards, member_token=token(cards.colleague), other_member_token=token(cards.outsider))
    )
    assert response.status_code == 302
    talk = Talk.objects.get()
    assert (talk.member, talk.other_member) == (cards.colleague, cards.outsider)


def test_secretary_cannot_put_a_member_outside_the_unit_first(cards: Cards, login) -> None:
    response = login(cards.users["secretary"]).post(
        NEW, card_post(cards, member_token=token(cards.outsider), other_member_token=token(cards.member))
    )
    assert response.status_code == 200 and not Talk.objects.exists()
    assert "not one you may name here" in response.context["form"].errors["member"][0]


def test_first_person_search_keeps_to_the_secretary_reach(cards: Cards, login) -> None:
    client = login(cards.users["secretary"])
    first = client.get(reverse("talks:first_member_search"), {"q": "OUTSIDE"}).json()["results"]
    other = client.get(reverse("talks:member_search"), {"q": "OUTSIDE"}).json()["results"]
    assert first == []
    assert [option["label"] for option in other] == ["王五OUTSIDE"]
    assert other[0]["token"] == token(cards.outsider)
    inside = client.get(reverse("talks:first_member_search"), {"q": "INSIDE"}).json()["results"]
    assert {option["label"] for option in inside} == {"张三INSIDE", "李四INSIDE"}


def test_members_search_other_people_only_for_logging(cards: Cards, login) -> None:
    response = login(cards.users["supervisor"]).get(reverse("talks:member_search"), {"q": "INSIDE"})
    assert response.status_code == 403


def test_secretary_register_keeps_to_the_unit_and_filters(cards: Cards, login) -> None:
    mine = TalkFactory(member=cards.member, other_member=cards.colleague, talked_on=cards.day)
    across = TalkFactory(member=cards.outsider, other_member=cards.colleague, talked_on=cards.day, kind="team")
    public = PublicTalkFactory(member=cards.colleague, talked_on=cards.day + datetime.timedelta(days=2))
    returned = TalkFactory(
        member=cards.colleague,
        other_member=cards.member,
        talked_on=cards.day + datetime.timedelta(days=5),
        state=CardState.RETURNED,
        times_returned=2,
    )
    outside_colleague = f.MemberFactory(campaign=cards.world.campaign, unit=cards.world.other_unit, name="钱七")
    TalkFactory(member=cards.outsider, other_member=outside_colleague, talked_on=cards.day, topics="外单位")
    client = login(cards.users["secretary"])

    def listed(**params: str) -> set[Talk]:
        response = client.get(LIST, params)
        assert response.status_code == 200
        return set(response.context["page"].object_list)

    assert listed() == {mine, across, public, returned}
    assert listed(kind="public") == {public}
    assert listed(state="returned") == {returned}
    assert listed(flagged="on") == {returned}
    assert listed(q="王五") == {across}
    assert listed(q="群众") == {public}
    assert listed(talked_from=(cards.day + datetime.timedelta(days=1)).isoformat()) == {public, returned}
    assert listed(talked_to=cards.day.isoformat()) == {mine, across}
    assert listed(unit=str(cards.world.unit.pk)) == {mine, across, public, returned}
    # A unit out of reach is not a choice: the filter is dropped, its error shown.
    response = client.get(LIST, {"unit": str(cards.world.other_unit.pk)})
    assert "unit" in response.context["form"].errors


def test_office_register_covers_the_campaign(cards: Cards, login) -> None:
    TalkFactory(member=cards.member, other_member=cards.colleague, talked_on=cards.day)
    outside_colleague = f.MemberFactory(campaign=cards.world.campaign, unit=cards.world.other_unit, name="钱七")
    outside = TalkFactory(member=cards.outsider, other_member=outside_colleague, talked_on=cards.day)
    response = login(cards.users["office"]).get(LIST, {"unit": str(cards.world.other_unit.pk)})
    assert set(response.context["page"].object_list) == {outside}


# --- Correcting and deleting -------------------------------------------------------------


def test_member_revises_a_returned_card(cards: Cards, login) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    services.card_review(user=cards.users["supervisor"], talk=talk, decision=CardDecision.RETURN, comment="太简略")
    client = login(cards.users["member"])
    edit = reverse("talks:card_edit", args=[talk.pk])
    page = client.get(edit)
    assert "太简略" in page.content.decode()
    response = client.post(edit, card_post(cards, agreed="每月谈一次，互相提醒"))
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.state == CardState.REVISED and talk.agreed == "每月谈一次，互相提醒"
    detail = client.get(reverse("talks:card_detail", args=[talk.pk])).content.decode()
    assert "每月谈一次，互相提醒" in detail and "太简略" in detail
    assert "Revised, awaiting review" in detail


def test_correction_of_a_card_the_user_is_not_on_is_refused(cards: Cards, login) -> None:
    talk = TalkFactory(member=cards.colleague, other_member=cards.outsider, talked_on=cards.day)
    client = login(cards.users["member"])
    assert client.get(reverse("talks:card_edit", args=[talk.pk])).status_code == 404  # not even in reach
    secretary_outside = f.UserFactory(username="secretary-outside")
    f.RoleAssignmentFactory(
        user=secretary_outside, campaign=cards.world.campaign, kind="secretary", unit=cards.world.other_unit
    )
    # In reach (the other person is in the unit), but the first person is not.
    client = login(secretary_outside)
    assert client.get(reverse("talks:card_detail", args=[talk.pk])).status_code == 200
    assert client.get(reverse("talks:card_edit", args=[talk.pk])).status_code == 403
    assert client.post(reverse("talks:card_delete", args=[talk.pk])).status_code == 403
    assert Talk.objects.filter(pk=talk.pk).exists()


def test_delete_asks_then_deletes(cards: Cards, login) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    client = login(cards.users["secretary"])
    url = reverse("talks:card_delete", args=[talk.pk])
    assert client.get(url).status_code == 200 and Talk.objects.exists()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Talk.objects.exists()


def test_detail_shows_the_history_of_changes(cards: Cards, login) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    services.talk_update(user=cards.users["secretary"], talk=talk, data={"place": "会议室"})
    response = login(cards.users["office"]).get(reverse("talks:card_detail", args=[talk.pk]))
    history = response.context["history"]
    assert [entry.action for entry in history] == ["~", "+"]
    assert history[0].who == "secretary"
    assert [(c.old, c.new) for c in history[0].changes] == [("党员活动室", "会议室")]


# --- Review ----------------------------------------------------------------------------


def test_supervisor_returns_with_a_comment_from_the_queue(cards: Cards, login) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    client = login(cards.users["supervisor"])
    queue = client.get(QUEUE)
    assert list(queue.context["page"].object_list) == [talk]
    url = reverse("talks:card_review", args=[talk.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"decision": CardDecision.RETURN, "comment": " "})
    assert refused.status_code == 200 and "comment" in refused.context["form"].errors
    assert not TalkReview.objects.exists()
    response = client.post(url, {"decision": CardDecision.RETURN, "comment": "内容太简略"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    talk.refresh_from_db()
    assert talk.state == CardState.RETURNED
    assert list(client.get(QUEUE).context["page"].object_list) == []


def test_detail_offers_the_decision_to_the_right_supervisor_only(cards: Cards, login) -> None:
    talk = services.talk_create(
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=cards.outsider)
    )
    url = reverse("talks:card_detail", args=[talk.pk])
    assert login(cards.users["supervisor"]).get(url).context["review_form"] is not None
    outside = login(cards.users["supervisor_outside"])
    # The card is in the other team's reach (its second person), but not theirs to review.
    assert outside.get(url).context["review_form"] is None
    assert outside.get(reverse("talks:card_review", args=[talk.pk])).status_code == 403
    assert list(outside.get(QUEUE).context["page"].object_list) == []


def test_queue_is_oldest_first_with_the_wait(cards: Cards, login) -> None:
    older = TalkFactory(member=cards.member, other_member=cards.colleague, talked_on=cards.day)
    newer = TalkFactory(member=cards.colleague, other_member=cards.member, talked_on=cards.day + datetime.timedelta(1))
    TalkFactory(member=cards.member, other_member=cards.colleague, talked_on=cards.day + datetime.timedelta(2),
                state=CardState.ADEQUATE)  # fmt: skip
    public = PublicTalkFactory(member=cards.member, talked_on=cards.day)
    Talk.objects.filter(pk=older.pk).update(updated_at=older.updated_at - datetime.timedelta(days=3))
    response = login(cards.users["supervisor"]).get(QUEUE)
    rows = list(response.context["page"].object_list)
    assert rows == [older, newer, public]
    assert rows[0].waited_days == 3 and rows[1].waited_days == 0


def test_flagged_cards_for_the_office(cards: Cards, login) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    services.card_review(user=cards.users["supervisor"], talk=talk, decision="return", comment="第一次")
    services.talk_update(user=cards.users["member"], talk=talk, data={"agreed": "改一"})
    services.card_review(user=cards.users["supervisor"], talk=talk, decision="return", comment="第二次仍不具体")
    TalkFactory(member=cards.member, other_member=cards.colleague, talked_on=cards.day + datetime.timedelta(1))
    response = login(cards.users["office"]).get(FLAGGED)
    assert list(response.context["page"].object_list) == [talk]
    assert "第二次仍不具体" in response.content.decode()
    for role in ("secretary", "supervisor", "member"):
        assert login(cards.users[role]).get(FLAGGED).status_code == 403


# --- Bounded queries ---------------------------------------------------------------------


def _many_cards(cards: Cards, count: int) -> None:
    """``count`` more members of the inside unit, each with a card with 张三 or the
    outside member (every fourth returned twice, hence flagged), every fifth with the
    public too; written in bulk."""
    unit = cards.world.unit
    people = f.bulk_members(cards.world.campaign, [{"unit": unit, "name": f"党员{i}"} for i in range(count)])
    rows = []
    for index, person in enumerate(people):
        rows.append(
            {
                "member": person,
                "other_member": cards.outsider if index % 3 else cards.member,
                "talked_on": cards.day + datetime.timedelta(days=index % 20),
                "times_returned": 2 if index % 4 == 0 else 0,
                # A card returned before awaits review again as revised.
                "state": CardState.REVISED if index % 4 == 0 or index % 2 else CardState.RECORDED,
            }
        )
        if index % 5 == 0:
            rows.append({"member": person, "outsider_name": f"群众{person.pk}", "talked_on": cards.day})
    bulk_talks(cards.world.campaign, rows)


def _queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("role", "url", "params"),
    [
        ("secretary", LIST, {}),
        ("office", LIST, {"q": "党员", "flagged": "on", "kind": "member"}),
        ("member", LIST, {}),
        ("supervisor", QUEUE, {}),
        ("office", FLAGGED, {}),
    ],
)
def test_list_pages_run_a_fixed_number_of_queries(
    cards: Cards, login, django_assert_max_num_queries, role: str, url: str, params: dict
) -> None:
    client = login(cards.users[role])
    _many_cards(cards, 3)
    few = _queries(client, url, params)
    _many_cards(cards, 80)
    with django_assert_max_num_queries(few):
        response = client.get(url, params)
    assert len(response.context["page"].object_list) > (3 if role != "member" else 1)
    assert few <= 20


def test_a_new_cards_kind_starts_from_who_logs_it(cards: Cards, login) -> None:
    """Issue 16, 14: not "between team members" for everyone (the first of the list)."""
    in_team = cards.member.teams.exists()
    form = login(cards.users["member"]).get(NEW).context["form"]
    assert form["kind"].value() == (TalkKind.TEAM if in_team else TalkKind.MEMBER)
    cards.member.teams.clear()
    assert login(cards.users["member"]).get(NEW).context["form"]["kind"].value() == TalkKind.MEMBER
    # A secretary logs for others: member with member.
    assert login(cards.users["secretary"]).get(NEW).context["form"]["kind"].value() == TalkKind.MEMBER
