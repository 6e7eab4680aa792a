"""Rows of the permission matrix for the notifications (notifications/views.py): every
signed-in user reads his or her own; one of another user's is not found, whatever the role."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _notifications(mw: MatrixWorld) -> Specimens:
    from notifications import kinds
    from notifications.models import Notification
    from tests.matrix import MEMBER, Specimens

    return Specimens(inside=Notification.objects.create(user=mw.users[MEMBER], kind=kinds.LIST_TO_SIGN.key, url=""))


SPECIMENS = {"notifications.notification": _notifications}


def rows() -> dict[str, Row]:
    from tests.matrix import ADMIN, INSIDE_SIDE, LOGGED_IN, NOT_FOUND, OFFICE, SECRETARY, SUPERVISOR, Expect, Row

    to_list = Expect(302, "notifications:list")
    not_theirs = {(role, INSIDE_SIDE): NOT_FOUND for role in (SECRETARY, SUPERVISOR, OFFICE, ADMIN)}
    return {
        "notifications:list": Row(allowed=LOGGED_IN),
        "notifications:unread": Row(allowed=LOGGED_IN),
        "notifications:open": Row(
            model="notifications.notification", allowed=LOGGED_IN, scoped=False, ok=to_list, overrides=not_theirs
        ),
        "notifications:read_all": Row(allowed=LOGGED_IN, method="post", ok=to_list),
    }
