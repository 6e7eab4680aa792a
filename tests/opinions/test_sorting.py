"""The office's sorting page: bulk actions over a filtered list, each all or nothing,
merged opinions shown under the one kept, with an Unmerge button."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from campaign.models import ChangeOutbox, TargetCategory
from opinions.models import Aspect, Opinion, OpinionStatus
from tests.opinions.factories import OpinionFactory

pytestmark = pytest.mark.usefixtures("english")

SORT = "opinions:sort"


@pytest.fixture
def office(world, login):
    return login(world.users["office"])


@pytest.fixture
def three(world, targets) -> list[Opinion]:
    return [
        OpinionFactory(target_member=targets.ordinary_member, text="会议太多"),
        OpinionFactory(target_member=targets.ordinary_member, text="会议太多了"),
        OpinionFactory(target_member=targets.county_leader, text="下基层少"),
    ]


def act(client, opinions, query: str = "", **data):
    payload = {"ids": [str(o.pk) for o in opinions], "target": "", "target_token": "", **data}
    return client.post(reverse(SORT) + query, payload)


def test_only_the_office_sorts(world, login):
    for role, status in (("secretary", 403), ("supervisor", 403), ("member", 403), ("office", 200), ("admin", 200)):
        assert login(world.users[role]).get(reverse(SORT)).status_code == status, role


def test_set_the_aspect_of_the_ticked_opinions(world, three, office):
    query = "?" + urlencode({"q": "会议"})
    response = act(office, three[:2], query, action="aspect", aspect=Aspect.WORK_STYLE)
    assert response.status_code == 302
    assert response["Location"] == reverse(SORT) + query
    assert [o.aspect for o in Opinion.objects.order_by("pk")] == ["work", "work", ""]
    page = office.get(response["Location"]).content.decode()
    assert "2 opinions now have the aspect Work style." in page
    assert Opinion.objects.get(pk=three[0].pk).history.latest().history_user == world.users["office"]


def test_reassign_the_ticked_opinions_to_one_target(world, targets, three, office):
    ChangeOutbox.objects.all().delete()
    response = act(
        office, three, action="reassign", target="县委常委会INSIDE", target_token=f"team:{targets.standing_team.pk}"
    )
    assert response.status_code == 302
    assert {(o.target_team_id, o.target_member_id, o.category) for o in Opinion.objects.all()} == {
        (targets.standing_team.pk, None, TargetCategory.STANDING_COMMITTEE_TEAM)
    }
    # One announcement: the unit, the targets left and the one given.
    announced = set(ChangeOutbox.objects.values_list("unit_id", "target"))
    assert {unit for unit, _target in announced} == {world.unit.pk}
    assert (world.unit.pk, f"team:{targets.standing_team.pk}") in announced


def test_reassign_without_a_target_is_refused_at_the_target(world, three, office):
    response = act(office, three, action="reassign")
    assert response.status_code == 200
    assert response.context["action_form"].errors["target"] == [
        "Choose the target: a leadership team, a member or an organisation."
    ]


def test_move_the_status_through_the_transitions(world, three, office):
    assert act(office, three, action="status", status=OpinionStatus.SORTED).status_code == 302
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.SORTED}


def test_a_refused_status_move_changes_none_and_says_which(world, three, office):
    act(office, three[:1], action="status", status=OpinionStatus.SORTED)
    response = act(office, three, action="status", status=OpinionStatus.FED_BACK)
    assert response.status_code == 200
    errors = response.context["action_form"].errors["status"]
    assert any(f"Opinion {three[1].pk}" in error and "cannot become Fed back" in error for error in errors)
    assert Opinion.objects.get(pk=three[0].pk).status == OpinionStatus.SORTED  # not moved on to fed back
    assert "Nothing was changed" in response.content.decode()
    # The ticks survive, so the office can correct and try again.
    assert response.context["checked"] == {str(o.pk) for o in three}


def test_merge_duplicates_into_the_one_kept_and_show_them_under_it(world, three, office):
    keep, duplicate, other = three
    response = act(office, [keep, duplicate], action="merge", keep=str(keep.pk))
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep
    page = office.get(reverse(SORT))
    shown = list(page.context["page"])
    assert duplicate not in shown  # counted once: through the kept one
    assert [d.pk for d in next(o for o in shown if o.pk == keep.pk).merged.all()] == [duplicate.pk]
    html = page.content.decode()
    assert f'formaction="{reverse("opinions:opinion_unmerge", args=[duplicate.pk])}"' in html


def test_merge_needs_the_one_to_keep(world, three, office):
    response = act(office, three[:2], action="merge")
    assert response.context["action_form"].errors["keep"]
    assert not Opinion.objects.filter(merged_into__isnull=False).exists()


def test_merge_needs_a_duplicate_besides_the_one_kept(world, three, office):
    response = act(office, three[:1], action="merge", keep=str(three[0].pk))
    assert response.context["action_form"].errors["ids"] == ["Select the duplicates to merge into the one kept."]


def test_unmerge_from_the_sorting_page_goes_back_to_it(world, three, office):
    keep, duplicate, _other = three
    act(office, [keep, duplicate], action="merge", keep=str(keep.pk))
    back = reverse(SORT) + "?aspect="
    response = office.post(reverse("opinions:opinion_unmerge", args=[duplicate.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_nothing_ticked_is_refused(world, three, office):
    response = act(office, [], action="aspect", aspect="work")
    assert response.context["action_form"].errors["ids"] == ["Select at least one opinion."]


def test_an_opinion_outside_the_campaign_cannot_be_ticked(world, three, office):
    from tests import factories as f

    elsewhere = OpinionFactory(target_member=f.MemberFactory(name="邻县ELSEWHERE"))
    response = act(office, [three[0], elsewhere], action="aspect", aspect="work")
    assert response.status_code == 200
    assert "ids" in response.context["action_form"].errors
    assert not Opinion.objects.filter(aspect="work").exists()


def test_the_sort_page_filters_like_the_list(world, targets, three, office):
    response = office.get(reverse(SORT), {"target_member": targets.county_leader.pk})
    assert [o.text for o in response.context["page"]] == ["下基层少"]
