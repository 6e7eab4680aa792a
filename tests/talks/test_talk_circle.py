"""Whom a member may name as the other person on a talk card (issue 11 §4): the
autocomplete offers only the people he or she can be required or expected to talk with
— his or her unit, the leadership teams he or she sits on or heads, the units in his or
her charge, the leaders in charge of the unit he or she is responsible for — and anyone
else only when the query is exactly that member's number. The card form follows the
same rule; the office and the secretaries keep the whole campaign."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import LeadershipTeam, Member
from core import once
from talks.models import Talk
from tests import factories as f
from tests.talks.cards_world import Cards, cards_fixture  # noqa: F401 (the ``cards`` fixture)

pytestmark = pytest.mark.django_db

NEW = reverse("talks:card_new")
SEARCH = reverse("talks:member_search")


def labels(client, query: str) -> list[str]:
    return [option["label"] for option in client.get(SEARCH, {"q": query}).json()["results"]]


def card_post(cards: Cards, **changes: str) -> dict[str, str]:
    data = {
        once.FIELD: once.issue(),  # the page's one-time token (core.once)
        "kind": "member",
        "other_member": "",
        "other_member_token": "",
        "talked_on": cards.day.isoformat(),
        "place": "党员活动室",
        "topics": "工作作风",
        "member_problems": "",
        "other_problems": "",
        "agreed": "互相监督",
    }
    data.update(changes)
    return data


def test_a_member_is_offered_his_unit_not_the_county(cards: Cards, login) -> None:
    client = login(cards.users["member"])
    assert labels(client, "INSIDE") == ["李四INSIDE"]  # his unit, not himself
    assert labels(client, "OUTSIDE") == []
    assert labels(client, "县领导") == []


def test_a_member_is_offered_the_teams_he_sits_on_or_heads(cards: Cards, login) -> None:
    world = cards.world
    seated_elsewhere = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="同班子OUTSIDE")
    LeadershipTeam.objects.get(name="城关镇领导班子INSIDE").members.add(seated_elsewhere)
    headed = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.other_unit, name="所领班子", head=cards.member)
    headed.members.add(f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="所领成员OUTSIDE"))
    client = login(cards.users["member"])
    assert sorted(labels(client, "OUTSIDE")) == ["同班子OUTSIDE", "所领成员OUTSIDE"]


def test_a_cadre_is_offered_the_units_in_his_charge_and_a_head_his_cadre(cards: Cards, login) -> None:
    client = login(cards.users["cadre"])
    assert labels(client, "OUTSIDE") == ["王五OUTSIDE"]  # the unit in his charge
    assert labels(client, "INSIDE") == []
    head = f.UserFactory(username="head")
    Member.objects.filter(pk=cards.outsider.pk).update(user=head)
    # The head of the unit in the cadre's charge: his unit, and the cadre in charge of it.
    assert labels(login(head), "县领导") == ["县领导赵"]


def test_anyone_else_only_by_the_exact_number(cards: Cards, login) -> None:
    client = login(cards.users["member"])
    number = cards.outsider.number
    results = client.get(SEARCH, {"q": number}).json()["results"]
    assert [(option["label"], option["token"]) for option in results] == [("王五OUTSIDE", f"number:{number}")]
    assert labels(client, number[:-1]) == []
    assert labels(client, number.lower() if number.lower() != number else number + "x") == []
    # A member of his circle by number keeps the ordinary token.
    colleague = client.get(SEARCH, {"q": cards.colleague.number}).json()["results"]
    assert [option["token"] for option in colleague] == [f"member:{cards.colleague.pk}"]
    assert labels(client, cards.member.number) == []  # never himself


def test_staff_keep_the_whole_campaign(cards: Cards, login) -> None:
    for role in ("office", "secretary", "admin"):
        assert labels(login(cards.users[role]), "OUTSIDE") == ["王五OUTSIDE"], role


def test_the_card_form_refuses_someone_outside_unless_named_by_number(cards: Cards, login) -> None:
    client = login(cards.users["member"])
    outsider = cards.outsider
    response = client.post(NEW, card_post(cards, other_member_token=f"member:{outsider.pk}"))
    assert response.status_code == 200 and not Talk.objects.exists()
    assert "not one you may name here" in response.context["form"].errors["other_member"][0]
    response = client.post(NEW, card_post(cards, other_member="王五OUTSIDE"))
    assert not Talk.objects.exists()
    assert "type his or her number exactly" in response.context["form"].errors["other_member"][0]
    response = client.post(NEW, card_post(cards, other_member_token="number:NO-SUCH"))
    assert not Talk.objects.exists()
    assert "not one you may name here" in response.context["form"].errors["other_member"][0]

    response = client.post(
        NEW, card_post(cards, other_member="王五OUTSIDE", other_member_token=f"number:{outsider.number}")
    )
    assert response.status_code == 302
    assert Talk.objects.get().other_member == outsider
    Talk.objects.all().delete()
    response = client.post(NEW, card_post(cards, other_member=outsider.number))
    assert response.status_code == 302
    assert Talk.objects.get().other_member == outsider


def test_the_card_form_still_takes_the_circle_by_name_and_token(cards: Cards, login) -> None:
    client = login(cards.users["member"])
    assert client.post(NEW, card_post(cards, other_member_token=f"member:{cards.colleague.pk}")).status_code == 302
    Talk.objects.all().delete()
    assert client.post(NEW, card_post(cards, other_member="李四INSIDE")).status_code == 302
    assert Talk.objects.get().other_member == cards.colleague


def test_the_form_tells_a_member_how_to_name_someone_else(cards: Cards, login) -> None:
    page = login(cards.users["member"]).get(NEW).content.decode()
    assert "type his or her number exactly" in page
    assert "type his or her number exactly" not in login(cards.users["secretary"]).get(NEW).content.decode()


def test_a_secretary_still_names_anyone(cards: Cards, login) -> None:
    client = login(cards.users["secretary"])
    data = card_post(cards, member_token=f"member:{cards.member.pk}", other_member_token=f"member:{cards.outsider.pk}")
    assert client.post(NEW, data).status_code == 302


def test_the_autocomplete_runs_the_same_queries_for_a_small_and_a_large_circle(cards: Cards, login) -> None:
    world = cards.world
    client = login(cards.users["cadre"])
    team = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.county, name="县班子", head=cards.cadre)

    def grow(count: int) -> None:
        members = f.bulk_members(world.campaign, [{"unit": world.other_unit} for _ in range(count)])
        members += f.bulk_members(world.campaign, [{"unit": world.county} for _ in range(count)])
        f.bulk_seat(team, members[count:])

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(SEARCH, {"q": query}).status_code == 200
        return len(context.captured_queries)

    grow(3)
    few = queries("党员"), queries(cards.member.number)
    grow(60)
    assert (queries("党员"), queries(cards.member.number)) == few
