"""The stage summary's figures, read from the ledgers: a registry of sections.

Each section is a function of the campaign and its county figures that returns a dict;
``stage_summary`` runs them in the order registered. A later capability (talks,
documents, meetings, look-back, rectification) adds its section here with
``@section("talks")`` — reports reads every stage app, no stage app imports reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from campaign.models import Campaign, TargetCategory
from opinions.models import Channel, OpinionKind
from reports.models import (
    CARDS,
    CARDS_REVIEWED,
    DOC_APPROVED,
    DOC_MEMBERS,
    DOC_RETURNED_ONCE,
    DOC_SUBMITTED,
    FORMS_ISSUED,
    FORUMS,
    LISTS_RELEASED,
    LISTS_SIGNED,
    MEMBERS_MEETING_QUOTA,
    MEMBERS_TOTAL,
    REQUIRED_PAIRS,
    REQUIRED_PAIRS_DONE,
    SUGGESTION_BOXES,
    Dimension,
    LedgerLevel,
    LedgerRow,
)
from reports.selectors import Figures

Section = Callable[[Campaign, Figures], dict[str, Any]]
SECTIONS: dict[str, Section] = {}


def section(name: str) -> Callable[[Section], Section]:
    def register(function: Section) -> Section:
        if name in SECTIONS and SECTIONS[name] is not function:
            raise ValueError(f"The stage summary already has a section {name!r}")
        SECTIONS[name] = function
        return function

    return register


def county_figures(campaign: Campaign) -> Figures:
    rows = LedgerRow.objects.filter(campaign=campaign, level=LedgerLevel.COUNTY).values_list(
        "dimension", "key", "value"
    )
    return Figures.from_rows(rows)


def stage_summary(campaign: Campaign) -> dict[str, dict[str, Any]]:
    figures = county_figures(campaign)
    return {name: function(campaign, figures) for name, function in SECTIONS.items()}


@section("opinions")
def opinions_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    return {
        "total": figures.total,
        "by_category": {key: figures.get(Dimension.CATEGORY, key) for key in TargetCategory.values},
        "by_kind": {key: figures.get(Dimension.KIND, key) for key in OpinionKind.values},
        "by_channel": {key: figures.get(Dimension.CHANNEL, key) for key in Channel.values},
    }


@section("solicitation")
def solicitation_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    return {
        "forums": figures.get(Dimension.SOLICITATION, FORUMS),
        "forms_issued": figures.get(Dimension.SOLICITATION, FORMS_ISSUED),
        "suggestion_boxes": figures.get(Dimension.SOLICITATION, SUGGESTION_BOXES),
    }


@section("feedback")
def feedback_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    return {
        "lists_released": figures.get(Dimension.FEEDBACK, LISTS_RELEASED),
        "lists_signed": figures.get(Dimension.FEEDBACK, LISTS_SIGNED),
    }


@section("documents")
def documents_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Members (each writes one document), documents submitted, approved and returned
    at least once, from the county's ledger rows; the two minimum lengths in force."""
    return {
        "members_total": figures.get(Dimension.DOCUMENTS, DOC_MEMBERS),
        "submitted": figures.get(Dimension.DOCUMENTS, DOC_SUBMITTED),
        "approved": figures.get(Dimension.DOCUMENTS, DOC_APPROVED),
        "returned_at_least_once": figures.get(Dimension.DOCUMENTS, DOC_RETURNED_ONCE),
        "leaders_min_words": campaign.doc_min_words_leader,
        "members_min_words": campaign.doc_min_words_member,
    }


@section("talks")
def talks_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Cards recorded (a talk of two members is one card), members at or above their
    quota, required pairs and those done, cards the supervisory teams found adequate."""
    return {
        key: figures.get(Dimension.TALKS, ledger_key)
        for key, ledger_key in (
            ("total", CARDS),
            ("members_meeting_quota", MEMBERS_MEETING_QUOTA),
            ("members_total", MEMBERS_TOTAL),
            ("required_pairs", REQUIRED_PAIRS),
            ("required_pairs_done", REQUIRED_PAIRS_DONE),
            ("cards_reviewed", CARDS_REVIEWED),
        )
    }
