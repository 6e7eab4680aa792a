"""Heart-to-heart talks (谈心谈话) and the cards they are recorded on (DESIGN §3 "Talks").

A card records one talk between a member (``member``) and either another member
(``other_member``) or a person outside the membership, described by name, role and
relation. A talk between two members counts for both. The supervisory team of the
member's unit reviews each card: adequate, or returned with a comment for the
recorder to revise; a card returned twice is flagged to the office.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, Member
from core.models import Job


class TalkKind(models.TextChoices):
    """The four must-talk kinds (四必谈)."""

    TEAM = "team", _("Between members of one leadership team")
    CHARGE = "charge", _("Leading cadre with the head of a unit in his or her charge")
    MEMBER = "member", _("Member with member")
    PUBLIC = "public", _("Member with the public")


class Relation(models.TextChoices):
    """How a person outside the membership stands to the member."""

    RESIDENT = "resident", _("Resident")
    BUSINESS_OWNER = "business_owner", _("Business owner")
    COLLEAGUE = "colleague", _("Colleague")
    SERVICE_USER = "service_user", _("Person served")
    RELATIVE = "relative", _("Family member")
    OTHER = "other", _("Other")


class CardState(models.TextChoices):
    RECORDED = "recorded", _("Awaiting review")
    RETURNED = "returned", _("Returned for revision")
    REVISED = "revised", _("Revised, awaiting review")
    ADEQUATE = "adequate", _("Reviewed: adequate")


# A card awaiting the supervisory team's decision, and one the recorder may revise.
AWAITING_REVIEW = frozenset({CardState.RECORDED, CardState.REVISED})
# A card returned this many times is flagged to the office.
FLAG_AFTER_RETURNS = 2
# The longest text of each thing said on a card, and of a reviewer's comment, in
# characters: a talk is summed up on one sheet of paper (the register's box holds a few
# hundred characters); 5,000 leaves room for a long talk and bounds what a card, its
# history and its exports can cost.
CARD_TEXT_MAX_CHARS = 5_000
CARD_COMMENT_MAX_CHARS = 2_000
CARD_TEXT_FIELDS = ("topics", "member_problems", "other_problems", "agreed")


def pair_key(member_id: int, other_member_id: int | None, outsider_name: str = "") -> str:
    """The same two people, whichever is written first: "m:<low id>:<high id>" for two
    members, "p:<member id>:<name>" for a member and a person outside the membership.
    With the date it makes a talk unique (the same talk entered twice is refused)."""
    if other_member_id is not None:
        low, high = sorted((int(member_id), int(other_member_id)))
        return f"m:{low}:{high}"
    return f"p:{int(member_id)}:{' '.join(outsider_name.split()).casefold()}"


class Talk(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="talks", verbose_name=_("campaign"))
    kind = models.CharField(_("must-talk kind"), max_length=10, choices=TalkKind.choices)
    # The card's first person: always a member; the card belongs to his or her unit,
    # whose supervisory team reviews it. For a leading cadre's talk with the head of a
    # unit in his or her charge, the cadre.
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="talks", verbose_name=_("member"))
    other_member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="talks_as_other",
        verbose_name=_("talked with (member)"),
    )
    outsider_name = models.CharField(_("talked with (name)"), max_length=100, blank=True)
    outsider_role = models.CharField(_("his or her role"), max_length=100, blank=True)
    outsider_relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices, blank=True)

    talked_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    topics = models.TextField(_("topics"), max_length=CARD_TEXT_MAX_CHARS)
    member_problems = models.TextField(_("problems the member raised"), blank=True, max_length=CARD_TEXT_MAX_CHARS)
    other_problems = models.TextField(_("problems the other raised"), blank=True, max_length=CARD_TEXT_MAX_CHARS)
    agreed = models.TextField(_("what was agreed"), blank=True, max_length=CARD_TEXT_MAX_CHARS)

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # The name as it was when recorded: it stays when the account is removed.
    recorder_name = models.CharField(_("recorder"), max_length=100, blank=True)
    state = models.CharField(_("review"), max_length=10, choices=CardState.choices, default=CardState.RECORDED)
    times_returned = models.PositiveSmallIntegerField(_("times returned"), default=0)
    pair = models.CharField(max_length=140, editable=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("talk card")
        verbose_name_plural = _("talk cards")
        ordering = ["-talked_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "pair", "talked_on"], name="talk_once_per_pair_and_day"),
            models.CheckConstraint(condition=~Q(other_member=F("member")), name="talk_not_with_oneself"),
            models.CheckConstraint(
                condition=(Q(other_member__isnull=False) & Q(outsider_name=""))
                | (Q(other_member__isnull=True) & ~Q(outsider_name="")),
                name="talk_with_a_member_or_a_named_outsider",
            ),
            models.CheckConstraint(
                condition=Q(kind="public", other_member__isnull=True)
                | (~Q(kind="public") & Q(other_member__isnull=False)),
                name="talk_kind_matches_other_person",
            ),
            # The services refuse longer text with a message; the database holds to it too.
            *(
                models.CheckConstraint(
                    condition=LessThanOrEqual(Length(name), CARD_TEXT_MAX_CHARS), name=f"talk_{name}_length"
                )
                for name in CARD_TEXT_FIELDS
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "state"], name="talk_campaign_state"),
            models.Index(fields=["campaign", "talked_on"], name="talk_campaign_date"),
        ]

    def __str__(self) -> str:
        return str(
            _("%(member)s with %(other)s, %(date)s")
            % {
                "member": self.member.name,
                "other": self.other_name,
                "date": self.talked_on.isoformat(),
            }
        )

    def save(self, *args, **kwargs) -> None:
        self.pair = pair_key(self.member_id, self.other_member_id, self.outsider_name)
        super().save(*args, **kwargs)

    @property
    def other_name(self) -> str:
        other = self.other_member if self.other_member_id else None
        return other.name if other is not None else self.outsider_name

    @property
    def is_flagged(self) -> bool:
        return self.times_returned >= FLAG_AFTER_RETURNS

    @property
    def is_awaiting_review(self) -> bool:
        return self.state in AWAITING_REVIEW


class CardDecision(models.TextChoices):
    ADEQUATE = "adequate", _("Adequate")
    RETURN = "return", _("Return for revision")


class TalkReview(models.Model):
    """One decision of the supervisory team on a card, kept for good."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("talk card"))
    decision = models.CharField(_("decision"), max_length=10, choices=CardDecision.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=CARD_COMMENT_MAX_CHARS)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer's account"),
    )
    reviewer_name = models.CharField(_("reviewer"), max_length=100)
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        verbose_name = _("talk card review")
        verbose_name_plural = _("talk card reviews")
        ordering = ["talk", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="adequate") | ~Q(comment=""), name="returned_card_has_a_comment"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("comment"), CARD_COMMENT_MAX_CHARS), name="talk_review_comment_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} · {self.talk_id}"


