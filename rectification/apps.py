from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("Rectification")

    def ready(self) -> None:
        from opinions import public
        from rectification import home, rules, tasks  # noqa: F401  (scoping rules, tasks, the home page's panel)
        from rectification.selectors import published_measure

        # The public receipt shows the measure published once the problem is solved.
        public.register_solution_lookup(published_measure)
