"""A user's notifications: the page of them, the unread count for the bell, opening one
(marks it read and follows its link), marking all read. Only the user's own, ever."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.pages import paginate
from notifications import selectors, services


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notifications_for(request.user))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "shown": [selectors.Shown(each) for each in page.object_list],
            "unread": selectors.unread_count(request.user),
        },
    )


@never_cache
@login_required
@require_GET
def unread(request: HttpRequest) -> JsonResponse:
    """The bell's figure (static/js/bell.js asks it, so a page costs no query for it)."""
    return JsonResponse({"unread": selectors.unread_count(request.user)})


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = services.notification_open(user=request.user, notification_id=pk)
    if notification is None:
        raise Http404
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)
    return redirect("notifications:list")
