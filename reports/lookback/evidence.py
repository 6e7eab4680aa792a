"""The figures beside the six items of a look-back check, read from the ledger.

Registered with ``lookback.evidence`` at start-up (``reports.apps``): the look-back
pages ask for a few units' figures and get them from their subtrees' unit rows, in one
query whatever the number of units or of records behind the rows. Which figure sits
beside which item, and which threshold of ``lookback.models.LookbackSettings`` it is
held against, is ``FIGURES`` below (docs/lookback.md has the table).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, OrgUnit
from lookback.evidence import Evidence, Rule
from reports.documents.source import DOC_APPROVED, DOC_MEMBERS, DOC_RETURNED_ONCE
from reports.documents.source import Dimension as Documents
from reports.lookback.source import BRANCH_SECRETARIES, TRAINED
from reports.lookback.source import Dimension as Lookback
from reports.meetings.appraisal import APP_MEMBERS_FLAGGED, APP_MEMBERS_RATED
from reports.meetings.source import MEET_HELD, MEET_OVERRIDDEN, MEET_PLANNED, MEET_PROBLEMS, MEET_READY
from reports.meetings.source import Dimension as Meetings
from reports.models import TOTAL_KEY, LedgerLevel, LedgerRow
from reports.opinions.source import LISTS_RELEASED, LISTS_SIGNED, LISTS_TOTAL
from reports.opinions.source import Dimension as Opinions
from reports.rectification import source as rectification
from reports.rectification.source import Dimension as Rectification
from reports.talks.source import MEMBERS_MEETING_QUOTA, MEMBERS_TOTAL, REQUIRED_PAIRS, REQUIRED_PAIRS_DONE
from reports.talks.source import Dimension as Talks

Figure = tuple[str, str]  # (dimension, key)


@dataclass(frozen=True)
class Spec:
    code: str
    item: int
    label: object
    value: tuple[Figure, ...]  # summed
    of: tuple[Figure, ...] = ()  # summed; empty: a plain count
    setting: str = ""
    rule: str = ""


FIGURES: tuple[Spec, ...] = (
    # 1. Awareness and responsibility: the talks, against quota and the required pairs.
    Spec(
        "talk_quota",
        1,
        _("members meeting their talk quota"),
        ((Talks.TALKS, MEMBERS_MEETING_QUOTA),),
        ((Talks.TALKS, MEMBERS_TOTAL),),
        "min_talk_quota_pct",
        Rule.MIN_PCT,
    ),
    Spec(
        "talk_pairs",
        1,
        _("required pairs talked"),
        ((Talks.TALKS, REQUIRED_PAIRS_DONE),),
        ((Talks.TALKS, REQUIRED_PAIRS),),
        "min_pairs_pct",
        Rule.MIN_PCT,
    ),
    # 2. Standards kept: opinions sought (per member), documents returned for revision.
    Spec(
        "opinions",
        2,
        _("opinions sought, against members"),
        ((Opinions.TOTAL, TOTAL_KEY),),
        ((Talks.TALKS, MEMBERS_TOTAL),),
        "min_opinions_per_member",
        Rule.MIN_PER,
    ),
    Spec("documents_returned", 2, _("documents returned at least once"), ((Documents.DOCUMENTS, DOC_RETURNED_ONCE),)),
    # 3. Principles and policy: documents approved; meetings held on the office's override.
    Spec(
        "documents_approved",
        3,
        _("self-analysis documents approved"),
        ((Documents.DOCUMENTS, DOC_APPROVED),),
        ((Documents.DOCUMENTS, DOC_MEMBERS),),
        "min_documents_pct",
        Rule.MIN_PCT,
    ),
    Spec(
        "meetings_overridden",
        3,
        _("meetings held on the office's override"),
        ((Meetings.MEETINGS, MEET_OVERRIDDEN),),
        (),
        "max_overrides",
        Rule.MAX,
    ),
    # 4. Work advanced: feedback lists released, meetings held.
    Spec(
        "lists_released",
        4,
        _("feedback lists released"),
        ((Opinions.FEEDBACK, LISTS_RELEASED),),
        ((Opinions.FEEDBACK, LISTS_TOTAL),),
        "min_released_pct",
        Rule.MIN_PCT,
    ),
    Spec(
        "meetings_held",
        4,
        _("meetings held"),
        ((Meetings.MEETINGS, MEET_HELD),),
        ((Meetings.MEETINGS, MEET_HELD), (Meetings.MEETINGS, MEET_PLANNED), (Meetings.MEETINGS, MEET_READY)),
    ),
    # 4. Work advanced: also the problems found put right (the rectification stage).
    Spec(
        "problems_solved",
        4,
        _("problems solved"),
        ((Rectification.RECTIFICATION, rectification.SOLVED),),
        ((Rectification.RECTIFICATION, rectification.PROBLEMS),),
    ),
    Spec(
        "problems_open",
        4,
        _("problems still open"),
        (
            (Rectification.RECTIFICATION, rectification.OPEN),
            (Rectification.RECTIFICATION, rectification.IN_PROGRESS),
            (Rectification.RECTIFICATION, rectification.AWAITING),
        ),
    ),
    # 5. Leadership and guidance: branch secretaries trained; problems found at meetings.
    Spec(
        "secretaries_trained",
        5,
        _("branch secretaries trained"),
        ((Lookback.TRAINING, TRAINED),),
        ((Lookback.TRAINING, BRANCH_SECRETARIES),),
        "min_trained_pct",
        Rule.MIN_PCT,
    ),
    Spec("problems_found", 5, _("problems found at meetings"), ((Meetings.MEETINGS, MEET_PROBLEMS),)),
    # 6. Satisfaction: lists signed by their members; members flagged by the appraisal.
    Spec(
        "lists_signed",
        6,
        _("feedback lists signed"),
        ((Opinions.FEEDBACK, LISTS_SIGNED),),
        ((Opinions.FEEDBACK, LISTS_TOTAL),),
        "min_signed_pct",
        Rule.MIN_PCT,
    ),
    Spec(
        "appraisal_flagged",
        6,
        _("members flagged by the appraisal"),
        ((Meetings.APPRAISAL, APP_MEMBERS_FLAGGED),),
        ((Meetings.APPRAISAL, APP_MEMBERS_RATED),),
        "max_flagged_pct",
        Rule.MAX_PCT,
    ),
)


def needed() -> set[Figure]:
    return {figure for spec in FIGURES for figure in (*spec.value, *spec.of)}


def unit_values(campaign: Campaign, units: Sequence[OrgUnit]) -> dict[int, dict[Figure, int]]:
    """Each unit's subtree's sums of the figures ``FIGURES`` needs: one query."""
    values: dict[int, dict[Figure, int]] = {unit.pk: defaultdict(int) for unit in units}
    if not units:
        return values
    wanted = needed()
    prefixes = reduce(operator.or_, (Q(unit__path__startswith=unit.path) for unit in units))
    rows = (
        LedgerRow.objects.filter(prefixes, campaign=campaign, level=LedgerLevel.UNIT)
        .filter(dimension__in={dimension for dimension, _key in wanted}, key__in={key for _d, key in wanted})
        .order_by()
        .values("unit__path", "dimension", "key")
        .annotate(v=Sum("value"))
        .values_list("unit__path", "dimension", "key", "v")
    )
    by_path = sorted(((unit.path, unit.pk) for unit in units), key=lambda pair: -len(pair[0]))
    for path, dimension, key, value in rows:
        if (dimension, key) not in wanted:
            continue
        for prefix, unit_id in by_path:
            if path.startswith(prefix):
                values[unit_id][(dimension, key)] += int(value or 0)
    return values


def evidence(values: dict[Figure, int]) -> list[Evidence]:
    def total(figures: tuple[Figure, ...]) -> int:
        return sum(values.get(figure, 0) for figure in figures)

    return [
        Evidence(
            code=spec.code,
            item=spec.item,
            label=spec.label,
            value=total(spec.value),
            of=total(spec.of) if spec.of else None,
            setting=spec.setting,
            rule=spec.rule,
        )
        for spec in FIGURES
    ]


def read(campaign: Campaign, units: Sequence[OrgUnit]) -> dict[int, list[Evidence]]:
    """The reader ``lookback.evidence`` calls: every unit's figures beside the items."""
    return {unit_id: evidence(found) for unit_id, found in unit_values(campaign, units).items()}
