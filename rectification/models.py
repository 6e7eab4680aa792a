"""Problems to rectify (整改问题) and the practical results for the people (为民办实事).

A problem is one thing found that must be put right. Other stages find them (the
meetings' criticisms, a self-analysis document's problems, a look-back item not met)
and create them through ``rectification.services.problem_record`` only, keeping the
problem's id on their own record, so nothing here knows them; the office makes one of
many opinions (``ProblemOpinion``: an opinion is in at most one problem), or by hand.

A problem moves through one table (``rectification.services.TRANSITIONS``): open → in
progress → solved (with evidence) | handed over to another department, which accepts
it (it becomes that department's problem; the chain of ``Handover`` rows is kept) or
sends it back with a reason. ``overdue`` is set by the daily beat task.

A practical result is one record of help given by a unit (or one of its working
teams): visits, funds by purpose in exact yuan, households helped to plant or breed,
practical things done; each dispute it investigated is a ``Dispute`` row of its own,
with its outcome.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit

PROBLEM_TEXT_MAX_CHARS = 4_000
TITLE_MAX_CHARS = 200
NAME_MAX_CHARS = 100
REASON_MAX_CHARS = 1_000
# Evidence of a solution: a few files, each at most this large, of the kinds an office scans or writes.
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_MAX_FILES = 10
# Amounts of yuan: up to a thousand million, to the fen.
YUAN_DIGITS = 14
ZERO_YUAN = Decimal("0.00")


class ProblemSource(models.TextChoices):
    """Where a problem was found: the stage's record kind that named it."""

    MEETING_CRITICISM = "meeting_criticism", _("Criticism at a meeting")
    MEETING_SELF_CRITICISM = "meeting_self_criticism", _("Self-criticism at a meeting")
    OPINIONS = "opinions", _("Opinions of members and the public")
    DOCUMENT = "document", _("Self-analysis document")
    # A look-back item (回头看) judged not met; source_id is the item judgement's id.
    LOOKBACK_ITEM = "lookback_item", _("Look-back item not met")
    MANUAL = "manual", _("Entered by hand")


# Sources whose record names the problem: created once per record (and aspect).
RECORD_SOURCES = frozenset(
    {
        ProblemSource.MEETING_CRITICISM,
        ProblemSource.MEETING_SELF_CRITICISM,
        ProblemSource.DOCUMENT,
        ProblemSource.LOOKBACK_ITEM,
    }
)


class ProblemCategory(models.TextChoices):
    """The seed's order of work: outstanding ones first, hot ones quickly, difficult
    ones together, deep ones through reform."""

    OUTSTANDING = "outstanding", _("Outstanding problem (first)")
    HOT = "hot", _("Hot problem (quickly)")
    DIFFICULT = "difficult", _("Difficult problem (together)")
    DEEP = "deep", _("Deep-rooted problem (through reform)")


