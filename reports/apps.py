from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from campaign.events import records_changed
        from reports import document_sources, receivers, recount, registry, rules, sources, talk_sources  # noqa: F401  (rules registers the scoping rules)

        # The ledger's sources, in the order their rows are written.
        registry.register_source("opinions", write=sources.write_opinions, recount=recount.recount_opinions)
        registry.register_source("talks", write=talk_sources.write_talks, recount=talk_sources.recount_talks)
        registry.register_source("documents", write=document_sources.write, recount=document_sources.recount)

        records_changed.connect(receivers.enqueue_rollup, dispatch_uid="reports.enqueue_rollup")