class TalkImportJob(Job):
    """A large spreadsheet of talk cards imported from the browser: checked, then, once
    the user confirms, imported by a Celery task (``talks.imports.import_job_run``)
    while its page shows a progress bar. Seen only by the user who started it. (A
    small file is checked and imported in the request, without a job.)"""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Being checked")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        INVALID = "invalid", _("Has problems")
        IMPORTING = "importing", _("Being imported")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("started by")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CHECKING)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    counts = models.JSONField(_("rows by sheet"), default=list, blank=True)
    # What the check found imported before, and whether the user confirmed all the same.
    repeats = models.JSONField(_("imported before"), default=list, blank=True)
    again = models.BooleanField(_("import again"), default=False)
    # The workbook's sheet to read, when the user named one.
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)

    RUNNING = (Status.CHECKING, Status.IMPORTING)
    TASK = "talks.run_import_job"

    class Meta:
        verbose_name = _("import of talk cards")
        verbose_name_plural = _("imports of talk cards")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="talk_import_job_user_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")), name="talk_import_job_done_le_total"
            )
        ]

    @property
    def again_needed(self) -> bool:
        return bool(self.repeats)

    def failure(self, message: str) -> dict[str, Any]:
        """Failed, with ``message`` as the one problem the job's page lists."""
        from core.importing import RowError  # the import framework, needed only here

        error = RowError(sheet=self.filename, row=0, column="", message=message)
        return {**super().failure(message), "error_count": 1, "errors": [error.as_dict()]}
