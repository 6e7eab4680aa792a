from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LookbackConfig(AppConfig):
    name = "lookback"
    verbose_name = _("Look-back")

    def ready(self) -> None:
        from lookback import rules  # noqa: F401  (rules registers the scoping rules)
