"""Pages of the look-back: training sessions and their attendance, branch secretaries,
the units' checks (self-check, verdict, evidence), the remedial orders.
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

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel
from core.once import AlreadySubmitted, FormOnce, creates
from core.pages import paginate
from core.uploads import upload_limit, upload_refusal
from lookback import exports, selectors, services
from lookback.forms import (
    AppointForm,
    AttendanceForm,
    CheckFilterForm,
    CommentForm,
    EvidenceForm,
    OrderFilterForm,
    OrderForm,
    RedoForm,
    SelfCheckForm,
    SessionForm,
    SettingsForm,
    TrainingFilterForm,
    VerdictForm,
    apply_errors,
)
from lookback.models import CheckEvidence, CheckItem, OrderState, RemedialOrder


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


def _store_once(
    request: HttpRequest, form: Any, save: Callable[[], str], *, done: str, fallback: str
) -> HttpResponse | None:
    """Store a create form's rows once (``core.once``); None with the errors on the form."""
    once = FormOnce(request)
    if not once.valid_for(form):
        return None
    try:
        with once.consume() as use:
            use.leads_to(save())
    except AlreadySubmitted as already:
        return already.response(request, fallback)
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, done)
    return redirect(use.url)


def _form_page(request: HttpRequest, title: str, form: Any, *, back: str, **extra: Any) -> HttpResponse:
    return render(request, "lookback/form.html", {"title": title, "form": form, "back": back, **extra})


# --- Training -------------------------------------------------------------------------


@login_required
@require_GET
def training(request: HttpRequest) -> HttpResponse:
    """Sessions held, and every branch with its secretary and whether trained."""
    require(request, "lookback.view")
    campaign = _campaign(request)
    form = TrainingFilterForm(request.GET or None)
    untrained = bool(form.is_valid() and form.cleaned_data.get("untrained"))
    context = {
        "campaign": campaign,
        "form": form,
        "sessions": selectors.sessions_for(request.user, campaign)[:50],
        "page": paginate(request, selectors.branches_with_training(request.user, campaign, untrained_only=untrained)),
        "can_train": scope_for(request.user).can("lookback.training") and campaign is not None,
        "settings": selectors.settings_of(campaign) if campaign else None,
    }
    return render(request, "lookback/training.html", context)


