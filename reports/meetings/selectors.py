"""Reads of the meetings' (and the democratic appraisal's) ledger rows for the meetings' ledger page and its export:
named accessors over the ledger's one read layer (``reports.ledger.figures``).

The figures come from the ledger (dimension "meetings", unit rows filed under the
meeting's organisation), never from a scan of the meetings: the page costs the same few
queries for ten meetings or a province.

Scoping: the caller has checked "meetings.progress"; the organisations listed are those
the user's scope reaches, and the county figures are the county's rows only for those
who see the campaign whole (otherwise the sum of the unit rows in reach).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from campaign.models import Campaign, OrgUnit
from campaign.scoping import AnyUser
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.meetings.appraisal import APP_BALLOTS, APP_MEMBERS_FLAGGED, APP_MEMBERS_RATED, APP_TEAMS_RATED
from reports.meetings.source import (
    MEET_ATTENDEES,
    MEET_CANCELLED,
    MEET_CRITICISMS,
    MEET_FOLLOWED_UP,
    MEET_HELD,
    MEET_OVERRIDDEN,
    MEET_PLANNED,
    MEET_PROBLEMS,
    MEET_READY,
    Dimension,
)

MEETINGS = Dimension.MEETINGS
APPRAISAL = Dimension.APPRAISAL


class MeetingFigures(Figures):
    """The meeting and appraisal figures of a unit, a party committee or the county."""

    DIMENSIONS = (MEETINGS, APPRAISAL)

    def meeting(self, key: str) -> int:
        return self.get(MEETINGS, key)

    @property
    def planned(self) -> int:
        return self.meeting(MEET_PLANNED)

    @property
    def ready(self) -> int:
        return self.meeting(MEET_READY)

    @property
    def held(self) -> int:
        return self.meeting(MEET_HELD)

    @property
    def followed_up(self) -> int:
        return self.meeting(MEET_FOLLOWED_UP)

    @property
    def cancelled(self) -> int:
        return self.meeting(MEET_CANCELLED)

    @property
    def held_with_override(self) -> int:
        return self.meeting(MEET_OVERRIDDEN)

    @property
    def attendees(self) -> int:
        return self.meeting(MEET_ATTENDEES)

    @property
    def criticisms(self) -> int:
        return self.meeting(MEET_CRITICISMS)

    @property
    def problems_found(self) -> int:
        return self.meeting(MEET_PROBLEMS)

    @property
    def ballots(self) -> int:
        return self.get(APPRAISAL, APP_BALLOTS)

    @property
    def members_rated(self) -> int:
        return self.get(APPRAISAL, APP_MEMBERS_RATED)

    @property
    def members_flagged(self) -> int:
        return self.get(APPRAISAL, APP_MEMBERS_FLAGGED)

    @property
    def teams_rated(self) -> int:
        return self.get(APPRAISAL, APP_TEAMS_RATED)

    @property
    def scheduled(self) -> int:
        """Every meeting not cancelled: planned, ready or held."""
        return self.planned + self.ready + self.held


def county_figures(user: AnyUser, campaign: Campaign) -> MeetingFigures:
    """The county's figures for those who see the campaign whole; otherwise the sum of
    the units in the user's reach."""
    return ledger.county(MeetingFigures, user, campaign)


@dataclass(frozen=True)
class Line:
    unit: OrgUnit
    figures: MeetingFigures


def committee_lines(user: AnyUser, campaign: Campaign) -> list[Line]:
    """Each party committee in reach with the figures of its whole subtree (two queries)."""
    return [Line(committee, figures) for committee, figures in ledger.by_committee(MeetingFigures, user, campaign)]


def unit_lines(campaign: Campaign, units: Iterable[OrgUnit], *, fold: bool) -> list[Line]:
    """A page of organisations, each with its own meetings and its branches' (``fold``),
    in one query."""
    return [Line(unit, figures) for unit, figures in ledger.by_owner(MeetingFigures, campaign, units, fold=fold)]


def units_total(campaign: Campaign, units: QuerySet[OrgUnit], *, fold: bool) -> MeetingFigures:
    """The foot of the page: every organisation that matches, not one page."""
    return ledger.owner_totals(MeetingFigures, campaign, units, fold=fold)
