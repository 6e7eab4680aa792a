"""Democratic appraisal (民主评议, DESIGN §3 "Meetings"): what is stored, and what never is.

A branch's members rate each other (excellent / qualified / basically qualified /
unqualified) and the leadership team of their unit (satisfied / basically satisfied /
dissatisfied); the public rates any team of the campaign. Two ways in:

- online, in the branch's voting window (``AppraisalWindow``). A ballot (``Ballot``, and
  its marks, which are not even linked to it) names no voter. Who has voted is recorded
  apart (``VoterRecord``), so that no one votes twice; nothing joins the two. Every
  ballot row has a random key (uuid4,
  never a sequence), no time finer than its day, no history, no outbox row, no log
  line. When the window closes its ballots are written again in shuffled order with
  fresh keys, so that not even the database's own placement of rows (PostgreSQL's ctid
  and xmin, SQLite's rowid) can set them in the order the voters came in.
- on paper: the tellers count the ballots and one of them enters the count per member
  and per team (``PaperSheet``); it counts once a second, different teller confirms it.

Results are shown only after the window closes, and never for fewer than k ballots
(``AppraisalSettings.min_ballots``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit

__all__ = [
    "K_FLOOR",
    "AppraisalSettings",
    "AppraisalWindow",
    "Ballot",
    "MemberMark",
    "MemberRating",
    "PaperMemberCount",
    "PaperSheet",
    "PaperTeamCount",
    "SheetState",
    "TeamMark",
    "TeamRating",
    "VoterRecord",
    "WindowState",
]

# The fewest ballots a result is ever shown for: fewer would let a voter's neighbours
# work out his or her marks. The office may ask for more, never for less.
K_FLOOR = 3


class MemberRating(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    QUALIFIED = "qualified", _("Qualified")
    BASIC = "basic", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


class TeamRating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class AppraisalSettings(models.Model):
    """The campaign's appraisal rules; defaults where the office set none.

    Shares are fractions (numerator / denominator) so that the seed's "one third" is
    exact: a member is flagged when unqualified marks reach ``unqualified_share`` of his
    or her valid ballots, or when excellent + qualified fall below ``approval_share``."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="appraisal_settings", verbose_name=_("campaign")
    )
    unqualified_numerator = models.PositiveSmallIntegerField(_("unqualified share: numerator"), default=1)
    unqualified_denominator = models.PositiveSmallIntegerField(
        _("unqualified share: denominator"), default=3, validators=[MinValueValidator(1)]
    )
    approval_numerator = models.PositiveSmallIntegerField(_("excellent + qualified share: numerator"), default=1)
    approval_denominator = models.PositiveSmallIntegerField(
        _("excellent + qualified share: denominator"), default=2, validators=[MinValueValidator(1)]
    )
    min_ballots = models.PositiveSmallIntegerField(
        _("fewest ballots for a result (k)"),
        default=K_FLOOR,
        validators=[MinValueValidator(K_FLOOR), MaxValueValidator(1000)],
    )
    public_opens_on = models.DateField(_("public rating opens on"), null=True, blank=True)
    public_closes_on = models.DateField(_("public rating closes on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal settings")
        verbose_name_plural = _("appraisal settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(unqualified_denominator__gte=1, unqualified_numerator__lte=F("unqualified_denominator")),
                name="appraisal_unqualified_share_fraction",
            ),
            models.CheckConstraint(
                condition=Q(approval_denominator__gte=1, approval_numerator__lte=F("approval_denominator")),
                name="appraisal_approval_share_fraction",
            ),
            models.CheckConstraint(condition=Q(min_ballots__gte=K_FLOOR), name="appraisal_k_at_least_floor"),
            models.CheckConstraint(
                condition=Q(public_opens_on__isnull=True)
                | Q(public_closes_on__isnull=True)
                | Q(public_closes_on__gte=F("public_opens_on")),
                name="appraisal_public_closes_after_open",
            ),
        ]

    def __str__(self) -> str:
        return str(self.campaign)


class WindowState(models.TextChoices):
    OPEN = "open", _("Open for voting")
    CLOSED = "closed", pgettext_lazy("voting", "Closed")


class AppraisalWindow(models.Model):
    """A branch's voting window: opened and closed by a secretary of the branch (or the
    office). One per branch and campaign; once closed it stays closed, since its results
    may have been read."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    branch = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="appraisal_windows", verbose_name=_("branch")
    )
    state = models.CharField(_("state"), max_length=20, choices=WindowState.choices, default=WindowState.OPEN)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appraisal window")
        verbose_name_plural = _("appraisal windows")
        ordering = ["branch__path"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "branch"], name="appraisal_window_once_per_branch"),
            models.CheckConstraint(
                condition=Q(state="open", closed_on__isnull=True) | Q(state="closed", closed_on__isnull=False),
                name="appraisal_window_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return str(self.branch)

    @property
    def is_open(self) -> bool:
        return self.state == WindowState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state == WindowState.CLOSED


class VoterRecord(models.Model):
    """That a member has voted in a window: nothing else. No ballot, no time, no date;
    a random key, so that neither the key nor anything in the row orders the voters."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    window = models.ForeignKey(AppraisalWindow, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("record of voting")
        verbose_name_plural = _("records of voting")
        constraints = [
            models.UniqueConstraint(fields=["window", "member"], name="appraisal_one_vote_per_member"),
        ]

    def __str__(self) -> str:
        return str(self.member)


