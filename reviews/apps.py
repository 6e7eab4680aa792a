from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Self-analysis documents")

    def ready(self) -> None:
        from reviews import receivers, rules  # noqa: F401  (rules registers the scoping rules)

        receivers.connect()
