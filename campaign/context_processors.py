from typing import Any

from django.http import HttpRequest

from campaign.navigation import menu_for, place_of
from campaign.scoping import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the menu, the breadcrumb and the title need: the user's scope (computed once
    per request), the groups and entries that scope allows, and where this page lies."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    scope = scope_for(user)
    if not getattr(user, "is_authenticated", False):
        return {"nav_scope": scope}
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else None
    return {
        "nav_scope": scope,
        "nav_menu": menu_for(scope, view_name, request.path),
        "nav_place": place_of(scope, view_name, request.path),
    }
