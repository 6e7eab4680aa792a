"""The stage summary report's sections: a registry, and the sections of the steps that
exist (opinions with their feedback, talks, documents, meetings, appraisal) and the closing
section of shortcomings.

A section is a heading and sentences; a sentence is text and figures (``Fig``), each
figure one ledger row (scope, dimension, key) — or a difference of rows, or a campaign
setting — so that the report can read it from the ledger, link it to the records it
counts and recount it from source (``reports.summary_report.report.verify``). The
sentences are written as the seed writes them ("共征求意见建议11047条，其中对县委常委会
班子的142条（意见6条、建议136条）……"): msgids in English, the office's Chinese in the
catalogue.

A later stage adds its section with ``register_section`` from its own module (the
look-back: training and checks; the rectification: problems and help given), naming the
step it belongs to: sections follow the order of the stage's steps, then those of no step
by ``order``; the shortcomings close the report (docs/reports.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from campaign.models import Campaign, LeadershipTeam, Stage, StageKind, StepKind, TargetCategory, TeamKind
from opinions.models import Channel, OpinionKind
from reports.documents import source as documents
from reports.meetings import appraisal
from reports.meetings import source as meetings
from reports.models import COUNTY_SCOPE, TOTAL_KEY, team_scope
from reports.opinions import source as opinions
from reports.talks import source as talks

# (sign, scope, dimension, key)
Term = tuple[int, str, str, str]


@dataclass(frozen=True)
class Fig:
    """A figure of the report: ``name`` (the ``stage_summary --json`` path where it is
    one, "opinions.by_category.other_members"), what it sums (``terms``: ledger rows,
    added or subtracted) or a campaign setting (``setting``), and where its records are."""

    name: str
    terms: tuple[Term, ...] = ()
    setting: int | None = None
    href: str = ""
    # The rows hold hundredths (fen): the figure is stated as exact yuan ("233670.00").
    cents: bool = False

    @classmethod
    def row(
        cls, name: str, dimension: str, key: str, href: str = "", scope: str = COUNTY_SCOPE, cents: bool = False
    ) -> Fig:
        return cls(name=name, terms=((1, scope, dimension, key),), href=href, cents=cents)


Part = str | Fig
Sentence = list[Part]


@dataclass(frozen=True)
class Context:
    campaign: Campaign
    stage: Stage
    # The Standing Committee as a team (its opinions and suggestions are stated apart).
    standing_committee: LeadershipTeam | None


@dataclass(frozen=True)
class ReportSection:
    name: str
    # The step the section reports on (a StepKind value), or "" (after the steps).
    step: str
    order: int
    heading: Callable[[], str]
    sentences: Callable[[Context], list[Sentence]]
    # The stages whose report holds the section.
    stages: tuple[str, ...] = (StageKind.ANALYSIS,)
    closing: bool = False


_SECTIONS: dict[str, ReportSection] = {}


def register_section(section: ReportSection) -> ReportSection:
    existing = _SECTIONS.get(section.name)
    if existing is not None and existing != section:
        raise ValueError(f"The stage summary report already has a section {section.name!r}")
    _SECTIONS[section.name] = section
    return section


def sections_for(stage: Stage, step_order: Sequence[str]) -> list[ReportSection]:
    """The stage's sections: by the order of its steps, then those of no step, the
    closing ones last."""
    position = {kind: index for index, kind in enumerate(step_order)}

    def key(section: ReportSection) -> tuple[int, int, int]:
        return (int(section.closing), position.get(section.step, len(position)), section.order)

    return sorted((s for s in _SECTIONS.values() if stage.kind in s.stages or s.closing), key=key)


_PLACE = re.compile(r"%\((\w+)\)s")


def fill(template: str, **figures: Fig) -> Sentence:
    """A translated template ("共征求意见建议%(total)s条……") with its figures in place."""
    parts: Sentence = []
    for index, piece in enumerate(_PLACE.split(template)):
        if index % 2:
            parts.append(figures[piece])
        elif piece:
            parts.append(piece)
    return parts


def joined(items: Sequence[Sentence], separator: str) -> Sentence:
    parts: Sentence = []
    for index, item in enumerate(items):
        if index:
            parts.append(separator)
        parts.extend(item)
    return parts


def _list(name: str, **params: str | int) -> str:
    return reverse(name) + ("?" + urlencode(params) if params else "")


# --- The sections of the steps that exist -------------------------------------------------


def _opinions(ctx: Context) -> list[Sentence]:
    cat, kind, channel = opinions.Dimension.CATEGORY, opinions.Dimension.KIND, opinions.Dimension.CHANNEL
    figs = {
        "total": Fig.row("opinions.total", opinions.Dimension.TOTAL, TOTAL_KEY, _list("opinions:opinion_list")),
        **{
            key: Fig.row(f"opinions.by_category.{key}", cat, key, _list("opinions:opinion_list", category=key))
            for key in TargetCategory.values
        },
    }
    team = ctx.standing_committee
    scope = team_scope(team.pk) if team is not None else "team:none"
    team_id = team.pk if team is not None else ""
    figs["sc_opinions"] = Fig.row(
        "opinions.standing_committee_team.opinion",
        kind,
        OpinionKind.OPINION,
        _list("opinions:opinion_list", target_team=team_id, kind=OpinionKind.OPINION),
        scope=scope,
    )
    figs["sc_suggestions"] = Fig.row(
        "opinions.standing_committee_team.suggestion",
        kind,
        OpinionKind.SUGGESTION,
        _list("opinions:opinion_list", target_team=team_id, kind=OpinionKind.SUGGESTION),
        scope=scope,
    )
    first = fill(
        _(
            "In all, %(total)s opinions and suggestions were solicited. Of these, %(standing_committee_team)s "
            "concern the County Party Standing Committee as a team (%(sc_opinions)s opinions, "
            "%(sc_suggestions)s suggestions), %(county_leadership_teams)s the county's four leadership teams, "
            "%(department_teams)s the departments' leadership teams, %(standing_committee_members)s the "
            "Standing Committee members in person, %(county_level_leaders)s other county-level leading cadres "
            "and %(other_members)s other members."
        ),
        **figs,
    )
    kinds = fill(
        _("Of them all, %(opinion)s are opinions and %(suggestion)s suggestions."),
        **{
            key: Fig.row(f"opinions.by_kind.{key}", kind, key, _list("opinions:opinion_list", kind=key))
            for key in OpinionKind.values
        },
    )
    channels = [
        fill(
            _("%(channel)s %(count)s") % {"channel": label, "count": "%(count)s"},
            count=Fig.row(f"opinions.by_channel.{key}", channel, key, _list("opinions:opinion_list", channel=key)),
        )
        for key, label in Channel.choices
    ]
    by_channel = [_("By channel: "), *joined(channels, _(", ")), _(".")]
    solicitation = fill(
        _(
            "%(forums)s forums and symposiums were held at every level, %(forms_issued)s solicitation forms "
            "issued and %(suggestion_boxes)s suggestion boxes set up."
        ),
        **{
            key: Fig.row(f"solicitation.{key}", opinions.Dimension.SOLICITATION, key, _list("opinions:event_list"))
            for key in ("forums", "forms_issued", "suggestion_boxes")
        },
    )
    feedback = fill(
        _(
            "The opinions were sorted into the general ledger, the units' sub-ledgers and the members' lists; "
            "%(lists_released)s feedback lists were fed back to their targets and %(lists_signed)s signed for."
        ),
        **{
            key: Fig.row(f"feedback.{key}", opinions.Dimension.FEEDBACK, key, _list("opinions:feedback_lists"))
            for key in (opinions.LISTS_RELEASED, opinions.LISTS_SIGNED)
        },
    )
    return [first, kinds, by_channel, solicitation, feedback]


def _talks(ctx: Context) -> list[Sentence]:
    page = _list("reports:talks_county")
    keys = {
        "total": talks.CARDS,
        "members_meeting_quota": talks.MEMBERS_MEETING_QUOTA,
        "members_total": talks.MEMBERS_TOTAL,
        "required_pairs": talks.REQUIRED_PAIRS,
        "required_pairs_done": talks.REQUIRED_PAIRS_DONE,
        "cards_reviewed": talks.CARDS_REVIEWED,
    }
    figs = {name: Fig.row(f"talks.{name}", talks.Dimension.TALKS, key, page) for name, key in keys.items()}
    figs["cards_reviewed"] = Fig.row(
        "talks.cards_reviewed", talks.Dimension.TALKS, talks.CARDS_REVIEWED, _list("reports:talks_review")
    )
    return [
        fill(
            _(
                "%(total)s heart-to-heart talks were recorded on talk cards; %(members_meeting_quota)s of the "
                "%(members_total)s members reached their quota of talks; of the %(required_pairs)s pairs who "
                "must talk, %(required_pairs_done)s have talked; the supervisory teams reviewed "
                "%(cards_reviewed)s talk cards."
            ),
            **figs,
        )
    ]


def _documents(ctx: Context) -> list[Sentence]:
    page = _list("reports:documents_progress")
    dim = documents.Dimension.DOCUMENTS
    figs = {
        "members_total": Fig.row("documents.members_total", dim, documents.DOC_MEMBERS, page),
        "submitted": Fig.row("documents.submitted", dim, documents.DOC_SUBMITTED, page),
        "approved": Fig.row("documents.approved", dim, documents.DOC_APPROVED, page),
        "returned_at_least_once": Fig.row("documents.returned_at_least_once", dim, documents.DOC_RETURNED_ONCE, page),
        "leaders_min_words": Fig(name="documents.leaders_min_words", setting=ctx.campaign.doc_min_words_leader),
        "members_min_words": Fig(name="documents.members_min_words", setting=ctx.campaign.doc_min_words_member),
    }
    return [
        fill(
            _(
                "Of the %(members_total)s members, %(submitted)s submitted their self-analysis document and "
                "%(approved)s documents were approved; %(returned_at_least_once)s were returned at least once "
                "for revision. Leading cadres wrote at least %(leaders_min_words)s words, other members at "
                "least %(members_min_words)s."
            ),
            **figs,
        )
    ]


def _meetings(ctx: Context) -> list[Sentence]:
    page = _list("meetings:meeting_list")
    keys = (
        meetings.MEET_HELD,
        meetings.MEET_OVERRIDDEN,
        meetings.MEET_READY,
        meetings.MEET_PLANNED,
        meetings.MEET_ATTENDEES,
        meetings.MEET_CRITICISMS,
        meetings.MEET_PROBLEMS,
    )
    figs = {key: Fig.row(f"meetings.{key}", meetings.Dimension.MEETINGS, key, page) for key in keys}
    figs[meetings.MEET_READY] = Fig.row(
        "meetings.ready", meetings.Dimension.MEETINGS, meetings.MEET_READY, _list("meetings:readiness")
    )
    return [
        fill(
            _(
                "%(held)s democratic life meetings and special organisational life meetings were held "
                "(%(held_with_override)s of them on the county office's override), %(ready)s are ready to be "
                "convened and %(planned)s still wait on the three no-convenings; %(attendees)s attendances were "
                "recorded, %(criticisms)s criticisms made and %(problems_found)s problems found and handed to "
                "rectification."
            ),
            **figs,
        )
    ]


def _appraisal(ctx: Context) -> list[Sentence]:
    page = _list("reports:meetings_progress")
    figs = {
        key: Fig.row(f"appraisal.{key}", meetings.Dimension.APPRAISAL, key, page) for key in appraisal.APPRAISAL_KEYS
    }
    return [
        fill(
            _(
                "In the democratic appraisal %(ballots)s ballots were counted; %(members_rated)s members were "
                "rated (%(members_flagged)s of them flagged for attention) and %(teams_rated)s leadership teams."
            ),
            **figs,
        )
    ]


def _shortcomings(ctx: Context) -> list[Sentence]:
    docs, talk = documents.Dimension.DOCUMENTS, talks.Dimension.TALKS
    feedback = opinions.Dimension.FEEDBACK
    county = COUNTY_SCOPE
    figs = {
        "docs_open": Fig(
            "shortcomings.documents_not_approved",
            ((1, county, docs, documents.DOC_MEMBERS), (-1, county, docs, documents.DOC_APPROVED)),
            href=_list("reports:documents_progress"),
        ),
        "quota_open": Fig(
            "shortcomings.members_below_quota",
            ((1, county, talk, talks.MEMBERS_TOTAL), (-1, county, talk, talks.MEMBERS_MEETING_QUOTA)),
            href=_list("reports:talks_county"),
        ),
        "pairs_open": Fig(
            "shortcomings.required_pairs_open",
            ((1, county, talk, talks.REQUIRED_PAIRS), (-1, county, talk, talks.REQUIRED_PAIRS_DONE)),
            href=_list("reports:talks_county"),
        ),
        "lists_unsigned": Fig(
            "shortcomings.lists_unsigned",
            ((1, county, feedback, opinions.LISTS_RELEASED), (-1, county, feedback, opinions.LISTS_SIGNED)),
            href=_list("opinions:feedback_lists"),
        ),
    }
    return [
        fill(
            _(
                "By the ledgers, %(docs_open)s members' self-analysis documents are not yet approved, "
                "%(quota_open)s members are still below their quota of talks, %(pairs_open)s pairs who must "
                "talk have not yet talked, and %(lists_unsigned)s feedback lists fed back are not yet signed for."
            ),
            **figs,
        )
    ]


for _section in (
    ReportSection("opinions", StepKind.SOLICIT, 10, lambda: _("Soliciting opinions widely"), _opinions),
    ReportSection("talks", StepKind.TALKS, 20, lambda: _("Heart-to-heart talks in depth"), _talks),
    ReportSection("documents", StepKind.DOCUMENTS, 30, lambda: _("Writing the self-analysis documents"), _documents),
    ReportSection(
        "meetings",
        StepKind.MEETINGS,
        40,
        lambda: _("Democratic life meetings and special organisational life meetings"),
        _meetings,
    ),
    ReportSection("appraisal", StepKind.APPRAISAL, 50, lambda: _("The democratic appraisal"), _appraisal),
    ReportSection("shortcomings", "", 1000, lambda: _("Shortcomings"), _shortcomings, closing=True),
):
    register_section(_section)


def standing_committee(campaign: Campaign) -> LeadershipTeam | None:
    return LeadershipTeam.objects.filter(campaign=campaign, kind=TeamKind.STANDING_COMMITTEE).first()
