"""Batch entry of a forum's minutes or a box's contents, and the target autocomplete:
all rows or none, each wrong row marked at its field, targets only in scope."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from campaign.models import ChangeOutbox, TargetCategory
from core import once
from opinions.models import Channel, Opinion, OpinionKind, SourceGroup
from tests import factories as f
from tests.form_once import token_in
from tests.opinions.factories import SolicitationEventFactory

pytestmark = pytest.mark.usefixtures("english")

ENTRY = "opinions:batch_entry"
BLANK_ROWS = 10


def batch(heading: dict, rows: list[dict], *, total: int = BLANK_ROWS) -> dict:
    """The POST of the batch page: the heading, the given rows, then blank rows up to
    ``total`` as a browser without JavaScript sends them."""
    data = {
        # The page's one-time token (core.once), new for every send as a page shown anew.
        once.FIELD: once.issue(),
        "form-TOTAL_FORMS": str(max(total, len(rows))),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "150",
        "event": "",
        "channel": "",
        "received_on": "",
        **heading,
    }
    for index in range(max(total, len(rows))):
        row = rows[index] if index < len(rows) else {}
        data.update(
            {
                f"form-{index}-kind": row.get("kind", OpinionKind.OPINION),
                f"form-{index}-target": row.get("target", ""),
                f"form-{index}-target_token": row.get("token", ""),
                f"form-{index}-aspect": row.get("aspect", ""),
                f"form-{index}-source_group": row.get("source_group", ""),
                f"form-{index}-text": row.get("text", ""),
            }
        )
    return data


@pytest.fixture
def secretary(world, login):
    return login(world.users["secretary"])


def heading_for(world, forum) -> dict:
    return {"event": str(forum.pk), "recording_unit": str(world.unit.pk)}


def test_the_page_offers_ten_blank_rows_and_the_secretarys_events(world, forum, secretary):
    SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="教师座谈会OUTSIDE")
    response = secretary.get(reverse(ENTRY))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="batch-row') == BLANK_ROWS + 1  # ten rows and the template for more
    assert "城关镇老干部座谈会INSIDE" in page
    assert "OUTSIDE" not in page
    assert response.context["heading"].initial["recording_unit"] == world.unit.pk


def test_a_secretary_enters_a_forums_opinions_in_one_go(world, targets, forum, secretary):
    rows = [
        {
            "target": "",
            "token": f"member:{targets.county_leader.pk}",
            "aspect": "work",
            "source_group": SourceGroup.VETERAN_CADRES,
            "text": "下乡调研次数少",
        },
        {
            "kind": OpinionKind.SUGGESTION,
            "token": f"team:{targets.standing_team.pk}",
            "target": "县委常委会INSIDE",
            "text": "建议常委会定期听取群众意见",
        },
        # Typed by full name, as without JavaScript.
        {"target": "李四INSIDE", "text": "服务态度生硬", "aspect": "purpose"},
    ]
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), rows))
    assert response.status_code == 302
    assert response["Location"] == reverse(ENTRY) + f"?event={forum.pk}&recording_unit={world.unit.pk}"
    opinions = list(Opinion.objects.order_by("pk"))
    assert [o.text for o in opinions] == ["下乡调研次数少", "建议常委会定期听取群众意见", "服务态度生硬"]
    assert [o.category for o in opinions] == [
        TargetCategory.COUNTY_LEVEL_LEADERS,
        TargetCategory.STANDING_COMMITTEE_TEAM,
        TargetCategory.OTHER_MEMBERS,
    ]
    assert {o.channel for o in opinions} == {Channel.FORUM}
    assert {o.event for o in opinions} == {forum}
    assert {o.received_on for o in opinions} == {forum.held_on}
    assert {o.recording_unit for o in opinions} == {world.unit}
    assert opinions[0].source_group == SourceGroup.VETERAN_CADRES
    assert opinions[1].kind == OpinionKind.SUGGESTION
    # One announcement for the batch: its unit, and each target (what the roll-up redoes).
    assert sorted(ChangeOutbox.objects.values_list("unit_id", "target")) == sorted(
        [
            (world.unit.pk, f"member:{targets.county_leader.pk}"),
            (world.unit.pk, f"team:{targets.standing_team.pk}"),
            (world.unit.pk, f"member:{targets.ordinary_member.pk}"),
        ]
    )
    followed = secretary.get(response["Location"])
    assert "3 opinions were recorded." in followed.content.decode()
    assert followed.context["heading"]["event"].value() == str(forum.pk)
    # The message links to the rows saved, and to them alone (issue 16, 14).
    import re
    from html import unescape

    link = re.search(r'3 opinions were recorded\. <a href="([^"]+)">See the rows saved</a>', followed.content.decode())
    assert link is not None
    listed = secretary.get(unescape(link.group(1)))
    assert sorted(o.pk for o in listed.context["page"]) == [o.pk for o in opinions]
    assert "3 opinions" in listed.content.decode()  # the filter's chip


def test_a_batch_sent_twice_is_stored_once(world, targets, forum, secretary):
    """A double click, or the answer reloaded: the page's form sent again with its token."""
    rows = [
        {"token": f"member:{targets.ordinary_member.pk}", "text": "会议太多"},
        {"token": f"member:{targets.county_leader.pk}", "text": "文山会海"},
    ]
    data = {**batch(heading_for(world, forum), rows), once.FIELD: token_in(secretary.get(reverse(ENTRY)).content)}
    first = secretary.post(reverse(ENTRY), data)
    assert first.status_code == 302
    secretary.get(first["Location"])  # the answer, with its message
    second = secretary.post(reverse(ENTRY), data, HTTP_ACCEPT_LANGUAGE="en")
    assert list(Opinion.objects.order_by("pk").values_list("text", flat=True)) == ["会议太多", "文山会海"]
    assert second.status_code == 302 and second["Location"] == first["Location"]
    page = secretary.get(second["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This form was already submitted; nothing was saved twice." in page
    assert "opinions were recorded" not in page


def test_a_batch_without_its_token_stores_nothing_and_says_why(world, targets, forum, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "会议太多"}]
    data = {**batch(heading_for(world, forum), rows), once.FIELD: "forged"}
    response = secretary.post(reverse(ENTRY), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved." in page and str(once.MISSING) in page
    assert not Opinion.objects.exists()
    assert token_in(page) != "forged", "the page is shown again with a new token"


def test_invisible_characters_in_a_batch_row_are_not_stored(world, targets, forum, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "会议\x01太多\u202e，\r\n文山会海"}]
    assert secretary.post(reverse(ENTRY), batch(heading_for(world, forum), rows)).status_code == 302
    assert Opinion.objects.get().text == "会议太多，\n文山会海"


def test_channel_and_date_stand_for_an_event(world, targets, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "意见箱里的意见"}]
    heading = {"channel": Channel.SUGGESTION_BOX, "received_on": "2026-03-05", "recording_unit": str(world.unit.pk)}
    assert secretary.post(reverse(ENTRY), batch(heading, rows)).status_code == 302
    opinion = Opinion.objects.get()
    assert (opinion.channel, opinion.received_on.isoformat(), opinion.event) == ("box", "2026-03-05", None)


