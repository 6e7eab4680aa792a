"""The dashboards' two registries: the panels (charts with their tables) and the columns of
the completion heat map (one per step of a stage).

A stage adds its own without editing the dashboard: it declares which ledger dimensions
it reads (so the dashboard fetches them in its one query of the scope's figures and its
one query of the units' figures) and a function from those figures to what is drawn.
``reports.dashboard.stages`` registers the stages that exist (opinions, feedback, talks,
documents, meetings, appraisal); the look-back and rectification register theirs the
same way, from their own ``reports/<source>/dashboard.py`` imported in ``reports.apps``
(docs/reports.md, "Adding a panel").

Nothing here reads the database: panels and columns are pure functions of ledger
figures, so the dashboards' query count does not depend on how many are registered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaign.models import Campaign, OrgUnit, Step
    from reports.ledger.figures import Figures


# --- What a panel draws ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of a panel's table: the figure as text, the records it counts (a scoped
    page), and whether it was withheld (a group below k)."""

    text: str
    href: str = ""
    withheld: bool = False


@dataclass(frozen=True)
class Series:
    name: str
    # None: withheld (a group smaller than the feedback threshold k).
    values: list[int | None]


@dataclass(frozen=True)
class Panel:
    """A chart and the table beside it (the same figures). ``kind``: "bar", "hbar"
    (horizontal), "stacked" (horizontal, stacked) or "line"."""

    name: str
    title: str
    kind: str
    categories: list[str]
    series: list[Series]
    # The table: a head row and one row per category (the first cell the category).
    head: list[str]
    rows: list[list[Cell]]
    note: str = ""

    def chart(self) -> dict[str, Any]:
        """What ``reports/dashboard.js`` draws (json_script): labels and numbers only."""
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "categories": self.categories,
            "series": [{"name": each.name, "values": each.values} for each in self.series],
        }


@dataclass(frozen=True)
class Context:
    """What a panel is built from: the scope's summed figures (ledger rows only)."""

    campaign: Campaign
    figures: Figures
    # The feedback threshold k: no group of opinions below it is shown.
    k: int
    # The organisation whose subtree the dashboard shows (None: all in the user's reach, or
    # a supervisory team's units): a panel's links narrow the records pages to it.
    unit: OrgUnit | None
    today: datetime.date


@dataclass(frozen=True)
class PanelSpec:
    name: str
    order: int
    # The ledger dimensions the panel reads (fetched with everyone else's in one query).
    dimensions: tuple[str, ...]
    build: Callable[[Context], Panel | None]


# --- The heat map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    done: int
    of: int
    # Anything recorded at all (a unit with none has not started).
    started: bool


@dataclass(frozen=True)
class StepColumn:
    """How a step's completion in a unit is read from the unit's (folded) figures, and
    where its cell links (to what is still missing in that unit)."""

    step: str  # a ``campaign.models.StepKind`` value
    dimensions: tuple[str, ...]
    progress: Callable[[Figures], Progress]
    href: Callable[[OrgUnit], str]


class State:
    DONE = "done"
    IN_PROGRESS = "in_progress"
    BEHIND = "behind"
    NOT_STARTED = "not_started"
    ORDER = ("done", "in_progress", "behind", "not_started")


def state_of(progress: Progress, step: Step | None, today: datetime.date) -> str:
    """Done when every one counted is done; behind when the step's period is over (or
    half gone with nothing recorded) and it is not; not started when nothing is recorded
    and the step has not begun; otherwise in progress."""
    if progress.of and progress.done >= progress.of:
        return State.DONE
    if step is not None and today > step.ends_on:
        return State.BEHIND
    if not progress.started:
        if step is not None and today >= step.starts_on + (step.ends_on - step.starts_on) / 2:
            return State.BEHIND
        return State.NOT_STARTED
    return State.IN_PROGRESS


# --- The registries --------------------------------------------------------------------------


@dataclass
class _Registry:
    panels: dict[str, PanelSpec] = field(default_factory=dict)
    columns: dict[str, StepColumn] = field(default_factory=dict)


_REGISTRY = _Registry()


def register_panel(spec: PanelSpec) -> PanelSpec:
    existing = _REGISTRY.panels.get(spec.name)
    if existing is not None and existing != spec:
        raise ValueError(f"The dashboard already has a panel {spec.name!r}")
    _REGISTRY.panels[spec.name] = spec
    return spec


def register_step_column(column: StepColumn) -> StepColumn:
    existing = _REGISTRY.columns.get(column.step)
    if existing is not None and existing != column:
        raise ValueError(f"The heat map already has a column for the step {column.step!r}")
    _REGISTRY.columns[column.step] = column
    return column


def panels() -> list[PanelSpec]:
    return sorted(_REGISTRY.panels.values(), key=lambda spec: (spec.order, spec.name))


def step_columns() -> dict[str, StepColumn]:
    return dict(_REGISTRY.columns)


def panel_dimensions() -> tuple[str, ...]:
    return tuple(sorted({dimension for spec in panels() for dimension in spec.dimensions}))


def column_dimensions(steps: Sequence[str]) -> tuple[str, ...]:
    columns = step_columns()
    return tuple(sorted({d for step in steps if step in columns for d in columns[step].dimensions}))
