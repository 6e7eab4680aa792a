from typing import Any

from django.http import HttpRequest

from campaign.scoping import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar needs: the user's scope (computed once per request)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_scope": scope_for(user)}
