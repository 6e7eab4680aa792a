"""The stage summary report built: its sections' sentences with every figure read from the
ledgers (two queries: the county rows, and the rows of the teams the sentences name), the
office's narrative around them, and the check of every figure against a recount from
source (the reconciliation's ``recount``, not the ledger).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaign.models import Campaign, Stage, Step
from reports.ledger import registry
from reports.models import COUNTY_SCOPE, LedgerLevel, LedgerRow, StageReport
from reports.summary_report import sections as report_sections
from reports.summary_report.sections import Fig, Sentence

Lookup = Callable[[str, str, str], int]

# The narrative key of the opening paragraphs (before the first section).
OPENING = "opening"

ZH_NUMERALS = "一二三四五六七八九十"


def numbered(index: int, heading: str) -> str:
    """ "一、…" in Chinese, "1. …" in English (GB/T 9704's first level of headings)."""
    if (get_language() or "").startswith("zh"):
        if index <= 10:
            mark = ZH_NUMERALS[index - 1]
        else:
            mark = ("十" if index < 20 else ZH_NUMERALS[index // 10 - 1] + "十") + (
                ZH_NUMERALS[index % 10 - 1] if index % 10 else ""
            )
        return f"{mark}、{heading}"
    return f"{index}. {heading}"


@dataclass(frozen=True)
class ShownFig:
    fig: Fig
    value: int | str  # str: exact yuan (``Fig.cents``)
    # Set by ``verify``: the recount, where it differs from the ledger.
    recounted: int | str | None = None

    @property
    def text(self) -> str:
        # As the seed states its figures in Chinese ("共征求意见建议11047条": an official
        # document's figures are not grouped); in English with the site's separators (11,047).
        if isinstance(self.value, int) and not (get_language() or "").startswith("zh"):
            return intcomma(self.value)
        return str(self.value)

    @property
    def drifted(self) -> bool:
        return self.recounted is not None and self.recounted != self.value


@dataclass
class ShownSentence:
    parts: list[str | ShownFig]

    @property
    def text(self) -> str:
        return "".join(part if isinstance(part, str) else part.text for part in self.parts)


@dataclass
class ShownSection:
    name: str
    heading: str
    before: str
    sentences: list[ShownSentence]
    after: str
    # Between sentences: nothing in Chinese, a space in English.
    separator: str = ""

    @property
    def text(self) -> str:
        return self.separator.join(sentence.text for sentence in self.sentences)


@dataclass
class Report:
    campaign: Campaign
    stage: Stage
    title: str
    sections: list[ShownSection]
    saved: StageReport | None = None
    # The office's opening paragraphs, before the first section.
    opening: str = ""
    verified: bool = False
    differences: list[ShownFig] = field(default_factory=list)

    def figures(self) -> Iterator[tuple[ShownFig, ShownSentence]]:
        for section in self.sections:
            for sentence in section.sentences:
                for part in sentence.parts:
                    if isinstance(part, ShownFig):
                        yield part, sentence


def default_title(campaign: Campaign, stage: Stage) -> str:
    return _("%(campaign)s: summary of the work of the %(stage)s stage") % {
        "campaign": campaign.name,
        "stage": stage.get_kind_display(),
    }


def _team_scopes(sentences: list[Sentence]) -> set[int]:
    found = set()
    for sentence in sentences:
        for part in sentence:
            if isinstance(part, Fig):
                for _sign, scope, _dimension, _key in part.terms:
                    if scope.startswith("team:") and scope[5:].isdigit():
                        found.add(int(scope[5:]))
    return found


def ledger_lookup(campaign: Campaign, team_ids: set[int]) -> Lookup:
    """The county rows and these teams' rows: two queries (one when no team is named)."""
    values: dict[tuple[str, str, str], int] = {}
    county = LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.COUNTY)
    for dimension, key, value in county.values_list("dimension", "key", "value"):
        values[(COUNTY_SCOPE, dimension, key)] = value
    if team_ids:
        teams = LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.TEAM, team_id__in=sorted(team_ids))
        for scope, dimension, key, value in teams.values_list("scope", "dimension", "key", "value"):
            values[(scope, dimension, key)] = value
    return lambda scope, dimension, key: values.get((scope, dimension, key), 0)


def recount_lookup(campaign: Campaign) -> Lookup:
    """Every figure counted afresh from source by every ledger source (the reconciliation's
    recount), by (scope, dimension, key)."""
    values: Counter[tuple[str, str, str]] = Counter()
    for (scope, _unit, dimension, key), value in registry.recount_all(campaign.pk).items():
        values[(scope, dimension, key)] += value
    return lambda scope, dimension, key: values.get((scope, dimension, key), 0)


def value_of(fig: Fig, lookup: Lookup) -> int | str:
    """The figure: a whole number, or for amounts kept in fen the exact yuan as a string
    (as ``stage_summary --json`` states them)."""
    if fig.setting is not None:
        return fig.setting
    total = sum(sign * lookup(scope, dimension, key) for sign, scope, dimension, key in fig.terms)
    if fig.cents:
        return str((Decimal(total) / 100).quantize(Decimal("0.01")))
    return total


def build(campaign: Campaign, stage: Stage, *, verify: bool = False) -> Report:
    """The report of ``stage`` as the ledgers have it now; ``verify``: every figure
    recounted from source too, and the differences listed."""
    steps = list(Step.objects.filter(stage=stage).order_by("order").values_list("kind", flat=True))
    saved = StageReport.objects.filter(campaign=campaign, stage=stage).first()
    context = report_sections.Context(
        campaign=campaign, stage=stage, standing_committee=report_sections.standing_committee(campaign)
    )
    chosen = report_sections.sections_for(stage, steps)
    written = [(section, section.sentences(context)) for section in chosen]
    lookup = ledger_lookup(campaign, _team_scopes([s for _section, sentences in written for s in sentences]))
    recount = recount_lookup(campaign) if verify else None
    shown_sections = []
    differences = []
    for index, (section, sentences) in enumerate(written, start=1):
        shown_sentences = []
        for sentence in sentences:
            parts: list[str | ShownFig] = []
            for part in sentence:
                if isinstance(part, str):
                    parts.append(part)
                    continue
                shown = ShownFig(
                    part,
                    value_of(part, lookup),
                    recounted=value_of(part, recount) if recount is not None and part.setting is None else None,
                )
                if shown.drifted:
                    differences.append(shown)
                parts.append(shown)
            shown_sentences.append(ShownSentence(parts))
        shown_sections.append(
            ShownSection(
                name=section.name,
                heading=numbered(index, section.heading()),
                before=saved.narrative(section.name, "before") if saved else "",
                sentences=shown_sentences,
                after=saved.narrative(section.name, "after") if saved else "",
                separator="" if (get_language() or "").startswith("zh") else " ",
            )
        )
    return Report(
        campaign=campaign,
        stage=stage,
        title=(saved.title if saved and saved.title else default_title(campaign, stage)),
        sections=shown_sections,
        saved=saved,
        opening=saved.narrative(OPENING, "text") if saved else "",
        verified=verify,
        differences=differences,
    )