def test_one_bad_row_saves_nothing_and_is_marked_at_its_field(world, targets, forum, secretary):
    rows = [
        {"token": f"member:{targets.ordinary_member.pk}", "text": "第一条意见"},
        {"token": f"member:{targets.county_leader.pk}", "text": ""},
        {"token": f"team:{targets.department_team.pk}", "text": "第三条意见"},
    ]
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), rows))
    assert response.status_code == 200
    assert not Opinion.objects.exists()
    assert not ChangeOutbox.objects.exists()
    forms = response.context["rows"].forms
    assert forms[1].errors == {"text": ["Write the content of the opinion."]}
    assert not forms[0].errors and not forms[2].errors
    [summary] = response.context["errors"]
    assert (summary.row, summary.label, summary.message) == (2, "Content", "Write the content of the opinion.")
    assert summary.anchor == "id_form-1-text"
    page = response.content.decode()
    assert "Nothing was saved." in page
    assert '<a href="#id_form-1-text">Row 2 · Content</a>' in page
    assert page.count('class="batch-row rowerr"') == 1
    # What was typed is all still there, the chosen targets named again.
    assert "第一条意见" in page and "第三条意见" in page
    assert forms[0]["target_token"].value() == f"member:{targets.ordinary_member.pk}"
    assert forms[0].target_option.label == "李四INSIDE"


def test_a_target_outside_the_secretarys_scope_is_refused_at_the_target(world, targets, forum, secretary):
    rows = [
        {"token": f"member:{targets.ordinary_member.pk}", "text": "第一条"},
        {"token": f"member:{targets.outside_member.pk}", "target": "anything", "text": "第二条"},
        {"target": targets.outside_team.name, "text": "第三条"},
    ]
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), rows))
    assert response.status_code == 200
    assert not Opinion.objects.exists()
    forms = response.context["rows"].forms
    assert forms[1].errors["target"] == [
        "The chosen target is not one you may record for. Choose it again from the list."
    ]
    assert forms[2].errors["target"] == [
        "No team, member or organisation you may record for is called “第一中学领导班子OUTSIDE”."
    ]
    # The refusal does not tell the name behind a forged token.
    assert "王五" not in response.content.decode()


def test_a_row_without_a_target_is_marked(world, forum, secretary):
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), [{"text": "无对象"}]))
    assert response.context["rows"].forms[0].errors["target"] == [
        "Choose the target: a leadership team, a member or an organisation."
    ]