@login_required
@creates
def session_new(request: HttpRequest) -> HttpResponse:
    require(request, "lookback.training")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    form = SessionForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            session = services.session_create(user=request.user, campaign=campaign, data=form.data_for_service())
            return reverse("lookback:session_detail", args=[session.pk])

        stored = _store_once(
            request, form, save, done=_("The training session was recorded."), fallback="lookback:training"
        )
        if stored is not None:
            return stored
    return _form_page(request, _("Record a training session"), form, back=reverse("lookback:training"), once=True)


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session and its attendance; the organiser records it (again: it corrects)."""
    require(request, "lookback.view")
    session = selectors.session_for_user(request.user, pk)
    may_record = scope_for(request.user).can("lookback.training") and services.may_organise(
        request.user, session.committee
    )
    if request.method == "POST" and not may_record:
        raise PermissionDenied
    secretaries = services.secretaries_for_session(session)
    form = AttendanceForm(request.POST or None, secretaries=secretaries, recorded=selectors.attendance_of(session))
    if request.method == "POST" and form.is_valid():
        try:
            count = services.attendance_record(user=request.user, session=session, entries=form.entries())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Attendance of %(count)d secretaries recorded.") % {"count": count})
            return redirect("lookback:session_detail", pk=session.pk)
    return render(request, "lookback/session_detail.html", {"session": session, "form": form, "may_record": may_record})


@login_required
@creates
def secretary_appoint(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.training")
    branch = get_object_for_user(
        request.user, OrgUnit.objects.filter(kind=OrgUnitKind.BRANCH).select_related("campaign"), pk=pk
    )
    if not scope_for(request.user).can_edit_unit(branch):
        raise PermissionDenied
    form = AppointForm(request.POST or None, branch=branch)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            services.secretary_appoint(user=request.user, branch=branch, **form.cleaned_data)
            return reverse("lookback:training")

        stored = _store_once(
            request, form, save, done=_("The branch secretary was named."), fallback="lookback:training"
        )
        if stored is not None:
            return stored
    title = _("Name the secretary of %(branch)s") % {"branch": branch.name}
    return _form_page(request, title, form, back=reverse("lookback:training"), once=True)


# --- Checks ----------------------------------------------------------------------------


@login_required
@require_GET
def check_list(request: HttpRequest) -> HttpResponse:
    require(request, "lookback.view")
    campaign = _campaign(request)
    form = CheckFilterForm(request.GET or None)
    page = paginate(request, selectors.units_for(request.user, campaign, **form.values()))
    units = list(page)
    proposed = selectors.proposals_by_unit(campaign, units) if campaign else {}
    rows = [(unit, proposed.get(unit.pk, [])) for unit in units]
    return render(request, "lookback/check_list.html", {"campaign": campaign, "form": form, "page": page, "rows": rows})


@login_required
@require_GET
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.view")
    unit = selectors.unit_for_user(request.user, pk)
    page = selectors.check_page(unit)
    scope = scope_for(request.user)
    check = page.check
    context = {
        "unit": unit,
        "page": page,
        "may_self_check": scope.can("lookback.self_check")
        and services.is_unit_secretary(request.user, unit)
        and not (check and check.is_judged),
        "may_judge": scope.can("lookback.judge") and services.is_unit_supervisor(request.user, unit),
        "evidence_form": EvidenceForm(),
        "to_rectify": selectors.items_to_rectify(page),
        "may_make_problem": services.may_make_problem(request.user, unit),
    }
    return render(request, "lookback/check_detail.html", context)


@login_required
@require_POST
def item_problem(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a rectification problem of an item the verdict found not met (once: a second
    send leads to the same problem)."""
    require(request, "lookback.problem")
    record = CheckItem.objects.filter(pk=pk).select_related("check_record").first()
    if record is None:
        raise Http404
    unit = selectors.unit_for_user(request.user, record.check_record.unit_id)
    try:
        problem = services.problem_from_item(user=request.user, record=record)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("lookback:check_detail", unit.pk)
    messages.success(
        request, _("The item is a problem to rectify now: give it its category, due date and measures here.")
    )
    return redirect("rectification:problem_detail", problem.pk)


