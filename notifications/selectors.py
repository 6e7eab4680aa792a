"""Reads of a user's notifications: only ever the user's own."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet

from notifications.kinds import kind_of
from notifications.models import Notification


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("is_read", "-created_on", "-pk")


@dataclass(frozen=True)
class Shown:
    notification: Notification

    @property
    def text(self) -> str:
        kind = kind_of(self.notification.kind)
        return kind.text(self.notification.params) if kind is not None else self.notification.kind
