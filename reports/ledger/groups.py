"""One way for every progress page to show its organisations: grouped under their party
committee, each group headed by the committee's subtotal, the county total at the foot.

A page gives the lines it shows (objects with ``.unit`` and ``.figures``, in tree order:
a page of ``summary_units``) and the committees in the user's reach with the figures of
their whole subtree (``reports.ledger.figures.by_committee``, two queries); ``grouped``
puts each line under the committee whose subtree holds it. The committee's own line (the
figures filed under the committee itself, not a unit below it) is kept apart and shown
only when it holds a figure, so a committee no longer reads as a row of zeros among the
units. Lines under no committee (the county's own bodies) form a group without a
subtotal; the county committee's own line is shown only when it holds a figure. A
subtotal is the committee's whole subtree, which is the sum of its units' lines
(tests/reports/test_groups.py) — on one page, or over the pages it spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaign.models import OrgUnit, OrgUnitKind
from reports.ledger.figures import Figures


@dataclass
class Group:
    committee: OrgUnit | None
    subtotal: Figures | None
    own: Any = None  # the committee's own line, when it holds a figure
    lines: list[Any] = field(default_factory=list)


def holds_figures(figures: Figures) -> bool:
    return any(value for keys in figures.values.values() for value in keys.values())


def grouped(lines: Iterable[Any], committees: Sequence[tuple[OrgUnit, Figures]]) -> list[Group]:
    """The lines grouped under their committees, in the lines' order (no query)."""
    by_path = sorted(committees, key=lambda pair: -len(pair[0].path))  # the deepest first
    groups: list[Group] = []
    for line in lines:
        unit: OrgUnit = line.unit
        if unit.kind == OrgUnitKind.COUNTY_COMMITTEE and not holds_figures(line.figures):
            continue  # the county's own line, empty: the foot holds the county
        committee, subtotal = next(
            ((each, figures) for each, figures in by_path if unit.path.startswith(each.path)), (None, None)
        )
        if not groups or groups[-1].committee != committee:
            groups.append(Group(committee, subtotal))
        group = groups[-1]
        if committee is not None and unit.pk == committee.pk:
            if holds_figures(line.figures):
                group.own = line
        else:
            group.lines.append(line)
    return groups
