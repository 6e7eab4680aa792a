"""Opinions and suggestions, the events that gathered them, and the feedback to targets.

An opinion's target decides its ledger category and its ledger unit; both are stored
(derived by the services, never typed in) so that roll-ups group on indexed columns.
Nothing here records who submitted an opinion beyond what the submitter typed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, TargetCategory
from core.models import Job


class Channel(models.TextChoices):
    FORUM = "forum", _("Forum or symposium")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire or solicitation form")
    SUGGESTION_BOX = "box", _("Suggestion box")
    TV_NOTICE = "tv", _("TV notice")
    HOTLINE = "hotline", _("Hotline")
    OPEN_LETTER = "letter", _("Open letter")
    MESSAGE_BOARD = "board", _("Message board")
    VISIT = "visit", _("Face-to-face visit")
    ONLINE = "online", _("Online suggestion box")


class Aspect(models.TextChoices):
    IDEALS = "ideals", _("Ideals and beliefs")
    PURPOSE = "purpose", _("Sense of purpose")
    DISCIPLINE = "discipline", _("Organisational discipline")
    IDEOLOGY = "ideology", _("Ideological style")
    WORK_STYLE = "work", _("Work style")
    INTEGRITY = "integrity", _("Integrity")


class OpinionKind(models.TextChoices):
    OPINION = "opinion", _("Opinion")
    SUGGESTION = "suggestion", _("Suggestion")


class SourceGroup(models.TextChoices):
    VETERAN_CADRES = "veterans", _("Veteran cadres")
    DEPUTIES = "deputies", _("People's Congress deputies and CPPCC members")
    BUSINESS = "business", _("Business owners")
    VULNERABLE = "vulnerable", _("Vulnerable groups")
    COUNTY_OFFICIALS = "officials", _("County officials")
    TOWNSHIP = "township", _("Township representatives")
    MEMBERS = "members", _("Party members")
    PUBLIC = "public", _("The public")


class EventLevel(models.TextChoices):
    COUNTY = "county", _("County")
    COMMITTEE = "committee", _("Party committee")
    UNIT = "unit", _("Unit")
    BRANCH = "branch", _("Branch")


class SolicitationEvent(models.Model):
    """A forum, a questionnaire round, a suggestion box, a hotline, an open letter, a
    message board, a TV notice or a round of visits, held by one unit."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events", verbose_name=_("campaign"))
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="events", verbose_name=_("host unit"))
    channel = models.CharField(_("kind"), max_length=20, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=200)
    # The event's code in its campaign: what an export names it by (titles repeat, and
    # ids differ in another database). Given on creation, never changed; an import keeps
    # the code its file gives (``allocate_event_codes``).
    code = models.CharField(_("code"), max_length=40, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=EventLevel.choices, default=EventLevel.UNIT)
    held_on = models.DateField(_("date"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendee_groups = models.JSONField(_("attendee groups"), default=list, blank=True)
    attendance = models.PositiveIntegerField(_("attendance"), default=0)
    forms_issued = models.PositiveIntegerField(_("forms issued"), default=0)
    forms_returned = models.PositiveIntegerField(_("forms returned"), default=0)
    boxes_set = models.PositiveIntegerField(_("suggestion boxes set"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("solicitation event")
        verbose_name_plural = _("solicitation events")
        ordering = ["-held_on", "pk"]
        indexes = [models.Index(fields=["campaign", "unit", "channel"], name="event_campaign_unit_channel")]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "code"], condition=~Q(code=""), name="event_code_unique_in_campaign"
            ),
            models.CheckConstraint(
                condition=Q(forms_returned__lte=models.F("forms_issued")), name="event_returned_le_issued"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("held_on")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.code:
            with transaction.atomic():
                (self.code,) = allocate_event_codes(self.campaign_id, 1)
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)


# Codes an office writes are kept as written; those Canvass gives are whole numbers
# after the largest whole-number code of the campaign (no longer than this, so that
# they compare as numbers in every database).
_NUMERIC_CODE = r"^[0-9]{1,15}$"


def allocate_event_codes(campaign_id: int, count: int, taken: Iterable[str] = ()) -> list[str]:
    """``count`` new codes for events of the campaign, unused so far and not among
    ``taken`` (codes a file gives to events not written yet). The campaign row is
    locked until the caller's transaction ends, so that two writers never draw the same."""
    if count == 0:
        return []
    Campaign.objects.select_for_update().filter(pk=campaign_id).exists()
    largest = (
        SolicitationEvent.objects.filter(campaign_id=campaign_id, code__regex=_NUMERIC_CODE)
        .annotate(number=Cast("code", models.BigIntegerField()))
        .aggregate(largest=Max("number"))["largest"]
        or 0
    )
    largest = max([largest, *(int(code) for code in taken if re.fullmatch(_NUMERIC_CODE, code))])
    return [str(largest + i) for i in range(1, count + 1)]


class OpinionStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    SORTED = "sorted", _("Sorted")
    FED_BACK = "fed_back", _("Fed back")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_RECTIFICATION = "rectifying", _("In rectification")
    CLOSED = "closed", _("Closed")


class Opinion(models.Model):
    # Not indexed alone: the indexes on (campaign, ledger unit) and (campaign, status) lead with it.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="opinions", verbose_name=_("campaign"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OpinionKind.choices)
    text = models.TextField(_("content"), max_length=4000)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    event = models.ForeignKey(
        SolicitationEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("event"),
    )
    source_group = models.CharField(_("source group"), max_length=20, choices=SourceGroup.choices, blank=True)
    aspect = models.CharField(_("aspect"), max_length=20, choices=Aspect.choices, blank=True)

    # The target: exactly one of team, member, unit — or, from the public box, a free
    # description for the office to assign.
    # Indexed with the ledger unit (Meta.indexes), not alone.
    target_team = models.ForeignKey(
        LeadershipTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("target team"),
        db_index=False,
    )
    target_member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("target member"),
        db_index=False,
    )
    target_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions_as_target",
        verbose_name=_("target unit"),
    )
    target_text = models.CharField(_("target as described"), max_length=200, blank=True)

    # Derived from the target by the services; never typed in.
    category = models.CharField(_("ledger category"), max_length=40, choices=TargetCategory.choices, blank=True)
    ledger_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_opinions",
        verbose_name=_("ledger unit"),
        editable=False,
    )

    received_on = models.DateField(_("received on"))
    recording_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="recorded_opinions",
        verbose_name=_("recorded by unit"),
        null=True,
        blank=True,
    )
    status = models.CharField(_("status"), max_length=20, choices=OpinionStatus.choices, default=OpinionStatus.RECORDED)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )

    # What a public submitter chose to type; shown to the office only, never to a target.
    submitter_name = models.CharField(_("submitter's name"), max_length=100, blank=True)
    submitter_contact = models.CharField(_("submitter's contact"), max_length=100, blank=True)
    # Indexed where set only (Meta.indexes): the office's and the imports' opinions have none.
    receipt_hash = models.CharField(max_length=128, blank=True, editable=False)

    # The history is read by opinion (its id), by date, user and campaign; an index on
    # each of its other foreign keys would only slow every import down.
    history = HistoricalRecords(
        excluded_fields=["receipt_hash"],
        no_db_index=[
            "event",
            "target_team",
            "target_member",
            "target_unit",
            "ledger_unit",
            "recording_unit",
            "merged_into",
        ],
    )

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["-received_on", "-pk"]
        indexes = [
            # The ledger's roll-up of some units reads what it groups from this index alone
            # (PostgreSQL's INCLUDE; ignored elsewhere), not from the opinions' rows.
            models.Index(
                fields=["campaign", "ledger_unit"],
                include=[
                    "target_member",
                    "target_team",
                    "merged_into",
                    "category",
                    "kind",
                    "channel",
                    "aspect",
                    "status",
                ],
                name="opinion_campaign_ledger_unit",
            ),
            models.Index(fields=["campaign", "status"], name="opinion_campaign_status"),
            # A target's opinions; with the ledger unit, the roll-up finds a member who moved
            # unit (opinions filed under another ledger unit) without reading an opinion.
            models.Index(fields=["target_member", "ledger_unit"], name="opinion_member_ledger_unit"),
            models.Index(fields=["target_team", "ledger_unit"], name="opinion_team_ledger_unit"),
            # The public box's receipts: only the opinions that have one.
            models.Index(fields=["receipt_hash"], condition=~Q(receipt_hash=""), name="opinion_receipt_hash"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_team__isnull=True) | Q(target_member__isnull=True))
                & (Q(target_team__isnull=True) | Q(target_unit__isnull=True))
                & (Q(target_member__isnull=True) | Q(target_unit__isnull=True)),
                name="opinion_at_most_one_target",
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("pk")), name="opinion_not_merged_into_itself"),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def target(self) -> LeadershipTeam | Member | OrgUnit | None:
        return self.target_team or self.target_member or self.target_unit

    @property
    def counts_in_ledger(self) -> bool:
        return self.merged_into_id is None


