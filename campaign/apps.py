from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = _("Campaign and organisation")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from campaign import checks, org_events  # noqa: F401 - checks registers the system checks

        # Finds the organisation's changes and announces each once (``org_changed``).
        org_events.connect()
        # At each log-in the session notes its start (absolute lifetime) and whether the
        # password must be changed first (campaign.account_middleware).
        user_logged_in.connect(_session_started, dispatch_uid="campaign.session_started")


def _session_started(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from campaign import accounts

    session = getattr(request, "session", None)
    if session is not None:
        accounts.session_started(session, user=user)