@login_required
@creates
def check_self(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.self_check")
    unit = selectors.unit_for_user(request.user, pk)
    if not services.is_unit_secretary(request.user, unit):
        raise PermissionDenied
    page = selectors.check_page(unit)
    items = {row.item.value: row.record for row in page.rows if row.record}
    form = SelfCheckForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            services.check_self(user=request.user, unit=unit, judgements=form.judgements())
            return reverse("lookback:check_detail", args=[unit.pk])

        stored = _store_once(
            request,
            form,
            save,
            done=_("The self-check was saved."),
            fallback=reverse("lookback:check_detail", args=[unit.pk]),
        )
        if stored is not None:
            return stored
    return render(request, "lookback/check_form.html", {"unit": unit, "page": page, "form": form, "verdict": False})


@login_required
def check_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.judge")
    unit = selectors.unit_for_user(request.user, pk)
    if not services.is_unit_supervisor(request.user, unit):
        raise PermissionDenied
    page = selectors.check_page(unit)
    proposed = {row.item.value: row.proposed_short for row in page.rows}
    form = VerdictForm(request.POST or None, proposed=proposed)
    if request.method == "POST" and form.is_valid():
        try:
            if page.check is None:
                raise ValidationError(_("The unit has not self-checked yet: the verdict follows its self-check."))
            services.check_verdict(user=request.user, check=page.check, judgements=form.judgements())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The verdict was given."))
            return redirect("lookback:check_detail", pk=unit.pk)
    return render(request, "lookback/check_form.html", {"unit": unit, "page": page, "form": form, "verdict": True})


@login_required
@creates
@upload_limit("DOCX_UPLOAD_MAX_BYTES")
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.view")
    unit = selectors.unit_for_user(request.user, pk)
    page = selectors.check_page(unit)
    if page.check is None:
        raise Http404
    order_id = request.GET.get("order") or request.POST.get("order")
    order = None
    if order_id:
        order = selectors.order_for_user(request.user, int(order_id)) if order_id.isdigit() else None
        if order is None or order.unit_id != unit.pk:
            raise Http404
    form = EvidenceForm(request.POST or None, request.FILES or None)
    refusal = upload_refusal(request)
    if refusal:
        form.add_error(None, refusal)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        check = page.check

        def save() -> str:
            services.evidence_add(
                user=request.user,
                check=check,
                item=form.cleaned_data["item"] if order is None else None,
                name=upload.name,
                data=upload.read(),
                order=order,
            )
            if order is not None:
                return reverse("lookback:order_detail", args=[order.pk])
            return reverse("lookback:check_detail", args=[unit.pk])

        stored = _store_once(
            request, form, save, done=_("The file was kept."), fallback=reverse("lookback:check_detail", args=[unit.pk])
        )
        if stored is not None:
            return stored
    back = (
        reverse("lookback:order_detail", args=[order.pk]) if order else reverse("lookback:check_detail", args=[unit.pk])
    )
    return _form_page(request, _("Add evidence"), form, back=back, once=True, multipart=True)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.view")
    found = get_object_for_user(request.user, CheckEvidence.objects.all(), pk=pk)
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    response["Content-Disposition"] = exports.attachment(found.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Orders ------------------------------------------------------------------------------


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    require(request, "lookback.view")
    campaign = _campaign(request)
    form = OrderFilterForm(request.GET or None)
    orders = selectors.orders_for(request.user, campaign, **form.values())
    return render(
        request, "lookback/order_list.html", {"campaign": campaign, "form": form, "page": paginate(request, orders)}
    )


@login_required
@require_GET
def order_list_export(request: HttpRequest) -> HttpResponse:
    require(request, "lookback.view")
    campaign = _campaign(request)
    form = OrderFilterForm(request.GET or None)
    orders = selectors.orders_for(request.user, campaign, **form.values())
    return exports.order_register(campaign, orders)


@login_required
@creates
def order_new(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.judge")
    unit = selectors.unit_for_user(request.user, pk)
    if not services.is_unit_supervisor(request.user, unit):
        raise PermissionDenied
    page = selectors.check_page(unit)
    short = [row.item.value for row in page.rows if row.record and row.record.verdict_met is False]
    form = OrderForm(request.POST or None, short=short)
    if request.method == "POST" and form.is_valid():

        def save() -> str:
            if page.check is None:
                raise ValidationError(_("An order follows the verdict; the unit has none yet."))
            order = services.order_issue(user=request.user, check=page.check, **form.cleaned_data)
            return reverse("lookback:order_detail", args=[order.pk])

        stored = _store_once(
            request,
            form,
            save,
            done=_("The remedial order was issued."),
            fallback=reverse("lookback:check_detail", args=[unit.pk]),
        )
        if stored is not None:
            return stored
    title = _("Issue a remedial order to %(unit)s") % {"unit": unit.name}
    return _form_page(request, title, form, back=reverse("lookback:check_detail", args=[unit.pk]), once=True)


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "lookback.view")
    order = selectors.order_for_user(request.user, pk)
    scope = scope_for(request.user)
    context = {
        "order": order,
        "files": list(order.evidence.defer("content").order_by("pk")),
        "may_report": scope.can("lookback.self_check")
        and services.is_unit_secretary(request.user, order.unit)
        and order.state in (OrderState.OPEN, OrderState.RETURNED),
        "may_judge": scope.can("lookback.judge")
        and services.is_unit_supervisor(request.user, order.unit)
        and order.state == OrderState.REPORTED,
        "redo_form": RedoForm(),
        "comment_form": CommentForm(),
    }
    return render(request, "lookback/order_detail.html", context)


def _order_action(
    request: HttpRequest, pk: int, *, action: str, form_class: type, act: Callable[[RemedialOrder, Any], Any], done: str
) -> HttpResponse:
    require(request, action)
    order = selectors.order_for_user(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(order, form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("lookback:order_detail", pk=order.pk)
    context = {
        "order": order,
        "files": list(order.evidence.defer("content").order_by("pk")),
        "may_report": False,
        "may_judge": False,
        "error_form": form,
    }
    return render(request, "lookback/order_detail.html", context, status=400)


@login_required
@require_POST
def order_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(
        request,
        pk,
        action="lookback.self_check",
        form_class=RedoForm,
        act=lambda order, data: services.order_report(user=request.user, order=order, redo=data["redo"]),
        done=_("The redo was reported."),
    )


@login_required
@require_POST
def order_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(
        request,
        pk,
        action="lookback.judge",
        form_class=CommentForm,
        act=lambda order, data: services.order_close(user=request.user, order=order, comment=data["comment"]),
        done=_("The order was closed."),
    )


@login_required
@require_POST
def order_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_action(
        request,
        pk,
        action="lookback.judge",
        form_class=CommentForm,
        act=lambda order, data: services.order_return(user=request.user, order=order, comment=data["comment"]),
        done=_("The order was returned to the unit."),
    )


@login_required
def lookback_settings(request: HttpRequest) -> HttpResponse:
    """The training deadline and the thresholds of the proposals: the county office."""
    require(request, "lookback.settings")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    if not scope_for(request.user).manages(campaign.pk):
        raise PermissionDenied
    form = SettingsForm(request.POST or None, instance=selectors.settings_of(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(user=request.user, campaign=campaign, data=form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The look-back settings were saved."))
            return redirect("lookback:settings")
    return _form_page(request, _("Look-back settings"), form, back=reverse("lookback:check_list"))


@login_required
@require_GET
def training_export(request: HttpRequest) -> HttpResponse:
    """The branches as the training page shows them (the same filter), every one."""
    require(request, "lookback.view")
    campaign = _campaign(request)
    form = TrainingFilterForm(request.GET or None)
    untrained = bool(form.is_valid() and form.cleaned_data.get("untrained"))
    branches = selectors.branches_with_training(request.user, campaign, untrained_only=untrained)
    yes, no = _("Trained"), _("Untrained")
    columns = [
        excel.ListColumn(_("No."), lambda b: None, 6),
        excel.ListColumn(_("Branch"), lambda b: b.name, 30),
        excel.ListColumn(_("Unit"), lambda b: b.parent.name if b.parent_id else "", 26),
        excel.ListColumn(_("Secretary"), lambda b: b.secretary_name or "", 14),
        excel.ListColumn(_("Trained"), lambda b: yes if b.trained else no, 10),
    ]
    title = _("Training of branch secretaries")
    content = excel.workbook(title, columns, branches.iterator(chunk_size=500), sheet_name=title)
    return excel.content_response(content, title)


@login_required
@require_GET
def check_list_export(request: HttpRequest) -> HttpResponse:
    """The units as the checks page shows them (the same filter), every one."""
    require(request, "lookback.view")
    campaign = _campaign(request)
    form = CheckFilterForm(request.GET or None)
    units = selectors.units_for(request.user, campaign, **form.values())

    def state(unit: OrgUnit) -> str:
        check = getattr(unit, "lookback_check", None)
        return str(check.get_state_display()) if check else _("Not self-checked yet")

    columns = [
        excel.ListColumn(_("No."), lambda u: None, 6),
        excel.ListColumn(_("Unit"), lambda u: u.name, 30),
        excel.ListColumn(_("Party committee"), lambda u: u.parent.name if u.parent_id else "", 26),
        excel.ListColumn(_("State"), state, 22),
        excel.ListColumn(_("Short"), lambda u: _("Short") if u.short else "", 10),
    ]
    title = _("Look-back checks")
    content = excel.workbook(title, columns, units.iterator(chunk_size=500), sheet_name=title)
    return excel.content_response(content, title)