class Ballot(models.Model):
    """That one online ballot was cast in a window on a day: a random key, the window,
    the day. No voter, no time, and no link from its marks (see ``MemberMark``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    window = models.ForeignKey(AppraisalWindow, on_delete=models.CASCADE, related_name="+")
    cast_on = models.DateField(_("cast on"))

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return str(self.cast_on)


class MemberMark(models.Model):
    """One rating of one member on some ballot of the window (a member left blank is not
    marked). Deliberately not linked to its ballot: the marks of one ballot, kept
    together, would say whom it left out — and a voter never rates himself or herself,
    so the one member missing from a ballot's marks would name its voter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    window = models.ForeignKey(AppraisalWindow, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    rating = models.CharField(_("rating"), max_length=20, choices=MemberRating.choices)

    class Meta:
        verbose_name = _("rating of a member")
        verbose_name_plural = _("ratings of members")
        indexes = [models.Index(fields=["member", "rating"], name="appraisal_mark_member")]

    def __str__(self) -> str:
        return self.rating


class TeamMark(models.Model):
    """One rating of a leadership team's satisfaction: on some member's ballot of the
    window (not linked to the ballot either, and with no day), or from the public (no
    window; the campaign and the day only)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(AppraisalWindow, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    team = models.ForeignKey(LeadershipTeam, on_delete=models.CASCADE, related_name="+")
    rating = models.CharField(_("rating"), max_length=20, choices=TeamRating.choices)
    # The public's ratings only: a member's mark carries no day, which with the days on
    # which members signed in would narrow down whose it is.
    cast_on = models.DateField(_("cast on"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating of a team")
        verbose_name_plural = _("ratings of teams")
        indexes = [models.Index(fields=["team", "rating"], name="appraisal_mark_team")]
        constraints = [
            models.CheckConstraint(
                condition=Q(window__isnull=True, cast_on__isnull=False) | Q(window__isnull=False, cast_on__isnull=True),
                name="appraisal_team_mark_day_public_only",
            ),
        ]

    def __str__(self) -> str:
        return self.rating

    @property
    def is_public(self) -> bool:
        return self.window_id is None


class SheetState(models.TextChoices):
    ENTERED = "entered", _("Entered, awaiting a second teller")
    CONFIRMED = "confirmed", _("Confirmed")


class PaperSheet(models.Model):
    """The tellers' count of a branch's paper ballots: how many members were present,
    and per member and per team the marks counted. It counts in the results once a
    teller other than the one who entered it confirms it."""

    window = models.OneToOneField(
        AppraisalWindow, on_delete=models.CASCADE, related_name="paper_sheet", verbose_name=_("window")
    )
    present = models.PositiveIntegerField(_("members present"))
    state = models.CharField(_("state"), max_length=20, choices=SheetState.choices, default=SheetState.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("paper tally")
        verbose_name_plural = _("paper tallies")
        constraints = [
            models.CheckConstraint(
                condition=Q(state="entered", confirmed_by__isnull=True)
                | Q(state="confirmed", confirmed_by__isnull=False),
                name="appraisal_sheet_confirmed_has_teller",
            ),
            models.CheckConstraint(condition=~Q(confirmed_by=F("entered_by")), name="appraisal_sheet_two_tellers"),
        ]

    def __str__(self) -> str:
        return str(self.window)

    @property
    def is_confirmed(self) -> bool:
        return self.state == SheetState.CONFIRMED


class PaperMemberCount(models.Model):
    sheet = models.ForeignKey(PaperSheet, on_delete=models.CASCADE, related_name="member_counts")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    excellent = models.PositiveIntegerField(_("excellent"), default=0)
    qualified = models.PositiveIntegerField(_("qualified"), default=0)
    basic = models.PositiveIntegerField(_("basically qualified"), default=0)
    unqualified = models.PositiveIntegerField(_("unqualified"), default=0)

    # No history of their own: a sheet is written whole, and its history (who entered,
    # who confirmed) covers the counts, which cannot change once confirmed.

    class Meta:
        verbose_name = _("paper count of a member")
        verbose_name_plural = _("paper counts of members")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "member"], name="appraisal_paper_member_once"),
        ]

    def __str__(self) -> str:
        return str(self.member)


class PaperTeamCount(models.Model):
    sheet = models.ForeignKey(PaperSheet, on_delete=models.CASCADE, related_name="team_counts")
    team = models.ForeignKey(LeadershipTeam, on_delete=models.CASCADE, related_name="+")
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basic = models.PositiveIntegerField(_("basically satisfied"), default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0)

    class Meta:
        verbose_name = _("paper count of a team")
        verbose_name_plural = _("paper counts of teams")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "team"], name="appraisal_paper_team_once"),
        ]

    def __str__(self) -> str:
        return str(self.team)
