"""Reads of the look-back's ledger rows (dimensions "training", "lookback", "orders")
for the look-back's figures page: named accessors over ``reports.ledger.figures``."""

from __future__ import annotations

from campaign.models import Campaign, OrgUnit
from campaign.scoping import AnyUser
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.lookback import source as s

TRAINING, LOOKBACK, ORDERS = s.Dimension.TRAINING, s.Dimension.LOOKBACK, s.Dimension.ORDERS


class LookbackFigures(Figures):
    DIMENSIONS = (TRAINING, LOOKBACK, ORDERS)

    @property
    def branch_secretaries(self) -> int:
        return self.get(TRAINING, s.BRANCH_SECRETARIES)

    @property
    def trained(self) -> int:
        return self.get(TRAINING, s.TRAINED)

    @property
    def trained_on_time(self) -> int:
        return self.get(TRAINING, s.TRAINED_ON_TIME)

    @property
    def untrained(self) -> int:
        return self.branch_secretaries - self.trained

    @property
    def sessions(self) -> int:
        return self.get(TRAINING, s.SESSIONS)

    @property
    def committees_training(self) -> int:
        return self.get(TRAINING, s.COMMITTEES_TRAINING)

    @property
    def units(self) -> int:
        return self.get(LOOKBACK, s.UNITS)

    @property
    def units_self_checked(self) -> int:
        return self.get(LOOKBACK, s.UNITS_SELF_CHECKED)

    @property
    def units_checked(self) -> int:
        return self.get(LOOKBACK, s.UNITS_CHECKED)

    @property
    def units_short(self) -> int:
        return self.get(LOOKBACK, s.UNITS_SHORT)

    @property
    def short_by_item(self) -> list[int]:
        return [self.get(LOOKBACK, key) for key in s.SHORT_KEYS.values()]

    @property
    def orders_issued(self) -> int:
        return self.get(ORDERS, s.ORDERS_ISSUED)

    @property
    def orders_open(self) -> int:
        return self.get(ORDERS, s.ORDERS_OPEN)

    @property
    def orders_overdue(self) -> int:
        return self.get(ORDERS, s.ORDERS_OVERDUE)

    @property
    def orders_reported(self) -> int:
        return self.get(ORDERS, s.ORDERS_REPORTED)

    @property
    def orders_returned(self) -> int:
        return self.get(ORDERS, s.ORDERS_RETURNED)

    @property
    def orders_closed(self) -> int:
        return self.get(ORDERS, s.ORDERS_CLOSED)


def county_figures(user: AnyUser, campaign: Campaign) -> LookbackFigures:
    return ledger.county(LookbackFigures, user, campaign)


def committee_lines(user: AnyUser, campaign: Campaign) -> list[tuple[OrgUnit, LookbackFigures]]:
    return ledger.by_committee(LookbackFigures, user, campaign)
