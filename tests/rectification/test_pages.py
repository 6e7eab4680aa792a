"""The rectification pages as a user meets them: the problem list with its filters,
search, pagination and export, the moves on a problem's page, the practical results
with their import (dry run, all or nothing); bounded query counts whatever the size;
and a canary: nothing about an opinion's submitter reaches a problem's page, the lists,
the exports or the public receipt."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from opinions import public
from rectification import services
from rectification.models import PracticalResult, Problem, ProblemState
from tests.rectification.factories import details, opinions_about, pdf, problem_by_hand, secretary_of

pytestmark = pytest.mark.django_db

CANARY = "金丝雀CANARY"


def _many_problems(world, n: int) -> None:
    for k in range(n):
        problem = problem_by_hand(world, title=f"问题{k}", responsible="负责人")
        opinions = opinions_about(world, 2)
        services.problem_from_opinions(
            user=world.users["office"],
            campaign=world.campaign,
            unit=world.unit,
            details=details(title=f"意见问题{k}"),
            opinion_ids=[o.pk for o in opinions],
        )
        services.problem_hand_over(user=world.users["office"], problem=problem, to_unit=world.other_unit, reason="移交")


@pytest.mark.parametrize(
    "url_name", ["rectification:problem_list", "rectification:problem_export", "rectification:result_list"]
)
def test_list_pages_run_a_bounded_number_of_queries(world, login, django_assert_max_num_queries, url_name):
    client = login(world.users["secretary"])
    _many_problems(world, 2)
    with django_assert_max_num_queries(40) as small:
        assert client.get(reverse(url_name)).status_code == 200
    _many_problems(world, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200


def test_the_problem_page_runs_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world.users["office"])
    opinions = opinions_about(world, 2)
    problem = services.problem_from_opinions(
        user=world.users["office"],
        campaign=world.campaign,
        unit=world.unit,
        details=details(),
        opinion_ids=[o.pk for o in opinions],
    )
    url = reverse("rectification:problem_detail", args=[problem.pk])
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    more = opinions_about(world, 20)
    problem.opinion_links.model.objects.bulk_create(
        problem.opinion_links.model(problem=problem, opinion=o, status_before="recorded") for o in more
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_list_filters_searches_and_flags_overdue(world, login):
    client = login(world.users["office"])
    problem_by_hand(world, title="道路失修", due_on=timezone.localdate() - datetime.timedelta(days=3))
    problem_by_hand(world, title="办事效率")
    services.problems_flag_overdue()
    page = client.get(reverse("rectification:problem_list"), {"q": "道路"}).content.decode()
    assert "道路失修" in page and "办事效率" not in page
    page = client.get(reverse("rectification:problem_list"), {"overdue": "on"}).content.decode()
    assert "道路失修" in page and "办事效率" not in page


def test_the_office_makes_a_problem_of_opinions_on_its_page(world, login):
    client = login(world.users["office"])
    opinions = opinions_about(world, 3)
    page = client.get(reverse("rectification:problem_from_opinions"))
    html = page.content.decode()
    marker = 'name="form_once" value="'
    once = html[html.index(marker) + len(marker) :].split('"', 1)[0]
    answer = client.post(
        reverse("rectification:problem_from_opinions"),
        {
            "form_once": once,
            "opinions": [o.pk for o in opinions],
            "unit": world.unit.pk,
            "title": "联系群众不够",
            "text": "群众反映干部下基层少。",
            "category": "hot",
        },
    )
    assert answer.status_code == 302
    problem = Problem.objects.get(title="联系群众不够")
    assert problem.opinion_links.count() == 3 and problem.category == "hot"


def test_solving_on_the_page_needs_evidence(world, login):
    client = login(world.users["secretary"])
    problem = problem_by_hand(world)
    services.problem_start(user=world.users["secretary"], problem=problem)
    url = reverse("rectification:problem_solve", args=[problem.pk])
    answer = client.post(url, {"public_measure": "已整改"})
    assert answer.status_code == 200 and "at least one file" in answer.content.decode()
    upload = io.BytesIO(pdf().content)
    upload.name = "报告.pdf"
    answer = client.post(url, {"public_measure": "已整改", "evidence": [upload]})
    assert answer.status_code == 302
    problem.refresh_from_db()
    assert problem.state == ProblemState.SOLVED


def _workbook(rows: list[list[object]]) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "为民办实事"
    sheet.append(["单位编号", "日期", "走访户数", "走访人次", "捐款（元）", "排查矛盾纠纷", "调处化解", "移交处理"])
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def test_the_results_import_is_all_or_nothing(world):
    day = (world.campaign.starts_on + datetime.timedelta(days=3)).isoformat()
    office = world.users["office"]
    good = [world.unit.code, day, 5, 12, "100.50", 3, 2, 1]
    negative = [world.unit.code, day, 5, 12, "-3", 0, 0, 0]
    too_many_solved = [world.unit.code, day, 5, 12, "1.5", 2, 3, 0]
    three_decimals = [world.unit.code, day, 5, 12, "1.505", 0, 0, 0]
    rows = [good, negative, too_many_solved, three_decimals]
    report = services_import(world, office, _workbook(rows), dry_run=False)
    assert not report.ok
    messages = " ".join(e.message for e in report.errors)
    assert "negative" in messages and "than investigated" in messages and "two decimals" in messages
    assert {e.row for e in report.errors} == {3, 4, 5}
    assert not PracticalResult.objects.exists()
    report = services_import(world, office, _workbook([good, good]), dry_run=True)
    assert report.ok and not PracticalResult.objects.exists()
    report = services_import(world, office, _workbook([good, good]), dry_run=False)
    assert report.ok and PracticalResult.objects.count() == 2


def services_import(world, user, data, *, dry_run):
    from rectification.imports import results_import

    return results_import(campaign=world.campaign, user=user, source=data, filename="results.xlsx", dry_run=dry_run)


def test_nothing_about_the_submitter_reaches_pages_exports_or_the_receipt(world, login):
    code = "8765432187654321"
    opinion = opinions_about(
        world,
        1,
        submitter_name=f"张{CANARY}",
        submitter_contact=f"139{CANARY}",
        receipt_hash=public.receipt_hash(code),
    )[0]
    office = world.users["office"]
    problem = services.problem_from_opinions(
        user=office, campaign=world.campaign, unit=world.unit, details=details(), opinion_ids=[opinion.pk]
    )
    services.problem_start(user=office, problem=problem)
    services.problem_solve(user=office, problem=problem, public_measure="已建立制度。", uploads=[pdf()])
    for user in (office, world.users["secretary"], world.users["member"]):
        client = login(user)
        for url in (
            reverse("rectification:problem_list"),
            reverse("rectification:problem_detail", args=[problem.pk]),
        ):
            assert CANARY not in client.get(url).content.decode()
        export = client.get(reverse("rectification:problem_export"))
        book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
        cells = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value)
        assert CANARY not in cells
    anonymous = login(None)
    page = anonymous.post(reverse("public:receipt"), {"code": code}).content.decode()
    assert "The problem you raised has been solved." in page and "已建立制度。" in page
    assert CANARY not in page


def test_a_documents_problems_go_to_the_list_once_per_section(world, login):
    from reviews.models import AnalysisDocument

    document = AnalysisDocument.objects.create(
        campaign=world.campaign,
        member=world.member,
        state="approved",
        problems_ideals="理论学习不够系统。",
        problems_work_style="深入群众不够。",
    )
    client = login(world.users["secretary"])
    page = client.get(reverse("reviews:document_detail", args=[document.pk])).content.decode()
    assert 'id="to-rectify"' in page
    url = reverse("rectification:problems_from_document", args=[document.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a second send finds the same problems
    problems = Problem.objects.filter(source="document", source_id=document.pk)
    assert sorted(problems.values_list("aspect", flat=True)) == ["ideals", "work"]
    assert {p.member_id for p in problems} == {world.member.pk}


def test_the_home_page_shows_problems_overdue_and_those_awaiting_an_answer(world, login):
    late = problem_by_hand(world, title="道路失修", due_on=timezone.localdate() - datetime.timedelta(days=3))
    handed = problem_by_hand(world, title="移交的问题")
    services.problems_flag_overdue()
    home = reverse("campaign:home")
    page = login(world.users["office"]).get(home).content.decode()
    assert 'id="problems"' in page and reverse("rectification:problem_detail", args=[late.pk]) in page
    services.problem_hand_over(user=world.users["office"], problem=handed, to_unit=world.other_unit, reason="移交")
    # The receiving department's secretary finds it waiting for his answer.
    page = login(secretary_of(world, world.other_unit)).get(home).content.decode()
    assert reverse("rectification:problem_detail", args=[handed.pk]) in page
    assert "awaiting your answer" in page
