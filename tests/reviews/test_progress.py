"""The documents' progress pages (reports/documents/views.py) as their users see them:
figures read from the ledger for the county, each party committee and each unit; the
filters; the drill-down to a unit's members; the exports in the office's layout; and
a number of queries that does not grow with the members."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from campaign.models import Member, OrgUnitKind, Rank
from reports.documents.selectors import DocumentFigures
from reports.ledger.rollup import ledger_drain_outbox, ledger_rollup_full
from reviews import services
from reviews.models import AnalysisDocument, Decision, DocumentState
from reviews.selectors import documents_summary
from tests import factories as f

CHECKS = {"problems_accurate": True, "causes_accurate": True, "direction_accurate": True}
PROGRESS = "reports:documents_progress"


@pytest.fixture
def progress(world, write, reviewer) -> Any:
    """In the inside unit: one document returned then approved, one returned and waiting
    for its revision, one submitted; in the outside unit a draft; every figure rolled up."""
    author = world.member
    document = write(author, 3000)
    services.document_submit(document=document, user=author.user)
    services.document_decide(
        document=document, user=reviewer.user, version_number=1, decision=Decision.RETURN, overall_comment="再改"
    )
    services.document_submit(document=write(author, 3050), user=author.user)
    services.document_decide(
        document=document, user=reviewer.user, version_number=2, decision=Decision.APPROVE, **CHECKS
    )
    returned = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="退回者", user=f.UserFactory())
    returned_document = write(returned, 3000)
    services.document_submit(document=returned_document, user=returned.user)
    services.document_decide(
        document=returned_document,
        user=reviewer.user,
        version_number=1,
        decision=Decision.RETURN,
        overall_comment="问题不具体",
    )
    waiting = f.MemberFactory(campaign=world.campaign, unit=world.unit, name="待审者", user=f.UserFactory())
    services.document_submit(document=write(waiting, 3000), user=waiting.user)
    _draft(world.other_member)
    ledger_drain_outbox()
    return world


def _draft(member: Member) -> None:
    member.user = f.UserFactory()
    member.save()
    document = services.document_get_or_create(member=member)
    services.document_save(document=document, user=member.user, sections={"causes": "初稿。"})


def _queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params or {}).status_code == 200
    return len(context)


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(sheet) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


# --- The progress page -----------------------------------------------------------------------


def test_office_sees_the_county_each_committee_and_each_unit(progress, login) -> None:
    world = progress
    response = login(world.users["office"]).get(reverse(PROGRESS))
    assert response.status_code == 200
    county: DocumentFigures = response.context["county"]
    recount = documents_summary(world.campaign)
    assert (county.members, county.submitted, county.approved, county.returned_once) == (
        recount["members_total"],
        recount["submitted"],
        recount["approved"],
        recount["returned_at_least_once"],
    )
    assert (county.written, county.awaiting, county.returned, county.reviews) == (4, 1, 1, 3)
    lines = {line.unit.name: line.figures for line in response.context["lines"]}
    inside = lines[world.unit.name]
    assert (inside.written, inside.submitted, inside.awaiting, inside.returned) == (3, 3, 1, 1)
    assert (inside.returned_once, inside.approved, inside.reviews) == (2, 1, 3)
    assert inside.average_hours is not None and inside.not_approved == inside.members - 1
    outside = lines[world.other_unit.name]
    assert (outside.written, outside.submitted, outside.approved) == (1, 0, 0)
    committees = {line.unit.name: line.figures for line in response.context["committees"]}
    assert committees[world.committee.name] == inside
    assert committees[world.other_committee.name] == outside
    page = response.content.decode()
    assert reverse("reports:documents_unit", args=[world.unit.pk]) in page
    assert f"?committee={world.committee.pk}" in page


def test_the_page_shows_the_ledger_not_the_documents(progress, login) -> None:
    world = progress
    AnalysisDocument.objects.filter(campaign=world.campaign).update(state=DocumentState.APPROVED)
    client = login(world.users["office"])
    assert client.get(reverse(PROGRESS)).context["county"].approved == 1, "no change was announced"
    ledger_rollup_full(campaign_id=world.campaign.pk)
    assert client.get(reverse(PROGRESS)).context["county"].approved == 4


def test_a_secretary_sees_the_units_in_reach_only(progress, login) -> None:
    world = progress
    response = login(world.users["secretary"]).get(reverse(PROGRESS))
    assert [line.unit for line in response.context["lines"]] == [world.unit]
    assert response.context["committees"] == []
    assert response.context["county"] == response.context["lines"][0].figures
    assert "OUTSIDE" not in response.content.decode()


def test_members_have_no_progress_page(progress, login) -> None:
    assert login(progress.users["member"]).get(reverse(PROGRESS)).status_code == 403


def test_the_filters_narrow_the_units_and_their_total(progress, login) -> None:
    world = progress
    client = login(world.users["office"])

    def units(**params: Any) -> list[str]:
        response = client.get(reverse(PROGRESS), params)
        return [line.unit.name for line in response.context["lines"]]

    assert units(committee=world.other_committee.pk) == [world.other_unit.name]
    assert units(q="INSIDE") == [world.unit.name]
    # Both units have members whose documents are not approved yet; approve the inside ones.
    assert set(units(behind="on")) == {world.unit.name, world.other_unit.name}
    for member in Member.objects.filter(unit=world.unit):
        AnalysisDocument.objects.update_or_create(
            campaign=world.campaign, member=member, defaults={"state": DocumentState.APPROVED, "word_count": 3000}
        )
    ledger_rollup_full(campaign_id=world.campaign.pk)
    assert units(behind="on") == [world.other_unit.name]
    response = client.get(reverse(PROGRESS), {"committee": world.other_committee.pk})
    assert response.context["totals"] == response.context["lines"][0].figures
    assert "Total of the rows that match" in response.content.decode()


def test_a_committee_outside_the_scope_is_refused_at_the_field(progress, login) -> None:
    response = login(progress.users["secretary"]).get(reverse(PROGRESS), {"committee": progress.other_committee.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["committee"]
    assert [line.unit for line in response.context["lines"]] == [progress.unit]


def test_the_progress_page_costs_the_same_queries_for_many_members(progress, login) -> None:
    world = progress
    client = login(world.users["office"])
    small = _queries(client, reverse(PROGRESS))
    # More units than a page holds, each with members and documents: written in bulk.
    units = f.bulk_units(world.campaign, [world.committee] * 60)
    members = f.bulk_members(world.campaign, [{"unit": unit} for unit in units for _i in range(3)])
    AnalysisDocument.objects.bulk_create(
        AnalysisDocument(campaign=world.campaign, member=member, state=DocumentState.SUBMITTED, word_count=3000)
        for member in members
    )
    ledger_rollup_full(campaign_id=world.campaign.pk)
    client = login(world.users["office"])
    assert _queries(client, reverse(PROGRESS)) == small
    assert _queries(client, reverse(PROGRESS), {"page": 2, "behind": "on"}) <= small + 1
    response = client.get(reverse(PROGRESS))
    assert len(response.context["lines"]) == 50 and response.context["page"].paginator.num_pages == 2
    assert response.context["totals"].members == Member.objects.filter(campaign=world.campaign).count()


# --- One unit's members ----------------------------------------------------------------------


def test_the_unit_page_lists_each_member_with_the_state_of_his_document(progress, login, reviewer) -> None:
    world = progress
    response = login(world.users["secretary"]).get(reverse("reports:documents_unit", args=[world.unit.pk]))
    assert response.status_code == 200
    lines = {line.member.name: line for line in response.context["lines"]}
    assert set(lines) == set(Member.objects.filter(unit=world.unit).values_list("name", flat=True))
    author = lines[world.member.name]
    assert (author.document.state, author.versions, author.times_returned) == (DocumentState.APPROVED, 2, 1)
    assert author.reviewer == reviewer.name
    assert lines["退回者"].document.state == DocumentState.RETURNED
    assert lines["李四INSIDE"].document is None and lines["李四INSIDE"].state_label == "Not started"
    page = response.content.decode()
    assert reverse("reviews:document_detail", args=[author.document.pk]) in page
    assert response.context["figures"].approved == 1


def test_the_unit_page_filters_by_state_and_name(progress, login) -> None:
    world = progress
    client = login(world.users["office"])
    url = reverse("reports:documents_unit", args=[world.unit.pk])

    def names(**params: Any) -> set[str]:
        return {line.member.name for line in client.get(url, params).context["lines"]}

    assert names(state="returned") == {"退回者"}
    assert names(state="submitted") == {"待审者"}
    assert "李四INSIDE" in names(state="none")
    assert names(q="待审") == {"待审者"}


def test_a_unit_outside_the_scope_is_not_found(progress, login) -> None:
    client = login(progress.users["secretary"])
    assert client.get(reverse("reports:documents_unit", args=[progress.other_unit.pk])).status_code == 404
    assert client.get(reverse("reports:documents_unit_export", args=[progress.other_unit.pk])).status_code == 404


def test_the_unit_page_costs_the_same_queries_for_many_members(progress, login, write) -> None:
    world = progress
    url = reverse("reports:documents_unit", args=[world.unit.pk])
    small = _queries(login(world.users["office"]), url)
    for n in range(60):
        member = f.MemberFactory(campaign=world.campaign, unit=world.unit, user=f.UserFactory(), name=f"成员{n:02d}")
        if n % 2:
            services.document_submit(document=write(member, 3000), user=member.user)
    assert _queries(login(world.users["office"]), url) == small


# --- Exports ---------------------------------------------------------------------------------


def test_the_progress_export_is_in_the_offices_layout(progress, login) -> None:
    world = progress
    world.other_unit.name = "=SUM(A1:A9)学校"
    world.other_unit.save()
    client = login(world.users["office"])
    book = workbook(client.get(reverse("reports:documents_progress_export"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    sheet = book.worksheets[0]
    rows = rows_of(sheet)
    assert rows[0][0] == "示范县第一批党性分析材料进度表"
    assert rows[1] == (
        "序号",
        "单位",
        "上级组织",
        "党员数",
        "已撰写",
        "已提交",
        "待审阅",
        "退回待修改",
        "曾被退回",
        "已审批",
        "未审批",
        "平均审阅时间（小时）",
    )
    body = {row[1]: row for row in rows[2:-1]}
    inside_members = Member.objects.filter(unit=world.unit).count()
    assert body[world.unit.name][3:11] == (inside_members, 3, 3, 1, 1, 2, 1, inside_members - 1)
    assert "=SUM(A1:A9)学校" in body, "a would-be formula is a text"
    assert rows[-1][0] == "合计" and rows[-1][1] == "共2个单位"
    assert rows[-1][3] == Member.objects.filter(campaign=world.campaign, unit__kind=OrgUnitKind.UNIT).count()
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.page_setup.orientation == "landscape"


def test_the_exports_speak_english_under_english(progress, login) -> None:
    world = progress
    client = login(world.users["office"])
    book = workbook(
        client.get(reverse("reports:documents_progress_export"), {"q": "INSIDE"}, HTTP_ACCEPT_LANGUAGE="en")
    )
    rows = rows_of(book.worksheets[0])
    assert rows[1][:4] == ("No.", "Unit", "Above", "Members")
    assert [row[1] for row in rows[2:-1]] == [world.unit.name], "the export shows what the filter shows"
    assert rows[-1][0] == "Total"
    url = reverse("reports:documents_unit_export", args=[world.unit.pk])
    rows = rows_of(workbook(client.get(url, {"state": "returned"}, HTTP_ACCEPT_LANGUAGE="en")).worksheets[0])
    assert rows[0][0] == f"{world.unit.name}: members' self-analysis documents"
    assert rows[1][:3] == ("No.", "Name", "Number")
    assert [row[1] for row in rows[2:-1]] == ["退回者"]
    assert rows[2][6] == "Returned for revision" and rows[2][10] == 1
    assert rows[-1][:2] == ("Total", "1 members")


def test_the_unit_export_names_ranks_and_states_in_chinese(progress, login) -> None:
    world = progress
    url = reverse("reports:documents_unit_export", args=[world.unit.pk])
    rows = rows_of(workbook(login(world.users["office"]).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")).worksheets[0])
    assert rows[0][0] == f"{world.unit.name}党员党性分析材料情况表"
    body = {row[1]: row for row in rows[2:-1]}
    with translation.override("zh-hans"):
        assert body["李四INSIDE"][3] == str(Rank.SECTION_CADRE.label)
    assert body["李四INSIDE"][6] == "未撰写"
    assert body[world.member.name][13] is not None, "the approval date"
    assert rows[-1][6] == "已审批1人"
