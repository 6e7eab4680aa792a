from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from campaign.events import records_changed
        from lookback import evidence as lookback_evidence
        from reports import home, receivers, rules  # noqa: F401  (rules: scoping rules; home: the home panels)
        from reports.dashboard import stages as _dashboard  # noqa: F401  (registers the stages' panels)
        from reports.documents import source as documents
        from reports.ledger import registry
        from reports.lookback import dashboard as _lookback_dashboard  # noqa: F401  (its panels and column)
        from reports.lookback import evidence as lookback_figures
        from reports.lookback import report as _lookback_report  # noqa: F401  (its report section)
        from reports.lookback import source as lookback
        from reports.meetings import source as meetings
        from reports.opinions import days as opinion_days
        from reports.opinions import source as opinions
        from reports.rectification import dashboard as _rectification_dashboard  # noqa: F401  (its panels)
        from reports.rectification import report as _rectification_report  # noqa: F401  (its report section)
        from reports.rectification import source as rectification
        from reports.talks import source as talks

        # The ledger's sources, one line each, in the order their rows are written.
        registry.register_source(opinions.SOURCE)
        registry.register_source(talks.SOURCE)
        registry.register_source(documents.SOURCE)
        registry.register_source(meetings.SOURCE)
        registry.register_source(lookback.SOURCE)
        registry.register_source(rectification.SOURCE)
        registry.register_source(opinion_days.SOURCE)
        # The figures beside the look-back's six items, read from the ledger.
        lookback_evidence.register_reader(lookback_figures.read)

        records_changed.connect(receivers.enqueue_rollup, dispatch_uid="reports.enqueue_rollup")
