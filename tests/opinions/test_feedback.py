"""Feedback and sign-off (issue 3, item 7): the office consolidates a target's opinions
into a list in its own words and releases lists in batches; the member reads the list,
which says nothing about who gave an opinion, how or when, and signs for it."""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from campaign.models import ChangeOutbox, LeadershipTeam, Member, RoleKind
from core import once
from opinions import feedback
from opinions import feedback_selectors as fs
from opinions.models import (
    Aspect,
    Channel,
    FeedbackItem,
    FeedbackList,
    Opinion,
    OpinionStatus,
    ReleaseBatch,
    SourceGroup,
)
from opinions.services import Target, opinion_delete, opinion_update
from tests import factories as f
from tests.conftest import World
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

Status = FeedbackList.Status
RELEASE_DAY = datetime.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def office(world: World):
    return world.users["office"]


def about(member: Member, count: int, **kwargs) -> list[Opinion]:
    return [OpinionFactory(target_member=member, **kwargs) for _ in range(count)]


def draft(office, member: Member | None = None, *, team: LeadershipTeam | None = None) -> FeedbackList:
    target = Target(member=member) if member is not None else Target(team=team)
    campaign = (member or team).campaign
    return feedback.feedback_list_get_or_create(actor=office, campaign=campaign, target=target)


def item(office, feedback_list: FeedbackList, opinions: list[Opinion], text: str = "", aspect: str = Aspect.WORK_STYLE):
    return feedback.feedback_item_create(
        actor=office,
        feedback_list=feedback_list,
        text=text or f"综合意见：{opinions[0].pk}",
        aspect=aspect,
        opinions=opinions,
    )


def release(office, *lists: FeedbackList, on: datetime.date = RELEASE_DAY) -> ReleaseBatch:
    campaign = lists[0].campaign
    return feedback.feedback_lists_release(actor=office, campaign=campaign, lists=lists, released_on=on)


def released_list(office, member: Member, count: int = 3) -> FeedbackList:
    feedback_list = draft(office, member)
    item(office, feedback_list, about(member, count))
    release(office, feedback_list)
    feedback_list.refresh_from_db()
    return feedback_list


