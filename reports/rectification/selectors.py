"""Reads of the rectification ledger rows: named accessors over the ledger's one read
layer (``reports.ledger.figures``), for a page, a home page or an export that shows the
problems and the practical results of a unit, a party committee or the county without
scanning a problem. Scoping is the caller's (an action checked); the county figures are
the county rows only for those who see the campaign whole."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from campaign.models import Campaign, OrgUnit
from campaign.scoping import AnyUser
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.rectification import source
from reports.rectification.source import Dimension


class RectificationFigures(Figures):
    """The problems and the practical results of a unit, a party committee or the county."""

    DIMENSIONS = (Dimension.RECTIFICATION, Dimension.RESULTS)

    def problem(self, key: str) -> int:
        return self.get(Dimension.RECTIFICATION, key)

    def result(self, key: str) -> int:
        return self.get(Dimension.RESULTS, key)

    @property
    def problems(self) -> int:
        return self.problem(source.PROBLEMS)

    @property
    def unsolved(self) -> int:
        return self.problem(source.OPEN) + self.problem(source.IN_PROGRESS) + self.problem(source.AWAITING)

    @property
    def solved(self) -> int:
        return self.problem(source.SOLVED)

    @property
    def overdue(self) -> int:
        return self.problem(source.OVERDUE)

    @property
    def handed_over(self) -> int:
        return self.problem(source.TRANSFERRED)

    @property
    def opinions_closed(self) -> int:
        return self.problem(source.OPINIONS_CLOSED)

    def yuan(self, key: str) -> Decimal:
        return Decimal(source.yuan(self.result(key)))


def county_figures(user: AnyUser, campaign: Campaign) -> RectificationFigures:
    return ledger.county(RectificationFigures, user, campaign)


def unit_figures(
    campaign: Campaign, units: Iterable[OrgUnit], *, fold: bool = True
) -> list[tuple[OrgUnit, RectificationFigures]]:
    """A page of organisations with their figures (their branches' folded in), in one query."""
    return list(ledger.by_owner(RectificationFigures, campaign, units, fold=fold))
