"""The three-level ledger: derived counts, written only by the roll-ups in ``services``.

A ``LedgerRow`` is one figure: in one campaign, for one scope (the county, one ledger
unit, one member's list or one leadership team's list), along one dimension (ledger
category, kind, channel, aspect, status, feedback progress, solicitation), the count
for one key. Rows are recomputed from source and replaced, never incremented, so a
retried or duplicated roll-up cannot double a figure.

Levels and what a row of each counts:
- unit: opinions whose ``ledger_unit`` is that unit (the unit of its target), the
  feedback lists of that unit, the solicitation events it hosted. One scope,
  ``unit:none``, holds the opinions no target has been assigned to yet.
- member / team: opinions about that member or team, and his, her or its feedback
  list; the row carries the member's or team's unit, so a sub-ledger page finds them.
- county: the sum of every unit row (the general ledger).

Unit rows are per ledger unit, not per subtree: a page about a party committee sums
the rows of its subtree with one path-prefix query.

Beneath them, never shown, the opinions' ``LedgerCell`` rows: counts per ledger unit and
target, from which the opinions' unit, member and team rows are sums. A roll-up after a
change to a few opinions recomputes their targets' cells from source and re-sums only
the rows those cells feed (``reports.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from core.models import Job


class LedgerLevel(models.TextChoices):
    COUNTY = "county", _("General ledger (county)")
    UNIT = "unit", _("Sub-ledger (unit)")
    MEMBER = "member", _("Member's list")
    TEAM = "team", _("Leadership team's list")


class Dimension(models.TextChoices):
    TOTAL = "total", _("Total")
    CATEGORY = "category", _("Ledger category")
    KIND = "kind", _("Kind")
    CHANNEL = "channel", _("Channel")
    ASPECT = "aspect", _("Aspect")
    STATUS = "status", _("Status")
    FEEDBACK = "feedback", _("Feedback lists")
    SOLICITATION = "solicitation", _("Solicitation")
    TALKS = "talks", _("Talks")
    DOCUMENTS = "documents", _("Self-analysis documents")


# The dimensions of an opinion that every level counts, in the order pages show them.
OPINION_DIMENSIONS: tuple[str, ...] = (
    Dimension.CATEGORY,
    Dimension.KIND,
    Dimension.CHANNEL,
    Dimension.ASPECT,
    Dimension.STATUS,
)
TOTAL_KEY = "all"
UNASSIGNED_SCOPE = "unit:none"
COUNTY_SCOPE = "county"

# Keys of the feedback dimension. A signed list was released first, so "released"
# counts released and signed lists alike.
LISTS_TOTAL = "lists_total"
LISTS_RELEASED = "lists_released"
LISTS_SIGNED = "lists_signed"
FEEDBACK_KEYS: tuple[str, ...] = (LISTS_TOTAL, LISTS_RELEASED, LISTS_SIGNED)

# Keys of the solicitation dimension (unit level: the events a unit hosted).
EVENTS = "events"
FORUMS = "forums"
FORMS_ISSUED = "forms_issued"
FORMS_RETURNED = "forms_returned"
SUGGESTION_BOXES = "suggestion_boxes"
SOLICITATION_KEYS: tuple[str, ...] = (EVENTS, FORUMS, FORMS_ISSUED, FORMS_RETURNED, SUGGESTION_BOXES)


# Keys of the talks dimension (source "talks", reports/talk_sources.py).
# Unit rows (filed under the unit of the card's first person, or of the member):
CARDS = "cards"  # talk cards whose first person is in the unit (the county sums to all cards)
CARDS_REVIEWED = "cards_reviewed"  # marked adequate by the supervisory team
CARDS_AWAITING = "cards_awaiting"  # recorded or revised, awaiting a decision
CARDS_RETURNED = "cards_returned"  # returned, awaiting the recorder's revision
CARDS_FLAGGED = "cards_flagged"  # returned twice or more (flagged to the office)
# Unit and member rows (a member row is about that member, filed under his or her unit):
TALKS_HELD = "talks"  # talks a member took part in (a talk of two members counts for both)
TALKS_WITH_MEMBERS = "talks_members"
TALKS_WITH_PUBLIC = "talks_public"
TALKS_REQUIRED = "talks_required"  # the member's quota (unit: the sum of its members')
MEMBERS_TOTAL = "members_total"  # unit rows only
MEMBERS_MEETING_QUOTA = "members_meeting_quota"  # member rows: 1 when he or she meets it
# A required pair is filed under the unit of its member with the lower id (so the county
# counts it once); a member row counts the required pairs he or she is part of.
REQUIRED_PAIRS = "required_pairs"
REQUIRED_PAIRS_DONE = "required_pairs_done"
TALK_KEYS: tuple[str, ...] = (
    CARDS,
    CARDS_REVIEWED,
    CARDS_AWAITING,
    CARDS_RETURNED,
    CARDS_FLAGGED,
    TALKS_HELD,
    TALKS_WITH_MEMBERS,
    TALKS_WITH_PUBLIC,
    TALKS_REQUIRED,
    MEMBERS_TOTAL,
    MEMBERS_MEETING_QUOTA,
    REQUIRED_PAIRS,
    REQUIRED_PAIRS_DONE,
)

# Keys of the documents dimension (source "documents", reports/document_sources.py),
# unit rows filed under the author's unit.
DOC_MEMBERS = "members"  # members of the unit (each writes one document)
DOC_WRITTEN = "written"  # some text saved
DOC_SUBMITTED = "submitted"  # submitted at least once (any state but draft)
DOC_AWAITING = "awaiting"  # submitted or resubmitted, awaiting a decision
DOC_RETURNED = "returned"  # returned now, awaiting the author's revision
DOC_RETURNED_ONCE = "returned_at_least_once"
DOC_APPROVED = "approved"
DOC_REVIEWS = "reviews"  # decisions taken
DOC_REVIEW_SECONDS = "review_seconds"  # their waiting times summed (average = this / reviews)
DOCUMENT_KEYS: tuple[str, ...] = (
    DOC_MEMBERS,
    DOC_WRITTEN,
    DOC_SUBMITTED,
    DOC_AWAITING,
    DOC_RETURNED,
    DOC_RETURNED_ONCE,
    DOC_APPROVED,
    DOC_REVIEWS,
    DOC_REVIEW_SECONDS,
)


def unit_scope(unit_id: int | None) -> str:
    return UNASSIGNED_SCOPE if unit_id is None else f"unit:{unit_id}"


def cell_scope(unit_id: int | None, member_id: int | None, team_id: int | None) -> str:
    """The scope of a ``LedgerCell`` (the SQL of ``reports.sources`` spells the same)."""
    if member_id is not None:
        target = f"m{member_id}"
    elif team_id is not None:
        target = f"t{team_id}"
    else:
        target = "u"
    return f"cell:{'none' if unit_id is None else unit_id}:{target}"


def member_scope(member_id: int) -> str:
    return f"member:{member_id}"


def team_scope(team_id: int) -> str:
    return f"team:{team_id}"


class _Figure(models.Model):
    """What a ledger row and a cell share: one count, in one campaign, for one scope
    (a string that names it whole, so that the unique constraint behaves alike on
    SQLite and PostgreSQL: no NULLs in it), along one dimension, for one key."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    scope = models.CharField(_("scope"), max_length=40)
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("member")
    )
    team = models.ForeignKey(
        LeadershipTeam,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leadership team"),
    )
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)
    value = models.PositiveBigIntegerField(_("value"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.scope} · {self.dimension}={self.key}: {self.value}"


class LedgerRow(_Figure):
    # scope: "county", "unit:<id>", "unit:none", "member:<id>" or "team:<id>".
    level = models.CharField(_("level"), max_length=10, choices=LedgerLevel.choices)
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )

    class Meta:
        verbose_name = _("ledger figure")
        verbose_name_plural = _("ledger figures")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "scope", "dimension", "key"], name="ledger_row_unique_figure"),
            models.CheckConstraint(
                condition=(
                    Q(level="county", unit__isnull=True, member__isnull=True, team__isnull=True)
                    | Q(level="unit", member__isnull=True, team__isnull=True)
                    | Q(level="member", member__isnull=False, team__isnull=True)
                    | Q(level="team", team__isnull=False, member__isnull=True)
                ),
                name="ledger_row_level_matches_subject",
            ),
        ]
        indexes = [
            # The general ledger and the stage summary: one campaign's county rows; and
            # a county figure summed from its unit rows (one key of one dimension).
            models.Index(fields=["campaign", "level", "dimension", "key"], name="ledger_row_level_dim_key"),
            # Sub-ledgers and the summary by unit: a unit's rows of one level.
            models.Index(fields=["unit", "level", "dimension"], name="ledger_row_unit_level"),
        ]