def english(client):
    """The client, asking for English pages: messages are asserted by their msgids,
    which hold before and after the translations are written."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def messages_of(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


# --- Writing items -------------------------------------------------------------------


def test_list_is_created_once_per_target_and_announced(world: World, office):
    first = draft(office, world.member)
    again = draft(office, world.member)
    assert first.pk == again.pk
    assert first.ledger_unit == world.member.unit
    assert ChangeOutbox.objects.filter(source="feedback", unit=world.member.unit).count() == 1


def test_a_unit_cannot_have_a_feedback_list(world: World, office):
    with pytest.raises(ValidationError) as error:
        feedback.feedback_list_get_or_create(actor=office, campaign=world.campaign, target=Target(unit=world.unit))
    assert "member or a leadership team" in messages_of(error)


def test_an_item_consolidates_only_opinions_about_its_target(world: World, office):
    feedback_list = draft(office, world.member)
    stranger = about(world.other_member, 1)
    with pytest.raises(ValidationError) as error:
        item(office, feedback_list, stranger)
    assert error.value.message_dict["opinions"] == [
        f"Opinions #{stranger[0].pk} are not counted opinions about {world.member.name}."
    ]
    assert not FeedbackItem.objects.exists()


def test_an_opinion_is_consolidated_in_one_item_only(world: World, office):
    feedback_list = draft(office, world.member)
    opinions = about(world.member, 2)
    item(office, feedback_list, opinions)
    with pytest.raises(ValidationError) as error:
        item(office, feedback_list, [opinions[1]], text="再写一条")
    assert "already consolidated in another item" in error.value.message_dict["opinions"][0]
    assert FeedbackItem.objects.count() == 1


def test_an_item_needs_wording_aspect_and_opinions(world: World, office):
    feedback_list = draft(office, world.member)
    with pytest.raises(ValidationError) as error:
        feedback.feedback_item_create(actor=office, feedback_list=feedback_list, text="  ", aspect="", opinions=[])
    assert set(error.value.message_dict) == {"text", "aspect", "opinions"}


def test_default_order_is_by_aspect_then_wording_never_by_arrival(world: World, office):
    texts = [("甲", Aspect.INTEGRITY), ("乙", Aspect.IDEALS), ("丙", Aspect.WORK_STYLE), ("丁", Aspect.WORK_STYLE)]

    def order_when_written(sequence: list[tuple[str, str]], member: Member) -> list[str]:
        feedback_list = draft(office, member)
        for text, aspect in sequence:
            item(office, feedback_list, about(member, 1), text=text, aspect=aspect)
        return list(feedback_list.items.order_by("position").values_list("text", flat=True))

    forward = order_when_written(texts, world.member)
    backward = order_when_written(list(reversed(texts)), world.other_member)
    assert forward == backward
    assert forward[0] == "乙"  # ideals and beliefs come first
    assert forward[-1] == "甲"  # integrity comes last
    assert sorted(forward[1:3]) == ["丁", "丙"]


def test_office_moves_items_and_can_restore_the_default_order(world: World, office):
    feedback_list = draft(office, world.member)
    first = item(office, feedback_list, about(world.member, 1), text="一", aspect=Aspect.IDEALS)
    second = item(office, feedback_list, about(world.member, 1), text="二", aspect=Aspect.PURPOSE)
    feedback.feedback_item_move(actor=office, item=second, direction=feedback.UP)
    assert list(feedback_list.items.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]
    # A new item of the same aspect as the first goes next to it, not to the end.
    third = item(office, feedback_list, about(world.member, 1), text="三", aspect=Aspect.INTEGRITY)
    assert list(feedback_list.items.order_by("position").values_list("pk", flat=True))[-1] == third.pk
    feedback.feedback_list_default_order(actor=office, feedback_list=feedback_list)
    assert list(feedback_list.items.order_by("position").values_list("pk", flat=True)) == [
        first.pk,
        second.pk,
        third.pk,
    ]


def test_deleting_an_item_frees_its_opinions(world: World, office):
    feedback_list = draft(office, world.member)
    opinions = about(world.member, 2)
    written = item(office, feedback_list, opinions)
    assert fs.opinions_to_consolidate(office, feedback_list).count() == 0
    feedback.feedback_item_delete(actor=office, item=written)
    assert fs.opinions_to_consolidate(office, feedback_list).count() == 2


# --- The k rule and the release ---------------------------------------------------------


def test_member_list_below_k_is_released_only_after_the_wording_is_confirmed(world: World, office):
    assert world.campaign.feedback_threshold == 3
    feedback_list = draft(office, world.member)
    opinions = about(world.member, 2)
    item(office, feedback_list, opinions)
    with pytest.raises(ValidationError) as error:
        release(office, feedback_list)
    assert "rests on 2 opinions, fewer than 3" in messages_of(error)
    assert "Confirm that you consolidated the wording" in messages_of(error)
    feedback_list.refresh_from_db()
    assert feedback_list.status == Status.DRAFT
    assert not ReleaseBatch.objects.exists()
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.RECORDED}

    feedback.feedback_list_confirm_wording(actor=office, feedback_list=feedback_list, confirmed=True)
    release(office, feedback_list)
    feedback_list.refresh_from_db()
    assert feedback_list.status == Status.RELEASED


def test_member_list_with_k_opinions_needs_no_confirmation(world: World, office):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 2), text="一")
    item(office, feedback_list, about(world.member, 1), text="二")
    release(office, feedback_list)
    feedback_list.refresh_from_db()
    assert feedback_list.status == Status.RELEASED
    assert feedback_list.released_on == RELEASE_DAY


def test_k_is_the_campaign_setting(world: World, office):
    world.campaign.feedback_threshold = 1
    world.campaign.save()
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 1))
    release(office, feedback_list)
    assert FeedbackList.objects.get().status == Status.RELEASED


def test_the_k_rule_counts_the_distinct_opinions_consolidated(world: World, office):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 2))
    assert feedback.consolidated_count(feedback_list) == 2


def test_a_list_without_items_cannot_be_released(world: World, office):
    feedback_list = draft(office, world.member)
    with pytest.raises(ValidationError) as error:
        release(office, feedback_list)
    assert f"The list for {world.member.name} has no items" in messages_of(error)
    assert not ReleaseBatch.objects.exists()


def test_a_release_is_all_or_nothing(world: World, office):
    good = draft(office, world.member)
    item(office, good, about(world.member, 3))
    short = draft(office, world.other_member)
    item(office, short, about(world.other_member, 1))
    with pytest.raises(ValidationError) as error:
        release(office, good, short)
    assert world.other_member.name in messages_of(error)
    assert world.member.name not in messages_of(error)
    assert set(FeedbackList.objects.values_list("status", flat=True)) == {Status.DRAFT}
    assert not ReleaseBatch.objects.exists()
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.RECORDED}


def test_an_item_whose_opinions_moved_away_or_vanished_holds_back_the_release(world: World, office):
    feedback_list = draft(office, world.member)
    moved, kept = about(world.member, 3), about(world.member, 3)
    item(office, feedback_list, moved, text="一")
    lost = item(office, feedback_list, kept, text="二")
    opinion_update(actor=office, opinion=moved[0], target=Target(member=world.other_member))
    for opinion in kept:
        opinion_delete(actor=office, opinion=opinion)
    with pytest.raises(ValidationError) as error:
        release(office, feedback_list)
    number = list(feedback_list.items.order_by("position").values_list("pk", flat=True)).index(lost.pk) + 1
    assert "consolidates an opinion that is no longer about it" in messages_of(error)
    assert f"Item {number} of the list for {world.member.name} consolidates no opinion any more." in messages_of(error)
    assert FeedbackList.objects.get().status == Status.DRAFT


def test_release_date_cannot_lie_in_the_future_or_before_the_campaign(world: World, office):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 3))
    for day in (datetime.date(2999, 1, 1), world.campaign.starts_on - datetime.timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            release(office, feedback_list, on=day)
        assert "released_on" in error.value.message_dict
    assert FeedbackList.objects.get().status == Status.DRAFT


def test_a_team_list_is_not_held_back_by_the_k_rule(world: World, office):
    team = LeadershipTeam.objects.get(unit=world.unit)
    feedback_list = draft(office, team=team)
    item(office, feedback_list, [OpinionFactory(target_member=None, target_team=team)])
    release(office, feedback_list)
    assert FeedbackList.objects.get().status == Status.RELEASED


def test_release_feeds_back_the_opinions_and_announces_the_unit(world: World, office):
    feedback_list = draft(office, world.member)
    recorded = about(world.member, 2)
    already_sorted = about(world.member, 1, status=OpinionStatus.SORTED)
    item(office, feedback_list, recorded + already_sorted)
    ChangeOutbox.objects.all().delete()
    release(office, feedback_list)
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.FED_BACK}
    announced = set(ChangeOutbox.objects.filter(source="feedback").values_list("unit_id", flat=True))
    assert announced == {world.member.unit_id}
    # Each opinion's history shows the two steps it took.
    statuses = list(recorded[0].history.order_by("history_date").values_list("status", flat=True))
    assert statuses[-2:] == [OpinionStatus.SORTED, OpinionStatus.FED_BACK]


def test_signing_acknowledges_the_opinions(world: World, office):
    feedback_list = released_list(office, world.member)
    ChangeOutbox.objects.all().delete()
    feedback.feedback_list_sign(actor=world.users["member"], feedback_list=feedback_list, confirmed=True)
    feedback_list.refresh_from_db()
    assert feedback_list.status == Status.SIGNED
    assert feedback_list.signed_by == world.member
    assert feedback_list.signed_at is not None
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.ACKNOWLEDGED}
    assert ChangeOutbox.objects.filter(source="feedback", unit=world.member.unit).exists()


def test_status_moves_only_draft_released_signed(world: World, office):
    assert feedback.can_transition(Status.DRAFT, Status.RELEASED)
    assert feedback.can_transition(Status.RELEASED, Status.SIGNED)
    assert not feedback.can_transition(Status.DRAFT, Status.SIGNED)
    assert not feedback.can_transition(Status.SIGNED, Status.RELEASED)
    assert not feedback.can_transition(Status.SIGNED, Status.DRAFT)
    assert not feedback.can_transition(Status.RELEASED, Status.DRAFT)
    feedback_list = released_list(office, world.member)
    with pytest.raises(ValidationError) as error:
        feedback.feedback_list_transition(actor=office, feedback_list=feedback_list, to=Status.DRAFT)
    assert "cannot become" in messages_of(error)


# --- Bad input at signing and editing -----------------------------------------------------


def test_a_draft_cannot_be_signed(world: World, office):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 3))
    with pytest.raises(ValidationError) as error:
        feedback.feedback_list_sign(actor=world.users["member"], feedback_list=feedback_list, confirmed=True)
    assert "has not been released yet" in messages_of(error)
    assert FeedbackList.objects.get().status == Status.DRAFT


def test_signing_twice_is_refused(world: World, office):
    feedback_list = released_list(office, world.member)
    feedback.feedback_list_sign(actor=world.users["member"], feedback_list=feedback_list, confirmed=True)
    signed_at = FeedbackList.objects.get().signed_at
    with pytest.raises(ValidationError) as error:
        feedback.feedback_list_sign(actor=world.users["member"], feedback_list=feedback_list, confirmed=True)
    assert "has already been signed for" in messages_of(error)
    assert FeedbackList.objects.get().signed_at == signed_at


def test_signing_someone_elses_list_is_refused(world: World, office):
    feedback_list = released_list(office, world.other_member)
    for user in (world.users["member"], office):
        with pytest.raises(ValidationError) as error:
            feedback.feedback_list_sign(actor=user, feedback_list=feedback_list, confirmed=True)
        assert f"Only {world.other_member.name} may sign for this list." in messages_of(error)
    assert FeedbackList.objects.get().status == Status.RELEASED
    assert set(Opinion.objects.values_list("status", flat=True)) == {OpinionStatus.FED_BACK}


def test_signing_needs_the_confirmation(world: World, office):
    feedback_list = released_list(office, world.member)
    with pytest.raises(ValidationError) as error:
        feedback.feedback_list_sign(actor=world.users["member"], feedback_list=feedback_list, confirmed=False)
    assert "confirmed" in error.value.message_dict
    assert FeedbackList.objects.get().status == Status.RELEASED


def test_a_team_list_is_signed_by_its_head_only(world: World, office):
    team = LeadershipTeam.objects.get(unit=world.unit)  # head: 李四INSIDE; 张三INSIDE is a member
    feedback_list = draft(office, team=team)
    item(office, feedback_list, [OpinionFactory(target_member=None, target_team=team) for _ in range(3)])
    release(office, feedback_list)
    with pytest.raises(ValidationError) as error:
        feedback.feedback_list_sign(actor=world.users["member"], feedback_list=feedback_list, confirmed=True)
    assert f"Only the head of {team.name} may sign for its list." in messages_of(error)
    head_user = f.UserFactory(username="head")
    Member.objects.filter(pk=team.head_id).update(user=head_user)
    feedback.feedback_list_sign(actor=head_user, feedback_list=feedback_list, confirmed=True)
    feedback_list.refresh_from_db()
    assert feedback_list.status == Status.SIGNED
    assert feedback_list.signed_by_id == team.head_id


def test_a_released_list_can_no_longer_be_edited(world: World, office):
    feedback_list = released_list(office, world.member)
    written = feedback_list.items.get()
    opinion = about(world.member, 1)[0]
    attempts = [
        lambda: item(office, feedback_list, [opinion]),
        lambda: feedback.feedback_item_update(
            actor=office, item=written, text="改写", aspect=Aspect.IDEALS, opinions=[opinion]
        ),
        lambda: feedback.feedback_item_delete(actor=office, item=written),
        lambda: feedback.feedback_item_move(actor=office, item=written, direction=feedback.DOWN),
        lambda: feedback.feedback_list_confirm_wording(actor=office, feedback_list=feedback_list, confirmed=True),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert "has been released; its items can no longer be changed" in messages_of(error)
    written.refresh_from_db()
    assert written.text.startswith("综合意见")
    assert FeedbackItem.objects.count() == 1


# --- Pages: the office ------------------------------------------------------------------


def test_office_writes_a_list_through_the_pages(world: World, office, login):
    client = english(login(office))
    opinions = about(world.member, 3, submitter_name="公开提交人", aspect=Aspect.WORK_STYLE)
    response = client.get(reverse("opinions:feedback_targets"))
    assert world.member.name in response.content.decode()
    response = client.post(reverse("opinions:feedback_start"), {"target": f"member:{world.member.pk}"})
    feedback_list = FeedbackList.objects.get(target_member=world.member)
    assert response.url == reverse("opinions:feedback_list", kwargs={"pk": feedback_list.pk})

    form_url = reverse("opinions:feedback_item_create", kwargs={"pk": feedback_list.pk})
    page = client.get(form_url).content.decode()
    assert opinions[0].text in page and "公开提交人" in page  # the office sees the raw opinions

    response = client.post(form_url, {"text": "", "aspect": Aspect.WORK_STYLE, "opinions": []})
    assert response.status_code == 200
    assert "Choose at least one opinion that this item consolidates." in response.content.decode()
    assert not FeedbackItem.objects.exists()

    response = client.post(
        form_url,
        {
            "text": "工作作风方面需进一步深入基层。",
            "aspect": Aspect.WORK_STYLE,
            "opinions": [o.pk for o in opinions],
            once.FIELD: once.issue(),
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("opinions:feedback_list", kwargs={"pk": feedback_list.pk})).content.decode()
    assert "工作作风方面需进一步深入基层。" in page
    assert opinions[1].text in page


def test_office_sees_the_k_warning_and_confirms_the_wording(world: World, office, login):
    client = english(login(office))
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 1))
    url = reverse("opinions:feedback_list", kwargs={"pk": feedback_list.pk})
    page = client.get(url).content.decode()
    assert "This list rests on fewer than 3 opinions." in page
    assert "a member may guess who gave them" in page
    assert "rests on 1 opinion, fewer than 3" in page  # what stands in the way of the release
    client.post(reverse("opinions:feedback_wording", kwargs={"pk": feedback_list.pk}), {"confirmed": "on"})
    feedback_list.refresh_from_db()
    assert feedback_list.wording_confirmed
    assert "rests on 1 opinion" not in client.get(url).content.decode()


def test_release_page_refuses_a_short_list_and_writes_nothing(world: World, office, login):
    client = english(login(office))
    short = draft(office, world.member)
    item(office, short, about(world.member, 1))
    url = reverse("opinions:feedback_release")
    page = client.get(url, {"ready": fs.NOT_READY}).content.decode()
    assert world.member.name in page
    response = client.post(url, {"lists": [short.pk], "released_on": "2026-03-20", "note": ""})
    assert response.status_code == 200
    assert f"The list for {world.member.name} rests on 1 opinion, fewer than 3" in response.content.decode()
    assert FeedbackList.objects.get().status == Status.DRAFT
    assert not ReleaseBatch.objects.exists()


def test_release_page_releases_the_chosen_lists_as_one_batch(world: World, office, login):
    client = login(office)
    lists = []
    for member in (world.member, world.other_member):
        feedback_list = draft(office, member)
        item(office, feedback_list, about(member, 3))
        lists.append(feedback_list)
    response = client.post(
        reverse("opinions:feedback_release"),
        {"lists": [fl.pk for fl in lists], "released_on": "2026-03-20", "note": "第一批"},
    )
    assert response.status_code == 302
    batch = ReleaseBatch.objects.get()
    assert batch.note == "第一批" and batch.released_by == office
    assert set(batch.lists.values_list("status", flat=True)) == {Status.RELEASED}


def test_release_page_filters_by_unit_and_category(world: World, office, login):
    client = login(office)
    for member in (world.member, world.other_member):
        feedback_list = draft(office, member)
        item(office, feedback_list, about(member, 3))
    page = client.get(reverse("opinions:feedback_release"), {"unit": world.unit.pk}).content.decode()
    assert world.member.name in page and world.other_member.name not in page
    page = client.get(reverse("opinions:feedback_release"), {"category": "county_level_leaders"}).content.decode()
    assert world.member.name not in page


def test_progress_page_counts_lists_per_unit(world: World, office, login):
    released_list(office, world.member)
    feedback_list = released_list(office, world.other_member)
    Member.objects.filter(pk=world.other_member.pk).update(user=f.UserFactory(username="wangwu"))
    feedback.feedback_list_sign(
        actor=Member.objects.get(pk=world.other_member.pk).user, feedback_list=feedback_list, confirmed=True
    )
    progress = {row.name: row for row in fs.progress_by_unit(fs.feedback_lists_for(office, campaign=world.campaign))}
    assert (progress[world.unit.name].released, progress[world.unit.name].signed) == (1, 0)
    assert (progress[world.other_unit.name].released, progress[world.other_unit.name].signed) == (1, 1)
    page = login(office).get(reverse("opinions:feedback_lists")).content.decode()
    assert world.unit.name in page and world.other_unit.name in page


def test_lists_export_shows_what_the_page_shows(world: World, office, login):
    released_list(office, world.member)
    draft(office, world.other_member)
    response = login(office).get(reverse("opinions:feedback_export"), {"unit": world.unit.pk})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert world.member.name in values
    assert world.other_member.name not in values


def test_targets_page_lists_only_opinions_still_to_consolidate(world: World, office, login, targets):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 2))  # all of 张三's opinions are consolidated
    about(world.other_member, 2)
    OpinionFactory(target_member=None, target_team=targets.standing_team)
    OpinionFactory(target_member=None, target_unit=world.unit)  # a unit has no list
    client = login(office)
    page = client.get(reverse("opinions:feedback_targets")).content.decode()
    assert world.other_member.name in page and targets.standing_team.name in page
    assert world.member.name not in page
    page = client.get(reverse("opinions:feedback_targets"), {"category": "standing_committee_team"}).content.decode()
    assert targets.standing_team.name in page and world.other_member.name not in page
    response = client.get(reverse("opinions:feedback_targets_export"), {"category": "other_members"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = [row[1] for row in rows[2:-1]]
    assert names == [world.other_member.name]
    assert rows[2][4] == 2


def test_member_sheet_exports_in_the_paper_layout(world: World, office, login):
    # What the member signs is in the campaign's language (campaign/language.py).
    world.campaign.language = "zh-hans"
    world.campaign.save(update_fields=["language"])
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 3), text='=HYPERLINK("http://x")')
    response = login(office).get(
        reverse("opinions:feedback_sheet", kwargs={"pk": feedback_list.pk}), headers={"accept-language": "zh-CN"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    with translation.override("zh-hans"):
        assert rows[0] == [fs.sheet_title(member=world.member)]
    assert rows[2][0] == 1
    assert rows[2][1] == '=HYPERLINK("http://x")'
    assert sheet.cell(row=3, column=2).data_type == "s"  # never a formula
    assert sheet.cell(row=3, column=2).quotePrefix
    assert len(rows[-1]) == 2  # signature and date, left for the pen


# --- Pages: secretaries and supervisors ---------------------------------------------------


def test_secretary_sees_lists_of_the_unit_but_not_raw_opinions_about_himself(world: World, office, login):
    secretary = world.users["secretary"]
    himself = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="书记本人", user=secretary)
    own = draft(office, himself)
    raw_about_him = about(himself, 3, text="关于书记本人的原始意见")
    item(office, own, raw_about_him, text="关于书记的综合意见")
    colleague = draft(office, world.member)
    item(office, colleague, about(world.member, 3, text="关于张三的原始意见"), text="关于张三的综合意见")

    client = english(login(secretary))
    page = client.get(reverse("opinions:feedback_list", kwargs={"pk": own.pk})).content.decode()
    assert "关于书记的综合意见" in page
    assert "关于书记本人的原始意见" not in page
    assert "Consolidates 3 opinions; the raw opinions are not shown to you." in page
    page = client.get(reverse("opinions:feedback_list", kwargs={"pk": colleague.pk})).content.decode()
    assert "关于张三的原始意见" in page
    # Read-only: no editing controls, and the office's pages are closed.
    assert reverse("opinions:feedback_item_create", kwargs={"pk": colleague.pk}) not in page
    assert client.get(reverse("opinions:feedback_item_create", kwargs={"pk": colleague.pk})).status_code == 403
    assert client.get(reverse("opinions:feedback_release")).status_code == 403


def test_secretary_does_not_see_lists_outside_the_unit(world: World, office, login):
    outside = draft(office, world.other_member)
    client = login(world.users["secretary"])
    assert client.get(reverse("opinions:feedback_list", kwargs={"pk": outside.pk})).status_code == 404
    assert world.other_member.name not in client.get(reverse("opinions:feedback_lists")).content.decode()


# --- Pages: the member ----------------------------------------------------------------------


def test_member_sees_not_released_yet_before_the_release(world: World, office, login):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 3), text="尚未发布的综合意见")
    client = english(login(world.users["member"]))
    page = client.get(reverse("opinions:my_feedback")).content.decode()
    assert "尚未发布的综合意见" not in page
    assert "Your list has not been released yet." in page


def test_member_without_a_list_is_told_it_is_not_released(world: World, login):
    response = english(login(world.users["member"])).get(reverse("opinions:my_feedback"))
    assert response.status_code == 200
    assert "Your list has not been released yet." in response.content.decode()


def test_member_reads_and_signs_his_list(world: World, office, login):
    feedback_list = released_list(office, world.member)
    client = english(login(world.users["member"]))
    page = client.get(reverse("opinions:my_feedback")).content.decode()
    assert feedback_list.items.get().text in page
    assert "Released in 2026-03" in page and "2026-03-20" not in page
    sign_url = reverse("opinions:feedback_sign", kwargs={"pk": feedback_list.pk})
    assert sign_url in page

    page = client.post(sign_url, {}, follow=True).content.decode()  # without the box ticked
    assert "Tick the box to confirm that you have read the list." in page
    assert FeedbackList.objects.get().status == Status.RELEASED
    page = client.post(sign_url, {"confirmed": "on"}, follow=True).content.decode()
    assert "You have signed for the list." in page
    assert FeedbackList.objects.get().status == Status.SIGNED
    assert FeedbackList.objects.get().signed_by == world.member
    assert sign_url not in page  # no form once signed
    page = client.post(sign_url, {"confirmed": "on"}, follow=True).content.decode()
    assert f"The list for {world.member.name} has already been signed for." in page


def test_member_sees_only_his_own_list(world: World, office, login):
    own = released_list(office, world.member)
    other = released_list(office, world.other_member)
    colleague = Member.objects.get(name="李四INSIDE")
    colleague_list = draft(office, colleague)
    item(office, colleague_list, about(colleague, 3), text="李四的综合意见")
    release(office, colleague_list)
    client = login(world.users["member"])
    page = client.get(reverse("opinions:my_feedback")).content.decode()
    assert own.items.get().text in page
    assert other.items.get().text not in page
    assert "李四的综合意见" not in page
    assert world.other_member.name not in page
    # Another's list cannot be reached, let alone signed.
    assert (
        client.post(reverse("opinions:feedback_sign", kwargs={"pk": other.pk}), {"confirmed": "on"}).status_code == 404
    )
    assert client.get(reverse("opinions:feedback_list", kwargs={"pk": own.pk})).status_code == 403
    assert FeedbackList.objects.get(pk=other.pk).status == Status.RELEASED


def test_a_colleague_in_scope_gets_a_message_when_signing_anothers_list(world: World, office, login):
    feedback_list = released_list(office, world.member)
    response = english(login(world.users["secretary"])).post(
        reverse("opinions:feedback_sign", kwargs={"pk": feedback_list.pk}), {"confirmed": "on"}, follow=True
    )
    assert f"Only {world.member.name} may sign for this list." in response.content.decode()
    assert FeedbackList.objects.get().status == Status.RELEASED


def test_head_reads_and_signs_the_team_list(world: World, office, login):
    team = LeadershipTeam.objects.get(unit=world.unit)
    head_user = f.UserFactory(username="head")
    Member.objects.filter(pk=team.head_id).update(user=head_user)
    feedback_list = draft(office, team=team)
    item(
        office,
        feedback_list,
        [OpinionFactory(target_member=None, target_team=team) for _ in range(3)],
        text="班子综合意见",
    )
    release(office, feedback_list)
    client = english(login(head_user))
    page = client.get(reverse("opinions:my_feedback")).content.decode()
    assert "班子综合意见" in page
    assert f"List of opinions and suggestions for {team.name}" in page
    client.post(reverse("opinions:feedback_sign", kwargs={"pk": feedback_list.pk}), {"confirmed": "on"})
    assert FeedbackList.objects.get().signed_by_id == team.head_id
    # A plain member of the team does not see the team's list.
    member_page = login(world.users["member"]).get(reverse("opinions:my_feedback")).content.decode()
    assert "班子综合意见" not in member_page


# --- Anonymity ------------------------------------------------------------------------


SECTION = re.compile(r'<section class="feedback-sheet">.*?</section>', re.S)


def test_member_page_shows_no_source_details(world: World, office, login):
    forum = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="老干部座谈会CANARY")
    opinions = [
        OpinionFactory(
            target_member=world.member,
            text=f"原始意见CANARY{n}",
            submitter_name="提交人甲CANARY",
            submitter_contact="13900000000",
            event=forum,
            channel=Channel.FORUM,
            source_group=SourceGroup.VETERAN_CADRES,
            received_on=datetime.date(2026, 2, 9),
        )
        for n in range(3)
    ]
    feedback_list = draft(office, world.member)
    item(office, feedback_list, opinions, text="综合后的意见")
    release(office, feedback_list)
    client = login(world.users["member"])
    for language in ("zh-hans", "en"):
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        page = client.get(reverse("opinions:my_feedback")).content.decode()
        assert f'lang="{language}"' in page
        assert "综合后的意见" in page
        with translation.override(language):
            labels = [str(SourceGroup.VETERAN_CADRES.label), str(Channel.FORUM.label)]
        # No submitter, contact, raw wording, event, source group, channel, nor any day.
        for text in ["CANARY", "提交人甲", "13900000000", "老干部座谈会", "2026-02", "2026-03-20", *labels]:
            assert text not in page, (language, text)


@dataclass
class Dataset:
    member: Member
    user: object


def _dataset(*, reverse_order: bool, variant: int) -> Dataset:
    """One campaign whose member's list consolidates the same opinions in the same
    words, but whose opinions came from other people, events, channels and days, and
    were recorded in another order."""
    campaign = f.CampaignFactory(slug=f"anon-{variant}", name="匿名测试县")
    unit = f.OrgUnitFactory(campaign=campaign, name="测试单位", code=f"A{variant}")
    user = f.UserFactory(username=f"anon-member-{variant}")
    member = f.MemberFactory(campaign=campaign, unit=unit, name="赵同志", user=user, number=f"N{variant}")
    office = f.UserFactory(username=f"anon-office-{variant}")
    f.RoleAssignmentFactory(user=office, campaign=campaign, kind=RoleKind.OFFICE)
    channels = [Channel.FORUM, Channel.HOTLINE, Channel.ONLINE, Channel.VISIT, Channel.SUGGESTION_BOX]
    groups = [SourceGroup.PUBLIC, SourceGroup.BUSINESS, SourceGroup.VETERAN_CADRES, SourceGroup.MEMBERS, ""]
    texts = [f"原始意见{n}" for n in range(5)]
    order = list(reversed(range(5))) if reverse_order else list(range(5))
    made: dict[int, Opinion] = {}
    for n in order:
        event = SolicitationEventFactory(
            campaign=campaign, unit=unit, title=f"活动{variant}-{n}", channel=channels[(n + variant) % 5]
        )
        made[n] = OpinionFactory(
            target_member=member,
            text=texts[n],
            channel=channels[(n + variant) % 5],
            event=event,
            source_group=groups[(n + 2 * variant) % 5],
            submitter_name=f"提交人{variant}-{n}",
            submitter_contact=f"1390000{variant}{n}",
            received_on=campaign.starts_on + datetime.timedelta(days=3 * n + 17 * variant),
        )
    feedback_list = feedback.feedback_list_get_or_create(actor=office, campaign=campaign, target=Target(member=member))
    groups_of_items = [
        ([0, 3], "作风方面：深入基层不够。", Aspect.WORK_STYLE),
        ([1], "宗旨意识有待加强。", Aspect.PURPOSE),
        ([2, 4], "廉洁自律方面需更加严格。", Aspect.INTEGRITY),
    ]
    for numbers, text, aspect in reversed(groups_of_items) if reverse_order else groups_of_items:
        feedback.feedback_item_create(
            actor=office, feedback_list=feedback_list, text=text, aspect=aspect, opinions=[made[n] for n in numbers]
        )
    feedback.feedback_lists_release(actor=office, campaign=campaign, lists=[feedback_list], released_on=RELEASE_DAY)
    return Dataset(member=member, user=user)


def test_member_list_renders_byte_identical_whoever_submitted(db, login):
    first = _dataset(reverse_order=False, variant=1)
    second = _dataset(reverse_order=True, variant=2)
    rendered = []
    for dataset in (first, second):
        page = login(dataset.user).get(reverse("opinions:my_feedback")).content.decode()
        sections = SECTION.findall(page)
        assert len(sections) == 1
        rendered.append(sections[0].encode())
    assert rendered[0] == rendered[1]
    assert "作风方面：深入基层不够。" in rendered[0].decode()
    # Print and Excel for the office use the same layout, also identical.
    sheets = [fs.sheet_for_list(FeedbackList.objects.get(target_member=d.member)) for d in (first, second)]
    assert [i.text for i in sheets[0].items] == [i.text for i in sheets[1].items]


# --- Bounded queries ----------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_office_lists_page_runs_a_bounded_number_of_queries(world: World, office, login):
    client = login(office)
    url = reverse("opinions:feedback_lists")
    released_list(office, world.member)
    few = _queries(client, url)
    for n in range(12):
        member = f.MemberFactory(campaign=world.campaign, unit=world.other_unit if n % 2 else world.unit)
        feedback_list = draft(office, member)
        item(office, feedback_list, about(member, 3))
        if n % 3 == 0:
            release(office, feedback_list)
    assert _queries(client, url) == few


def test_release_and_targets_pages_run_a_bounded_number_of_queries(world: World, office, login):
    client = login(office)
    urls = [reverse("opinions:feedback_release"), reverse("opinions:feedback_targets")]
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 3))
    about(world.other_member, 1)
    few = [_queries(client, url) for url in urls]
    for n in range(10):
        member = f.MemberFactory(campaign=world.campaign, unit=world.unit)
        about(member, 2)
        if n % 2:
            member_list = draft(office, member)
            item(office, member_list, list(Opinion.objects.filter(target_member=member)))
    assert [_queries(client, url) for url in urls] == few


def test_list_detail_runs_a_bounded_number_of_queries(world: World, office, login):
    client = login(office)
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 1))
    url = reverse("opinions:feedback_list", kwargs={"pk": feedback_list.pk})
    few = _queries(client, url)
    for n in range(8):
        item(office, feedback_list, about(world.member, 2), text=f"第{n}条")
    assert _queries(client, url) == few


def test_member_page_runs_a_bounded_number_of_queries(world: World, office, login):
    feedback_list = draft(office, world.member)
    item(office, feedback_list, about(world.member, 3), text="第一条")
    release(office, feedback_list)
    client = login(world.users["member"])
    url = reverse("opinions:my_feedback")
    few = _queries(client, url)
    FeedbackList.objects.filter(pk=feedback_list.pk).update(status=Status.DRAFT)
    for n in range(15):
        item(office, feedback_list, about(world.member, 1), text=f"第{n + 2}条")
    FeedbackList.objects.filter(pk=feedback_list.pk).update(status=Status.RELEASED)
    # The member also heads two teams with lists of their own.
    for n in range(2):
        team = f.LeadershipTeamFactory(campaign=world.campaign, unit=world.unit, head=world.member, name=f"班子{n}")
        team_list = draft(office, team=team)
        item(office, team_list, [OpinionFactory(target_member=None, target_team=team)])
        release(office, team_list)
    assert _queries(client, url) == few
