"""The one function the services call when a change leaves work for someone: ``notify``.

Called inside the caller's transaction, so a notification commits or rolls back with the
change it announces. It stores the kind, the wording's few parameters and a link; never
who caused it (see ``notifications.models``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from notifications.kinds import kind_of
from notifications.models import PARAM_MAX, URL_MAX, Notification


def _user_ids(users: Iterable[User | int | None]) -> list[int]:
    ids = {user if isinstance(user, int) else user.pk for user in users if user is not None}
    return sorted(pk for pk in ids if pk is not None)


@transaction.atomic
def notify(
    *, users: Iterable[User | int | None], kind: str, url: str = "", params: Mapping[str, Any] | None = None
) -> int:
    """Tell each of ``users`` (users or ids; None is skipped: a member without an account)
    that ``kind`` happened. An unread notification of the same kind and link is not
    repeated. Two queries, whatever the number of users. Returns how many were written."""
    found = kind_of(kind)
    if found is None:
        raise LookupError(f"Unknown notification kind {kind!r}: register it in notifications.kinds.")
    if len(url) > URL_MAX:
        raise ValueError("A notification's link is too long.")
    stored = {name: str((params or {}).get(name, ""))[:PARAM_MAX] for name in found.params}
    ids = _user_ids(users)
    if not ids:
        return 0
    waiting = set(
        Notification.objects.filter(user_id__in=ids, kind=kind, url=url, is_read=False).values_list(
            "user_id", flat=True
        )
    )
    today = timezone.localdate()
    new = [
        Notification(user_id=pk, kind=kind, url=url, params=stored, created_on=today) for pk in ids if pk not in waiting
    ]
    Notification.objects.bulk_create(new)
    return len(new)


def notification_open(*, user: User, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read; None when it is not his or hers."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is not None and not notification.is_read:
        notification.is_read = True
        notification.save(update_fields=["is_read"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).update(is_read=True)
