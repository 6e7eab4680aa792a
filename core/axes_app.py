"""django-axes under a translated name in the admin: its own app config says nothing
of a verbose name, and the admin would head its section "Axes" in the Chinese UI."""

from __future__ import annotations

from axes.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AppConfig):
    verbose_name = _("Log-in protection")
