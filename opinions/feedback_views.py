"""Pages of feedback and sign-off: the office writes and releases lists, secretaries
and supervisors follow the progress of their units, a member reads and signs his or
her own list. Thin: parse, ask the scope, call one service or selector, render."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campaign.language import in_campaign_language
from campaign.models import Campaign, TargetCategory
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.once import AlreadySubmitted, FormOnce, creates
from core.pages import paginate
from opinions import feedback, feedback_exports
from opinions import feedback_selectors as fs
from opinions.feedback_forms import (
    FeedbackFilterForm,
    FeedbackItemForm,
    MoveForm,
    ReleaseForm,
    SignForm,
    StartForm,
    TargetFilterForm,
    WordingForm,
)
from opinions.forms import apply_errors
from opinions.models import FeedbackItem, FeedbackList
from opinions.selectors import resolve_target, sees_submitter

RELEASE_PAGE_SIZE = 200


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


def _list_url(feedback_list: FeedbackList) -> str:
    return reverse("opinions:feedback_list", kwargs={"pk": feedback_list.pk})


def _error(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Lists and progress -------------------------------------------------------------


def _list_rows(request: HttpRequest) -> tuple[FeedbackFilterForm, Any, Campaign | None]:
    campaign = _campaign(request)
    form = FeedbackFilterForm(request.GET or None, user=request.user, campaign=campaign)
    return form, fs.feedback_lists_for(request.user, campaign=campaign, filters=form.filters()), campaign


@login_required
def feedback_lists(request: HttpRequest) -> HttpResponse:
    """Every list in reach, by unit, with its status: the sign-off progress."""
    require(request, "opinions.view")
    form, lists, campaign = _list_rows(request)
    scope = scope_for(request.user)
    page = paginate(request, lists)
    page.object_list = fs.label_categories(list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "progress": fs.progress_by_unit(lists),
        "campaign": campaign,
        "can_write": scope.can("feedback.write"),
        "can_release": scope.can("feedback.release"),
    }
    return render(request, "opinions/feedback_lists.html", context)


@login_required
def feedback_export(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.view")
    _form, lists, campaign = _list_rows(request)
    title = _("Feedback lists") + (f" · {campaign.name}" if campaign else "")
    return feedback_exports.lists_response(lists, title=title)


@login_required
def feedback_list(request: HttpRequest, pk: int) -> HttpResponse:
    """One list with the raw opinions behind each item (those the user may see); the
    office edits it here while it is a draft."""
    require(request, "opinions.view")
    feedback_list = fs.feedback_list_for_user(request.user, pk)
    scope = scope_for(request.user)
    editable = scope.can("feedback.write") and feedback_list.status == FeedbackList.Status.DRAFT
    context = {
        "feedback_list": feedback_list,
        "category": TargetCategory(fs.list_category(feedback_list)).label,
        "items": fs.items_for_office(request.user, feedback_list),
        "editable": editable,
        "show_submitter": sees_submitter(request.user, feedback_list.campaign),
        "waiting": fs.opinions_to_consolidate(request.user, feedback_list).count() if editable else 0,
        "problems": feedback.release_problems(feedback_list) if editable else [],
        "below_k": (
            feedback_list.target_member_id is not None
            and feedback_list.opinion_count < feedback_list.campaign.feedback_threshold
        ),
        "wording_form": WordingForm(initial={"confirmed": feedback_list.wording_confirmed}),
    }
    return render(request, "opinions/feedback_list.html", context)


@login_required
def feedback_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The list as its target reads it, for the office to proofread and print."""
    require(request, "opinions.view")
    feedback_list = fs.feedback_list_for_user(request.user, pk)
    with in_campaign_language(feedback_list.campaign):  # what the member signs: the campaign's language
        return render(
            request,
            "opinions/feedback_print.html",
            {"sheet": fs.sheet_for_list(feedback_list), "feedback_list": feedback_list},
        )


