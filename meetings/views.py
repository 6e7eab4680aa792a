"""Pages of the meetings: the list, planning, a meeting with its gate and its record,
the forms of what happens at and after it, and the county-wide readiness page.
Thin: parse, ask the scope, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.models import Campaign
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel
from core.once import AlreadySubmitted, FormOnce, creates
from core.pages import paginate
from meetings import selectors, services
from meetings.forms import (
    AttendeeChangeForm,
    CancelForm,
    CriticismForm,
    FollowUpNoteForm,
    HoldForm,
    MeetingFilterForm,
    MeetingForm,
    ReadinessFilterForm,
    RescheduleForm,
    SelfCriticismForm,
    apply_errors,
)
from meetings.gate import CONDITIONS, Condition
from meetings.models import Criticism, Meeting

PRINCIPLE = "只讲问题，不讲成绩"


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


def _detail(meeting: Meeting) -> str:
    return reverse("meetings:meeting_detail", args=[meeting.pk])


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    require(request, "meetings.view")
    return selectors.meeting_for_user(request.user, pk)


def _managed(request: HttpRequest, pk: int) -> Meeting:
    require(request, "meetings.manage")
    meeting = _meeting(request, pk)
    if not services.may_manage(request.user, meeting):
        raise PermissionDenied
    return meeting


def _form_page(request: HttpRequest, meeting: Meeting | None, title: str, form: Any, **extra: Any) -> HttpResponse:
    return render(request, "meetings/form.html", {"meeting": meeting, "title": title, "form": form, **extra})


def _store_once(
    request: HttpRequest,
    form: Any,
    save: Callable[[], str],
    *,
    done: str,
    fallback: str,
    errors: Callable[[ValidationError], None] | None = None,
) -> HttpResponse | None:
    """Store a create form's rows once (``core.once``): ``save`` writes them and returns
    where the answer leads, inside the transaction that uses the form's token. The
    redirect there with ``done`` said, or None with the errors on the form (the token
    then stays unused). A second send of the same form stores nothing and goes where
    the first led."""
    once = FormOnce(request)
    if not once.valid_for(form):
        return None
    try:
        with once.consume() as use:
            use.leads_to(save())
    except AlreadySubmitted as already:
        return already.response(request, fallback)
    except ValidationError as error:
        (errors or (lambda e: apply_errors(form, e)))(error)
        return None
    messages.success(request, done)
    return redirect(use.url)


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    require(request, "meetings.view")
    campaign = _campaign(request)
    form = MeetingFilterForm(request.GET or None)
    meetings = selectors.meetings_for(request.user, campaign, **form.values())
    scope = scope_for(request.user)
    context = {
        "campaign": campaign,
        "form": form,
        "page": paginate(request, meetings),
        "can_plan": scope.can("meetings.manage") and campaign is not None,
    }
    return render(request, "meetings/meeting_list.html", context)


@login_required
@creates
def meeting_new(request: HttpRequest) -> HttpResponse:
    require(request, "meetings.manage")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    form = MeetingForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            meeting = services.meeting_plan(user=request.user, campaign=campaign, plan=form.plan())
            return reverse("meetings:meeting_detail", args=[meeting.pk])

        stored = _store_once(request, form, save, done=_("The meeting was planned."), fallback="meetings:meeting_list")
        if stored is not None:
            return stored
    return _form_page(request, None, _("Plan a meeting"), form, once=True)


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    page = selectors.meeting_page(request.user, meeting)
    context = {
        "meeting": meeting,
        "page": page,
        "conditions": [Condition(c) for c in CONDITIONS],
        "can_manage": services.may_manage(request.user, meeting) and scope_for(request.user).can("meetings.manage"),
        "can_follow_up": services.may_follow_up(request.user, meeting)
        and scope_for(request.user).can("meetings.follow_up"),
        "principle": PRINCIPLE,
    }
    return render(request, "meetings/meeting_detail.html", context)


@login_required
@creates
def meeting_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    initial = {"planned_on": meeting.planned_on, "place": meeting.place}
    form = RescheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            services.meeting_reschedule(user=request.user, meeting=meeting, **form.cleaned_data)
            return _detail(meeting)

        stored = _store_once(request, form, save, done=_("The meeting was rescheduled."), fallback=_detail(meeting))
        if stored is not None:
            return stored
    return _form_page(request, meeting, _("Reschedule the meeting"), form, once=True)


@login_required
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_cancel(user=request.user, meeting=meeting, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The meeting was cancelled."))
            return redirect("meetings:meeting_detail", pk=meeting.pk)
    return _form_page(request, meeting, _("Cancel the meeting"), form)


@login_required
@creates
def meeting_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    form = AttendeeChangeForm(request.POST or None, user=request.user, campaign=meeting.campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> str:
            services.attendee_change(
                user=request.user, meeting=meeting, member=data["number"], kind=data["kind"], reason=data["reason"]
            )
            return _detail(meeting)

        def errors(error: ValidationError) -> None:
            apply_errors(form, error if not hasattr(error, "error_dict") else _renamed(error, member="number"))

        stored = _store_once(
            request, form, save, done=_("The attendees were changed."), fallback=_detail(meeting), errors=errors
        )
        if stored is not None:
            return stored
    return _form_page(request, meeting, _("Change the attendees"), form, once=True)


def _renamed(error: ValidationError, **names: str) -> ValidationError:
    return ValidationError({names.get(name, name): errors for name, errors in error.error_dict.items()})


@login_required
@creates
def meeting_hold(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    attendees = selectors.meeting_page(request.user, meeting)
    form = HoldForm(
        request.POST or None,
        initial={"chair": meeting.chair_id, "held_on": meeting.planned_on},
        attendees=attendees.attendees,
        supervisors=attendees.supervisors_expected,
        override=scope_for(request.user).can("meetings.override")
        and services.is_office(request.user, meeting.campaign_id),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> str:
            services.meeting_hold(
                user=request.user,
                meeting=meeting,
                held_on=data.get("held_on"),
                minutes=data.get("minutes", ""),
                attendance=form.attendance(),
                supervisors_present=data.get("supervisors_present") or [],
                override_reason=data.get("override_reason", "") or request.POST.get("override_reason", ""),
                chair=data.get("chair"),
            )
            return _detail(meeting)

        stored = _store_once(
            request, form, save, done=_("The meeting was recorded as held."), fallback=_detail(meeting)
        )
        if stored is not None:
            return stored
    context = {"meeting": meeting, "form": form, "gate": attendees.gate, "principle": PRINCIPLE}
    return render(request, "meetings/hold.html", context)


def _recording_form(
    request: HttpRequest,
    pk: int,
    form_class: type,
    title: str,
    save: Any,
    *,
    who: str = "attendees",
    adds: bool = False,
) -> HttpResponse:
    """A form of what was said at the meeting. ``adds``: each send adds a row, so the
    form carries a one-time token (the view is marked ``@creates``)."""
    meeting = _managed(request, pk)
    page = selectors.meeting_page(request.user, meeting)
    people = page.present if who == "present" else page.attendees
    form = form_class(request.POST or None, **{who if who == "present" else "attendees": people})
    if request.method == "POST" and form.is_valid() and adds:

        def store() -> str:
            save(meeting, form.cleaned_data)
            return _detail(meeting)

        stored = _store_once(request, form, store, done=_("Recorded."), fallback=_detail(meeting))
        if stored is not None:
            return stored
    elif request.method == "POST" and form.is_valid():
        try:
            save(meeting, form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("meetings:meeting_detail", pk=meeting.pk)
    return _form_page(request, meeting, title, form, principle=PRINCIPLE, once=adds)


@login_required
def self_criticism(request: HttpRequest, pk: int) -> HttpResponse:
    def save(meeting: Meeting, data: dict[str, Any]) -> None:
        services.self_criticism_save(
            user=request.user, meeting=meeting, member=data["member"], summary=data["summary"], aspects=data["aspects"]
        )

    return _recording_form(request, pk, SelfCriticismForm, _("Record a self-criticism"), save, who="present")


@login_required
@creates
def criticism_new(request: HttpRequest, pk: int) -> HttpResponse:
    def save(meeting: Meeting, data: dict[str, Any]) -> None:
        services.criticism_record(user=request.user, meeting=meeting, **data)

    return _recording_form(request, pk, CriticismForm, _("Record a criticism"), save, adds=True)


@login_required
@require_POST
def criticism_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "meetings.manage")
    criticism = get_object_for_user(request.user, Criticism.objects.select_related("meeting__unit"), pk=pk)
    if not services.may_manage(request.user, criticism.meeting):
        raise PermissionDenied
    try:
        services.criticism_to_rectify(user=request.user, criticism=criticism)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked to rectify: it is now a problem for the rectification stage."))
    return redirect("meetings:meeting_detail", pk=criticism.meeting_id)


@login_required
@creates
def follow_up_note(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "meetings.follow_up")
    meeting = _meeting(request, pk)
    if not services.may_follow_up(request.user, meeting):
        raise PermissionDenied
    page = selectors.meeting_page(request.user, meeting)
    form = FollowUpNoteForm(request.POST or None, attendees=page.attendees)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            services.follow_up_note_add(user=request.user, meeting=meeting, **form.cleaned_data)
            return _detail(meeting)

        stored = _store_once(request, form, save, done=_("The follow-up note was added."), fallback=_detail(meeting))
        if stored is not None:
            return stored
    return _form_page(request, meeting, _("Add a follow-up note"), form, once=True)


@login_required
@require_POST
def meeting_followed_up(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "meetings.follow_up")
    meeting = _meeting(request, pk)
    if not services.may_follow_up(request.user, meeting):
        raise PermissionDenied
    try:
        services.meeting_followed_up(user=request.user, meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The meeting is marked as followed up."))
    return redirect("meetings:meeting_detail", pk=meeting.pk)


# --- Readiness ------------------------------------------------------------------------------


def _readiness(request: HttpRequest) -> tuple[ReadinessFilterForm, Campaign | None, list[selectors.ReadinessRow]]:
    require(request, "meetings.readiness")
    campaign = _campaign(request)
    form = ReadinessFilterForm(request.GET or None, user=request.user, campaign=campaign)
    return form, campaign, selectors.readiness(request.user, campaign, form.filters())


@login_required
@require_GET
def readiness(request: HttpRequest) -> HttpResponse:
    form, campaign, rows = _readiness(request)
    from django.core.paginator import Paginator

    from core.pages import PAGE_SIZE

    context = {
        "form": form,
        "campaign": campaign,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "conditions": [Condition(c) for c in CONDITIONS],
        "ready": sum(1 for row in rows if row.gate.ready),
        "total": len(rows),
    }
    return render(request, "meetings/readiness.html", context)


@login_required
@require_GET
def readiness_export(request: HttpRequest) -> HttpResponse:
    form, campaign, rows = _readiness(request)
    if campaign is None:
        raise Http404
    columns = [
        excel.ListColumn(_("No."), lambda row: None, 6),
        excel.ListColumn(_("Meeting"), lambda row: str(row.meeting), 30),
        excel.ListColumn(_("Organisation"), lambda row: row.meeting.unit.name, 24),
        excel.ListColumn(_("Planned date"), lambda row: row.meeting.planned_on, 12),
        excel.ListColumn(_("Attendees"), lambda row: row.attendees, 10),
        *(excel.ListColumn(str(Condition(c).label), lambda row, c=c: row.open_conditions[c], 14) for c in CONDITIONS),
        excel.ListColumn(_("What is missing"), lambda row: "\n".join(m.text for m in row.missing()), 80),
    ]
    title = _("Readiness of meetings") + f" · {campaign.name}"
    return excel.content_response(
        excel.workbook(title, columns, rows, sheet_name=_("Readiness")), _("Readiness of meetings")
    )