class BoxSubmission(models.Model):
    """A public box submission held until the day's batch records it as an opinion
    (``opinions.public.box_flush``). Nothing here can place it in time or order: the
    key is random, the date has no time, there is no history, no outbox row and no
    timestamp, and the batch writes the opinions of whole past days in shuffled order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign"))
    received_on = models.DateField(_("received on"))
    kind = models.CharField(_("kind"), max_length=20, choices=OpinionKind.choices)
    text = models.TextField(_("content"), max_length=4000)
    aspect = models.CharField(_("aspect"), max_length=20, choices=Aspect.choices, blank=True)
    # PROTECT, as for a recorded opinion: a target with opinions waiting is not deleted.
    target_team = models.ForeignKey(
        LeadershipTeam, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    target_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    target_text = models.CharField(_("target as described"), max_length=200, blank=True)
    submitter_name = models.CharField(_("submitter's name"), max_length=100, blank=True)
    submitter_contact = models.CharField(_("submitter's contact"), max_length=100, blank=True)
    receipt_hash = models.CharField(max_length=128, unique=True, editable=False)

    class Meta:
        verbose_name = _("held box submission")
        verbose_name_plural = _("held box submissions")
        # Read by day only (the batch); never listed in order of arrival.
        indexes = [models.Index(fields=["received_on"], name="box_submission_day")]

    def __str__(self) -> str:
        return self.text[:40]


class FeedbackList(models.Model):
    """The list of consolidated feedback for one target: a member or a leadership team.
    Released by the office, signed for by the member (or the team's head)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being written")
        RELEASED = "released", _("Released")
        SIGNED = "signed", _("Signed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="feedback_lists")
    target_member = models.OneToOneField(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="feedback_list"
    )
    target_team = models.OneToOneField(
        LeadershipTeam, on_delete=models.CASCADE, null=True, blank=True, related_name="feedback_list"
    )
    ledger_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="feedback_lists", editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    wording_confirmed = models.BooleanField(_("wording consolidated"), default=False)
    batch = models.ForeignKey("ReleaseBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="lists")
    released_on = models.DateField(_("released on"), null=True, blank=True)
    signed_by = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("feedback list")
        verbose_name_plural = _("feedback lists")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_member__isnull=False, target_team__isnull=True)
                | Q(target_member__isnull=True, target_team__isnull=False),
                name="feedback_list_one_target",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "ledger_unit", "status"], name="feedback_list_unit_status")]

    def __str__(self) -> str:
        return str(self.target_member or self.target_team)


