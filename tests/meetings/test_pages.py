"""The meetings' pages: the gate matrix, roles, bad input at the field, bounded queries
and the Chinese catalogue."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from campaign.models import Member
from meetings.models import Attendance, MeetingState
from tests import factories as f
from tests.form_once import fresh
from tests.meetings.factories import (
    MeetingFactory,
    bulk_branch_meetings,
    bulk_ready,
    low_quotas,
    settle,
    signed_list,
    talk,
)


@pytest.fixture
def people(world):
    low_quotas(world.campaign)
    return world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")


@pytest.fixture
def meeting(world, people):
    return MeetingFactory(branch=world.branch)


def test_the_meeting_page_shows_the_matrix_with_what_is_missing(world, login, meeting, people):
    zhang, li = people
    signed_list(member=zhang, status="released")
    response = login(world.users["secretary"]).get(reverse("meetings:meeting_detail", args=[meeting.pk]))
    text = response.content.decode()
    assert 'id="gate-matrix"' in text
    assert "The feedback list for 张三INSIDE was released but is not signed." in text
    assert "/opinions/feedback/" in text  # the link to the unsigned list
    assert "Record as held" in text


def test_a_member_sees_his_meeting_read_only_and_without_links(world, login, meeting, people):
    signed_list(member=people[0], status="released")
    text = login(world.users["member"]).get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    matrix = text[text.index('id="gate-matrix"') : text.index("</table>", text.index('id="gate-matrix"'))]
    assert "The feedback list for 张三INSIDE was released but is not signed." in matrix
    assert "<a " not in matrix  # he opens his own records from his own pages
    assert "Record as held" not in text
    other = MeetingFactory(branch=world.other_branch)
    assert login(world.users["member"]).get(reverse("meetings:meeting_detail", args=[other.pk])).status_code == 404


def test_holding_through_the_page_with_the_gate_closed_says_why_and_writes_nothing(world, login, meeting, people):
    zhang, li = people
    data = {
        "held_on": "2026-03-21",
        f"attendance_{zhang.pk}": "present",
        f"attendance_{li.pk}": "present",
    }
    response = login(world.users["secretary"]).post(
        reverse("meetings:meeting_hold", args=[meeting.pk]), {**data, **fresh()}
    )
    assert response.status_code == 200
    assert "conditions of the three no-convenings are not met" in response.content.decode()
    assert "Only the county office may override." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED
    assert not Attendance.objects.exists()
    # The office overrides with a reason: kept and shown.
    data["override_reason"] = "县委统一安排"
    response = login(world.users["office"]).post(
        reverse("meetings:meeting_hold", args=[meeting.pk]), {**data, **fresh()}
    )
    assert response.status_code == 302
    text = login(world.users["office"]).get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    assert "县委统一安排" in text
    assert "只讲问题，不讲成绩" in text


def test_a_criticism_from_someone_absent_is_refused_at_the_field(world, login, meeting, people):
    zhang, li = people
    settle(people)
    talk(zhang, li)
    data = {
        "held_on": "2026-03-21",
        f"attendance_{zhang.pk}": "present",
        f"attendance_{li.pk}": "absent",
        f"reason_{li.pk}": "出差",
    }
    assert (
        login(world.users["secretary"])
        .post(reverse("meetings:meeting_hold", args=[meeting.pk]), {**data, **fresh()})
        .status_code
        == 302
    )
    response = login(world.users["secretary"]).post(
        reverse("meetings:criticism_new", args=[meeting.pk]),
        {"from_member": li.pk, "to_member": zhang.pk, "aspect": "work", "content": "作风不实", **fresh()},
    )
    assert response.status_code == 200
    assert "李四INSIDE was not present at the meeting" in response.content.decode()


def _branch_meetings(world, n_meetings: int, per_meeting: int):
    branches = f.bulk_units(world.campaign, [world.unit] * n_meetings, kind="branch")
    members = f.bulk_members(
        world.campaign, [{"unit": world.unit, "branch": b} for b in branches for _ in range(per_meeting)]
    )
    bulk_ready(world.campaign, members[: len(members) // 2])
    return bulk_branch_meetings(world.campaign, branches)


def test_the_meeting_page_runs_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    low_quotas(world.campaign)
    small = _branch_meetings(world, 1, 3)[0]
    large = _branch_meetings(world, 1, 80)[0]
    client = login(world.users["office"])
    client.get(reverse("meetings:meeting_detail", args=[small.pk]))  # warm the session
    with django_assert_max_num_queries(30) as small_queries:
        client.get(reverse("meetings:meeting_detail", args=[small.pk]))
    with django_assert_max_num_queries(len(small_queries.captured_queries)):
        response = client.get(reverse("meetings:meeting_detail", args=[large.pk]))
    assert response.content.decode().count("<tr") > 80


def test_the_readiness_page_runs_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    low_quotas(world.campaign)
    _branch_meetings(world, 2, 3)
    client = login(world.users["office"])
    client.get(reverse("meetings:readiness"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("meetings:readiness"))
    _branch_meetings(world, 40, 4)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("meetings:readiness"))
    assert response.status_code == 200


def test_the_readiness_page_filters_by_condition_and_exports_what_it_shows(world, login, meeting, people):
    zhang, li = people
    settle(people)
    talk(zhang, li)
    not_ready = MeetingFactory(branch=world.other_branch)
    client = login(world.users["office"])
    text = client.get(reverse("meetings:readiness"), {"condition": "document"}).content.decode()
    assert not_ready.branch.name in text
    assert f'href="/meetings/{meeting.pk}/"' not in text
    response = client.get(reverse("meetings:readiness_export"), {"condition": "document"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("教师支部OUTSIDE" in c for c in cells)
    assert not any("机关支部INSIDE" in c for c in cells)


@pytest.mark.zh_default
def test_the_pages_speak_chinese(world, login, meeting, people, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = login(world.users["office"])
    text = client.get(
        reverse("meetings:meeting_detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "三个不召开" in text
    assert "尚未征求对李四INSIDE的意见。" in text
    text = client.get(reverse("meetings:readiness"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "会议准备情况" in text


def test_what_was_said_is_recorded_through_the_pages_and_shown(world, login, meeting, people):
    zhang, li = people
    settle(people)
    talk(zhang, li)
    client = login(world.users["secretary"])
    data = {"held_on": "2026-03-21", f"attendance_{zhang.pk}": "present", f"attendance_{li.pk}": "present"}
    assert client.post(reverse("meetings:meeting_hold", args=[meeting.pk]), {**data, **fresh()}).status_code == 302
    response = client.post(
        reverse("meetings:self_criticism", args=[meeting.pk]),
        {"member": zhang.pk, "summary": "理论学习不深入", "aspects": ["ideals", "work"]},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("meetings:criticism_new", args=[meeting.pk]),
        {"from_member": zhang.pk, "to_member": li.pk, "aspect": "work", "content": "下基层调研不够", **fresh()},
    )
    assert response.status_code == 302
    text = client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    assert "理论学习不深入" in text
    assert "Ideals and beliefs、Work style" in text
    assert "下基层调研不够" in text
    assert "Mark to rectify" in text
    # The supervisor adds a follow-up note; he records nothing said at the meeting.
    supervisor = login(world.users["supervisor"])
    response = supervisor.post(
        reverse("meetings:follow_up_note", args=[meeting.pk]),
        {"member": li.pk, "observation": "已制定整改措施", **fresh()},
    )
    assert response.status_code == 302
    assert supervisor.get(reverse("meetings:criticism_new", args=[meeting.pk])).status_code == 403
    assert "已制定整改措施" in supervisor.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()


def test_in_chinese_the_criticism_names_its_giver_and_receiver_and_the_principle_is_said_once(
    world, login, meeting, people
):
    """Seen in the browser test's screenshots: the criticism's "From" and "To" read as
    the dates of a search (开始日期, 结束日期), attendance as a head count (参加人数),
    and the reminder as 只讲问题，不讲成绩 (只讲问题，不讲成绩)."""
    zhang, li = people
    settle(people)
    talk(zhang, li)
    client = login(world.users["secretary"])
    held = {"held_on": "2026-03-21", f"attendance_{zhang.pk}": "present", f"attendance_{li.pk}": "present"}
    hold = client.get(reverse("meetings:meeting_hold", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert hold.content.decode().count("只讲问题，不讲成绩") == 1
    assert "出席情况" in hold.content.decode() and "参加人数" not in hold.content.decode()
    url = reverse("meetings:meeting_hold", args=[meeting.pk])
    assert client.post(url, {**held, **fresh()}).status_code == 302
    form = client.get(reverse("meetings:criticism_new", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="zh-CN")
    text = form.content.decode()
    assert ">批评人</label>" in text and ">被批评人</label>" in text and ">批评内容</label>" in text
    assert "开始日期" not in text and "结束日期" not in text
    assert text.count("只讲问题，不讲成绩") == 1
    client.post(
        reverse("meetings:criticism_new", args=[meeting.pk]),
        {"from_member": li.pk, "to_member": zhang.pk, "aspect": "work", "content": "作风不实", **fresh()},
    )
    page = client.get(reverse("meetings:meeting_detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="zh-CN")
    text = page.content.decode()
    assert "<th>批评人</th><th>被批评人</th>" in text and "<th>出席情况</th>" in text
    assert text.count("只讲问题，不讲成绩") == 1
    # A held meeting with no follow-up note yet says so, not a table of headings only.
    assert "暂无会后跟踪记录。" in text
    # The list of meetings (branches' 组织生活会 as well as teams' 民主生活会) is "会议",
    # not one kind of them: its breadcrumb no longer reads 民主生活会 › 民主生活会.
    assert "民主生活会</span> › <a" in text and ">会议</a>" in text
    # In English the gloss stays: the Chinese principle after the English words.
    english = client.get(reverse("meetings:meeting_detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Speak of problems only, not of achievements (只讲问题，不讲成绩)" in english.content.decode()
