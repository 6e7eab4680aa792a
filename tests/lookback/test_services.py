"""The look-back through its services: training, the check (self-check, then the final
verdict), the remedial orders — and every bad input of the issue refused with a
translated message and nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaign.models import ChangeOutbox, Member
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
)
from lookback.selectors import branches_with_training, orders_overdue
from lookback.services import AttendanceEntry, SessionData
from tests.lookback.factories import judgements, overruled, secretary, self_checked, session, today


def _messages(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


# --- Training -------------------------------------------------------------------------------


def test_the_committee_records_a_session_and_the_secretaries_attendance(world):
    office = world.users["office"]
    held = services.session_create(
        user=office,
        campaign=world.campaign,
        data=SessionData(committee=world.committee, held_on=today(), place="党校", trainer="王老师"),
    )
    term = secretary(world.branch)
    services.attendance_record(user=office, session=held, entries=[AttendanceEntry(term, AttendanceStatus.PRESENT)])
    rows = {b.pk: b for b in branches_with_training(office, world.campaign)}
    assert rows[world.branch.pk].trained
    assert not rows[world.other_branch.pk].trained  # no secretary named at all


def test_attendance_for_a_session_that_has_not_happened_is_refused(world):
    future = session(world.committee, held_on=today() + datetime.timedelta(days=2))
    term = secretary(world.branch)
    with pytest.raises(ValidationError) as error:
        services.attendance_record(
            user=world.users["office"], session=future, entries=[AttendanceEntry(term, AttendanceStatus.PRESENT)]
        )
    assert "has not happened yet" in _messages(error)
    assert not Attendance.objects.exists()


def test_a_make_up_needs_its_day_and_a_secretary_of_another_committee_is_refused(world):
    held = session(world.committee)
    term, other = secretary(world.branch), secretary(world.other_branch)
    with pytest.raises(ValidationError) as error:
        services.attendance_record(
            user=world.users["office"],
            session=held,
            entries=[AttendanceEntry(term, AttendanceStatus.MADE_UP), AttendanceEntry(other, AttendanceStatus.PRESENT)],
        )
    assert "Say when the training was made up." in _messages(error)
    assert "not under the organising committee" in _messages(error)
    assert not Attendance.objects.exists()


def test_a_secretary_outside_the_committee_cannot_record_its_training(world):
    with pytest.raises(ValidationError):
        services.session_create(
            user=world.users["secretary"],  # the unit's secretary, below the committee
            campaign=world.campaign,
            data=SessionData(committee=world.committee, held_on=today(), place="党校", trainer="王老师"),
        )


def test_a_new_secretary_counts_as_untrained_until_trained(world):
    office = world.users["office"]
    held = session(world.committee)
    first = secretary(world.branch)
    services.attendance_record(user=office, session=held, entries=[AttendanceEntry(first, AttendanceStatus.PRESENT)])
    successor = Member.objects.get(name="李四INSIDE")
    services.secretary_appoint(user=office, branch=world.branch, member=successor, since=today())
    assert BranchSecretary.objects.get(pk=first.pk).until == today() - datetime.timedelta(days=1)
    untrained = branches_with_training(office, world.campaign, untrained_only=True)
    assert world.branch in list(untrained)
    new = BranchSecretary.objects.get(branch=world.branch, until__isnull=True)
    services.attendance_record(
        user=office, session=held, entries=[AttendanceEntry(new, AttendanceStatus.MADE_UP, made_up_on=today())]
    )
    assert world.branch not in list(branches_with_training(office, world.campaign, untrained_only=True))


# --- The check ------------------------------------------------------------------------------


def test_only_the_units_secretary_self_checks(world):
    for role in ("supervisor", "office", "member"):
        with pytest.raises(ValidationError) as error:
            services.check_self(user=world.users[role], unit=world.unit, judgements=judgements())
        assert "Only the unit's secretary" in _messages(error)
    assert not LookbackCheck.objects.exists()


def test_every_item_is_judged(world):
    partial = judgements()
    del partial[4]
    with pytest.raises(ValidationError) as error:
        services.check_self(user=world.users["secretary"], unit=world.unit, judgements=partial)
    assert "Work advanced" in _messages(error)
    assert not LookbackCheck.objects.exists()


def test_only_the_supervisory_team_gives_the_verdict_and_it_is_final(world):
    check = self_checked(world)
    proposed = services.proposals_for(world.unit)
    for role in ("secretary", "office"):
        with pytest.raises(ValidationError) as error:
            services.check_verdict(user=world.users[role], check=check, judgements=overruled(proposed))
        assert "supervisory team" in _messages(error)
    assert CheckItem.objects.filter(verdict_met__isnull=False).count() == 0
    services.check_verdict(user=world.users["supervisor"], check=check, judgements=overruled(proposed, short=(2,)))
    check.refresh_from_db()
    assert check.state == CheckState.JUDGED
    item = check.items.get(item=2)
    assert item.self_met is True and item.verdict_met is False  # both kept
    with pytest.raises(ValidationError):
        services.check_verdict(user=world.users["supervisor"], check=check, judgements=overruled(proposed))
    with pytest.raises(ValidationError) as error:
        self_checked(world)
    assert "can no longer change" in _messages(error)


def test_met_against_the_figures_needs_a_reason(world):
    check = self_checked(world)
    proposed = services.proposals_for(world.unit)
    assert proposed[5]  # no branch secretary trained: below 100 %
    with pytest.raises(ValidationError) as error:
        services.check_verdict(user=world.users["supervisor"], check=check, judgements=judgements())
    assert "reason_5" in error.value.error_dict
    assert not LookbackCheck.objects.get(pk=check.pk).is_judged


# --- Orders ---------------------------------------------------------------------------


@pytest.fixture
def judged(world):
    check = self_checked(world)
    proposed = services.proposals_for(world.unit)
    return services.check_verdict(
        user=world.users["supervisor"], check=check, judgements=overruled(proposed, short=(2, 3))
    )


def test_an_order_needs_a_deadline_not_in_the_past(world, judged):
    supervisor = world.users["supervisor"]
    for deadline, message in ((None, "Give the order a deadline."), (today() - datetime.timedelta(days=1), "past")):
        with pytest.raises(ValidationError) as error:
            services.order_issue(user=supervisor, check=judged, items=[2], work="重新征求意见", deadline=deadline)
        assert message in _messages(error)
    with pytest.raises(ValidationError) as error:
        services.order_issue(user=supervisor, check=judged, items=[1], work="补课", deadline=today())
    assert "only items the verdict found not met" in _messages(error)
    assert not RemedialOrder.objects.exists()


def test_an_order_is_reported_then_closed_and_the_check_re_runs(world, judged):
    supervisor, secretary_user = world.users["supervisor"], world.users["secretary"]
    order = services.order_issue(
        user=supervisor, check=judged, items=[2, 3], work="重新征求意见", deadline=today() + datetime.timedelta(days=5)
    )
    with pytest.raises(ValidationError) as error:
        services.order_close(user=supervisor, order=order, comment="")
    assert "redo was reported" in _messages(error)
    with pytest.raises(ValidationError):
        services.order_report(user=supervisor, order=order, redo="x")  # not the unit's secretary
    services.order_report(user=secretary_user, order=order, redo="重新召开座谈会")
    returned = services.order_return(user=supervisor, order=order, comment="材料仍不深刻")
    assert returned.state == OrderState.RETURNED
    services.order_report(user=secretary_user, order=order, redo="已重新撰写")
    closed = services.order_close(user=supervisor, order=order, comment="同意销号")
    assert closed.state == OrderState.CLOSED
    items = {i.item: i for i in judged.items.all()}
    assert items[2].verdict_met and items[3].verdict_met
    assert items[2].rechecked_on == today()


def test_the_daily_task_flags_overdue_orders_once(world, judged):
    order = services.order_issue(user=world.users["supervisor"], check=judged, items=[2], work="补课", deadline=today())
    assert services.orders_flag_overdue(on=today()) == 0
    ChangeOutbox.objects.all().delete()
    later = today() + datetime.timedelta(days=1)
    assert services.orders_flag_overdue(on=later) == 1
    assert services.orders_flag_overdue(on=later) == 0
    order.refresh_from_db()
    assert order.is_overdue and order.overdue_since == later
    assert ChangeOutbox.objects.filter(unit=world.unit, source="lookback").exists()
    assert list(orders_overdue(world.users["office"], world.campaign, on=later)) == [order]
    assert list(orders_overdue(world.users["supervisor"], world.campaign, on=later)) == [order]


def test_only_the_office_sets_the_deadline_and_thresholds(world):
    data = {name: getattr(services.settings_for(world.campaign), name) for name in services.SETTINGS_FIELDS}
    data["training_deadline"] = today()
    data["min_trained_pct"] = 50
    for role in ("secretary", "supervisor"):
        with pytest.raises(ValidationError) as error:
            services.settings_update(user=world.users[role], campaign=world.campaign, data=data)
        assert "Only the county office" in _messages(error)
    ChangeOutbox.objects.all().delete()
    saved = services.settings_update(user=world.users["office"], campaign=world.campaign, data=data)
    assert saved.training_deadline == today() and saved.min_trained_pct == 50
    # The deadline decides who was trained on time: every branch is announced.
    announced = set(ChangeOutbox.objects.filter(source="lookback").values_list("unit_id", flat=True))
    assert {world.branch.pk, world.other_branch.pk} <= announced


# --- To the rectification list and the bells ---------------------------------------------------


def test_an_item_not_met_becomes_one_problem_to_rectify(world, judged, client):
    from rectification.models import Problem, ProblemSource, ProblemState

    item = CheckItem.objects.get(check_record=judged, item=2)
    problem = services.problem_from_item(user=world.users["supervisor"], record=item)
    assert (problem.source, problem.source_id, problem.unit) == (ProblemSource.LOOKBACK_ITEM, item.pk, world.unit)
    assert problem.state == ProblemState.OPEN and problem.title
    # Asked again (the office now), the same problem.
    assert services.problem_from_item(user=world.users["office"], record=item) == problem
    assert Problem.objects.filter(source=ProblemSource.LOOKBACK_ITEM).count() == 1
    # An item met, or a secretary asking: refused, nothing written.
    met = CheckItem.objects.filter(check_record=judged, verdict_met=True).first()
    with pytest.raises(ValidationError) as error:
        services.problem_from_item(user=world.users["supervisor"], record=met)
    assert "not met" in _messages(error)
    with pytest.raises(ValidationError) as error:
        services.problem_from_item(
            user=world.users["secretary"], record=CheckItem.objects.get(check_record=judged, item=3)
        )
    assert "supervisory team or the office" in _messages(error)
    assert Problem.objects.filter(source=ProblemSource.LOOKBACK_ITEM).count() == 1
    # The check's page shows the problem beside its item, and offers the other one.
    client.force_login(world.users["supervisor"], backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("lookback:check_detail", args=[world.unit.pk])).content.decode()
    assert reverse("rectification:problem_detail", args=[problem.pk]) in page
    assert reverse("lookback:item_problem", args=[CheckItem.objects.get(check_record=judged, item=3).pk]) in page


def test_an_overdue_order_rings_the_secretarys_and_the_offices_bells(world, judged):
    from notifications.models import Notification

    services.order_issue(user=world.users["supervisor"], check=judged, items=[2], work="补课", deadline=today())
    later = today() + datetime.timedelta(days=1)
    assert services.orders_flag_overdue(on=later) == 1
    told = set(Notification.objects.filter(kind="order_overdue").values_list("user__username", flat=True))
    assert {world.users["secretary"].username, world.users["office"].username} <= told
    assert world.users["member"].username not in told
    assert all(world.unit.name in str(n.params) for n in Notification.objects.filter(kind="order_overdue"))
    # Flagged once: no second bell.
    assert services.orders_flag_overdue(on=later + datetime.timedelta(days=1)) == 0
    assert Notification.objects.filter(kind="order_overdue").count() == len(told)


def test_the_office_home_page_shows_the_orders_overdue(world, judged, client):
    order = services.order_issue(user=world.users["supervisor"], check=judged, items=[2], work="补课", deadline=today())
    home = reverse("campaign:home")
    client.force_login(world.users["office"], backend="django.contrib.auth.backends.ModelBackend")
    assert reverse("lookback:order_detail", args=[order.pk]) not in client.get(home).content.decode()
    yesterday = today() - datetime.timedelta(days=1)
    RemedialOrder.objects.filter(pk=order.pk).update(issued_on=yesterday, deadline=yesterday)
    page = client.get(home).content.decode()
    assert 'id="orders_overdue"' in page and reverse("lookback:order_detail", args=[order.pk]) in page
    # A member sees no such panel.
    client.force_login(world.users["member"], backend="django.contrib.auth.backends.ModelBackend")
    assert 'id="orders_overdue"' not in client.get(home).content.decode()


def test_a_services_text_loses_invisible_characters_whoever_calls_it(world, judged):
    order = services.order_issue(
        user=world.users["supervisor"], check=judged, items=[2], work="补\x01课\u202e", deadline=today()
    )
    assert order.work == "补课"
