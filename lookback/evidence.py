"""The figures shown beside the six items of a check, and the proposal they make.

The figures are the ledger's (opinions sought and fed back, lists signed, talks against
quota, required pairs, documents approved and returned, meetings held or overridden,
appraisal, training): ``reports`` reads them and registers its reader here at start-up
(``reports/lookback/evidence.py``), since a stage app never imports ``reports``
(docs/architecture.md). This module knows no ledger dimension; it knows how a figure
compares with the campaign's thresholds (``LookbackSettings``): the check proposes
"not met" for an item where any of its figures crosses one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaign.models import Campaign, OrgUnit


class Rule:
    """How a figure is held against its threshold (``setting`` of ``LookbackSettings``)."""

    MIN_PCT = "min_pct"  # value / of at least threshold %
    MIN_PER = "min_per"  # value / of at least threshold
    MAX = "max"  # value at most threshold
    MAX_PCT = "max_pct"  # value / of at most threshold %


@dataclass(frozen=True)
class Evidence:
    """One figure beside an item: ``value`` (of ``of``, when a share), and the rule
    that makes it propose "not met" (none: shown only)."""

    code: str
    item: int
    label: Any  # a lazy translation
    value: int
    of: int | None = None
    setting: str = ""
    rule: str = ""

    def threshold(self, settings: Any) -> Decimal | None:
        if not self.setting:
            return None
        return Decimal(getattr(settings, self.setting))

    def short(self, settings: Any) -> bool:
        """Whether this figure crosses its threshold. A share of nothing (``of`` is 0)
        crosses none: there was nothing to do."""
        threshold = self.threshold(settings)
        if threshold is None:
            return False
        value = Decimal(self.value)
        if self.rule == Rule.MAX:
            return value > threshold
        of = Decimal(self.of or 0)
        if of == 0:
            return False
        if self.rule == Rule.MIN_PCT:
            return value * 100 < threshold * of
        if self.rule == Rule.MIN_PER:
            return value < threshold * of
        if self.rule == Rule.MAX_PCT:
            return value * 100 > threshold * of
        raise ValueError(f"Unknown rule {self.rule!r}")


# The reader: for a campaign and some units, each unit's figures (its subtree's).
Reader = Callable[[Campaign, Sequence[OrgUnit]], dict[int, list[Evidence]]]
_READERS: list[Reader] = []


def register_reader(reader: Reader) -> None:
    """Add a reader of figures (``reports`` registers the ledger's; the rectification
    stage's problems open and solved can come as a second one)."""
    if reader not in _READERS:
        _READERS.append(reader)


def evidence_for(campaign: Campaign, units: Sequence[OrgUnit]) -> dict[int, list[Evidence]]:
    """Every unit's figures, from every registered reader (each one query or so,
    whatever the number of units)."""
    found: dict[int, list[Evidence]] = {unit.pk: [] for unit in units}
    if not units:
        return found
    for reader in _READERS:
        for unit_id, figures in reader(campaign, units).items():
            found.setdefault(unit_id, []).extend(figures)
    return found


def proposals(figures: Sequence[Evidence], settings: Any) -> dict[int, bool]:
    """Item → True where the figures propose "not met"."""
    short = dict.fromkeys(range(1, 7), False)
    for figure in figures:
        if figure.short(settings):
            short[figure.item] = True
    return short


def by_item(figures: Sequence[Evidence]) -> dict[int, list[Evidence]]:
    grouped: dict[int, list[Evidence]] = {item: [] for item in range(1, 7)}
    for figure in figures:
        grouped.setdefault(figure.item, []).append(figure)
    return grouped
