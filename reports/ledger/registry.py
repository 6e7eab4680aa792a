"""The ledger's sources: what each stage contributes to the ledger rows.

A source (``LedgerSource``) declares, over one campaign:
- ``dimensions``: the dimensions it writes, as a ``TextChoices`` (values and labels);
  the ledger stores a dimension as plain text, so a new source needs no migration of
  ``reports``, and ``dimension_label`` finds a stored value's label;
- ``write(campaign_id, unit_ids)``: inserts the unit, member and team rows of those
  units (``None``: of every unit) — only ever *inserts*, with statements that start
  with ``reports.ledger.sql.insert_head()``: inside a roll-up that names the roll-up's
  staging table, and the roll-up then replaces the stored rows of those units with the
  staged ones and recomputes the county rows from the unit rows;
- ``recount(campaign_id)``: counts every figure of the source afresh, with plain ORM
  queries and on purpose not the SQL of ``write``, for the reconciliation;
- optionally ``cells`` (``Cells``): its figures per ledger unit and target as well, so
  that a change to a few of its records is rolled up by target (``reports.ledger.targets``);
- optionally ``sections``: its sections of the stage summary (``reports.ledger.summary``).

The filing rules every source keeps, so that one generic replacement suits them all:
- a unit row (level "unit") is filed under its unit (``unit_id``), scope ``unit:<id>``;
- a member row (level "member") is filed under the member's *current* unit;
- a team row (level "team") under the team's unit;
- a figure that counts something once for the county is filed under exactly one unit
  (the county row is the sum of the unit rows).
A roll-up of units U therefore recomputes, in every source, exactly the unit rows of
U and the member/team rows of members/teams whose unit is in U.

Each source lives in its own subpackage (``reports.opinions``, ``reports.talks``,
``reports.documents``) and is registered by one line in ``reports.apps``. Nothing in
``reports.ledger`` imports a source; ``reports`` reads the stage apps, no stage app
imports ``reports``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from campaign.models import Campaign
    from reports.ledger.figures import Figures
    from reports.ledger.targets import Subjects

# (scope, unit id the figure is filed under, dimension, key)
FigureKey = tuple[str, int | None, str, str]

Writer = Callable[[int, Sequence[int] | None], None]
Recounter = Callable[[int], Mapping[FigureKey, int]]
# A section of the stage summary: from the campaign and its county figures, a dict.
Section = Callable[["Campaign", "Figures"], dict[str, Any]]


@dataclass(frozen=True)
class Cells:
    """A source's cells: its figures per ledger unit and target (``LedgerCell``), from
    which its unit, member and team rows of ``dimensions`` are sums.

    ``select(campaign_id, subjects)`` counts from source every cell of those subjects:
    a SELECT of ``reports.ledger.sql.CELL_COLUMNS`` (all of a member's or a team's
    cells, whatever their ledger unit; the unit-as-a-whole cell of each unit). Its
    ``write`` must insert the cells of the units it rolls up too
    (``reports.ledger.sql.cell_insert_head``)."""

    dimensions: tuple[str, ...]
    select: Callable[[int, Subjects], str]


@dataclass(frozen=True)
class LedgerSource:
    name: str
    dimensions: type[models.TextChoices]
    write: Writer
    recount: Recounter
    cells: Cells | None = None
    sections: Mapping[str, Section] = field(default_factory=dict)


_SOURCES: dict[str, LedgerSource] = {}


def register_source(source: LedgerSource) -> LedgerSource:
    """Add a source to the ledger (``reports.apps``: one line per source). Registering
    the same source again is harmless; two sources may not share a name or a dimension."""
    existing = _SOURCES.get(source.name)
    if existing is not None:
        if existing != source:
            raise ValueError(f"The ledger already has a source {source.name!r}")
        return existing
    taken = {value: other.name for other in _SOURCES.values() for value in other.dimensions.values}
    for value in source.dimensions.values:
        if value in taken:
            raise ValueError(f"The dimension {value!r} of {source.name!r} is already {taken[value]!r}'s")
    _SOURCES[source.name] = source
    return source


def ledger_sources() -> list[LedgerSource]:
    """Every registered source, in the order registered."""
    return list(_SOURCES.values())


def cell_sources() -> list[LedgerSource]:
    """The sources that keep cells, in the order registered."""
    return [source for source in _SOURCES.values() if source.cells is not None]


def cell_dimensions() -> tuple[str, ...]:
    """The dimensions whose rows are sums of cells."""
    return tuple(dimension for source in cell_sources() for dimension in source.cells.dimensions)  # type: ignore[union-attr]


def cells_select(campaign_id: int, subjects: Subjects) -> str:
    """Every cell of these subjects, counted from source by every source with cells."""
    return " UNION ALL ".join(source.cells.select(campaign_id, subjects) for source in cell_sources())  # type: ignore[union-attr]


def dimension_label(value: str) -> str:
    """The label of a stored dimension (the value itself if no source declares it)."""
    for source in _SOURCES.values():
        if value in source.dimensions.values:
            return str(source.dimensions(value).label)
    return value


def sections() -> dict[str, Section]:
    """The stage summary's sections, source by source in the order registered."""
    found: dict[str, Section] = {}
    for source in _SOURCES.values():
        for name, section in source.sections.items():
            if name in found:
                raise ValueError(f"The stage summary already has a section {name!r}")
            found[name] = section
    return found


def write_all(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    for source in ledger_sources():
        source.write(campaign_id, unit_ids)


def recount_all(campaign_id: int) -> dict[FigureKey, int]:
    """Every figure of every source; the ledger stores no zero, so none is returned."""
    figures: Counter[FigureKey] = Counter()
    for source in ledger_sources():
        figures.update(source.recount(campaign_id))
    return {key: value for key, value in figures.items() if value}