@login_required
def feedback_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The list as an Excel sheet in the layout the member signs."""
    require(request, "opinions.view")
    feedback_list = fs.feedback_list_for_user(request.user, pk)
    with in_campaign_language(feedback_list.campaign):
        return feedback_exports.sheet_response(fs.sheet_for_list(feedback_list))


# --- Targets awaiting feedback -----------------------------------------------------


def _target_rows(request: HttpRequest) -> tuple[TargetFilterForm, Any, Campaign | None]:
    campaign = _campaign(request)
    form = TargetFilterForm(request.GET or None, user=request.user, campaign=campaign)
    return form, fs.targets_awaiting(request.user, campaign=campaign, filters=form.filters()), campaign


@login_required
def feedback_targets(request: HttpRequest) -> HttpResponse:
    require(request, "feedback.write")
    form, rows, campaign = _target_rows(request)
    page = paginate(request, rows)
    context = {"form": form, "page": page, "rows": fs.target_rows(page.object_list), "campaign": campaign}
    return render(request, "opinions/feedback_targets.html", context)


@login_required
def feedback_targets_export(request: HttpRequest) -> HttpResponse:
    require(request, "feedback.write")
    _form, rows, campaign = _target_rows(request)
    title = _("Awaiting feedback") + (f" · {campaign.name}" if campaign else "")
    return feedback_exports.targets_response(rows, title=title)


@login_required
@require_POST
def feedback_start(request: HttpRequest) -> HttpResponse:
    """Open the list of a target, creating it the first time."""
    require(request, "feedback.write")
    campaign = _campaign(request)
    form = StartForm(request.POST)
    if campaign is None or not form.is_valid():
        raise Http404
    try:
        target = resolve_target(request.user, campaign, form.cleaned_data["target"])
        feedback_list = feedback.feedback_list_get_or_create(actor=request.user, campaign=campaign, target=target)
    except ValidationError as error:
        _error(request, error)
        return redirect("opinions:feedback_targets")
    return redirect(_list_url(feedback_list))


# --- Items --------------------------------------------------------------------------


def _item_page(
    request: HttpRequest, feedback_list: FeedbackList, form: FeedbackItemForm, item: FeedbackItem | None
) -> HttpResponse:
    context = {
        "feedback_list": feedback_list,
        "form": form,
        "item": item,
        "choices": list(form.fields["opinions"].queryset),
        "chosen": {str(value) for value in (form["opinions"].value() or [])},
        "show_submitter": sees_submitter(request.user, feedback_list.campaign),
    }
    return render(request, "opinions/feedback_item_form.html", context)


def _draft_or_back(request: HttpRequest, feedback_list: FeedbackList) -> HttpResponse | None:
    try:
        feedback.require_draft(feedback_list)
    except ValidationError as error:
        _error(request, error)
        return redirect(_list_url(feedback_list))
    return None


@login_required
@creates
def feedback_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "feedback.write")
    feedback_list = fs.feedback_list_for_user(request.user, pk)
    refused = _draft_or_back(request, feedback_list)
    if refused:
        return refused
    choices = fs.opinions_to_consolidate(request.user, feedback_list)
    form = FeedbackItemForm(request.POST or None, choices=choices)
    once = FormOnce(request)
    if request.method == "POST" and form.is_valid() and once.valid_for(form):
        try:
            with once.consume() as use:
                use.leads_to(_list_url(feedback_list))
                feedback.feedback_item_create(
                    actor=request.user,
                    feedback_list=feedback_list,
                    text=form.cleaned_data["text"],
                    aspect=form.cleaned_data["aspect"],
                    opinions=form.cleaned_data["opinions"],
                )
        except AlreadySubmitted as done:
            return done.response(request, _list_url(feedback_list))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The item was added to the list."))
            return redirect(_list_url(feedback_list))
    return _item_page(request, feedback_list, form, None)


def _item_for_user(request: HttpRequest, pk: int) -> FeedbackItem:
    return get_object_for_user(
        request.user,
        FeedbackItem.objects.select_related("feedback_list__campaign", "feedback_list__target_member"),
        pk=pk,
    )


@login_required
def feedback_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "feedback.write")
    item = _item_for_user(request, pk)
    feedback_list = fs.feedback_list_for_user(request.user, item.feedback_list_id)
    refused = _draft_or_back(request, feedback_list)
    if refused:
        return refused
    choices = fs.opinions_to_consolidate(request.user, feedback_list, item=item)
    initial = {"text": item.text, "aspect": item.aspect, "opinions": list(item.opinions.values_list("pk", flat=True))}
    form = FeedbackItemForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            feedback.feedback_item_update(
                actor=request.user,
                item=item,
                text=form.cleaned_data["text"],
                aspect=form.cleaned_data["aspect"],
                opinions=form.cleaned_data["opinions"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The item was saved."))
            return redirect(_list_url(feedback_list))
    return _item_page(request, feedback_list, form, item)


@login_required
@require_POST
def feedback_item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "feedback.write")
    item = _item_for_user(request, pk)
    try:
        feedback.feedback_item_delete(actor=request.user, item=item)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("The item was deleted; its opinions can be consolidated again."))
    return redirect(_list_url(item.feedback_list))


@login_required
@require_POST
def feedback_item_move(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "feedback.write")
    item = _item_for_user(request, pk)
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Move an item up or down."))
        feedback.feedback_item_move(actor=request.user, item=item, direction=form.cleaned_data["direction"])
    except ValidationError as error:
        _error(request, error)
    return redirect(_list_url(item.feedback_list) + f"#item-{item.pk}")


@login_required
@require_POST
def feedback_order_reset(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "feedback.write")
    feedback_list = fs.feedback_list_for_user(request.user, pk)
    try:
        feedback.feedback_list_default_order(actor=request.user, feedback_list=feedback_list)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("The items are in the default order again: by aspect, in no order of arrival."))
    return redirect(_list_url(feedback_list))


@login_required
@require_POST
def feedback_wording(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "feedback.write")
    feedback_list = fs.feedback_list_for_user(request.user, pk)
    form = WordingForm(request.POST)
    form.is_valid()
    confirmed = bool(form.cleaned_data.get("confirmed"))
    try:
        feedback.feedback_list_confirm_wording(actor=request.user, feedback_list=feedback_list, confirmed=confirmed)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(
            request,
            _("You confirmed that the wording of this list is consolidated.")
            if confirmed
            else _("The confirmation of the wording was withdrawn."),
        )
    return redirect(_list_url(feedback_list))


# --- Release ------------------------------------------------------------------------


@login_required
def feedback_release(request: HttpRequest) -> HttpResponse:
    """Choose draft lists (by unit, category, readiness) and release them as one batch."""
    require(request, "feedback.release")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    filter_form = FeedbackFilterForm(request.GET or None, user=request.user, campaign=campaign, with_status=False)
    drafts = fs.FeedbackFilters(status=FeedbackList.Status.DRAFT)
    shown = fs.feedback_lists_for(
        request.user, campaign=campaign, filters=dataclasses.replace(filter_form.filters(), status=drafts.status)
    )
    form = ReleaseForm(
        request.POST or None, choices=fs.feedback_lists_for(request.user, campaign=campaign, filters=drafts)
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = feedback.feedback_lists_release(
                actor=request.user,
                campaign=campaign,
                lists=form.cleaned_data["lists"],
                released_on=form.cleaned_data["released_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            count = batch.lists.count()
            messages.success(
                request,
                ngettext(
                    "%(count)d list was released on %(date)s.", "%(count)d lists were released on %(date)s.", count
                )
                % {"count": count, "date": batch.released_on.isoformat()},
            )
            return redirect(request.get_full_path())
    page = paginate(request, shown, per_page=RELEASE_PAGE_SIZE)
    checked = {str(value) for value in request.POST.getlist("lists")} if request.method == "POST" else set()
    context = {
        "filter_form": filter_form,
        "form": form,
        "page": page,
        "checked": checked,
        "campaign": campaign,
        "k": campaign.feedback_threshold,
    }
    return render(request, "opinions/feedback_release.html", context)


# --- The member's own page ------------------------------------------------------------


@login_required
def my_feedback(request: HttpRequest) -> HttpResponse:
    """The member's list (and the lists of the teams he or she heads), to read, print
    and sign for. Nothing here tells who gave an opinion, how or when."""
    scope = scope_for(request.user)
    sheets = fs.sheets_for_member(request.user)
    context = {"sheets": sheets, "any_released": any(sheet.released for sheet in sheets), "member": scope.member}
    return render(request, "opinions/feedback_mine.html", context)


@login_required
@require_POST
def feedback_sign(request: HttpRequest, pk: int) -> HttpResponse:
    feedback_list = get_object_for_user(request.user, FeedbackList.objects.all(), pk=pk)
    form = SignForm(request.POST)
    form.is_valid()
    try:
        feedback.feedback_list_sign(
            actor=request.user, feedback_list=feedback_list, confirmed=bool(form.cleaned_data.get("confirmed"))
        )
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("You have signed for the list. Thank you."))
    return redirect("opinions:my_feedback")
