"""The guard of one-time form tokens (``core.once``): every view that creates is marked
``@creates``, its page carries the token, and its form sent twice stores once.

- Every project view that takes a POST is either marked ``@creates`` or listed in
  ``NOT_CREATING`` with the reason a second send stores nothing twice. A new POST view
  fails here until it is one or the other.
- Every view marked ``@creates`` has a case in ``CASES``: its page is fetched, the token
  read from it, and the form sent twice with that token: one set of rows, and the second
  send is told so. The same form with no token stores nothing.
- Every model the admin can add to uses ``OnceAdminMixin``, or is listed in
  ``ADMIN_ADD_EXEMPT``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaign.models import OrgUnit
from core import once
from core.models import UsedFormToken
from opinions.models import FeedbackItem, ImportJob, Opinion, SolicitationEvent
from reviews.models import DocumentVersion
from talks.models import Talk
from tests.form_once import FIELD, token_in
from tests.talks.cards_world import cards_fixture  # noqa: F401 (the ``cards`` fixture)

# Views that take a POST and create nothing a second send could store twice.
NOT_CREATING: dict[str, str] = {
    "opinions:opinion_edit": "changes an opinion",
    "opinions:opinion_delete": "deletes",
    "opinions:opinion_transition": "a status change; the workflow refuses it from the new status",
    "opinions:opinion_unmerge": "splits a merge once; a second finds nothing merged",
    "opinions:sort": "changes the chosen opinions",
    "opinions:event_edit": "changes an event",
    "opinions:feedback_start": "opens the one list of a target (get or create, unique per target)",
    "opinions:feedback_release": "a status change of the chosen lists",
    "opinions:feedback_item_edit": "changes an item",
    "opinions:feedback_item_delete": "deletes",
    "opinions:feedback_item_move": "moves an item",
    "opinions:feedback_order_reset": "reorders",
    "opinions:feedback_wording": "confirms the wording of a list",
    "opinions:feedback_sign": "signs a list off; a second sign-off is refused by its status",
    "opinions:import_confirm": "a conditional status change of the job: only one send finds it waiting",
    "talks:import_confirm": "a conditional status change of the job: only one send finds it waiting",
    "talks:card_edit": "changes a card",
    "talks:card_delete": "deletes",
    "talks:card_review": "a decision on a submitted card; the workflow refuses a second",
    "reviews:autosave": "saves the one draft",
    "reviews:upload": "fills the one draft's sections",
    "reviews:decide": "one decision per version (a unique constraint)",
    "reviews:reopen": "a status change; refused from the new status",
    "reports:opinion_ledger_export": "an export job is written once however often asked for",
    "reports:stage_report_edit": "saves the one text of a stage's report (one row per campaign and stage)",
    "reports:stage_report_export": "an export job is written once however often asked for",
    "logout": "Django's",
    "set_language": "Django's",
    "password_change": "Django's; changes the password",
    "login": "Django's",
    "public:write": "the public box has its own one-time token (opinions.public)",
    "public:receipt": "looks a receipt up",
    "campaign:campaign_public": "sets the campaign's public flag; the same value again changes nothing",
    "campaign:member_password_reset": "replaces the password; the one forced-change row per account is updated",
    "meetings:meeting_cancel": "a status change; the workflow refuses it from cancelled, at the form",
    "meetings:meeting_followed_up": "a status change; the workflow refuses it from followed up, with a message",
    "meetings:criticism_rectify": "hands a criticism over once: a second finds its problem (row locked) and is told",
    "meetings:self_criticism": "saves the one self-criticism of a member at a meeting (unique, meeting locked)",
    "appraisal:vote": "one ballot per member: a second is refused ('already voted'), unique and window locked",
    "appraisal:window_open": "one window per branch (a unique constraint): a second is refused with a message",
    "appraisal:window_close": "a status change; the workflow refuses a closed window, with a message",
    "appraisal:paper_entry": "enters or corrects the window's one sheet (window locked): a second writes the same",
    "appraisal:paper_confirm": "a status change; a confirmed sheet refuses a second, with a message",
    "appraisal:settings": "saves the campaign's one settings row (campaign locked): a second writes the same",
    "appraisal_public:rate": "anonymous: its own one-time token in the cache, as the public box (appraisal.public)",
    "rectification:problems_from_document": "one problem per document section (unique): a second finds them",
    "rectification:problem_edit": "changes the one problem; a second send writes the same",
    "rectification:problem_start": "a status change; the workflow refuses it from in progress, with a message",
    "rectification:problem_hand_over": "a status change; the workflow refuses a problem handed over, at the form",
    "rectification:problem_accept": "a status change; the workflow refuses an accepted problem, with a message",
    "rectification:problem_return": "a status change; the workflow refuses a problem sent back, at the form",
    "rectification:problem_solve": "a status change; the workflow refuses a solved problem (row locked), no file kept",
    "rectification:problem_delete": "a second finds the problem gone",
    "rectification:result_delete": "a second finds the result gone",
    "notifications:read_all": "marks the user's notifications read; a second finds none unread",
    "account_language": "saves the account's one settings row (update or create, unique per user)",
    "lookback:settings": "saves the campaign's one settings row (campaign locked): a second writes the same",
    "lookback:session_detail": "records or corrects the session's attendance: one row per secretary (unique)",
    "lookback:check_verdict": "the verdict is final: a second is refused ('given already'), the check locked",
    "lookback:item_problem": "problem_record makes one problem of an item: a second send leads to the same one",
    "lookback:order_report": "a status change; the workflow refuses a second report, with a message",
    "lookback:order_close": "a status change; the workflow refuses to close a closed order, with a message",
    "lookback:order_return": "a status change; the workflow refuses to return it again, with a message",
}

# Models the admin can add to without OnceAdminMixin, and why a second send is harmless.
ADMIN_ADD_EXEMPT: dict[str, str] = {
    "auth.user": "a user's name is unique: a second send is refused by the form",
    "auth.group": "a group's name is unique: a second send is refused by the form",
    "axes.accessattempt": "nobody adds login records by hand",
    "axes.accesslog": "nobody adds login records by hand",
    "axes.accessfailurelog": "nobody adds login records by hand",
    "reports.ledgerrow": "read-only",
    "reports.ledgerdrift": "read-only",
}


# --- The views --------------------------------------------------------------------


def _views(resolver: URLResolver, namespaces: tuple[str, ...] = ()) -> Iterator[tuple[str, Callable[..., Any]]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the admin's add forms: test_every_admin_add_form_carries_a_token
            yield from _views(entry, (*namespaces, entry.namespace) if entry.namespace else namespaces)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ":".join((*namespaces, entry.name)), entry.callback


def _takes_post(view: Callable[..., Any], depth: int = 2) -> bool:
    """Whether a view answers a POST, read from its source and its decorators', and from
    the helpers of its module it hands the request to (a form page shared by views)."""
    if hasattr(view, "view_class"):
        return any(hasattr(view.view_class, method) for method in ("post", "form_valid"))
    try:
        function = inspect.unwrap(view)
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return True  # unknown: it must be classified
    if re.search(r"POST|\.page\(request", source):
        return True
    for name in sorted(set(re.findall(r"\b(\w+)\(\s*request\b", source))) if depth else ():
        helper = function.__globals__.get(name)
        if inspect.isfunction(helper) and helper.__module__ == function.__module__ and _takes_post(helper, depth - 1):
            return True
    return False


VIEWS = dict(_views(get_resolver()))


def test_every_view_that_takes_a_post_creates_with_a_token_or_says_why_not() -> None:
    unclassified = [
        name
        for name, view in VIEWS.items()
        if _takes_post(view) and not once.is_create_view(view) and name not in NOT_CREATING
    ]
    assert not unclassified, (
        "Views that take a POST, neither marked @creates (core.once) nor listed in NOT_CREATING "
        "(tests/core/test_once_guard.py):\n" + "\n".join(unclassified)
    )


def test_every_create_view_has_a_double_send_case() -> None:
    marked = sorted(name for name, view in VIEWS.items() if once.is_create_view(view))
    assert marked, "no view is marked @creates"
    assert sorted(CASES) == marked, "every @creates view needs a case in CASES (and no case a stale view)"


def test_no_listed_view_is_also_marked_or_gone() -> None:
    assert [name for name in NOT_CREATING if name in VIEWS and once.is_create_view(VIEWS[name])] == []
    assert [name for name in NOT_CREATING if name not in VIEWS] == []


def test_every_admin_add_form_carries_a_token() -> None:
    missing = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, once.OnceAdminMixin) and model._meta.label_lower not in ADMIN_ADD_EXEMPT
    ]
    assert not missing, "Admin add forms without OnceAdminMixin (core.once):\n" + "\n".join(missing)


# --- Sending each create form twice ---------------------------------------------------


@dataclass
class Send:
    """How to send one create form: the page that shows it (GET), the URL it posts to,
    the data besides its token, and what to count."""

    client: Any
    page: str
    count: Callable[[], int]
    data: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    # For a confirmation step: sends what comes before (an upload) and returns the page
    # showing the form, and the data the form adds.
    before: Callable[[], tuple[Any, dict[str, Any]]] | None = None


def _batch_entry(request: pytest.FixtureRequest) -> Send:
    from tests.opinions.factories import SolicitationEventFactory
    from tests.opinions.test_entry import batch

    world = request.getfixturevalue("world")
    forum = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="老干部座谈会")
    rows = [
        {"token": f"member:{world.member.pk}", "text": "会议太多"},
        {"token": f"member:{world.member.pk}", "text": "文山会海"},
    ]
    data = batch({"event": str(forum.pk), "recording_unit": str(world.unit.pk)}, rows)
    data.pop(FIELD)
    client = request.getfixturevalue("login")(world.users["secretary"])
    return Send(client=client, page=reverse("opinions:batch_entry"), data=data, count=Opinion.objects.count)


def _event_create(request: pytest.FixtureRequest) -> Send:
    world = request.getfixturevalue("world")
    data = {
        "channel": "questionnaire",
        "title": "征求意见表发放",
        "unit": str(world.unit.pk),
        "level": "unit",
        "held_on": "2026-02-01",
        "ends_on": "",
        "place": "",
        "attendance": "0",
        "forms_issued": "200",
        "forms_returned": "180",
        "boxes_set": "0",
    }
    client = request.getfixturevalue("login")(world.users["secretary"])
    return Send(client=client, page=reverse("opinions:event_create"), data=data, count=SolicitationEvent.objects.count)


def _card_new(request: pytest.FixtureRequest) -> Send:
    from tests.talks.test_card_pages import card_post

    cards = request.getfixturevalue("cards")
    data = card_post(cards)
    data.pop(FIELD)
    client = request.getfixturevalue("login")(cards.users["member"])
    return Send(client=client, page=reverse("talks:card_new"), data=data, count=Talk.objects.count)


def _my_document(request: pytest.FixtureRequest) -> Send:
    from tests.reviews.test_pages import _form_data

    world = request.getfixturevalue("world")
    data = _form_data(3000, action="submit")
    data.pop(FIELD)
    client = request.getfixturevalue("login")(world.users["member"])
    return Send(client=client, page=reverse("reviews:my_document"), data=data, count=DocumentVersion.objects.count)


def _feedback_item_create(request: pytest.FixtureRequest) -> Send:
    from opinions import feedback
    from opinions.models import Aspect
    from opinions.selectors import resolve_target
    from tests.opinions.test_feedback import about

    world = request.getfixturevalue("world")
    office = world.users["office"]
    opinions = about(world.member, 2, aspect=Aspect.WORK_STYLE)
    target = resolve_target(office, world.campaign, f"member:{world.member.pk}")
    feedback_list = feedback.feedback_list_get_or_create(actor=office, campaign=world.campaign, target=target)
    data = {"text": "工作作风方面需进一步深入基层。", "aspect": Aspect.WORK_STYLE, "opinions": [o.pk for o in opinions]}
    client = request.getfixturevalue("login")(office)
    page = reverse("opinions:feedback_item_create", kwargs={"pk": feedback_list.pk})
    return Send(client=client, page=page, data=data, count=FeedbackItem.objects.count)


def _org_import(request: pytest.FixtureRequest) -> Send:
    from tests.campaign.test_import import workbook_of_everything

    world = request.getfixturevalue("world")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    client = request.getfixturevalue("login")(world.users["office"])
    url = reverse("campaign:org_import")

    def upload() -> tuple[Any, dict[str, Any]]:
        checked = client.post(url, {"file": SimpleUploadedFile("org.xlsx", workbook_of_everything())})
        return checked, {"confirm": "1", "token": client.session["org_import"]["token"]}

    return Send(client=client, page=url, count=OrgUnit.objects.count, before=upload)


def _talks_import(request: pytest.FixtureRequest) -> Send:
    from tests.talks.test_import import ZH, _upload

    cards = request.getfixturevalue("cards")
    client = request.getfixturevalue("login")(cards.users["secretary"])
    url = reverse("talks:import_page")
    row = [cards.member.number, "", cards.colleague.number, "", "", "", "党员之间", cards.day, "", "谈心"]

    def upload() -> tuple[Any, dict[str, Any]]:
        checked = client.post(url, {"file": _upload([ZH, row])})
        return checked, {"confirm": "1", "token": client.session["talks_import"]["token"]}

    return Send(client=client, page=url, count=Talk.objects.count, before=upload)


def _opinions_import(request: pytest.FixtureRequest) -> Send:
    world = request.getfixturevalue("world")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    client = request.getfixturevalue("login")(world.users["office"])
    url = reverse("opinions:import_page")

    def data() -> dict[str, Any]:
        return {"file": SimpleUploadedFile("opinions.csv", "类型,内容\n意见,会议太多\n".encode())}

    send = Send(client=client, page=url, count=ImportJob.objects.count)
    send.data = _Fresh(data)  # type: ignore[assignment]
    return send


def _meeting_world(request: pytest.FixtureRequest, *, held: bool = False) -> tuple[Any, Any, Any, Any]:
    """A branch meeting of the world whose gate is open (its two attendees settled, a
    talk between them); held already if ``held``. Returns world, meeting, and the two."""
    from campaign.models import Member
    from meetings import services as meeting_services
    from tests.meetings.factories import MeetingFactory, low_quotas, settle, talk

    world = request.getfixturevalue("world")
    low_quotas(world.campaign)
    zhang, li = world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    settle([zhang, li])
    talk(zhang, li)
    meeting = MeetingFactory(branch=world.branch)
    if held:
        present = meeting_services.Presence(present=True)
        meeting_services.meeting_hold(
            user=world.users["secretary"],
            meeting=meeting,
            held_on=meeting.planned_on,
            minutes="",
            attendance={zhang.pk: present, li.pk: present},
        )
    return world, meeting, zhang, li


def _meeting_new(request: pytest.FixtureRequest) -> Send:
    from meetings.models import Meeting

    world = request.getfixturevalue("world")
    data = {
        "kind": "organisational_life",
        "branch": str(world.branch.pk),
        "planned_on": "2026-04-10",
        "place": "会议室",
    }
    client = request.getfixturevalue("login")(world.users["secretary"])
    return Send(client=client, page=reverse("meetings:meeting_new"), data=data, count=Meeting.objects.count)


def _meeting_reschedule(request: pytest.FixtureRequest) -> Send:
    from meetings.models import Reschedule

    world, meeting, _zhang, _li = _meeting_world(request)
    data = {"planned_on": "2026-04-20", "place": "二楼会议室", "reason": "与县委全会冲突"}
    client = request.getfixturevalue("login")(world.users["secretary"])
    page = reverse("meetings:meeting_reschedule", args=[meeting.pk])
    return Send(client=client, page=page, data=data, count=Reschedule.objects.count)


def _meeting_attendees(request: pytest.FixtureRequest) -> Send:
    from meetings.models import AttendeeChange

    world, meeting, _zhang, li = _meeting_world(request)
    data = {"kind": "remove", "number": li.number, "reason": "长期病假"}
    client = request.getfixturevalue("login")(world.users["secretary"])
    page = reverse("meetings:meeting_attendees", args=[meeting.pk])
    return Send(client=client, page=page, data=data, count=AttendeeChange.objects.count)


def _meeting_hold(request: pytest.FixtureRequest) -> Send:
    from meetings.models import Attendance

    world, meeting, zhang, li = _meeting_world(request)
    data = {"held_on": "2026-03-21", f"attendance_{zhang.pk}": "present", f"attendance_{li.pk}": "present"}
    client = request.getfixturevalue("login")(world.users["secretary"])
    page = reverse("meetings:meeting_hold", args=[meeting.pk])
    return Send(client=client, page=page, data=data, count=Attendance.objects.count)


def _criticism_new(request: pytest.FixtureRequest) -> Send:
    from meetings.models import Criticism

    world, meeting, zhang, li = _meeting_world(request, held=True)
    data = {"from_member": str(zhang.pk), "to_member": str(li.pk), "aspect": "work", "content": "下基层调研不够"}
    client = request.getfixturevalue("login")(world.users["secretary"])
    page = reverse("meetings:criticism_new", args=[meeting.pk])
    return Send(client=client, page=page, data=data, count=Criticism.objects.count)


def _follow_up_note(request: pytest.FixtureRequest) -> Send:
    from meetings.models import FollowUpNote

    world, meeting, _zhang, li = _meeting_world(request, held=True)
    data = {"member": str(li.pk), "observation": "已制定整改措施", "help_given": ""}
    client = request.getfixturevalue("login")(world.users["supervisor"])
    page = reverse("meetings:follow_up_note", args=[meeting.pk])
    return Send(client=client, page=page, data=data, count=FollowUpNote.objects.count)


def _records_import(request: pytest.FixtureRequest) -> Send:
    from meetings.models import Attendance
    from tests.meetings.test_files import record_file

    world = request.getfixturevalue("world")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    _world, ready, zhang, li = _meeting_world(request)
    client = request.getfixturevalue("login")(world.users["secretary"])
    url = reverse("meetings:records_import")

    def upload() -> tuple[Any, dict[str, Any]]:
        source = record_file(ready, (zhang, li))
        source.name = "会议记录.xlsx"
        checked = client.post(url, {"file": source})
        return checked, {"confirm": "1", "token": client.session["meetings_import"]["token"]}

    return Send(client=client, page=url, count=Attendance.objects.count, before=upload)


def _paper_import(request: pytest.FixtureRequest) -> Send:
    from meetings.appraisal import services as appraisal_services
    from meetings.appraisal.models import PaperMemberCount
    from tests.meetings.test_files import tally_file

    world = request.getfixturevalue("world")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    _world, _meeting, zhang, li = _meeting_world(request)
    appraisal_services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=world.branch)
    client = request.getfixturevalue("login")(world.users["secretary"])
    url = reverse("appraisal:paper_import")

    def upload() -> tuple[Any, dict[str, Any]]:
        source = tally_file(world, (zhang, li))
        source.name = "计票.xlsx"
        checked = client.post(url, {"file": source})
        return checked, {"confirm": "1", "token": client.session["appraisal_paper_import"]["token"]}

    return Send(client=client, page=url, count=PaperMemberCount.objects.count, before=upload)


def _problem_new(request: pytest.FixtureRequest) -> Send:
    from rectification.models import Problem

    world = request.getfixturevalue("world")
    data = {"unit": str(world.unit.pk), "title": "办事效率不高", "text": "群众办事多次往返。", "category": "hot"}
    client = request.getfixturevalue("login")(world.users["secretary"])
    return Send(client=client, page=reverse("rectification:problem_new"), data=data, count=Problem.objects.count)


def _problem_from_opinions(request: pytest.FixtureRequest) -> Send:
    from rectification.models import Problem
    from tests.rectification.factories import opinions_about

    world = request.getfixturevalue("world")
    opinions = opinions_about(world, 2)
    data = {
        "unit": str(world.unit.pk),
        "title": "联系群众不够",
        "text": "下基层少。",
        "category": "outstanding",
        "opinions": [str(o.pk) for o in opinions],
    }
    client = request.getfixturevalue("login")(world.users["office"])
    return Send(
        client=client, page=reverse("rectification:problem_from_opinions"), data=data, count=Problem.objects.count
    )


def _result_new(request: pytest.FixtureRequest) -> Send:
    from rectification.models import PracticalResult

    world = request.getfixturevalue("world")
    day = world.campaign.starts_on.isoformat()
    data = {"unit": str(world.unit.pk), "done_on": day, "households_visited": "3", "donations_yuan": "12.50"}
    client = request.getfixturevalue("login")(world.users["secretary"])
    return Send(client=client, page=reverse("rectification:result_new"), data=data, count=PracticalResult.objects.count)


def _results_import(request: pytest.FixtureRequest) -> Send:
    from rectification.models import PracticalResult

    world = request.getfixturevalue("world")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    client = request.getfixturevalue("login")(world.users["office"])
    url = reverse("rectification:results_import")

    def upload() -> tuple[Any, dict[str, Any]]:
        text = f"单位编号,日期,走访户数\n{world.unit.code},{world.campaign.starts_on.isoformat()},4\n"
        checked = client.post(url, {"file": SimpleUploadedFile("results.csv", text.encode())})
        return checked, {"confirm": "1", "token": client.session["results_import"]["token"]}

    return Send(client=client, page=url, count=PracticalResult.objects.count, before=upload)


class _Fresh(dict):
    """Data made anew for every send (an uploaded file is read once)."""

    def __init__(self, make: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.make = make


CASES: dict[str, Callable[[pytest.FixtureRequest], Send]] = {
    "opinions:batch_entry": _batch_entry,
    "opinions:event_create": _event_create,
    "talks:card_new": _card_new,
    "reviews:my_document": _my_document,
    "opinions:feedback_item_create": _feedback_item_create,
    "campaign:org_import": _org_import,
    "talks:import_page": _talks_import,
    "opinions:import_page": _opinions_import,
    "meetings:meeting_new": _meeting_new,
    "meetings:meeting_reschedule": _meeting_reschedule,
    "meetings:meeting_attendees": _meeting_attendees,
    "meetings:meeting_hold": _meeting_hold,
    "meetings:criticism_new": _criticism_new,
    "meetings:follow_up_note": _follow_up_note,
    "meetings:records_import": _records_import,
    "appraisal:paper_import": _paper_import,
    "rectification:problem_new": _problem_new,
    "rectification:problem_from_opinions": _problem_from_opinions,
    "rectification:result_new": _result_new,
    "rectification:results_import": _results_import,
}


# --- The look-back's create forms (lookback/views.py, lookback/file_views.py) ----------


def _lookback_world(request: pytest.FixtureRequest, *, judged: bool = False) -> tuple[Any, Any]:
    from lookback import services as lookback_services
    from tests.lookback.factories import judgements, overruled

    world = request.getfixturevalue("world")
    check = None
    if judged:
        check = lookback_services.check_self(user=world.users["secretary"], unit=world.unit, judgements=judgements())
        proposed = lookback_services.proposals_for(world.unit)
        lookback_services.check_verdict(
            user=world.users["supervisor"], check=check, judgements=overruled(proposed, short=(2,))
        )
    return world, check


def _session_new(request: pytest.FixtureRequest) -> Send:
    from lookback.models import TrainingSession

    world, _check = _lookback_world(request)
    data = {"committee": str(world.committee.pk), "held_on": "2026-04-12", "place": "党校", "trainer": "王老师"}
    data.update({"covers_procedure": "on", "covers_policy": "on"})
    client = request.getfixturevalue("login")(world.users["office"])
    return Send(client=client, page=reverse("lookback:session_new"), data=data, count=TrainingSession.objects.count)


def _secretary_appoint(request: pytest.FixtureRequest) -> Send:
    from lookback.models import BranchSecretary

    world, _check = _lookback_world(request)
    data = {"member": str(world.member.pk), "since": "2026-04-01"}
    client = request.getfixturevalue("login")(world.users["office"])
    page = reverse("lookback:secretary_appoint", args=[world.branch.pk])
    return Send(client=client, page=page, data=data, count=BranchSecretary.objects.count)


def _check_self(request: pytest.FixtureRequest) -> Send:
    from lookback.models import CheckItem

    world, _check = _lookback_world(request)
    data = {f"met_{n}": "1" for n in range(1, 7)}
    client = request.getfixturevalue("login")(world.users["secretary"])
    page = reverse("lookback:check_self", args=[world.unit.pk])
    return Send(client=client, page=page, data=data, count=CheckItem.objects.count)


def _evidence_upload(request: pytest.FixtureRequest) -> Send:
    import io

    from lookback.models import CheckEvidence

    world, _check = _lookback_world(request, judged=True)

    def make() -> dict[str, Any]:
        upload = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
        upload.name = "自查.pdf"
        return {"item": "2", "file": upload}

    client = request.getfixturevalue("login")(world.users["supervisor"])
    page = reverse("lookback:evidence_upload", args=[world.unit.pk])
    return Send(client=client, page=page, data=_Fresh(make), count=CheckEvidence.objects.count)


def _order_new(request: pytest.FixtureRequest) -> Send:
    import datetime

    from django.utils import timezone

    from lookback.models import RemedialOrder

    world, _check = _lookback_world(request, judged=True)
    deadline = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    data = {"items": ["2"], "work": "重新征求意见", "deadline": deadline}
    client = request.getfixturevalue("login")(world.users["supervisor"])
    page = reverse("lookback:order_new", args=[world.unit.pk])
    return Send(client=client, page=page, data=data, count=RemedialOrder.objects.count)


def _lookback_import(request: pytest.FixtureRequest, *, checks: bool) -> Send:
    from lookback.models import Attendance, CheckItem
    from tests.lookback.test_files import attendance_file, checks_file

    world = request.getfixturevalue("world")
    request.getfixturevalue("settings").MEDIA_ROOT = request.getfixturevalue("tmp_path") / "media"
    user = world.users["secretary" if checks else "office"]
    client = request.getfixturevalue("login")(user)
    url = reverse("lookback:checks_import" if checks else "lookback:attendance_import")
    key = "lookback_checks_import" if checks else "lookback_attendance_import"
    source_file = checks_file(world) if checks else attendance_file(world)

    def upload() -> tuple[Any, dict[str, Any]]:
        source = source_file()
        checked = client.post(url, {"file": source})
        return checked, {"confirm": "1", "token": client.session[key]["token"]}

    count = CheckItem.objects.count if checks else Attendance.objects.count
    return Send(client=client, page=url, count=count, before=upload)


CASES.update(
    {
        "lookback:session_new": _session_new,
        "lookback:secretary_appoint": _secretary_appoint,
        "lookback:check_self": _check_self,
        "lookback:evidence_upload": _evidence_upload,
        "lookback:order_new": _order_new,
        "lookback:attendance_import": lambda request: _lookback_import(request, checks=False),
        "lookback:checks_import": lambda request: _lookback_import(request, checks=True),
    }
)


def _data(send: Send) -> dict[str, Any]:
    return send.data.make() if isinstance(send.data, _Fresh) else dict(send.data)


def _form(send: Send) -> tuple[str, dict[str, Any]]:
    """The page's token and the form's data, as a browser would send them."""
    if send.before is not None:
        page, data = send.before()
    else:
        page, data = send.client.get(send.page), _data(send)
    assert page.status_code == 200
    return token_in(page.content), data


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_create_form_sent_twice_stores_once(name: str, world, request: pytest.FixtureRequest) -> None:
    send = CASES[name](request)
    url = send.url or send.page
    token, data = _form(send)
    before = send.count()

    first = send.client.post(url, {**data, FIELD: token})
    assert first.status_code == 302, first.content.decode()[:2000]
    assert send.count() > before, "the first send stored nothing"
    stored = send.count()
    assert UsedFormToken.objects.filter(token=token.split(":")[0]).exists()

    again = _data(send) if send.before is None else data
    second = send.client.post(url, {**again, FIELD: token}, HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 302
    assert second["Location"] == first["Location"], "the second send goes where the first led"
    assert send.count() == stored, "the second send stored again"
    followed = send.client.get(second["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "This form was already submitted; nothing was saved twice." in followed.content.decode()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("token", ["", "forged", "dGhlIHNhbWUgb2xkIHRva2Vu:1abcde:forgedsignature"])
def test_a_create_form_without_a_good_token_stores_nothing(name: str, token: str, world, request) -> None:
    send = CASES[name](request)
    url = send.url or send.page
    _token, data = _form(send)
    before = send.count()
    response = send.client.post(url, {**data, FIELD: token}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert send.count() == before
    assert str(once.MISSING) in response.content.decode()
