"""The look-back's pages: what each role sees, bad input at the field, and a bounded
number of queries whatever the number of units, branches, sessions and orders."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from campaign.models import Member, OrgUnit, OrgUnitKind
from lookback import services
from lookback.models import (
    Attendance,
    AttendanceStatus,
    BranchSecretary,
    CheckItem,
    CheckState,
    LookbackCheck,
    OrderState,
    RemedialOrder,
    TrainingSession,
)
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f
from tests.form_once import fresh
from tests.lookback.factories import overruled, self_checked, today


def _grow(world, units: int, branches_each: int = 2) -> None:
    """``units`` more units under the world's committee, each checked and judged short
    with an order, its branches' secretaries trained at one more session: bulk rows."""
    campaign = world.campaign
    made = []
    for n in range(units):
        unit = f.OrgUnitFactory(campaign=campaign, parent=world.committee, name=f"新单位{n}")
        for b in range(branches_each):
            branch = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.BRANCH, parent=unit, name=f"支部{n}-{b}")
            member = f.MemberFactory(campaign=campaign, unit=unit, branch=branch, name=f"书记{n}-{b}")
            made.append(BranchSecretary(campaign=campaign, branch=branch, member=member, since=today()))
        check = LookbackCheck.objects.create(
            campaign=campaign, unit=unit, state=CheckState.JUDGED, self_checked_on=today(), judged_on=today()
        )
        CheckItem.objects.bulk_create(
            CheckItem(check_record=check, item=i, self_met=True, verdict_met=i != 2) for i in range(1, 7)
        )
        RemedialOrder.objects.create(
            campaign=campaign,
            unit=unit,
            check_record=check,
            items=[2],
            work="补课",
            issued_on=today() - datetime.timedelta(days=5),
            deadline=today() - datetime.timedelta(days=1) if n % 2 else today(),
        )
    terms = BranchSecretary.objects.bulk_create(made)
    session = TrainingSession.objects.create(
        campaign=campaign, committee=world.committee, held_on=today(), place="党校", trainer="王"
    )
    Attendance.objects.bulk_create(
        Attendance(session=session, secretary=t, status=AttendanceStatus.PRESENT) for t in terms
    )
    ledger_rollup_full(campaign_id=campaign.pk)


PAGES = [
    ("lookback:training", "office"),
    ("lookback:check_list", "office"),
    ("lookback:order_list", "office"),
    ("reports:lookback_progress", "office"),
    ("lookback:check_list", "supervisor"),
    ("lookback:training", "secretary"),
]


@pytest.mark.parametrize(("name", "role"), PAGES)
def test_list_pages_run_a_bounded_number_of_queries(world, login, django_assert_max_num_queries, name, role):
    _grow(world, 2)
    client = login(world.users[role])
    client.get(reverse(name))  # warm the session
    with django_assert_max_num_queries(40) as few:
        assert client.get(reverse(name)).status_code == 200
    _grow(world, 30, branches_each=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_the_check_and_session_and_order_pages_run_a_bounded_number_of_queries(
    world, login, django_assert_max_num_queries
):
    _grow(world, 2)
    client = login(world.users["office"])
    unit = OrgUnit.objects.get(name="新单位0")
    order = RemedialOrder.objects.filter(unit=unit).get()
    session = TrainingSession.objects.get()
    urls = [
        reverse("lookback:check_detail", args=[unit.pk]),
        reverse("lookback:order_detail", args=[order.pk]),
        reverse("lookback:session_detail", args=[session.pk]),
    ]
    counts = []
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(40) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    _grow(world, 30, branches_each=3)
    session = TrainingSession.objects.order_by("-pk").first()  # trains 92 secretaries
    with django_assert_max_num_queries(counts[2]):
        response = client.get(reverse("lookback:session_detail", args=[session.pk]))
    assert response.content.decode().count("<tr") > 90


def test_the_check_page_shows_the_figures_beside_each_item_and_the_proposal(world, login):
    client = login(world.users["supervisor"])
    self_checked(world)
    text = client.get(reverse("lookback:check_detail", args=[world.unit.pk])).content.decode()
    assert 'data-code="secretaries_trained"' in text
    assert 'data-proposed="short"' in text  # no secretary of its branch trained
    assert "Give the verdict" in text


def test_a_verdict_before_the_self_check_is_refused_at_the_form(world, login):
    client = login(world.users["supervisor"])
    data = {f"met_{n}": "1" for n in range(1, 7)} | {f"reason_{n}": "复核" for n in range(1, 7)}
    response = client.post(reverse("lookback:check_verdict", args=[world.unit.pk]), data)
    assert response.status_code == 200
    assert "has not self-checked yet" in response.content.decode()
    assert not LookbackCheck.objects.exists()


def test_an_order_without_a_deadline_is_refused_at_the_field(world, login):
    check = self_checked(world)
    services.check_verdict(
        user=world.users["supervisor"],
        check=check,
        judgements=overruled(services.proposals_for(world.unit), short=(2,)),
    )
    client = login(world.users["supervisor"])
    url = reverse("lookback:order_new", args=[world.unit.pk])
    response = client.post(url, {"items": ["2"], "work": "补课", "deadline": "", **fresh()})
    assert "Give the order a deadline." in response.content.decode()
    assert not RemedialOrder.objects.exists()


def test_closing_an_order_whose_redo_was_not_reported_says_why(world, login):
    check = self_checked(world)
    services.check_verdict(
        user=world.users["supervisor"],
        check=check,
        judgements=overruled(services.proposals_for(world.unit), short=(2,)),
    )
    order = services.order_issue(user=world.users["supervisor"], check=check, items=[2], work="补课", deadline=today())
    response = login(world.users["supervisor"]).post(reverse("lookback:order_close", args=[order.pk]), {"comment": ""})
    assert response.status_code == 400
    assert "Only an order whose redo was reported" in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.OPEN


def test_the_check_page_in_chinese(world, login):
    self_checked(world)
    client = login(world.users["secretary"])
    text = client.get(reverse("lookback:check_detail", args=[world.unit.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "回头看" in text.content.decode()


def test_the_include_for_the_office_home_page_lists_overdue_orders(world, rf):
    from django.template.loader import render_to_string

    from lookback.selectors import orders_overdue

    _grow(world, 2)
    html = render_to_string(
        "lookback/includes/orders_overdue.html",
        {"orders_overdue": orders_overdue(world.users["office"], world.campaign)[:20]},
    )
    assert "新单位1" in html and "新单位0" not in html
    assert Member.objects.exists()