class LedgerCell(_Figure):
    """The opinions' counts at the grain every opinion figure of the ledger sums from:
    per ledger unit and target (a member, a team, or none: a unit named as a whole, or
    no target yet), along each opinion dimension. Not shown anywhere; written, like the
    ledger rows, only by the roll-ups, and recounted by the reconciliation.

    They let a roll-up after a change to a few opinions recompute only the cells of
    those opinions' targets from source, then the unit, member and team rows concerned
    by summing cells (a unit's few hundred, not its thousands of opinions): see
    ``reports.services``. A full roll-up or one of whole units recomputes the cells of
    its units from source with everything else."""

    # scope: "cell:<ledger unit id or none>:<m<member id>, t<team id> or u>".
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ledger unit"),
        db_index=False,  # indexed with the figure (Meta.indexes)
    )

    class Meta:
        verbose_name = _("ledger cell")
        verbose_name_plural = _("ledger cells")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "scope", "dimension", "key"], name="ledger_cell_unique_figure"),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(team__isnull=True), name="ledger_cell_one_target"
            ),
        ]
        # A unit's cells of some figures are summed into its rows; a member's and a
        # team's are found by their foreign keys' own indexes.
        indexes = [models.Index(fields=["unit", "dimension", "key"], name="ledger_cell_unit_figure")]


