from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from campaign.events import records_changed
        from reports import receivers, recount, registry, rules, sources  # noqa: F401  (rules registers the scoping rules)

        # The ledger's sources, in the order their rows are written.
        registry.register_source("opinions", write=sources.write_opinions, recount=recount.recount_opinions)

        records_changed.connect(receivers.enqueue_rollup, dispatch_uid="reports.enqueue_rollup")
