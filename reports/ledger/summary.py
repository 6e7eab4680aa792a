"""The stage summary's figures, read from the ledgers: the sections of every source.

Each source declares its sections (``LedgerSource.sections``: a function of the
campaign and its county figures that returns a dict); ``stage_summary`` runs them source
by source in the order registered. A later stage (meetings, look-back, rectification)
adds its sections with its source — ``reports`` reads every stage app, no stage app
imports ``reports``.
"""

from __future__ import annotations

from typing import Any

from campaign.models import Campaign
from reports.ledger import figures, registry
from reports.ledger.figures import Figures


def county_figures(campaign: Campaign) -> Figures:
    """Every county row of the campaign, in one query."""
    return figures.county_rows(Figures, campaign)


def stage_summary(campaign: Campaign) -> dict[str, dict[str, Any]]:
    county = county_figures(campaign)
    return {name: section(campaign, county) for name, section in registry.sections().items()}