class LedgerState(models.Model):
    """One row per campaign: the lock that serialises its roll-ups (zulip's fill
    state, in spirit) and when its ledger was last brought up to date."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="ledger_state", verbose_name=_("campaign")
    )
    rolled_up_at = models.DateTimeField(_("last roll-up"), null=True, blank=True)
    full_rollup_at = models.DateTimeField(_("last full roll-up"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("last reconciliation"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger state")
        verbose_name_plural = _("ledger states")

    def __str__(self) -> str:
        return str(self.campaign_id)


class LedgerDrift(models.Model):
    """A figure the nightly reconciliation found different from a direct recount."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    found_at = models.DateTimeField(_("found at"))
    scope = models.CharField(_("scope"), max_length=40)
    # The organisation the figure is filed under (a plain id: a log outlives its unit).
    unit_ref = models.BigIntegerField(_("organisation id"), null=True, blank=True)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)
    stored = models.BigIntegerField(_("stored"))
    recounted = models.BigIntegerField(_("recounted"))
    repaired = models.BooleanField(_("repaired"), default=False)

    class Meta:
        verbose_name = _("ledger drift")
        verbose_name_plural = _("ledger drifts")
        ordering = ["-found_at", "scope", "dimension", "key"]
        indexes = [models.Index(fields=["campaign", "found_at"], name="ledger_drift_found")]

    def __str__(self) -> str:
        return f"{self.scope} · {self.dimension}={self.key}: {self.stored} ≠ {self.recounted}"


class ExportJob(Job):
    """One Excel export written by a Celery task (``reports.tasks.run_export_job``): what
    was asked, how far the task has got, and the file it wrote, kept for the user who
    asked and seen by nobody else. The general ledger of opinions, the whole campaign's
    or an organisation's, reads every opinion: too long for a request."""

    class Kind(models.TextChoices):
        OPINION_LEDGER = "opinion_ledger", _("General ledger of opinions")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting to start")
        RUNNING = "running", _("Being exported")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("asked by")
    )
    kind = models.CharField(_("export"), max_length=30, choices=Kind.choices, default=Kind.OPINION_LEDGER)
    # Narrowed to this organisation's subtree; the whole of what the user sees if empty.
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    # The workbook speaks the language of the page it was asked from.
    language = models.CharField(_("language"), max_length=10)
    # ``path``: the storage name under MEDIA_ROOT/exports.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)

    RUNNING = (Status.WAITING, Status.RUNNING)
    TASK = "reports.run_export_job"

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_job_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="export_job_done_le_total")
        ]

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else super().percent
