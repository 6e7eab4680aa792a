"""Democratic life meetings (民主生活会) of leadership teams and special organisational
life meetings (专题组织生活会) of branches (DESIGN §3 "Meetings").

A meeting is planned for a team or a branch; its attendees are derived (the team's
members and head, or the branch's members) with the additions and removals recorded
here. Whether it may be held — the "three no-convenings" — is never stored by hand:
``meetings.gate`` computes it from the other stages, and the state follows it
(``services.meetings_follow_gate``). At the meeting: attendance, supervisors present,
the minutes, each attendee's self-criticism and the criticisms made, any of which can
be handed to the rectification stage as a problem. Afterwards: follow-up notes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Supervisor

TEXT_MAX_CHARS = 4_000
MINUTES_MAX_CHARS = 50_000
REASON_MAX_CHARS = 2_000


class MeetingKind(models.TextChoices):
    DEMOCRATIC_LIFE = "democratic_life", _("Democratic life meeting")
    ORGANISATIONAL_LIFE = "organisational_life", _("Special organisational life meeting")


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    READY = "ready", _("Ready to convene")
    HELD = "held", _("Held")
    FOLLOWED_UP = "followed_up", _("Followed up")
    CANCELLED = "cancelled", _("Cancelled")


class Condition(models.TextChoices):
    """The three no-convenings (``meetings.gate``)."""

    OPINIONS = "opinions", _("Opinions solicited and fed back")
    TALKS = "talks", _("Talks done")
    DOCUMENT = "document", _("Self-analysis approved")


# The states in which the gate decides between planned and ready.
OPEN_STATES = frozenset({MeetingState.PLANNED, MeetingState.READY})
# The states in which what was said at the meeting is recorded.
RECORDING_STATES = frozenset({MeetingState.HELD, MeetingState.FOLLOWED_UP})


class Meeting(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MeetingKind.choices)
    team = models.ForeignKey(
        LeadershipTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("leadership team"),
    )
    branch = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings", verbose_name=_("branch")
    )
    # The organisation the meeting is filed and scoped under: the team's unit, or the
    # branch. Derived by the services.
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("organisation")
    )
    planned_on = models.DateField(_("planned date"))
    place = models.CharField(_("place"), max_length=200)
    chair = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("chair")
    )
    state = models.CharField(_("state"), max_length=20, choices=MeetingState.choices, default=MeetingState.PLANNED)

    # The county office's override of the gate: kept, shown and counted.
    override_reason = models.TextField(
        _("reason for convening despite the gate"), blank=True, max_length=REASON_MAX_CHARS
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(_("overridden at"), null=True, blank=True)

    held_on = models.DateField(_("held on"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True, max_length=MINUTES_MAX_CHARS)
    supervisors_present = models.ManyToManyField(
        Supervisor, blank=True, related_name="meetings_attended", verbose_name=_("supervisors present")
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, max_length=REASON_MAX_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[supervisors_present])

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["planned_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="democratic_life", team__isnull=False, branch__isnull=True)
                | Q(kind="organisational_life", team__isnull=True, branch__isnull=False),
                name="meeting_team_or_branch_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["held", "followed_up"]) | Q(held_on__isnull=False),
                name="meeting_held_has_date",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="meeting_campaign_state")]

    def __str__(self) -> str:
        return str(_("%(kind)s of %(who)s") % {"kind": self.get_kind_display(), "who": self.subject_name})

    @property
    def subject_name(self) -> str:
        if self.team_id and self.team is not None:
            return self.team.name
        return self.branch.name if self.branch_id and self.branch is not None else ""

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_recording(self) -> bool:
        return self.state in RECORDING_STATES

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)


class OpenCondition(models.Model):
    """A condition of the three no-convenings that a planned meeting does not meet yet,
    as its gate was last evaluated (``services.meetings_follow_gate``): one row per
    meeting and open condition, none once it is met or the meeting is held or
    cancelled. The gate itself is computed on every read; this copy, kept in step with
    the meeting's state, lets the ledger count the meetings held back by each condition
    (``reports.meetings.source``) without evaluating a gate."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="open_conditions")
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)

    class Meta:
        verbose_name = _("open condition")
        verbose_name_plural = _("open conditions")
        constraints = [models.UniqueConstraint(fields=["meeting", "condition"], name="open_condition_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.condition}"


class AttendeeChange(models.Model):
    """A member added to or removed from the derived attendees, with the reason."""

    class Kind(models.TextChoices):
        ADD = "add", _("Added")
        REMOVE = "remove", _("Removed")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendee_changes")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=500)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("change of attendees")
        verbose_name_plural = _("changes of attendees")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendee_change_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.member}"


class Reschedule(models.Model):
    """A meeting moved to another date or place, with the reason (kept, shown)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reschedules")
    old_date = models.DateField(_("was planned for"))
    new_date = models.DateField(_("moved to"))
    old_place = models.CharField(_("old place"), max_length=200)
    new_place = models.CharField(_("new place"), max_length=200)
    reason = models.TextField(_("reason"), max_length=REASON_MAX_CHARS)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rescheduling")
        verbose_name_plural = _("reschedulings")
        ordering = ["meeting", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.old_date} → {self.new_date}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    present = models.BooleanField(_("present"))
    absence_reason = models.CharField(_("reason for absence"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once"),
            models.CheckConstraint(condition=Q(present=True) | ~Q(absence_reason=""), name="absence_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.present}"


class SelfCriticism(models.Model):
    """An attendee's self-criticism at the meeting: a summary, the aspects it touched,
    and the approved self-analysis document it rests on. The problems it names are
    ``Criticism`` rows from the attendee to himself or herself."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="self_criticisms")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    summary = models.TextField(_("summary"), max_length=TEXT_MAX_CHARS)
    aspects = models.JSONField(_("aspects touched"), default=list, blank=True)
    document = models.ForeignKey(
        "reviews.AnalysisDocument",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("self-analysis document"),
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("self-criticism")
        verbose_name_plural = _("self-criticisms")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="self_criticism_once")]

    def __str__(self) -> str:
        return self.summary[:40]


class Criticism(models.Model):
    """One criticism made at the meeting, from one attendee to another, or a problem an
    attendee names in his or her own self-criticism (``from_member == to_member``)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="criticisms")
    from_member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("from"))
    to_member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("to"))
    content = models.TextField(_("content"), max_length=TEXT_MAX_CHARS)
    aspect = models.CharField(_("aspect"), max_length=20)
    # Set when it is marked "to rectify": the problem the rectification stage tracks.
    problem = models.OneToOneField(
        "rectification.Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("problem to rectify"),
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("criticism")
        verbose_name_plural = _("criticisms")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.content[:40]

    @property
    def is_self(self) -> bool:
        return self.from_member_id == self.to_member_id


class FollowUpNote(models.Model):
    """会后跟踪: an observation about an attendee after the meeting, by the office or a
    supervisor, and the help given."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="follow_up_notes")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    observation = models.TextField(_("observation"), max_length=TEXT_MAX_CHARS)
    help_given = models.TextField(_("help given"), blank=True, max_length=TEXT_MAX_CHARS)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_name = models.CharField(_("noted by"), max_length=100)
    noted_at = models.DateTimeField(_("noted at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up note")
        verbose_name_plural = _("follow-up notes")
        ordering = ["meeting", "noted_at", "pk"]

    def __str__(self) -> str:
        return self.observation[:40]


# The democratic appraisal's models live in meetings/appraisal/models.py.
from meetings.appraisal.models import *  # noqa: E402,F401,F403
