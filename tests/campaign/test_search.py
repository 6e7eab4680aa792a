"""The top bar's search (campaign/search.py): people, organisations and teams by name,
talk cards and problems by number, each within the user's scope, in a bounded number
of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectification.models import ProblemSource
from rectification.services import problem_record
from tests import factories as f
from tests.talks.factories import bulk_talks

SEARCH = "campaign:search"


@pytest.fixture
def records(world):
    inside, outside = bulk_talks(
        world.campaign,
        [{"member": world.member, "outsider_name": "赵六"}, {"member": world.other_member, "outsider_name": "钱七"}],
    )
    problem_in = problem_record(
        campaign=world.campaign,
        unit=world.unit,
        member=world.member,
        text="学习不深入INSIDE",
        source=ProblemSource.MEETING_CRITICISM,
        source_id=1,
    )
    problem_out = problem_record(
        campaign=world.campaign,
        unit=world.other_unit,
        member=world.other_member,
        text="作风漂浮OUTSIDE",
        source=ProblemSource.MEETING_CRITICISM,
        source_id=2,
    )
    return {"talk_in": inside, "talk_out": outside, "problem_in": problem_in, "problem_out": problem_out}


def _search(client, q: str) -> str:
    response = client.get(reverse(SEARCH), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["secretary", "supervisor"])
def test_names_are_found_only_within_the_users_scope(world, login, role) -> None:
    page = _search(login(world.users[role]), "SIDE")
    assert "张三INSIDE" in page and "城关镇政府INSIDE" in page and "城关镇领导班子INSIDE" in page
    assert reverse("campaign:member_detail", args=[world.member.pk]) in page
    assert "OUTSIDE" not in page


def test_the_office_finds_the_whole_campaign(world, login) -> None:
    page = _search(login(world.users["office"]), "SIDE")
    assert "张三INSIDE" in page and "王五OUTSIDE" in page and "第一中学OUTSIDE" in page


def test_a_card_is_found_by_its_number_within_scope(world, login, records) -> None:
    client = login(world.users["secretary"])
    inside, outside = records["talk_in"], records["talk_out"]
    page = _search(client, f"#{inside.pk}")
    assert f"Talk card #{inside.pk}" in page and reverse("talks:card_detail", args=[inside.pk]) in page
    assert f"Talk card #{outside.pk}" not in _search(client, str(outside.pk))
    # A member finds his own card, not another's.
    member = login(world.users["member"])
    assert f"Talk card #{inside.pk}" in _search(member, str(inside.pk))
    assert f"Talk card #{outside.pk}" not in _search(member, f"{outside.pk}号")


def test_a_problem_is_found_by_its_number_by_staff_within_scope(world, login, records) -> None:
    inside, outside = records["problem_in"], records["problem_out"]
    secretary = login(world.users["secretary"])
    page = _search(secretary, f"No. {inside.pk}")
    assert f"Problem #{inside.pk}" in page and "学习不深入INSIDE" in page
    assert "OUTSIDE" not in _search(secretary, str(outside.pk))
    # Members have no problem pages to go to: problems are not searched for them.
    assert f"Problem #{inside.pk}" not in _search(login(world.users["member"]), str(inside.pk))


def test_opinions_are_never_searched(world, login) -> None:
    from campaign.search import KINDS, search

    search(world.users["office"], "x")  # discovers every app's kinds
    assert not any("opinion" in name for name in KINDS)


def test_a_too_long_query_is_refused_with_a_message_and_nothing_searched(world, login) -> None:
    page = _search(login(world.users["office"]), "张" * 101)
    assert "at most 100 characters" in page and "search-group" not in page


def test_the_search_is_in_the_top_bar_of_every_page_for_a_logged_in_user(world, login, client) -> None:
    assert 'class="topsearch"' in login(world.users["member"]).get(reverse("campaign:home")).content.decode()
    client.logout()
    assert 'class="topsearch"' not in client.get(reverse("login")).content.decode()


def test_the_search_costs_the_same_queries_with_3_or_30_matches(world, login) -> None:
    client = login(world.users["office"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            _search(client, "示范")
        return len(context)

    f.MemberFactory.create_batch(3, campaign=world.campaign, unit=world.unit, name="示范人")
    few = queries()
    f.MemberFactory.create_batch(27, campaign=world.campaign, unit=world.unit, name="示范人")
    assert queries() == few
