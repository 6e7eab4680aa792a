"""The ground floor: campaigns and their stages, the organisation tree, people, teams.

Every other app builds on these models; this app imports no other app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise, _StrPromise


class TargetCategory(models.TextChoices):
    """The six ledger categories of DESIGN §3, derived from an opinion's target."""

    STANDING_COMMITTEE_TEAM = "standing_committee_team", _("Standing Committee as a team")
    COUNTY_LEADERSHIP_TEAMS = "county_leadership_teams", _("The county's four leadership teams")
    DEPARTMENT_TEAMS = "department_teams", _("Department leadership teams")
    STANDING_COMMITTEE_MEMBERS = "standing_committee_members", _("Standing Committee members")
    COUNTY_LEVEL_LEADERS = "county_level_leaders", _("Other county-level leading cadres")
    OTHER_MEMBERS = "other_members", _("Other members")


class Campaign(models.Model):
    """One campaign for one county, one batch, with the settings later stages read."""

    slug = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    county = models.CharField(_("county"), max_length=100)
    batch = models.PositiveSmallIntegerField(_("batch"), default=1, validators=[MinValueValidator(1)])
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    is_active = models.BooleanField(_("active"), default=True)

    # Settings the stages read (DESIGN §3); each a default the office can change.
    talk_quota_member = models.PositiveSmallIntegerField(_("talks required of each member"), default=5)
    talk_quota_leader = models.PositiveSmallIntegerField(_("talks required of each leading cadre"), default=10)
    doc_min_words_leader = models.PositiveIntegerField(_("minimum words, leading cadres"), default=5000)
    doc_min_words_member = models.PositiveIntegerField(_("minimum words, other members"), default=3000)
    feedback_threshold = models.PositiveSmallIntegerField(
        _("feedback threshold k"),
        default=3,
        help_text=_(
            "A list with fewer opinions is released only after the office confirms it consolidated the wording."
        ),
    )

    # A new campaign stays off the public box until the office opens it on purpose.
    is_public = models.BooleanField(
        _("open to the public"),
        default=False,
        help_text=_("The public suggestion box offers only campaigns open to the public, within their dates."),
    )
    login_record_days = models.PositiveSmallIntegerField(
        _("days login records are kept"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Log-in records (address, browser) older than this are deleted every night; "
            "the longest setting among active campaigns applies to every account."
        ),
    )

    # What a member prints and signs (his or her feedback list, the document) is in the
    # campaign's language, whatever the language of the account that prints it. Blank:
    # the site's language (LANGUAGE_CODE, zh-hans).
    language = models.CharField(
        _("language of printed papers"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "slug"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The campaign cannot end before it starts.")})

    @property
    def current_stage(self) -> Stage | None:
        return self.stages.filter(is_current=True).first()


class StageKind(models.TextChoices):
    LEARNING = "learning", _("Learning and mobilisation")
    ANALYSIS = "analysis", _("Analysis and evaluation")
    RECTIFICATION = "rectification", _("Rectification and improvement")


class Stage(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="stages", verbose_name=_("campaign"))
    kind = models.CharField(_("kind"), max_length=20, choices=StageKind.choices)
    order = models.PositiveSmallIntegerField(_("order"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    is_current = models.BooleanField(_("current stage"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["campaign", "order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="stage_kind_once_per_campaign"),
            models.UniqueConstraint(fields=["campaign", "order"], name="stage_order_unique"),
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(is_current=True), name="one_current_stage_per_campaign"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="stage_ends_after_start"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A stage cannot end before it starts.")})


class StepKind(models.TextChoices):
    SOLICIT = "solicit", _("Solicit opinions")
    TALKS = "talks", _("Heart-to-heart talks")
    DOCUMENTS = "documents", _("Self-analysis documents")
    MEETINGS = "meetings", _("Democratic life meetings")
    APPRAISAL = "appraisal", _("Democratic appraisal")
    APPRAISAL_FEEDBACK = "appraisal_feedback", _("Feedback of appraisal")
    LOOKBACK = "lookback", _("Look-back")


class Step(models.Model):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="steps", verbose_name=_("stage"))
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    order = models.PositiveSmallIntegerField(_("order"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["stage", "order"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "kind"], name="step_kind_once_per_stage"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="step_ends_after_start"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class OrgUnitKind(models.TextChoices):
    COUNTY_COMMITTEE = "county", _("County committee")
    PARTY_COMMITTEE = "committee", _("Party committee")
    UNIT = "unit", _("Unit")
    BRANCH = "branch", _("Branch")


# Which kind may sit under which: the tree is county → party committee → unit → branch.
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    OrgUnitKind.COUNTY_COMMITTEE: {None},
    OrgUnitKind.PARTY_COMMITTEE: {OrgUnitKind.COUNTY_COMMITTEE},
    OrgUnitKind.UNIT: {OrgUnitKind.PARTY_COMMITTEE, OrgUnitKind.COUNTY_COMMITTEE},
    OrgUnitKind.BRANCH: {OrgUnitKind.UNIT, OrgUnitKind.PARTY_COMMITTEE, OrgUnitKind.COUNTY_COMMITTEE},
}


class OrgUnitQuerySet(models.QuerySet):
    def subtree_of(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    """A node of the organisation tree.

    ``path`` is a materialised path of zero-padded primary keys ("/00000001/00000042/"): a subtree is one
    indexed prefix match, whatever its depth. It is derived, kept by ``save()`` so that
    the admin, imports and services cannot forget it.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="units", verbose_name=_("campaign"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrgUnitKind.choices)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    path = models.CharField(max_length=255, editable=False, default="", db_index=True)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    responsible_leader = models.ForeignKey(
        "Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible leader"),
    )

    objects = OrgUnitQuerySet.as_manager()
    # path and depth are kept in the history too: simple-history fails on reverse m2m
    # changes (unit.supervisory_teams.clear()) of a model with excluded fields.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="orgunit_code_unique_in_campaign"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            old_path = self.path
            super().save(*args, **kwargs)
            parent = self.parent if self.parent_id else None
            parent_path = parent.path if parent is not None else "/"
            new_path = f"{parent_path}{self.pk:08d}/"
            if new_path != old_path:
                self.path = new_path
                self.depth = new_path.count("/") - 2
                OrgUnit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
                if old_path:
                    # A move: re-root every descendant under the new path in one statement.
                    OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                        depth=F("depth") + (self.depth - (old_path.count("/") - 2)),
                    )

    def clean(self) -> None:
        errors: dict[str, _StrOrPromise] = {}
        parent = self.parent if self.parent_id else None
        parent_kind = parent.kind if parent is not None else None
        if self.kind and parent_kind not in ALLOWED_PARENT_KINDS.get(self.kind, set()):
            if parent is None:
                errors["parent"] = _("A %(kind)s must have a parent organisation.") % {"kind": self.get_kind_display()}
            else:
                errors["parent"] = _("A %(kind)s cannot sit under a %(parent)s.") % {
                    "kind": self.get_kind_display(),
                    "parent": parent.get_kind_display(),
                }
        if (
            parent is not None
            and self.pk
            and (self.parent_id == self.pk or (self.path and parent.path.startswith(self.path)))
        ):
            errors["parent"] = _("An organisation cannot be placed under itself or one of its own branches.")
        if parent is not None and self.campaign_id and parent.campaign_id != self.campaign_id:
            errors["parent"] = _("The parent belongs to another campaign.")
        if errors:
            raise ValidationError(errors)

    def ancestors(self) -> OrgUnitQuerySet:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return OrgUnit.objects.filter(pk__in=ids).order_by(Length("path"))

    def is_within(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path)


class Rank(models.TextChoices):
    STANDING_COMMITTEE = "standing", _("Standing Committee member")
    COUNTY_LEADER = "county", _("County-level leading cadre")
    SECTION_CADRE = "section", _("Section-level cadre")
    ORDINARY = "ordinary", _("Ordinary member")


LEADING_RANKS = frozenset({Rank.STANDING_COMMITTEE, Rank.COUNTY_LEADER, Rank.SECTION_CADRE})


class Member(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members", verbose_name=_("campaign"))
    number = models.CharField(_("staff or ID number"), max_length=40)
    name = models.CharField(pgettext_lazy("a person's name", "name"), max_length=100)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="members", verbose_name=_("organisation"))
    branch = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branch_members",
        verbose_name=_("branch"),
    )
    rank = models.CharField(_("rank"), max_length=20, choices=Rank.choices, default=Rank.ORDINARY)
    position = models.CharField(_("position"), max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("user account"),
    )
    in_charge_of = models.ManyToManyField(
        OrgUnit, blank=True, related_name="leaders_in_charge", verbose_name=_("units in his or her charge")
    )

    history = HistoricalRecords(m2m_fields=[in_charge_of])

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["unit__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="member_number_unique_in_campaign"),
        ]
        indexes = [models.Index(fields=["campaign", "rank"], name="member_campaign_rank")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_leading_cadre(self) -> bool:
        return self.rank in LEADING_RANKS

    @property
    def target_category(self) -> str:
        return member_category(self.rank)

    def clean(self) -> None:
        errors: dict[str, _StrOrPromise] = {}
        unit = self.unit if self.unit_id else None
        branch = self.branch if self.branch_id else None
        if unit is not None and unit.kind == OrgUnitKind.BRANCH:
            errors["unit"] = _("Choose the unit; the branch goes in its own field.")
        if branch is not None:
            if branch.kind != OrgUnitKind.BRANCH:
                errors["branch"] = _("%(name)s is not a branch.") % {"name": branch.name}
            elif unit is not None and not branch.is_within(unit):
                errors["branch"] = _("The branch %(branch)s is not part of %(unit)s.") % {
                    "branch": branch.name,
                    "unit": unit.name,
                }
        if unit is not None and self.campaign_id and unit.campaign_id != self.campaign_id:
            errors["unit"] = _("The organisation belongs to another campaign.")
        if errors:
            raise ValidationError(errors)


def member_category(rank: str) -> str:
    if rank == Rank.STANDING_COMMITTEE:
        return TargetCategory.STANDING_COMMITTEE_MEMBERS
    if rank == Rank.COUNTY_LEADER:
        return TargetCategory.COUNTY_LEVEL_LEADERS
    return TargetCategory.OTHER_MEMBERS


class TeamKind(models.TextChoices):
    STANDING_COMMITTEE = "standing", _("County Party Standing Committee")
    PARTY_COMMITTEE = "party", _("County Party committee team")
    PEOPLES_CONGRESS = "congress", _("County People's Congress team")
    GOVERNMENT = "government", _("County government team")
    CPPCC = "cppcc", _("County CPPCC team")
    DEPARTMENT = "department", _("Department team")


COUNTY_FOUR_TEAMS = frozenset(
    {TeamKind.PARTY_COMMITTEE, TeamKind.PEOPLES_CONGRESS, TeamKind.GOVERNMENT, TeamKind.CPPCC}
)


def team_category(kind: str) -> str:
    if kind == TeamKind.STANDING_COMMITTEE:
        return TargetCategory.STANDING_COMMITTEE_TEAM
    if kind in COUNTY_FOUR_TEAMS:
        return TargetCategory.COUNTY_LEADERSHIP_TEAMS
    return TargetCategory.DEPARTMENT_TEAMS


class LeadershipTeam(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="teams", verbose_name=_("campaign"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="teams", verbose_name=_("organisation"))
    head = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="teams_headed", verbose_name=_("head")
    )
    members = models.ManyToManyField(Member, blank=True, related_name="teams", verbose_name=_("members"))

    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        verbose_name = _("leadership team")
        verbose_name_plural = _("leadership teams")
        ordering = ["unit__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="team_code_unique_in_campaign"),
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(kind="standing"), name="one_standing_committee_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def target_category(self) -> str:
        return team_category(self.kind)

    @property
    def target_category_label(self) -> _StrPromise:
        return TargetCategory(self.target_category).label


class SupervisoryLevel(models.TextChoices):
    MUNICIPAL = "municipal", _("Municipal")
    COUNTY = "county", _("County")


class SupervisoryTeam(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="supervisory_teams", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=SupervisoryLevel.choices)
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="supervisory_teams", verbose_name=_("units supervised")
    )

    history = HistoricalRecords(m2m_fields=[units])

    class Meta:
        verbose_name = _("supervisory team")
        verbose_name_plural = _("supervisory teams")
        ordering = ["campaign", "-level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="supervisory_team_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def leader(self) -> Supervisor | None:
        return next((s for s in self.supervisors.all() if s.is_leader), None)


class Supervisor(models.Model):
    team = models.ForeignKey(
        SupervisoryTeam, on_delete=models.CASCADE, related_name="supervisors", verbose_name=_("supervisory team")
    )
    name = models.CharField(pgettext_lazy("a person's name", "name"), max_length=100)
    position = models.CharField(_("position"), max_length=100, blank=True)
    is_leader = models.BooleanField(_("team leader"), default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisor",
        verbose_name=_("user account"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("supervisor")
        verbose_name_plural = _("supervisors")
        ordering = ["team", "-is_leader", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team"], condition=Q(is_leader=True), name="one_leader_per_team"),
            models.UniqueConstraint(fields=["team", "name"], name="supervisor_name_unique_in_team"),
        ]

    def __str__(self) -> str:
        return self.name


class RoleKind(models.TextChoices):
    OFFICE = "office", _("County office staff")
    SECRETARY = "secretary", _("Unit secretary")


class RoleAssignment(models.Model):
    """Office staff and unit secretaries. Supervisors and members get their role from
    their ``Supervisor`` or ``Member`` record; administrators are Django superusers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user")
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="roles", verbose_name=_("campaign"))
    kind = models.CharField(_("role"), max_length=20, choices=RoleKind.choices)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="roles",
        verbose_name=_("organisation"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="office", unit__isnull=True) | Q(kind="secretary", unit__isnull=False),
                name="secretary_has_unit_office_has_none",
            ),
            models.UniqueConstraint(fields=["user", "campaign", "kind", "unit"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        if self.unit_id:
            return f"{self.get_kind_display()} · {self.unit}"
        return str(self.get_kind_display())

    def clean(self) -> None:
        if self.kind == RoleKind.SECRETARY and not self.unit_id:
            raise ValidationError({"unit": _("A unit secretary needs the unit he or she serves.")})
        if self.kind == RoleKind.OFFICE and self.unit_id:
            raise ValidationError({"unit": _("County office staff are not tied to one unit.")})


class ForcedPasswordChange(models.Model):
    """An account whose password the office reset: until its user sets a new one, every
    page but the password change sends him or her there. The row is deleted then."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="forced_password_change",
        verbose_name=_("user"),
    )
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reset by"),
    )
    reset_at = models.DateTimeField(_("reset at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("forced password change")
        verbose_name_plural = _("forced password changes")

    def __str__(self) -> str:
        return str(self.user)


class ImportKind(models.TextChoices):
    ORG = "org", _("Organisation")
    OPINIONS = "opinions", _("Opinions and events")
    TALKS = "talks", _("Talk cards")
    MEETING_RECORDS = "meeting_records", _("Meeting records")
    PAPER_TALLIES = "paper_tallies", _("Paper tallies")
    TRAINING_ATTENDANCE = "training_attendance", _("Training attendance")
    LOOKBACK_CHECKS = "lookback_checks", _("Look-back checks")
    PRACTICAL_RESULTS = "practical_results", _("Practical results")


class ImportedFile(models.Model):
    """A spreadsheet imported into a campaign (``campaign.import_records``): its SHA-256
    and a digest of each of its rows, so that the same file, or the same rows in another
    file, are recognised when they come again and the import asks to be confirmed."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="imported_files", verbose_name=_("campaign")
    )
    kind = models.CharField(_("import"), max_length=20, choices=ImportKind.choices)
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    # The rows' digests: signed 64-bit numbers, 8 bytes each (``core.importing.row_digest``).
    row_digests = models.BinaryField(editable=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        verbose_name = _("imported file")
        verbose_name_plural = _("imported files")
        ordering = ["campaign", "imported_at", "pk"]
        indexes = [models.Index(fields=["campaign", "kind", "sha256"], name="imported_file_lookup")]

    def __str__(self) -> str:
        return self.filename


class AccountSettings(models.Model):
    """An account's own settings: the language of its pages (blank: the site's language,
    LANGUAGE_CODE — zh-hans), not the browser's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_settings", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default="")

    class Meta:
        verbose_name = _("account settings")
        verbose_name_plural = _("account settings")

    def __str__(self) -> str:
        return str(self.user)


class ChangeOutbox(models.Model):
    """A note that some source records of a unit changed and its ledgers must be
    recomputed. Written in the same transaction as the change (so a crash cannot lose
    it), consumed by the roll-up in ``reports``; rows still here later are re-sent."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    source = models.CharField(max_length=30)
    # Finer than the unit, when the change says so: which of the unit's records changed,
    # in the words of the source ("member:<id>", "team:<id>", "unit:<id or none>" for
    # the opinions about that member, that team, or the unit as a whole or nobody yet).
    # Blank: anything in the unit. A roll-up may then recompute only what is named.
    target = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pending ledger update")
        verbose_name_plural = _("pending ledger updates")
        indexes = [models.Index(fields=["created_at"], name="outbox_created")]

    def __str__(self) -> str:
        return f"{self.source} · {self.unit_id}" + (f" · {self.target}" if self.target else "")
