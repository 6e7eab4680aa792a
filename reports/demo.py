"""The demo county's ledgers: the last step of ``seed_demo`` rolls them up in full.

The stage apps' demo steps bulk-write their records and announce every affected unit
in the outbox; this step, registered after theirs (``reports`` comes last in
``INSTALLED_APPS``), recomputes every ledger figure of the demo campaign from source
and takes those outbox rows in, so the county opens with its ledgers up to date.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import demo
from reports.ledger.rollup import ledger_rollup_full
from reports.models import LedgerRow


def rollup_ledgers(county: demo.DemoCounty) -> demo.Totals:
    result = ledger_rollup_full(campaign_id=county.campaign.pk)
    return {
        _("ledger figures"): LedgerRow.objects.filter(campaign=county.campaign).count(),
        _("changes taken in"): result.consumed,
    }


demo.register_step(gettext_lazy("ledgers rolled up"), rollup_ledgers)


# The look-back's checks read the figures beside their six items from the ledger: their
# step comes after the roll-up, and its own figures are rolled up after it.
from lookback import demo as lookback_demo  # noqa: E402
from reports.ledger.rollup import ledger_rollup_units  # noqa: E402


def rollup_lookback(county: demo.DemoCounty) -> demo.Totals:
    units = [unit.pk for unit in county.units]
    result = ledger_rollup_units(campaign_id=county.campaign.pk, unit_ids=units, only_pending=True)
    return {_("changes taken in"): result.consumed}


demo.register_step(gettext_lazy("look-back checks and orders"), lookback_demo.build_checks)
demo.register_step(gettext_lazy("look-back figures rolled up"), rollup_lookback)