class ProblemState(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem state", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDED_OVER = "handed_over", _("Handed over, awaiting acceptance")
    SOLVED = "solved", _("Solved")


UNSOLVED_STATES = (ProblemState.OPEN, ProblemState.IN_PROGRESS, ProblemState.HANDED_OVER)


class Problem(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="problems", verbose_name=_("campaign")
    )
    # Whose problem it is: a member, or a leadership team as a whole; filed under a unit.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="problems", verbose_name=_("member")
    )
    team = models.ForeignKey(
        LeadershipTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("leadership team"),
    )
    # The owner: the unit that must put it right (the receiving department once a
    # handover is accepted), and its responsible person.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="problems", verbose_name=_("organisation"))
    responsible = models.CharField(_("responsible person"), max_length=NAME_MAX_CHARS, blank=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX_CHARS, blank=True)
    text = models.TextField(_("problem"), max_length=PROBLEM_TEXT_MAX_CHARS)
    aspect = models.CharField(_("aspect"), max_length=20, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=ProblemCategory.choices, default=ProblemCategory.OUTSTANDING
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    measures = models.TextField(_("measures"), max_length=PROBLEM_TEXT_MAX_CHARS, blank=True)
    # What the unit publishes when it is solved: the public receipt shows it.
    public_measure = models.TextField(_("published measure"), max_length=PROBLEM_TEXT_MAX_CHARS, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ProblemState.choices, default=ProblemState.OPEN)
    # While handed over: the department asked to accept it (in its reach until it answers).
    handover_to = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems_offered",
        verbose_name=_("handed over to"),
    )
    solved_on = models.DateField(_("solved on"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    # The record that named it, in the finder's words: a kind and the record's id. Not a
    # foreign key, so that this app imports no stage that finds problems. None for the
    # problems made of opinions (``ProblemOpinion``) and by hand.
    source = models.CharField(_("found in"), max_length=40, choices=ProblemSource.choices)
    source_id = models.PositiveBigIntegerField(_("source record"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["campaign", "pk"]
        constraints = [
            # A record names a problem once (per aspect, for a document's sections):
            # marking it twice cannot make two.
            models.UniqueConstraint(
                fields=["source", "source_id", "aspect"],
                condition=Q(source_id__isnull=False),
                name="problem_once_per_source_record",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(team__isnull=True), name="problem_member_or_team"
            ),
            models.CheckConstraint(
                condition=Q(state="handed_over", handover_to__isnull=False)
                | (~Q(state="handed_over") & Q(handover_to__isnull=True)),
                name="problem_handover_to_while_handed_over",
            ),
            models.CheckConstraint(
                condition=Q(state="solved", solved_on__isnull=False) | (~Q(state="solved") & Q(solved_on__isnull=True)),
                name="problem_solved_on_when_solved",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "unit"], name="problem_campaign_unit"),
            models.Index(fields=["campaign", "state"], name="problem_campaign_state"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:40]

    @property
    def heading(self) -> str:
        return self.title or (self.text if len(self.text) <= 40 else self.text[:40] + "…")


class ProblemOpinion(models.Model):
    """An opinion behind a problem: one problem per opinion, many opinions per problem
    (their count shows how concentrated the problem is)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="opinion_links")
    # An opinion deleted takes its link with it.
    opinion = models.OneToOneField(
        "opinions.Opinion", on_delete=models.CASCADE, related_name="problem_link", verbose_name=_("opinion")
    )
    # Where the opinion stood before it went into the problem: it goes back there if
    # the problem is deleted.
    status_before = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("opinion behind a problem")
        verbose_name_plural = _("opinions behind problems")
        ordering = ["problem", "pk"]

    def __str__(self) -> str:
        return f"{self.problem_id}:{self.opinion_id}"


class HandoverState(models.TextChoices):
    PENDING = "pending", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Sent back")


class Handover(models.Model):
    """One link of a problem's chain: handed from a unit to a receiving department,
    which accepted it or sent it back with a reason."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="handovers")
    from_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("from"))
    to_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    reason = models.TextField(_("why it is handed over"), max_length=REASON_MAX_CHARS)
    state = models.CharField(_("state"), max_length=20, choices=HandoverState.choices, default=HandoverState.PENDING)
    answer = models.TextField(_("reason for sending it back"), max_length=REASON_MAX_CHARS, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handed_on = models.DateField(_("handed over on"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_on = models.DateField(_("answered on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["problem", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_unit=models.F("to_unit")), name="handover_to_another_unit"),
            # One handover awaits an answer at a time.
            models.UniqueConstraint(
                fields=["problem"], condition=Q(state="pending"), name="handover_one_pending_per_problem"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_unit_id} → {self.to_unit_id}"


class Evidence(models.Model):
    """A file that shows a problem solved (a scanned notice, a photo, a report),
    checked for its kind and size on upload and kept in the database."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_on = models.DateField(_("uploaded on"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["problem", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=EVIDENCE_MAX_BYTES), name="evidence_size_limit"),
        ]

    def __str__(self) -> str:
        return self.name


def _yuan(label: Any) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=YUAN_DIGITS,
        decimal_places=2,
        default=ZERO_YUAN,
        validators=[MinValueValidator(ZERO_YUAN)],
    )


class PracticalResult(models.Model):
    """One record of practical things done for the people (为民办实事) by a unit or one
    of its working teams."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="practical_results", verbose_name=_("campaign")
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="practical_results", verbose_name=_("organisation")
    )
    working_team = models.CharField(_("working team"), max_length=NAME_MAX_CHARS, blank=True)
    done_on = models.DateField(_("date"))
    households_visited = models.PositiveIntegerField(_("households visited"), default=0)
    person_times = models.PositiveIntegerField(_("person-times"), default=0)
    practical_things = models.PositiveIntegerField(_("practical things done"), default=0)
    donations_yuan = _yuan(_("donations (yuan)"))
    spring_farming_yuan = _yuan(_("spring-farming funds (yuan)"))
    structure_adjustment_yuan = _yuan(_("structure-adjustment funds (yuan)"))
    condolence_yuan = _yuan(_("condolence funds (yuan)"))
    households_planting = models.PositiveIntegerField(_("poor households helped to plant"), default=0)
    planted_mu = models.PositiveIntegerField(_("planted area (mu)"), default=0)
    crop = models.CharField(_("crop"), max_length=50, blank=True)
    households_livestock = models.PositiveIntegerField(_("poor households helped to breed"), default=0)
    livestock_head = models.PositiveIntegerField(_("head of livestock"), default=0)
    livestock_kind = models.CharField(_("kind of livestock"), max_length=50, blank=True)
    note = models.TextField(_("what was done"), max_length=PROBLEM_TEXT_MAX_CHARS, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("practical result")
        verbose_name_plural = _("practical results")
        ordering = ["-done_on", "-pk"]
        indexes = [models.Index(fields=["campaign", "unit"], name="result_campaign_unit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(donations_yuan__gte=0)
                & Q(spring_farming_yuan__gte=0)
                & Q(structure_adjustment_yuan__gte=0)
                & Q(condolence_yuan__gte=0),
                name="result_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.done_on:%Y-%m-%d}"


class DisputeOutcome(models.TextChoices):
    INVESTIGATED = "investigated", _("Investigated, not yet settled")
    SOLVED = "solved", _("Solved")
    HANDED_OVER = "handed_over", _("Handed over to the competent department")


class Dispute(models.Model):
    """One dispute (矛盾纠纷) a unit investigated, with its outcome."""

    result = models.ForeignKey(PracticalResult, on_delete=models.CASCADE, related_name="disputes")
    subject = models.CharField(_("dispute"), max_length=TITLE_MAX_CHARS)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=DisputeOutcome.choices, default=DisputeOutcome.INVESTIGATED
    )
    handed_to = models.CharField(_("handed over to"), max_length=NAME_MAX_CHARS, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["result", "pk"]

    def __str__(self) -> str:
        return self.subject
