"""The opinion list, its export, the detail page with history, edit and delete."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import TargetCategory
from opinions import services
from opinions.models import Aspect, Channel, Opinion, OpinionKind, OpinionStatus
from opinions.services import Target
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

pytestmark = pytest.mark.usefixtures("english")

LIST = "opinions:opinion_list"


def texts(response) -> list[str]:
    return sorted(o.text for o in response.context["page"])


@pytest.fixture
def spread(world, targets, forum):
    """Opinions that differ in one thing each."""
    return {
        "team": OpinionFactory(target_team=targets.standing_team, target_member=None, text="常委会", aspect="ideals"),
        "leader": OpinionFactory(
            target_member=targets.county_leader, text="县级领导", kind=OpinionKind.SUGGESTION, event=forum
        ),
        "member": OpinionFactory(
            target_member=targets.ordinary_member,
            text="普通党员",
            channel=Channel.SUGGESTION_BOX,
            received_on=datetime.date(2026, 4, 1),
            status=OpinionStatus.SORTED,
        ),
        "outside": OpinionFactory(target_member=targets.outside_member, text="外单位OUTSIDE"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["县级领导", "外单位OUTSIDE", "常委会", "普通党员"]),
        ({"category": TargetCategory.STANDING_COMMITTEE_TEAM}, ["常委会"]),
        ({"kind": "suggestion"}, ["县级领导"]),
        ({"channel": "box"}, ["普通党员"]),
        ({"aspect": "ideals"}, ["常委会"]),
        ({"status": "sorted"}, ["普通党员"]),
        ({"received_from": "2026-03-01"}, ["普通党员"]),
        ({"received_to": "2026-03-01"}, ["县级领导", "外单位OUTSIDE", "常委会"]),
        ({"q": "党员"}, ["普通党员"]),
    ],
)
def test_the_office_filters_the_list(world, spread, login, params, expected):
    assert texts(login(world.users["office"]).get(reverse(LIST), params)) == expected


def test_the_list_takes_the_parameters_the_ledgers_link_with(world, targets, spread, login):
    client = login(world.users["office"])
    assert texts(client.get(reverse(LIST), {"ledger_unit": world.other_unit.pk})) == ["外单位OUTSIDE"]
    assert texts(client.get(reverse(LIST), {"target_member": targets.county_leader.pk})) == ["县级领导"]
    assert texts(client.get(reverse(LIST), {"target_team": targets.standing_team.pk})) == ["常委会"]
    chips = client.get(reverse(LIST), {"target_team": targets.standing_team.pk}).context["form"].chips()
    assert chips == [{"label": "Target", "value": "县委常委会INSIDE", "remove": "?"}]


def test_merged_opinions_are_left_out_unless_asked_for(world, spread, login):
    services.opinion_merge(actor=world.users["office"], keep=spread["team"], duplicates=[spread["leader"]])
    client = login(world.users["office"])
    assert "县级领导" not in texts(client.get(reverse(LIST)))
    assert texts(client.get(reverse(LIST), {"merged": "merged"})) == ["县级领导"]
    assert len(texts(client.get(reverse(LIST), {"merged": "all"}))) == 4


def test_a_secretary_sees_only_opinions_of_his_units(world, spread, login):
    response = login(world.users["secretary"]).get(reverse(LIST))
    assert texts(response) == ["县级领导", "常委会", "普通党员"]
    assert "OUTSIDE" not in response.content.decode()


def test_a_filter_on_a_target_out_of_scope_is_refused_not_ignored(world, targets, spread, login):
    response = login(world.users["secretary"]).get(reverse(LIST), {"target_member": targets.outside_member.pk})
    assert response.context["form"].hidden_errors()
    assert "OUTSIDE" not in response.content.decode()


def test_members_see_no_opinion_list(world, login):
    assert login(world.users["member"]).get(reverse(LIST)).status_code == 403


def workbook_rows(response) -> list[tuple]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_export_holds_what_the_list_shows_with_submitters_for_the_office_only(world, targets, login):
    OpinionFactory(target_member=targets.ordinary_member, text="=1+1", submitter_name="王大爷", submitter_contact="138")
    OpinionFactory(target_member=targets.county_leader, text="别的", kind=OpinionKind.SUGGESTION)
    rows = workbook_rows(login(world.users["office"]).get(reverse("opinions:opinion_export"), {"kind": "opinion"}))
    headers = rows[1]
    assert headers[-2:] == ("Submitter's name", "Submitter's contact")
    assert len(rows) == 4  # title, headers, one opinion, total
    assert rows[2][1] == "=1+1" and rows[2][-2:] == ("王大爷", "138")
    assert rows[-1][0] == "Total: 1"

    rows = workbook_rows(login(world.users["secretary"]).get(reverse("opinions:opinion_export")))
    assert "Submitter's name" not in rows[1]
    assert not any("王大爷" in str(cell) for row in rows for cell in row)
    assert rows[-1][0] == "Total: 2"


def test_the_detail_shows_the_submitter_to_the_office_only(world, targets, login):
    opinion = OpinionFactory(
        target_member=targets.ordinary_member, submitter_name="王大爷", submitter_contact="13800009999"
    )
    url = reverse("opinions:opinion_detail", args=[opinion.pk])
    assert "王大爷" in login(world.users["office"]).get(url).content.decode()
    for role in ("secretary", "supervisor"):
        page = login(world.users[role]).get(url).content.decode()
        assert "王大爷" not in page and "13800009999" not in page


def test_the_detail_shows_who_changed_what_and_when(world, targets, login):
    opinion = services.opinion_create(
        actor=world.users["secretary"],
        campaign=world.campaign,
        kind="opinion",
        text="原文",
        channel="forum",
        received_on=datetime.date(2026, 2, 1),
        target=Target(member=targets.ordinary_member),
    )
    services.opinion_update(
        actor=world.users["office"],
        opinion=opinion,
        aspect=Aspect.INTEGRITY,
        target=Target(member=targets.county_leader),
    )
    response = login(world.users["office"]).get(reverse("opinions:opinion_detail", args=[opinion.pk]))
    history = response.context["history"]
    assert [(entry.who, entry.action) for entry in history] == [("office", "~"), ("secretary", "+")]
    changed = {change.label: (change.old, change.new) for change in history[0].changes}
    assert changed["Aspect"] == ("—", "Integrity")
    assert changed["Target member"] == ("李四INSIDE", "县级乙INSIDE")
    assert changed["Ledger category"] == ("Other members", "Other county-level leading cadres")


def test_the_history_hides_submitter_changes_from_all_but_the_office(world, targets, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member, submitter_name="王大爷")
    for role, shown in (("office", True), ("secretary", False)):
        page = login(world.users[role]).get(reverse("opinions:opinion_detail", args=[opinion.pk])).content.decode()
        assert ("王大爷" in page) is shown, role


def test_a_secretary_edits_an_opinion_and_its_target(world, targets, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member, text="旧的", recording_unit=world.unit)
    client = login(world.users["secretary"])
    url = reverse("opinions:opinion_edit", args=[opinion.pk])
    form = client.get(url).context["form"]
    assert form["target"].value() == "李四INSIDE"
    assert form["target_token"].value() == f"member:{targets.ordinary_member.pk}"
    data = {
        "kind": "suggestion",
        "target": "县委常委会INSIDE",
        "target_token": f"team:{targets.standing_team.pk}",
        "aspect": "work",
        "text": "新的",
        "channel": "forum",
        "event": "",
        "source_group": "",
        "received_on": "2026-02-02",
        "target_text": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert (opinion.kind, opinion.text, opinion.target_team, opinion.target_member) == (
        "suggestion",
        "新的",
        targets.standing_team,
        None,
    )
    assert opinion.category == TargetCategory.STANDING_COMMITTEE_TEAM


def test_an_edit_with_a_target_out_of_scope_is_refused_at_the_target(world, targets, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member, text="旧的", recording_unit=world.unit)
    data = {
        "kind": "opinion",
        "target": "x",
        "target_token": f"member:{targets.outside_member.pk}",
        "aspect": "",
        "text": "新的",
        "channel": "forum",
        "event": "",
        "source_group": "",
        "received_on": "2026-02-02",
        "target_text": "",
    }
    response = login(world.users["secretary"]).post(reverse("opinions:opinion_edit", args=[opinion.pk]), data)
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    opinion.refresh_from_db()
    assert opinion.text == "旧的"


def test_delete_asks_first_then_deletes_on_post(world, targets, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member, recording_unit=world.branch)
    client = login(world.users["secretary"])
    url = reverse("opinions:opinion_delete", args=[opinion.pk])
    assert "Delete the opinion?" in client.get(url).content.decode()
    assert Opinion.objects.filter(pk=opinion.pk).exists()
    assert client.post(url)["Location"] == reverse(LIST)
    assert not Opinion.objects.filter(pk=opinion.pk).exists()


def test_status_moves_from_the_detail_page(world, targets, login):
    opinion = OpinionFactory(target_member=targets.ordinary_member)
    client = login(world.users["office"])
    url = reverse("opinions:opinion_detail", args=[opinion.pk])
    assert [s.value for s in client.get(url).context["next_statuses"]] == ["sorted"]
    client.post(reverse("opinions:opinion_transition", args=[opinion.pk]), {"to": "closed"})
    opinion.refresh_from_db()
    assert opinion.status == "recorded"
    client.post(reverse("opinions:opinion_transition", args=[opinion.pk]), {"to": "sorted"})
    opinion.refresh_from_db()
    assert opinion.status == "sorted"


@pytest.mark.parametrize(
    ("page", "role"),
    [
        ("opinions:opinion_list", "office"),
        ("opinions:opinion_list", "secretary"),
        ("opinions:opinion_export", "office"),
        ("opinions:sort", "office"),
    ],
)
def test_list_pages_run_the_same_queries_for_5_and_200_opinions(world, targets, login, page, role):
    client = login(world.users[role])
    event = SolicitationEventFactory(campaign=world.campaign, unit=world.unit)
    members = [targets.ordinary_member, targets.county_leader, targets.standing_member]

    def add(count: int) -> None:
        for n in range(count):
            OpinionFactory(target_member=members[n % 3], event=event, recording_unit=world.unit)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse(page), {"merged": "all"}).status_code == 200
        return len(context.captured_queries)

    add(5)
    keep = Opinion.objects.first()
    services.opinion_merge(actor=world.users["office"], keep=keep, duplicates=list(Opinion.objects.all()[1:3]))
    few = queries()
    add(195)
    services.opinion_merge(
        actor=world.users["office"], keep=Opinion.objects.last(), duplicates=list(Opinion.objects.all()[10:20])
    )
    assert queries() == few


def test_the_detail_page_runs_the_same_queries_however_long_its_history(world, targets, login):
    client = login(world.users["office"])
    opinion = OpinionFactory(target_member=targets.ordinary_member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("opinions:opinion_detail", args=[opinion.pk])).status_code == 200
        return len(context.captured_queries)

    services.opinion_update(actor=world.users["office"], opinion=opinion, aspect="work")
    few = queries()
    for n in range(20):
        services.opinion_update(
            actor=world.users["office"],
            opinion=opinion,
            aspect=["work", "integrity"][n % 2],
            target=Target(member=[targets.county_leader, targets.standing_member][n % 2]),
        )
    assert queries() == few


def test_a_secretary_may_not_rewrite_what_the_public_or_another_unit_said_about_his_unit(world, targets, login):
    from_the_box = OpinionFactory(target_member=targets.ordinary_member, channel=Channel.ONLINE, text="网上意见")
    from_elsewhere = OpinionFactory(target_member=targets.ordinary_member, recording_unit=world.other_unit)
    client = login(world.users["secretary"])
    for opinion in (from_the_box, from_elsewhere):
        assert client.get(reverse("opinions:opinion_detail", args=[opinion.pk])).status_code == 200
        assert client.get(reverse("opinions:opinion_edit", args=[opinion.pk])).status_code == 403
        assert client.post(reverse("opinions:opinion_delete", args=[opinion.pk])).status_code == 403
        detail = client.get(reverse("opinions:opinion_detail", args=[opinion.pk]))
        assert not detail.context["can_change"]
    with pytest.raises(ValidationError, match="Only the county office"):
        services.opinion_update(actor=world.users["secretary"], opinion=from_the_box, text="改过的")
    with pytest.raises(ValidationError, match="Only the county office"):
        services.opinion_delete(actor=world.users["secretary"], opinion=from_the_box)
    assert Opinion.objects.get(pk=from_the_box.pk).text == "网上意见"
    # The office may.
    services.opinion_update(actor=world.users["office"], opinion=from_the_box, aspect="work")
