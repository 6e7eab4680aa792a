"""Self-analysis documents (党性分析材料), the versions their authors submit, and the
reviewers' decisions on them (DESIGN §3 "Self-analysis documents")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import Campaign, Member, Rank, Supervisor, SupervisoryTeam

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class Section(models.TextChoices):
    """The document's sections, in the order they are written and printed."""

    IDEALS = "problems_ideals", _("Problems: ideals and beliefs")
    PURPOSE = "problems_purpose", _("Problems: sense of purpose")
    DISCIPLINE = "problems_discipline", _("Problems: organisational discipline")
    IDEOLOGY = "problems_ideology", _("Problems: ideological style")
    WORK_STYLE = "problems_work_style", _("Problems: work style")
    CAUSES = "causes", _("Causes")
    DIRECTION = "direction", _("Direction of effort")


SECTION_FIELDS: tuple[str, ...] = tuple(Section.values)

# The longest a section may be, in characters. The minimums are 3,000 and 5,000 words
# for the whole document (about as many characters in Chinese), some 700 a section;
# 20,000 lets one section carry four times the whole leader's minimum, and bounds what
# a version, its history and its diff can cost (seven sections: 140,000 characters).
SECTION_MAX_CHARS = 20_000
# A reviewer's overall comment, a comment on one section, the office's reason for reopening.
COMMENT_MAX_CHARS = 5_000
SECTION_COMMENT_MAX_CHARS = 2_000
REASON_MAX_CHARS = 2_000


class DocumentState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for revision")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")


# The states in which the author may change the text, and those awaiting a decision.
EDITABLE_STATES = frozenset({DocumentState.DRAFT, DocumentState.RETURNED})
AWAITING_STATES = frozenset({DocumentState.SUBMITTED, DocumentState.RESUBMITTED})


class Route(models.TextChoices):
    """Who reviews a document, by the author's rank (DESIGN §3)."""

    MUNICIPAL_TEAM = "municipal_team", _("Municipal supervisory team")
    COUNTY_TEAM_LEADER = "county_team_leader", _("Leader of the county supervisory team")
    RESPONSIBLE_LEADER = "responsible_leader", _("The unit's responsible leader")


# The seed's rules, the defaults of every campaign's routing rules (DESIGN §3).
DEFAULT_ROUTES: dict[str, str] = {
    Rank.STANDING_COMMITTEE: Route.MUNICIPAL_TEAM,
    Rank.COUNTY_LEADER: Route.COUNTY_TEAM_LEADER,
    Rank.SECTION_CADRE: Route.COUNTY_TEAM_LEADER,
    Rank.ORDINARY: Route.RESPONSIBLE_LEADER,
}


