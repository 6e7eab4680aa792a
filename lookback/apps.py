from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LookbackConfig(AppConfig):
    name = "lookback"
    verbose_name = _("Look-back")

    def ready(self) -> None:
        from lookback import home, rules  # noqa: F401  (the scoping rules; the home page's panel)
