"""The three-level ledger: derived counts, written only by the roll-ups (``reports.ledger``).

A ``LedgerRow`` is one figure: in one campaign, for one scope (the county, one ledger
unit, one member's list or one leadership team's list), along one dimension (declared
by a source: ledger category, kind, channel, aspect, status, feedback progress,
solicitation, talks, documents…), the count for one key. Rows are recomputed from
source and replaced, never incremented, so a retried or duplicated roll-up cannot
double a figure.

Levels and what a row of each counts (each source's figures: docs/ledger.md):
- unit: what is filed under that unit — e.g. opinions whose ``ledger_unit`` is that
  unit, the feedback lists of that unit, the solicitation events it hosted. One scope,
  ``unit:none``, holds the opinions no target has been assigned to yet.
- member / team: what is about that member or team (opinions, his, her or its feedback
  list, talks); the row carries the member's or team's unit, so a sub-ledger page
  finds them.
- county: the sum of every unit row (the general ledger).

Unit rows are per ledger unit, not per subtree: a page about a party committee sums
the rows of its subtree with one path-prefix query.

Beneath them, never shown, the opinions' ``LedgerCell`` rows: counts per ledger unit and
target, from which the opinions' unit, member and team rows are sums. A roll-up after a
change to a few opinions recomputes their targets' cells from source and re-sums only
the rows those cells feed (``reports.ledger.targets``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Stage
from core.models import Job
from reports.ledger.registry import dimension_label


class LedgerLevel(models.TextChoices):
    COUNTY = "county", _("General ledger (county)")
    UNIT = "unit", _("Sub-ledger (unit)")
    MEMBER = "member", _("Member's list")
    TEAM = "team", _("Leadership team's list")


TOTAL_KEY = "all"
UNASSIGNED_SCOPE = "unit:none"
COUNTY_SCOPE = "county"


def unit_scope(unit_id: int | None) -> str:
    return UNASSIGNED_SCOPE if unit_id is None else f"unit:{unit_id}"


def cell_scope(unit_id: int | None, member_id: int | None, team_id: int | None) -> str:
    """The scope of a ``LedgerCell`` (``reports.ledger.sql.cell_scope_sql`` spells the same)."""
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
    # Declared by the sources (``reports.ledger.registry``), stored as plain text: a new
    # source brings its dimensions without a migration. ``get_dimension_display`` reads
    # their labels from the registry.
    dimension = models.CharField(_("dimension"), max_length=20)
    key = models.CharField(_("key"), max_length=40, blank=True)
    value = models.PositiveBigIntegerField(_("value"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.scope} · {self.dimension}={self.key}: {self.value}"

    def get_dimension_display(self) -> str:
        return dimension_label(self.dimension)


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
    ``reports.ledger.targets``. A full roll-up or one of whole units recomputes the cells of
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
    dimension = models.CharField(_("dimension"), max_length=20)  # as in ledger rows
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

    def get_dimension_display(self) -> str:
        return dimension_label(self.dimension)


class ExportJob(Job):
    """One Excel export written by a Celery task (``reports.tasks.run_export_job``): what
    was asked, how far the task has got, and the file it wrote, kept for the user who
    asked and seen by nobody else. The general ledger of opinions, the whole campaign's
    or an organisation's, reads every opinion: too long for a request."""

    class Kind(models.TextChoices):
        OPINION_LEDGER = "opinion_ledger", _("General ledger of opinions")
        STAGE_REPORT = "stage_report", _("Stage summary report (Word)")
        STAGE_LEDGERS = "stage_ledgers", _("Ledgers of the stage (Excel)")

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
    # The stage of a stage summary report (``STAGE_REPORT``, ``STAGE_LEDGERS``).
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("stage")
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


class StageReport(models.Model):
    """The stage summary report's words (阶段工作总结): its title and the narrative the office
    writes before and after the figures of each section, per campaign and stage, with its
    history. The figures are never stored here: they are read from the ledgers each time
    the report is shown or written (``reports.summary_report``)."""

    MAX_NARRATIVE = 4000

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+", verbose_name=_("stage"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    # {section name: {"before": text, "after": text}}, each text at most MAX_NARRATIVE
    # characters (``reports.summary_report.services.stage_report_save`` checks).
    narratives = models.JSONField(_("narratives"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stage summary report")
        verbose_name_plural = _("stage summary reports")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "stage"], name="stage_report_once_per_stage"),
        ]

    def __str__(self) -> str:
        return self.title or str(self.stage)

    def narrative(self, section: str, where: str) -> str:
        return str((self.narratives or {}).get(section, {}).get(where, ""))