class RoutingRule(models.Model):
    """Who reviews the documents of the members of one rank, in one campaign: one of
    the campaign's rules, which the office edits in the admin. Every campaign has one
    for every rank, made with the campaign (``services.routing_rules_ensure``)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="document_routing_rules", verbose_name=_("campaign")
    )
    rank = models.CharField(_("author's rank"), max_length=20, choices=Rank.choices)
    route = models.CharField(_("reviewed by"), max_length=30, choices=Route.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("document routing rule")
        verbose_name_plural = _("document routing rules")
        ordering = ["campaign", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "rank"], name="one_routing_rule_per_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rank_display()} → {self.get_route_display()}"


class AnalysisDocument(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="analysis_documents", verbose_name=_("campaign")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="analysis_documents", verbose_name=_("author")
    )
    state = models.CharField(_("state"), max_length=20, choices=DocumentState.choices, default=DocumentState.DRAFT)

    problems_ideals = models.TextField(Section.IDEALS.label, blank=True, max_length=SECTION_MAX_CHARS)
    problems_purpose = models.TextField(Section.PURPOSE.label, blank=True, max_length=SECTION_MAX_CHARS)
    problems_discipline = models.TextField(Section.DISCIPLINE.label, blank=True, max_length=SECTION_MAX_CHARS)
    problems_ideology = models.TextField(Section.IDEOLOGY.label, blank=True, max_length=SECTION_MAX_CHARS)
    problems_work_style = models.TextField(Section.WORK_STYLE.label, blank=True, max_length=SECTION_MAX_CHARS)
    causes = models.TextField(Section.CAUSES.label, blank=True, max_length=SECTION_MAX_CHARS)
    direction = models.TextField(Section.DIRECTION.label, blank=True, max_length=SECTION_MAX_CHARS)
    # Kept with the text by the services, so lists and progress never count words again.
    word_count = models.PositiveIntegerField(_("words"), default=0)

    compared_theory = models.BooleanField(_("compared with the Party's guiding theory"), default=False)
    compared_constitution = models.BooleanField(
        _("compared with the constitution's requirements for members"), default=False
    )
    compared_standards = models.BooleanField(_("compared with the campaign's standards"), default=False)
    compared_opinions = models.BooleanField(_("compared with the opinions received"), default=False)

    # The route is stored on submission: the people, not their user accounts, so that a
    # reviewer given a login later finds his queue already filled.
    route = models.CharField(_("reviewed by"), max_length=30, choices=Route.choices, blank=True)
    reviewer_team = models.ForeignKey(
        SupervisoryTeam,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewing supervisory team"),
    )
    reviewer_supervisor = models.ForeignKey(
        Supervisor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reviewer")
    )
    reviewer_member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents_to_review",
        verbose_name=_("reviewing leader"),
    )

    submitted_at = models.DateTimeField(_("last submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    reopened_reason = models.TextField(_("reason for reopening"), blank=True, max_length=REASON_MAX_CHARS)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("self-analysis document")
        verbose_name_plural = _("self-analysis documents")
        ordering = ["member__unit__path", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="one_document_per_member"),
            # The services refuse longer text with a message; the database holds to it too.
            *(
                models.CheckConstraint(
                    condition=LessThanOrEqual(Length(name), SECTION_MAX_CHARS), name=f"document_{name}_length"
                )
                for name in SECTION_FIELDS
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("reopened_reason"), REASON_MAX_CHARS),
                name="document_reopened_reason_length",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "state"], name="document_campaign_state"),
            models.Index(fields=["state", "submitted_at"], name="document_queue"),
        ]

    def __str__(self) -> str:
        return str(_("Self-analysis of %(name)s") % {"name": self.member.name})

    def sections(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SECTION_FIELDS}

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_awaiting(self) -> bool:
        return self.state in AWAITING_STATES


class DocumentVersion(models.Model):
    """One submitted text, as it was. Written once and never changed, so it needs no
    history of its own: the versions are the history of the text."""

    document = models.ForeignKey(
        AnalysisDocument, on_delete=models.CASCADE, related_name="versions", verbose_name=_("document")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    sections = models.JSONField(_("sections"))
    word_count = models.PositiveIntegerField(_("words"))
    submitted_at = models.DateTimeField(_("submitted"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique"),
        ]

    def __str__(self) -> str:
        return str(_("version %(number)d") % {"number": self.number})


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for revision")


class Review(models.Model):
    document = models.ForeignKey(
        AnalysisDocument, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("document")
    )
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("version reviewed")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    overall_comment = models.TextField(_("overall comment"), blank=True, max_length=COMMENT_MAX_CHARS)
    section_comments = models.JSONField(_("comments by section"), default=dict, blank=True)
    problems_accurate = models.BooleanField(_("problems accurate"), default=False)
    causes_accurate = models.BooleanField(_("causes accurate"), default=False)
    direction_accurate = models.BooleanField(_("direction accurate"), default=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer's account"),
    )
    # The name as it was at the decision: it stays when the account is removed.
    reviewer_name = models.CharField(_("reviewer"), max_length=100)
    decided_at = models.DateTimeField(_("decided"))
    # Seconds between the version's submission and this decision: progress averages it
    # with a plain Avg on every database.
    waited_seconds = models.PositiveIntegerField(_("time waited (seconds)"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["document", "decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["version"], name="one_decision_per_version"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("overall_comment"), COMMENT_MAX_CHARS),
                name="review_overall_comment_length",
            ),
            models.CheckConstraint(
                condition=Q(decision="return")
                | Q(problems_accurate=True, causes_accurate=True, direction_accurate=True),
                name="approval_needs_three_checks",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} · {self.version}"

    def comment_rows(self) -> list[tuple[_StrPromise, str]]:
        """(section label, comment) for the sections commented on, in document order."""
        return [
            (Section(name).label, self.section_comments[name])
            for name in SECTION_FIELDS
            if self.section_comments.get(name)
        ]
