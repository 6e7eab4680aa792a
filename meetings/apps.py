from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from meetings import receivers, rules  # noqa: F401  (rules registers the scoping rules)
        from meetings.appraisal import rules as appraisal_rules  # noqa: F401  (the appraisal's)

        receivers.connect()
