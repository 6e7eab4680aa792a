"""A notification: one line for one user, saying that something waits for him or her.

It holds a kind (whose wording lives in ``notifications.kinds`` and is translated when
shown, in the reader's language), the few words that fill the wording, and the page it
leads to. It holds nothing about who caused it: no actor, no time finer than the day —
a notification that a list awaits signature must not narrow down who gave an opinion.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

URL_MAX = 300
PARAM_MAX = 200


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=40)
    # Only what the wording needs (a card's number, an order's title): never a person.
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=URL_MAX, blank=True)
    created_on = models.DateField(_("date"), default=timezone.localdate)
    is_read = models.BooleanField(_("read"), default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_on", "-pk"]
        indexes = [models.Index(fields=["user", "is_read"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"