class FeedbackItem(models.Model):
    """The office's consolidated wording of one or more opinions, shown to the target."""

    feedback_list = models.ForeignKey(FeedbackList, on_delete=models.CASCADE, related_name="items")
    text = models.TextField(_("consolidated content"), max_length=4000)
    aspect = models.CharField(_("aspect"), max_length=20, choices=Aspect.choices, blank=True)
    # Shown in this order: set by the office, never the order of submission.
    position = models.PositiveIntegerField(_("position"), default=0)
    opinions = models.ManyToManyField(Opinion, related_name="feedback_items", verbose_name=_("opinions"))

    history = HistoricalRecords(m2m_fields=[opinions])

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["feedback_list", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class ReleaseBatch(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="release_batches")
    # Empty only for lists released without a login: the demo seed, which builds the
    # county before (and often without) any user account.
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_on = models.DateField(_("released on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("release batch")
        verbose_name_plural = _("release batches")
        ordering = ["-released_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.released_on} {self.note}"


class ImportJob(Job):
    """One spreadsheet import of opinions and events started in the browser: the file
    waiting in storage, how far the check or the import has got, and what was wrong.
    Seen only by the user who started it."""

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
    # ``path``: the storage name under MEDIA_ROOT/imports.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CHECKING)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    counts = models.JSONField(_("rows by sheet"), default=list, blank=True)
    # What the check found imported before (the file, or some of its rows), and whether
    # the user confirmed the import all the same (``campaign.import_records``).
    repeats = models.JSONField(_("imported before"), default=list, blank=True)
    again = models.BooleanField(_("import again"), default=False)

    @property
    def again_needed(self) -> bool:
        return bool(self.repeats)

    created_at = models.DateTimeField(_("started"), auto_now_add=True)

    RUNNING = (Status.CHECKING, Status.IMPORTING)
    TASK = "opinions.run_import_job"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="import_job_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="import_job_done_le_total")
        ]

    def failure(self, message: str) -> dict[str, Any]:
        """Failed, with ``message`` as the one problem the job's page lists."""
        from core.importing import RowError  # the import framework, needed only here

        error = RowError(sheet=self.filename, row=0, column="", message=message)
        return {**super().failure(message), "error_count": 1, "errors": [error.as_dict()]}
