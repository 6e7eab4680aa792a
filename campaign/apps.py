from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = _("Campaign and organisation")

    def ready(self) -> None:
        from campaign import checks, org_events  # noqa: F401 - checks registers the system checks

        # Finds the organisation's changes and announces each once (``org_changed``).
        org_events.connect()
