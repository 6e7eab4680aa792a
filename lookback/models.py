"""The look-back (回头看) of DESIGN §3 "Look-back and rectification".

Three parts:

- **Training of branch secretaries (培训支部书记).** Each branch has one current
  secretary (``BranchSecretary`` with no ``until``); party committees hold training
  sessions (``TrainingSession``) and record each secretary's attendance
  (``Attendance``: present, absent, made up later). A branch counts as trained when its
  *current* secretary attended or made the session up: a secretary who changes
  mid-campaign leaves the branch untrained until the new one is trained.
- **The check (``LookbackCheck``) of a unit against the six look-and-see items (六看).**
  One check per unit; each item (``CheckItem``) holds the unit's self-check and the
  supervisory team's verdict side by side (both kept), notes, and evidence files
  (``CheckEvidence``). The verdict is final; where it says "met" against the figures'
  proposal, it carries the judge's reason.
- **Remedial orders (``RemedialOrder``, 整改/补课).** An order to a unit that fell short:
  the items, the work to redo, a deadline; the unit reports its redo, the supervisory
  team closes the order (re-running the unit's check for those items) or returns it.
  A daily task flags the orders past their deadline (``overdue_since``).

Every write goes through ``lookback.services``; the figures through the ledger source
``reports/lookback/``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, Member, OrgUnit

TEXT_MAX_CHARS = 4_000
SHORT_MAX_CHARS = 200
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_PER_ITEM_MAX = 10


class Item(models.IntegerChoices):
    """The six look-and-see items (六看), in the seed's order."""

    AWARENESS = 1, _("Awareness and responsibility")
    STANDARDS = 2, _("Standards kept, not going through the motions")
    PRINCIPLES = 3, _("Principles and policy followed")
    PROGRESS = 4, _("Work advanced")
    LEADERSHIP = 5, _("Leadership and guidance")
    SATISFACTION = 6, _("Satisfaction of members and the public")


