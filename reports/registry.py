"""The ledger's sources: what each stage app contributes to the ledger rows.

A source is a pair of functions over one campaign:
- ``write(campaign_id, unit_ids)`` inserts the unit, member and team rows of those
  units (``None``: of every unit) — only ever *inserts*, with statements that start
  with ``reports.sources._insert_head()``: inside a roll-up that names the roll-up's
  staging table, and ``services`` then replaces the stored rows of those units with
  the staged ones and recomputes the county rows from the unit rows;
- ``recount(campaign_id)`` counts every figure of the source afresh, with plain ORM
  queries and on purpose not the SQL of ``write``, for the reconciliation.

The filing rules every source keeps, so that one generic replacement suits them all:
- a unit row (level "unit") is filed under its unit (``unit_id``), scope ``unit:<id>``;
- a member row (level "member") is filed under the member's *current* unit;
- a team row (level "team") under the team's unit;
- a figure that counts something once for the county is filed under exactly one unit
  (the county row is the sum of the unit rows).
A roll-up of units U therefore recomputes, in every source, exactly the unit rows of
U and the member/team rows of members/teams whose unit is in U.

Sources register at start-up (``reports.apps``); ``reports`` reads the stage apps,
no stage app imports ``reports``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# (scope, unit id the figure is filed under, dimension, key)
FigureKey = tuple[str, int | None, str, str]

Writer = Callable[[int, Sequence[int] | None], None]
Recounter = Callable[[int], Mapping[FigureKey, int]]


@dataclass(frozen=True)
class LedgerSource:
    name: str
    write: Writer
    recount: Recounter


_SOURCES: dict[str, LedgerSource] = {}


def register_source(name: str, *, write: Writer, recount: Recounter) -> LedgerSource:
    existing = _SOURCES.get(name)
    source = LedgerSource(name=name, write=write, recount=recount)
    if existing is not None and existing != source:
        raise ValueError(f"The ledger already has a source {name!r}")
    _SOURCES[name] = source
    return source


def ledger_sources() -> list[LedgerSource]:
    """Every registered source, in the order registered."""
    return list(_SOURCES.values())


def write_all(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    for source in ledger_sources():
        source.write(campaign_id, unit_ids)


def recount_all(campaign_id: int) -> dict[FigureKey, int]:
    """Every figure of every source; the ledger stores no zero, so none is returned."""
    figures: Counter[FigureKey] = Counter()
    for source in ledger_sources():
        figures.update(source.recount(campaign_id))
    return {key: value for key, value in figures.items() if value}