def test_a_name_shared_by_two_targets_asks_which(world, targets, forum, secretary):
    f.MemberFactory(campaign=world.campaign, unit=world.unit, name="李四INSIDE", position="办公室主任")
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), [{"target": "李四INSIDE", "text": "x"}]))
    message = response.context["rows"].forms[0].errors["target"][0]
    assert message.startswith("Several targets are called “李四INSIDE”")
    assert "办公室主任" in message


def test_a_partial_name_without_the_list_suggests_the_full_ones(world, targets, forum, secretary):
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), [{"target": "县级", "text": "x"}]))
    assert response.context["rows"].forms[0].errors["target"] == [
        "No target is called exactly “县级”. Did you mean: 县级乙INSIDE?"
    ]


def test_a_heading_without_event_or_channel_and_date_is_marked(world, targets, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "x"}]
    response = secretary.post(reverse(ENTRY), batch({"recording_unit": str(world.unit.pk)}, rows))
    heading = response.context["heading"]
    assert heading.errors["channel"] == ["Choose the event, or the channel the opinions came through."]
    assert heading.errors["received_on"] == ["Give the date the opinions were received."]
    assert not Opinion.objects.exists()


def test_a_date_outside_the_campaign_is_marked_once_at_the_heading(world, targets, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "x"}] * 3
    heading = {"channel": "box", "received_on": "2027-01-01", "recording_unit": str(world.unit.pk)}
    response = secretary.post(reverse(ENTRY), batch(heading, rows))
    assert response.context["heading"].errors["received_on"] == [
        "The date must lie within the campaign (2026-01-10 to 2026-06-30)."
    ]
    assert all(not form.errors for form in response.context["rows"].forms)
    assert not Opinion.objects.exists()


def test_a_secretary_cannot_record_for_another_unit(world, targets, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "x"}]
    heading = {"channel": "box", "received_on": "2026-03-01", "recording_unit": str(world.other_unit.pk)}
    response = secretary.post(reverse(ENTRY), batch(heading, rows))
    assert "recording_unit" in response.context["heading"].errors
    assert not Opinion.objects.exists()


def test_an_empty_batch_asks_for_a_row(world, forum, secretary):
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), []))
    assert response.status_code == 200
    assert response.context["rows"].non_form_errors() == ["Enter at least one opinion."]


def test_rows_added_by_the_script_are_saved_too(world, targets, forum, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": f"第{n}条"} for n in range(14)]
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), rows, total=15))
    assert response.status_code == 302
    assert Opinion.objects.count() == 14


def test_too_many_rows_are_refused_with_a_message(world, targets, forum, secretary):
    rows = [{"token": f"member:{targets.ordinary_member.pk}", "text": "x"}] * 151
    response = secretary.post(reverse(ENTRY), batch(heading_for(world, forum), rows))
    assert response.status_code == 200
    assert response.context["rows"].non_form_errors() == [
        "A batch holds at most 150 rows: save these, then go on in a new batch."
    ]
    assert not Opinion.objects.exists()


# --- The autocomplete ----------------------------------------------------------


def search(client, query: str) -> list[dict]:
    response = client.get(reverse("opinions:target_search"), {"q": query})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)["results"]


def test_the_autocomplete_finds_teams_members_and_units_by_part_of_a_name(world, targets, secretary):
    results = search(secretary, "INSIDE")
    tokens = {result["token"] for result in results}
    assert f"member:{targets.ordinary_member.pk}" in tokens
    assert f"team:{targets.standing_team.pk}" in tokens
    assert f"unit:{world.unit.pk}" in tokens
    assert all(set(result) == {"token", "label", "detail", "kind"} for result in results)
    leader = next(r for r in search(secretary, "县级") if r["token"] == f"member:{targets.county_leader.pk}")
    assert leader["label"] == "县级乙INSIDE"
    assert "城关镇政府INSIDE" in leader["detail"]


def test_the_autocomplete_returns_only_targets_in_scope(world, targets, secretary):
    for query in ("OUTSIDE", "王五", "第一中学", "E"):
        results = search(secretary, query)
        assert all("OUTSIDE" not in json.dumps(result, ensure_ascii=False) for result in results), query
    assert search(secretary, "王五") == []


def test_the_autocomplete_puts_exact_names_first(world, targets, secretary):
    f.MemberFactory(campaign=world.campaign, unit=world.unit, name="李四INSIDE的同事")
    assert search(secretary, "李四INSIDE")[0]["label"] == "李四INSIDE"


def test_the_office_finds_targets_across_its_campaign(world, targets, login):
    results = search(login(world.users["office"]), "OUTSIDE")
    assert f"member:{targets.outside_member.pk}" in {r["token"] for r in results}


def test_an_empty_query_finds_nothing(world, secretary):
    assert search(secretary, "  ") == []


def test_the_autocomplete_is_for_those_who_enter_opinions(world, login):
    assert login(world.users["supervisor"]).get(reverse("opinions:target_search"), {"q": "I"}).status_code == 403
    assert login(world.users["member"]).get(reverse("opinions:target_search"), {"q": "I"}).status_code == 403