class LookbackSettings(models.Model):
    """The campaign's settings of the look-back: the training deadline and the
    thresholds below which the check proposes "not met" (DESIGN §3; the office may
    change each). Percentages are whole numbers 0–100."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="lookback_settings", verbose_name=_("campaign")
    )
    training_deadline = models.DateField(
        _("branch secretaries trained by"),
        null=True,
        blank=True,
        help_text=_("Every branch secretary of the batch is trained on or before this day."),
    )
    min_talk_quota_pct = models.PositiveSmallIntegerField(
        _("members meeting their talk quota, at least (%)"), default=90, validators=[MaxValueValidator(100)]
    )
    min_pairs_pct = models.PositiveSmallIntegerField(
        _("required pairs talked, at least (%)"), default=90, validators=[MaxValueValidator(100)]
    )
    min_opinions_per_member = models.DecimalField(
        _("opinions sought per member, at least"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("999"))],
    )
    min_documents_pct = models.PositiveSmallIntegerField(
        _("self-analysis documents approved, at least (%)"), default=90, validators=[MaxValueValidator(100)]
    )
    max_overrides = models.PositiveSmallIntegerField(
        _("meetings held on the office's override, at most"), default=0, validators=[MaxValueValidator(1000)]
    )
    min_released_pct = models.PositiveSmallIntegerField(
        _("feedback lists released, at least (%)"), default=90, validators=[MaxValueValidator(100)]
    )
    min_trained_pct = models.PositiveSmallIntegerField(
        _("branch secretaries trained, at least (%)"), default=100, validators=[MaxValueValidator(100)]
    )
    min_signed_pct = models.PositiveSmallIntegerField(
        _("feedback lists signed, at least (%)"), default=90, validators=[MaxValueValidator(100)]
    )
    max_flagged_pct = models.PositiveSmallIntegerField(
        _("members flagged by the appraisal, at most (%)"), default=10, validators=[MaxValueValidator(100)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("look-back settings")
        verbose_name_plural = _("look-back settings")

    def __str__(self) -> str:
        return str(_("Look-back settings of %(campaign)s") % {"campaign": self.campaign})


# --- Training --------------------------------------------------------------------


class BranchSecretary(models.Model):
    """Who is (or was) a branch's secretary. The current one has no ``until``."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    branch = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="branch_secretaries", verbose_name=_("branch")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="branch_secretary_terms", verbose_name=_("secretary")
    )
    since = models.DateField(_("secretary since"))
    until = models.DateField(_("secretary until"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("branch secretary")
        verbose_name_plural = _("branch secretaries")
        ordering = ["branch__path", "-since", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch"], condition=Q(until__isnull=True), name="one_current_secretary_per_branch"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="secretary_until_after_since"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "member"], name="branch_secretary_member")]

    def __str__(self) -> str:
        return f"{self.branch} · {self.member}"

    @property
    def is_current(self) -> bool:
        return self.until is None


class TrainingContent(models.TextChoices):
    PROCEDURE = "procedure", _("Procedure")
    POLICY = "policy", _("Policy")
    QA = "qa", _("Questions and answers")


class TrainingSession(models.Model):
    """A training session of branch secretaries held by a party committee."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="training_sessions", verbose_name=_("campaign")
    )
    committee = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="training_sessions", verbose_name=_("organising committee")
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=SHORT_MAX_CHARS)
    trainer = models.CharField(_("trainer"), max_length=100)
    covers_procedure = models.BooleanField(_("procedure"), default=True)
    covers_policy = models.BooleanField(_("policy"), default=True)
    covers_qa = models.BooleanField(_("questions and answers"), default=True)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_CHARS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["held_on", "pk"]
        indexes = [models.Index(fields=["campaign", "committee"], name="training_campaign_committee")]

    def __str__(self) -> str:
        return str(
            _("Training of %(committee)s on %(day)s")
            % {"committee": self.committee, "day": self.held_on.isoformat() if self.held_on else ""}
        )

    @property
    def contents(self) -> list[str]:
        flags = (
            (self.covers_procedure, TrainingContent.PROCEDURE),
            (self.covers_policy, TrainingContent.POLICY),
            (self.covers_qa, TrainingContent.QA),
        )
        return [str(content.label) for covered, content in flags if covered]


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    MADE_UP = "made_up", _("Made up later")


TRAINED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.MADE_UP)


class Attendance(models.Model):
    """A secretary's attendance at a session; a "made up" one says when."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("session")
    )
    secretary = models.ForeignKey(
        BranchSecretary, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("secretary")
    )
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus.choices)
    made_up_on = models.DateField(_("made up on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "secretary__branch__path"]
        constraints = [
            models.UniqueConstraint(fields=["session", "secretary"], name="attendance_once_per_session"),
            models.CheckConstraint(
                condition=Q(status="made_up", made_up_on__isnull=False) | (~Q(status="made_up") & Q(made_up_on=None)),
                name="attendance_made_up_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.secretary} · {self.get_status_display()}"

    @property
    def trained_on(self):  # -> datetime.date | None
        if self.status == AttendanceStatus.PRESENT:
            return self.session.held_on
        if self.status == AttendanceStatus.MADE_UP:
            return self.made_up_on
        return None


# --- The check -------------------------------------------------------------------


class CheckState(models.TextChoices):
    SELF_CHECKED = "self_checked", _("Self-checked, awaiting the verdict")
    JUDGED = "judged", _("Verdict given")


class LookbackCheck(models.Model):
    """A unit's look-back check: its self-check first, then the supervisory team's
    verdict, which is final. The items hold both."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="lookback_checks", verbose_name=_("campaign")
    )
    unit = models.OneToOneField(
        OrgUnit, on_delete=models.PROTECT, related_name="lookback_check", verbose_name=_("unit")
    )
    state = models.CharField(_("state"), max_length=20, choices=CheckState.choices, default=CheckState.SELF_CHECKED)
    self_checked_on = models.DateField(_("self-checked on"))
    self_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    judged_on = models.DateField(_("verdict given on"), null=True, blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("look-back check")
        verbose_name_plural = _("look-back checks")
        ordering = ["unit__path"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="judged") | Q(judged_on__isnull=False), name="lookback_judged_has_date"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="lookback_campaign_state")]

    def __str__(self) -> str:
        return str(_("Look-back check of %(unit)s") % {"unit": self.unit})

    @property
    def is_judged(self) -> bool:
        return self.state == CheckState.JUDGED


class CheckItem(models.Model):
    """One of the six items of a check: the self-check and the verdict side by side."""

    check_record = models.ForeignKey(
        LookbackCheck, on_delete=models.CASCADE, related_name="items", verbose_name=_("check")
    )
    item = models.PositiveSmallIntegerField(_("item"), choices=Item.choices)
    self_met = models.BooleanField(_("met (self-check)"))
    self_notes = models.TextField(_("notes (self-check)"), blank=True, max_length=TEXT_MAX_CHARS)
    verdict_met = models.BooleanField(_("met (verdict)"), null=True, blank=True)
    verdict_notes = models.TextField(_("notes (verdict)"), blank=True, max_length=TEXT_MAX_CHARS)
    # The figures proposed "not met" when the verdict was given, and the judge said met:
    # why. Blank when the verdict followed the proposal.
    proposed_short = models.BooleanField(_("figures proposed not met"), default=False)
    overrule_reason = models.TextField(_("reason for overruling the figures"), blank=True, max_length=TEXT_MAX_CHARS)
    # Set when a closed order re-ran the check for this item.
    rechecked_on = models.DateField(_("re-checked on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("look-back item")
        verbose_name_plural = _("look-back items")
        ordering = ["check_record", "item"]
        constraints = [
            models.UniqueConstraint(fields=["check_record", "item"], name="lookback_item_once_per_check"),
            models.CheckConstraint(condition=Q(item__gte=1, item__lte=6), name="lookback_item_one_to_six"),
        ]

    def __str__(self) -> str:
        return str(self.get_item_display())


class EvidenceSide(models.TextChoices):
    SELF = "self", _("Self-check")
    VERDICT = "verdict", _("Verdict")
    REDO = "redo", _("Redo reported")


class CheckEvidence(models.Model):
    """A file in support of an item (or of an order's redo), stored in the database:
    its name as given (cleaned), a type found from its content, never the client's."""

    check_record = models.ForeignKey(
        LookbackCheck, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("check")
    )
    item = models.PositiveSmallIntegerField(_("item"), choices=Item.choices, null=True, blank=True)
    order = models.ForeignKey(
        "RemedialOrder",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("remedial order"),
    )
    side = models.CharField(_("for"), max_length=10, choices=EvidenceSide.choices)
    name = models.CharField(_("file name"), max_length=SHORT_MAX_CHARS)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["check_record", "item", "pk"]

    def __str__(self) -> str:
        return self.name


# --- Remedial orders ------------------------------------------------------------------


class OrderState(models.TextChoices):
    OPEN = "open", pgettext_lazy("order state", "Open")
    REPORTED = "reported", pgettext_lazy("order state", "Redo reported")
    RETURNED = "returned", pgettext_lazy("order state", "Returned")
    CLOSED = "closed", pgettext_lazy("order state", "Closed")


# Orders the unit must still act on (a redo to report): these can fall overdue.
AWAITING_UNIT = (OrderState.OPEN, OrderState.RETURNED)


class RemedialOrder(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="remedial_orders", verbose_name=_("campaign")
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="remedial_orders", verbose_name=_("unit"))
    check_record = models.ForeignKey(
        LookbackCheck, on_delete=models.PROTECT, related_name="orders", verbose_name=_("check")
    )
    # The items the order names, as a sorted list of item numbers (1–6).
    items = models.JSONField(_("items"), default=list)
    work = models.TextField(_("remedial work"), max_length=TEXT_MAX_CHARS)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=OrderState.choices, default=OrderState.OPEN)
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redo = models.TextField(_("what was redone"), blank=True, max_length=TEXT_MAX_CHARS)
    reported_on = models.DateField(_("redo reported on"), null=True, blank=True)
    comment = models.TextField(_("supervisory team's comment"), blank=True, max_length=TEXT_MAX_CHARS)
    returned_times = models.PositiveSmallIntegerField(_("times returned"), default=0)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Set by the daily task when the deadline has passed with no redo reported; cleared
    # once the redo is reported. The figures count flagged orders, so they never depend
    # on the hour they are read at.
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("remedial order")
        verbose_name_plural = _("remedial orders")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_on__isnull=False), name="remedial_order_closed_has_date"
            ),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("issued_on")), name="remedial_deadline_after"),
        ]
        indexes = [
            models.Index(fields=["campaign", "state"], name="remedial_campaign_state"),
            models.Index(fields=["campaign", "deadline"], name="remedial_campaign_deadline"),
        ]

    def __str__(self) -> str:
        return str(_("Remedial order to %(unit)s") % {"unit": self.unit})

    @property
    def item_labels(self) -> list[str]:
        return [str(Item(number).label) for number in self.items if number in Item.values]

    @property
    def is_overdue(self) -> bool:
        return self.overdue_since is not None and self.state in AWAITING_UNIT
