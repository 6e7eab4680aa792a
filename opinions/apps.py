from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionsConfig(AppConfig):
    name = "opinions"
    verbose_name = _("Opinions")

    def ready(self) -> None:
        from opinions import (
            rules,  # noqa: F401  (registers the scoping rules)
            signals,
        )

        signals.connect()
