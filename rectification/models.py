"""Problems to rectify (整改问题): one record for each thing found that must be put right.

Minimal for now: the record and where it came from. The rectification stage adds its
own fields (state, deadline, handover, progress) to this model and its pages; the
stages that find problems (the meetings today; opinions, documents and look-back
checks later) create them through ``rectification.services.problem_record`` only, and
keep the problem's id on their own record, so nothing here knows them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit

PROBLEM_TEXT_MAX_CHARS = 4_000


class ProblemSource(models.TextChoices):
    """Where a problem was found: the stage's record kind that named it."""

    MEETING_CRITICISM = "meeting_criticism", _("Criticism at a meeting")
    MEETING_SELF_CRITICISM = "meeting_self_criticism", _("Self-criticism at a meeting")


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
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="problems", verbose_name=_("organisation"))
    text = models.TextField(_("problem"), max_length=PROBLEM_TEXT_MAX_CHARS)
    aspect = models.CharField(_("aspect"), max_length=20, blank=True)
    # The record that named it, in the finder's words: a kind and the record's id. Not a
    # foreign key, so that this app imports no stage that finds problems.
    source = models.CharField(_("found in"), max_length=40, choices=ProblemSource.choices)
    source_id = models.PositiveBigIntegerField(_("source record"))
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
            # A record names a problem once: marking it twice cannot make two.
            models.UniqueConstraint(fields=["source", "source_id"], name="problem_once_per_source_record"),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(team__isnull=True), name="problem_member_or_team"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "unit"], name="problem_campaign_unit")]

    def __str__(self) -> str:
        return self.text[:40]
