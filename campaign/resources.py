"""The organisation's spreadsheet format: one definition that both import and export use.

Four kinds, in the order they depend on each other: organisations (units), members,
leadership teams, supervisory teams. Each is a django-import-export resource whose
columns have a fixed key (the resource field's name) and a header in English and in
Chinese. Files may use either language's headers (or the keys); they are mapped to the
keys before import-export sees them. Exports write the headers and choice labels of
the current language, so an export imports back unchanged.

The headers are a file format, not user interface text: they are spelled out here in
both languages rather than looked up in the translation catalogue, so that a file
written yesterday still imports after a translator rewords a label. Reading files
(streaming, encodings, what a workbook may unpack into) is ``core.importing``,
shared with the other apps' formats.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import CachedInstanceLoader
from openpyxl import Workbook

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
    TeamKind,
)
from campaign.scoping import AnyUser
from core.excel import cell_text, chinese, content_response, import_sheet, text_cell
from core.importing import (
    CODE,
    ChoiceWidget,
    Column,
    Format,
    SpreadsheetReader,
    Table,
    join_list,
    normalise_name,
    padded_codes,
    read_cell,
    split_list,
    suggest,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- The format ---------------------------------------------------------------

UNITS = "units"
MEMBERS = "members"
TEAMS = "teams"
SUPERVISORY_TEAMS = "supervisory_teams"
# Dependency order: members name units, teams name units and members, supervisory
# teams name units. A workbook's sheets are imported in this order whatever their order.
KINDS: tuple[str, ...] = (UNITS, MEMBERS, TEAMS, SUPERVISORY_TEAMS)

KIND_LABELS = {
    UNITS: gettext_lazy("Organisations"),
    MEMBERS: gettext_lazy("Members"),
    TEAMS: gettext_lazy("Leadership teams"),
    SUPERVISORY_TEAMS: gettext_lazy("Supervisory teams"),
}

# Sheet names a workbook may use for each kind; the first Chinese and the kind itself
# are what an export writes.
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    UNITS: ("组织", "units", "组织机构", "organisations", "organizations", "orgunits"),
    MEMBERS: ("党员", "members"),
    TEAMS: ("领导班子", "teams", "leadership teams"),
    SUPERVISORY_TEAMS: ("督导组", "supervisory_teams", "supervisory teams", "supervision"),
}

LINE = "__line__"  # the row number as the user sees it in Excel, carried with each row

COLUMNS: dict[str, tuple[Column, ...]] = {
    UNITS: (
        Column("code", "Code", "代码", ("组织代码",), required=True, value=CODE),
        Column("name", "Name", "名称", ("组织名称", "单位名称"), required=True),
        Column("kind", "Kind", "类型", ("组织类型",), required=True),
        Column("parent", "Parent code", "上级代码", ("parent_code", "上级组织代码"), value=CODE),
        # A member number: resolved once the members sheet is in (members name units).
        Column(
            "responsible_leader",
            "Responsible leader number",
            "负责人编号",
            ("responsible_leader_number", "单位负责人编号", "主要负责人编号"),
            value=CODE,
        ),
    ),
    MEMBERS: (
        Column("number", "Number", "编号", ("党员编号", "staff or ID number"), required=True, value=CODE),
        Column("name", "Name", "姓名", required=True),
        Column("unit", "Unit code", "单位代码", ("unit_code", "所在单位代码"), required=True, value=CODE),
        Column("branch", "Branch code", "支部代码", ("branch_code", "所在支部代码"), value=CODE),
        Column("rank", "Rank", "职级"),
        Column("position", "Position", "职务"),
        Column("in_charge_of", "Units in charge", "分管单位代码", ("分管单位",), value=CODE),
    ),
    TEAMS: (
        Column("code", "Code", "代码", ("班子代码",), required=True, value=CODE),
        Column("name", "Name", "名称", ("班子名称",), required=True),
        Column("kind", "Kind", "类型", ("班子类型",), required=True),
        Column("unit", "Unit code", "单位代码", ("unit_code",), required=True, value=CODE),
        Column("head", "Head number", "负责人编号", ("head_number", "主要负责人编号"), value=CODE),
        Column("members", "Member numbers", "成员编号", ("member_numbers", "班子成员编号"), value=CODE),
    ),
    SUPERVISORY_TEAMS: (
        Column("name", "Name", "名称", ("督导组名称",), required=True),
        Column("level", "Level", "级别", ("层级",), required=True),
        Column("leader", "Leader", "组长"),
        Column("members", "Members", "组员", ("成员",)),
        Column("units", "Supervised unit codes", "督导单位代码", ("unit_codes", "督导单位"), value=CODE),
    ),
}

# Chinese labels of the choices, as offices write them; the first is what an export
# writes when the catalogue has no translation of the English label.
CHINESE_LABELS: dict[type[models.TextChoices], dict[str, tuple[str, ...]]] = {
    OrgUnitKind: {
        OrgUnitKind.COUNTY_COMMITTEE: ("县委",),
        OrgUnitKind.PARTY_COMMITTEE: ("党委",),
        OrgUnitKind.UNIT: ("单位",),
        OrgUnitKind.BRANCH: ("支部", "党支部"),
    },
    Rank: {
        Rank.STANDING_COMMITTEE: ("县委常委",),
        Rank.COUNTY_LEADER: ("县级领导干部",),
        Rank.SECTION_CADRE: ("科级干部",),
        Rank.ORDINARY: ("普通党员", "党员"),
    },
    TeamKind: {
        TeamKind.STANDING_COMMITTEE: ("县委常委会",),
        TeamKind.PARTY_COMMITTEE: ("县委领导班子",),
        TeamKind.PEOPLES_CONGRESS: ("县人大领导班子",),
        TeamKind.GOVERNMENT: ("县政府领导班子",),
        TeamKind.CPPCC: ("县政协领导班子",),
        TeamKind.DEPARTMENT: ("部门领导班子",),
    },
    SupervisoryLevel: {
        SupervisoryLevel.MUNICIPAL: ("市级", "市"),
        SupervisoryLevel.COUNTY: ("县级", "县"),
    },
}

FORMAT = Format(kinds=KINDS, columns=COLUMNS, sheet_names=SHEET_NAMES, labels=KIND_LABELS)
sheet_title = FORMAT.sheet_title
kind_for_sheet = FORMAT.kind_for_sheet
detect_kind = FORMAT.detect_kind
column_lookup = FORMAT.column_lookup
column_header = FORMAT.column_header


# --- Widgets ------------------------------------------------------------------


class TextWidget(widgets.CharWidget):
    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> str:
        return cell_text(value)


def choice_widget(choices: type[models.TextChoices], what: Any) -> ChoiceWidget:
    return ChoiceWidget(choices, what, CHINESE_LABELS[choices])


@dataclass
class PendingLeader:
    """A unit's responsible leader as its row names him or her (a member number, "" for
    none), set once every sheet is in: the members come after the units."""

    unit: OrgUnit
    number: str
    line: int
    unchanged: bool  # the row changed nothing else


class Directory:
    """The campaign's organisations and members by code and number, cached for one
    import so that a thousand members of fifty units cost fifty look-ups, not a thousand.
    Only what was found is cached: a code unknown now may be created by a later row."""

    def __init__(self, campaign: Campaign | None) -> None:
        self.campaign = campaign
        self._units: dict[str, OrgUnit] = {}
        self._members: dict[str, Member] = {}
        self.touched: set[int] = set()  # units whose ledgers the written rows affect
        self.leaders: list[PendingLeader] = []

    def units(self, codes: list[str]) -> tuple[list[OrgUnit], list[str]]:
        wanted = [c for c in codes if c not in self._units]
        if wanted:
            for unit in OrgUnit.objects.filter(campaign=self.campaign, code__in=wanted):
                self._units[unit.code] = unit
        return [self._units[c] for c in codes if c in self._units], [c for c in codes if c not in self._units]

    def members(self, numbers: list[str]) -> tuple[list[Member], list[str]]:
        wanted = [n for n in numbers if n not in self._members]
        if wanted:
            for member in Member.objects.filter(campaign=self.campaign, number__in=wanted):
                self._members[member.number] = member
        found = [self._members[n] for n in numbers if n in self._members]
        return found, [n for n in numbers if n not in self._members]

    def lost_zeros(self, codes: list[str], *, members: bool = False) -> list[str]:
        """The codes (or numbers) the unknown ``codes`` equal once lost leading zeros are
        restored, for the message (``core.importing.padded_codes``)."""
        model: type[models.Model] = Member if members else OrgUnit
        found = padded_codes(
            codes, model._default_manager.filter(campaign=self.campaign), "number" if members else "code"
        )
        return [code for wanted in codes for code in found.get(wanted, [])]

    def remember_unit(self, unit: OrgUnit) -> None:
        self._units[unit.code] = unit

    def remember_member(self, member: Member) -> None:
        self._members[member.number] = member

    def forget_units(self) -> None:
        # A moved unit re-roots its subtree in the database; cached paths are then stale.
        self._units.clear()


class DirectoryWidget(widgets.Widget):
    """Looks codes up in the import's ``Directory``, bound by the resource."""

    directory: Directory

    def codes(self, value: Any) -> list[str]:
        return split_list(cell_text(value))


class UnitWidget(DirectoryWidget):
    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> OrgUnit | None:
        code = cell_text(value)
        if not code:
            return None
        found, _missing = self.directory.units([code])
        if not found:
            raise ValueError(suggest(unknown_units([code]), self.directory.lost_zeros([code])))
        return found[0]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.code if value is not None else ""


class UnitListWidget(DirectoryWidget):
    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> list[OrgUnit]:
        found, missing = self.directory.units(self.codes(value))
        if missing:
            raise ValueError(suggest(unknown_units(missing), self.directory.lost_zeros(missing)))
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return join_list(sorted(unit.code for unit in value.all())) if value is not None else ""


class MemberWidget(DirectoryWidget):
    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> Member | None:
        number = cell_text(value)
        if not number:
            return None
        found, _missing = self.directory.members([number])
        if not found:
            raise ValueError(suggest(unknown_members([number]), self.directory.lost_zeros([number], members=True)))
        return found[0]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.number if value is not None else ""


class MemberListWidget(DirectoryWidget):
    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> list[Member]:
        found, missing = self.directory.members(self.codes(value))
        if missing:
            raise ValueError(suggest(unknown_members(missing), self.directory.lost_zeros(missing, members=True)))
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return join_list(sorted(member.number for member in value.all())) if value is not None else ""


class NameListWidget(widgets.Widget):
    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> list[str]:
        return split_list(cell_text(value))


def unknown_units(codes: list[str]) -> str:
    return ngettext(
        "No organisation has the code %(codes)s in this campaign or earlier in the file.",
        "No organisations have the codes %(codes)s in this campaign or earlier in the file.",
        len(codes),
    ) % {"codes": join_list(codes)}


def unknown_members(numbers: list[str]) -> str:
    return ngettext(
        "No member has the number %(numbers)s in this campaign or earlier in the file.",
        "No members have the numbers %(numbers)s in this campaign or earlier in the file.",
        len(numbers),
    ) % {"numbers": join_list(numbers)}


# --- Resources ----------------------------------------------------------------


M = TypeVar("M", bound=models.Model)


class OrgResource(resources.ModelResource, Generic[M]):
    """Rows of one kind for one campaign, written with the importing user in history.

    ``import_instance`` is replaced so that every problem of a row is found in one pass
    and reported against its column: empty required cells, a key that an earlier row of
    the file already used, unknown codes and labels, and the kind's own rules.
    Relations to many (and supervisors) are checked with the row and written after it.
    """

    format_kind: ClassVar[str]
    key: ClassVar[str]  # the column that identifies a row within the campaign
    deferred: ClassVar[tuple[str, ...]] = ()  # written after the row is saved
    # Foreign keys the widgets already resolved within the campaign: not re-checked
    # one query each by full_clean().
    resolved: ClassVar[tuple[str, ...]] = ("campaign",)
    # Attributes naming the units a written row affects, before and after the change.
    unit_attributes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        campaign: Campaign | None = None,
        user: AnyUser | None = None,
        reason: str = "",
        directory: Directory | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.campaign = campaign
        self.user = user if user is not None and user.is_authenticated else None
        self.reason = reason[:100]
        self.directory = directory or Directory(campaign)
        # Per file: the row each key was first seen in. Per row: the row's relations to
        # many as cleaned, their current rows, its values before the import, whether it changes.
        self.seen: dict[str, int] = {}
        self.pending: dict[str, Any] = {}
        self.current_many: dict[str, set[int]] = {}
        self.before: dict[str, Any] | None = None
        self.changed = True
        for resource_field in self.fields.values():
            if isinstance(resource_field.widget, DirectoryWidget):
                resource_field.widget.directory = self.directory

    # Reading ------------------------------------------------------------------

    def get_queryset(self) -> QuerySet:
        return self._meta.model.objects.filter(campaign=self.campaign)

    def init_instance(self, row: dict | None = None) -> M:
        return self._meta.model(campaign=self.campaign)

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        """Map a file's headers to column keys (the admin hands the file over as is)."""
        if LINE in (dataset.headers or []):
            return
        lookup = column_lookup(self.format_kind)
        headers = []
        for header in dataset.headers or []:
            column = lookup.get(normalise_name(header))
            if column is None and cell_text(header):
                raise ValueError(FORMAT.unknown_column(self.format_kind, cell_text(header)))
            headers.append(column.key if column else "")
        rows = [tuple(read_cell(v) for v in row) for row in dataset]
        dataset.wipe()
        dataset.headers = [*headers, LINE]
        for number, row in enumerate(rows, start=2):
            dataset.append((*row, number))

    def line(self, row: dict, kwargs: dict) -> int:
        return int(row.get(LINE) or kwargs.get("row_number", 0) + 1)

    def import_instance(self, instance: M, row: dict, **kwargs: Any) -> None:
        errors: dict[str, ValidationError] = {}
        self.pending = {}
        self.current_many = {}
        self.before = before = self.snapshot(instance) if instance.pk else None
        for column in COLUMNS[self.format_kind]:
            if column.required and not cell_text(row.get(column.key)):
                errors[column.key] = ValidationError(_("This cell is required."))
        key = cell_text(row.get(self.key))
        if key and self.key not in errors:
            first = self.seen.setdefault(key, self.line(row, kwargs))
            if first != self.line(row, kwargs):
                errors[self.key] = ValidationError(
                    _("%(value)s already appears in row %(row)d of this sheet.") % {"value": key, "row": first}
                )
        for name in self.get_import_order():
            resource_field = self.fields[name]
            if name in errors or resource_field.column_name not in row:
                continue
            try:
                value = resource_field.clean(row, **kwargs)
            except ValueError as exc:
                errors[name] = ValidationError(str(exc))
                continue
            if name in self.deferred:
                self.pending[name] = value
            else:
                setattr(instance, resource_field.attribute, value)
        if not errors:
            self.check_row(instance, errors)
        if errors:
            raise ValidationError(errors)
        # deferred_changed() reads each relation's current rows once, for set_many() too.
        self.changed = before is None or self.deferred_changed(instance) or before != self.snapshot(instance)

    def check_row(self, instance: M, errors: dict[str, ValidationError]) -> None:
        """The kind's rules that involve more than one cell (hook)."""

    def snapshot(self, instance: M) -> dict[str, Any]:
        return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}

    def current(self, instance: M, attribute: str) -> set[int]:
        """The primary keys a relation to many holds now, read once per row."""
        if attribute not in self.current_many:
            self.current_many[attribute] = (
                set(getattr(instance, attribute).values_list("pk", flat=True)) if instance.pk else set()
            )
        return self.current_many[attribute]

    def deferred_changed(self, instance: M) -> bool:
        changed = False
        for name, value in self.pending.items():
            changed |= self.current(instance, self.fields[name].attribute) != {obj.pk for obj in value}
        return changed

    def skip_row(self, instance: M, original: Any, row: dict, import_validation_errors: Any = None) -> bool:
        # An existing row that the file leaves as it is: no write, no history entry.
        return not import_validation_errors and not self.changed

    def validate_instance(
        self, instance: M, import_validation_errors: dict | None = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        try:
            # Uniqueness is the loader's and the file check's job (and the database's).
            instance.full_clean(exclude=[*errors, *self.resolved], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            # A cell already found wrong (say, an unknown parent code) explains itself;
            # the model's complaint about the resulting blank would only repeat it.
            for key, messages in exc.message_dict.items():
                if key not in errors and not (key == NON_FIELD_ERRORS and errors):
                    errors[key] = messages
        if errors:
            raise ValidationError(errors)

    # Writing ------------------------------------------------------------------

    def before_save_instance(self, instance: M, row: dict, **kwargs: Any) -> None:
        stamp(instance, self.user, self.reason)

    def after_save_instance(self, instance: M, row: dict, **kwargs: Any) -> None:
        for attribute in self.unit_attributes:
            for state in (self.before or {}, {attribute: getattr(instance, attribute)}):
                if state.get(attribute):
                    self.directory.touched.add(state[attribute])

    def save_m2m(self, instance: M, row: dict, **kwargs: Any) -> None:
        for name, value in self.pending.items():
            self.set_many(instance, self.fields[name].attribute, value)

    def set_many(self, instance: M, attribute: str, wanted: list[models.Model]) -> None:
        """Like ``.set()``, without reading the relation a second time (and not at all for
        a new row); every change still sends the signals the history listens to."""
        current = self.current(instance, attribute) if self.before is not None else set()
        manager = getattr(instance, attribute)
        wanted_ids = {obj.pk for obj in wanted}
        if current - wanted_ids:
            manager.remove(*(current - wanted_ids))
        if wanted_ids - current:
            manager.add(*[obj for obj in wanted if obj.pk not in current])

    def after_import(self, dataset: tablib.Dataset, result: Any, **kwargs: Any) -> None:
        """Rows never carry primary keys, so there is no sequence to reset."""

    # Export -------------------------------------------------------------------

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        by_key = {c.key: c for c in COLUMNS[self.format_kind]}
        return [by_key[f.column_name].header() for f in self.get_export_fields(selected_fields)]

    def for_export(self, queryset: QuerySet) -> QuerySet:
        """The queryset with what the export reads loaded up front (hook)."""
        return queryset

    def column_for(self, error_key: str) -> str:
        """The column key an error of the model or the resource belongs to."""
        resource_field = self.fields.get(error_key)
        if resource_field is not None:
            return resource_field.column_name
        for resource_field in self.fields.values():
            if resource_field.attribute == error_key:
                return resource_field.column_name
        return ""


# The attributes django-simple-history reads off an instance being saved for the
# history row it writes.
HISTORY_USER_ATTRIBUTE = "_history_user"
CHANGE_REASON_ATTRIBUTE = "_change_reason"


def stamp(instance: models.Model, user: User | None, reason: str) -> None:
    """Who made the change and why, for the history record that saving writes."""
    setattr(instance, HISTORY_USER_ATTRIBUTE, user)
    setattr(instance, CHANGE_REASON_ATTRIBUTE, reason)


class UnitResource(OrgResource[OrgUnit]):
    format_kind = UNITS
    key = "code"
    resolved = ("campaign", "parent", "responsible_leader")
    unit_attributes = ("id", "parent_id")

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    kind = Field(attribute="kind", column_name="kind", widget=choice_widget(OrgUnitKind, gettext_lazy("kind")))
    parent = Field(attribute="parent", column_name="parent", widget=UnitWidget())
    # Kept as written here; set after the members sheet (``Directory.leaders``).
    responsible_leader = Field(column_name="responsible_leader", widget=TextWidget())

    deferred = ("responsible_leader",)

    class Meta:
        model = OrgUnit
        fields = ("code", "name", "kind", "parent", "responsible_leader")
        import_id_fields = ("code",)
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        chunk_size = 2000

    def import_instance(self, instance: OrgUnit, row: dict, **kwargs: Any) -> None:
        self.old_path = instance.path
        super().import_instance(instance, row, **kwargs)

    def deferred_changed(self, instance: OrgUnit) -> bool:
        # The leader is compared when it is set, after the members sheet.
        return False

    def save_m2m(self, instance: OrgUnit, row: dict, **kwargs: Any) -> None:
        self.remember_leader(instance, row, kwargs, unchanged=False)

    def skip_row(self, instance: OrgUnit, original: Any, row: dict, import_validation_errors: Any = None) -> bool:
        skip = super().skip_row(instance, original, row, import_validation_errors)
        if skip and not import_validation_errors:
            self.remember_leader(instance, row, {}, unchanged=True)
        return skip

    def remember_leader(self, instance: OrgUnit, row: dict, kwargs: dict, *, unchanged: bool) -> None:
        if "responsible_leader" in self.pending:
            self.directory.leaders.append(
                PendingLeader(
                    unit=instance,
                    number=self.pending["responsible_leader"],
                    line=self.line(row, kwargs),
                    unchanged=unchanged,
                )
            )

    def dehydrate_responsible_leader(self, unit: OrgUnit) -> str:
        leader = unit.responsible_leader if unit.responsible_leader_id else None
        return leader.number if leader is not None else ""

    def after_save_instance(self, instance: OrgUnit, row: dict, **kwargs: Any) -> None:
        super().after_save_instance(instance, row, **kwargs)
        if self.old_path and instance.path != self.old_path:
            self.directory.forget_units()
        self.directory.remember_unit(instance)

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("parent", "responsible_leader").order_by("path")


class MemberResource(OrgResource[Member]):
    format_kind = MEMBERS
    key = "number"
    deferred = ("in_charge_of",)
    resolved = ("campaign", "unit", "branch", "user")
    unit_attributes = ("unit_id", "branch_id")

    number = Field(attribute="number", column_name="number", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    unit = Field(attribute="unit", column_name="unit", widget=UnitWidget())
    branch = Field(attribute="branch", column_name="branch", widget=UnitWidget())
    rank = Field(
        attribute="rank", column_name="rank", widget=choice_widget(Rank, gettext_lazy("rank")), default=Rank.ORDINARY
    )
    position = Field(attribute="position", column_name="position", widget=TextWidget())
    in_charge_of = Field(attribute="in_charge_of", column_name="in_charge_of", widget=UnitListWidget())

    class Meta:
        model = Member
        fields = ("number", "name", "unit", "branch", "rank", "position", "in_charge_of")
        import_id_fields = ("number",)
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        chunk_size = 2000

    def after_save_instance(self, instance: Member, row: dict, **kwargs: Any) -> None:
        super().after_save_instance(instance, row, **kwargs)
        self.directory.remember_member(instance)

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.select_related("unit", "branch")
            .prefetch_related(None)
            .prefetch_related("in_charge_of")
            .order_by("unit__path", "number")
        )


class LeadershipTeamResource(OrgResource[LeadershipTeam]):
    format_kind = TEAMS
    key = "code"
    deferred = ("members",)
    resolved = ("campaign", "unit", "head")
    unit_attributes = ("unit_id",)

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    kind = Field(attribute="kind", column_name="kind", widget=choice_widget(TeamKind, gettext_lazy("kind")))
    unit = Field(attribute="unit", column_name="unit", widget=UnitWidget())
    head = Field(attribute="head", column_name="head", widget=MemberWidget())
    members = Field(attribute="members", column_name="members", widget=MemberListWidget())

    class Meta:
        model = LeadershipTeam
        fields = ("code", "name", "kind", "unit", "head", "members")
        import_id_fields = ("code",)
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        chunk_size = 2000

    def check_row(self, instance: LeadershipTeam, errors: dict[str, ValidationError]) -> None:
        if instance.head_id:
            if "members" in self.pending:
                member_ids = {m.pk for m in self.pending["members"]}
            elif instance.pk:
                member_ids = self.current(instance, "members")
            else:
                member_ids = set()
            if instance.head_id not in member_ids:
                head = instance.head
                assert head is not None  # head_id is set
                errors["head"] = ValidationError(
                    _("The head %(number)s is not a member of this team; add the number to “%(column)s”.")
                    % {"number": head.number, "column": column_header(TEAMS, "members")}
                )
        if instance.kind == TeamKind.STANDING_COMMITTEE:
            other = (
                LeadershipTeam.objects.filter(campaign=self.campaign, kind=TeamKind.STANDING_COMMITTEE)
                .exclude(pk=instance.pk)
                .first()
            )
            if other is not None:
                errors["kind"] = ValidationError(
                    _("The campaign already has a Standing Committee team (%(code)s).") % {"code": other.code}
                )

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.select_related("unit", "head")
            .prefetch_related(None)
            .prefetch_related("members")
            .order_by("unit__path", "code")
        )


class SupervisoryTeamResource(OrgResource[SupervisoryTeam]):
    """Supervisors are named, not numbered: a team's leader and members are the
    supervisors of that team, added, promoted or removed to match the row."""

    format_kind = SUPERVISORY_TEAMS
    key = "name"
    deferred = ("leader", "members", "units")

    name = Field(attribute="name", column_name="name", widget=TextWidget())
    level = Field(attribute="level", column_name="level", widget=choice_widget(SupervisoryLevel, gettext_lazy("level")))
    leader = Field(attribute="leader", column_name="leader", widget=NameListWidget())
    members = Field(attribute="supervisors", column_name="members", widget=NameListWidget())
    units = Field(attribute="units", column_name="units", widget=UnitListWidget())

    class Meta:
        model = SupervisoryTeam
        fields = ("name", "level", "leader", "members", "units")
        import_id_fields = ("name",)
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        chunk_size = 2000

    def check_row(self, instance: SupervisoryTeam, errors: dict[str, ValidationError]) -> None:
        leaders = self.pending.get("leader", [])
        if len(leaders) > 1:
            errors["leader"] = ValidationError(
                _("A supervisory team has one leader; list the others under “%(column)s”.")
                % {"column": column_header(SUPERVISORY_TEAMS, "members")}
            )
        twice = [name for name in self.pending.get("members", []) if name in leaders]
        if twice:
            errors["members"] = ValidationError(
                _("%(names)s is already the leader of this team.") % {"names": join_list(twice)}
            )
        limit = Supervisor._meta.get_field("name").max_length
        assert limit is not None  # a CharField always has one
        for column in ("leader", "members"):
            if column not in errors and any(len(name) > limit for name in self.pending.get(column, [])):
                errors[column] = ValidationError(
                    _("A name may be at most %(limit)d characters long.") % {"limit": limit}
                )

    def wanted_supervisors(self, instance: SupervisoryTeam) -> dict[str, bool] | None:
        """Name → is leader, as the row wants it; None when the row names no supervisors."""
        if "leader" not in self.pending and "members" not in self.pending:
            return None
        current = {s.name: s.is_leader for s in instance.supervisors.all()} if instance.pk else {}
        leaders = self.pending.get("leader", [n for n, lead in current.items() if lead])
        others = self.pending.get("members", [n for n, lead in current.items() if not lead])
        wanted = dict.fromkeys(others, False)
        wanted.update(dict.fromkeys(leaders, True))
        return wanted

    def deferred_changed(self, instance: SupervisoryTeam) -> bool:
        if "units" in self.pending and self.current(instance, "units") != {u.pk for u in self.pending["units"]}:
            return True
        wanted = self.wanted_supervisors(instance)
        return wanted is not None and wanted != {s.name: s.is_leader for s in instance.supervisors.all()}

    def save_m2m(self, instance: SupervisoryTeam, row: dict, **kwargs: Any) -> None:
        if "units" in self.pending:
            self.set_many(instance, "units", self.pending["units"])
        wanted = self.wanted_supervisors(instance)
        if wanted is None:
            return
        existing = {s.name: s for s in instance.supervisors.all()}
        # Demote and remove first: a team may have only one leader at any moment.
        for name, supervisor in existing.items():
            if name not in wanted:
                stamp(supervisor, self.user, self.reason)
                supervisor.delete()
            elif supervisor.is_leader and not wanted[name]:
                supervisor.is_leader = False
                stamp(supervisor, self.user, self.reason)
                supervisor.save(update_fields=["is_leader"])
        for name, is_leader in wanted.items():
            kept = existing.get(name)
            if kept is None:
                added = Supervisor(team=instance, name=name, is_leader=is_leader)
                stamp(added, self.user, self.reason)
                added.save()
            elif is_leader and not kept.is_leader:
                kept.is_leader = True
                stamp(kept, self.user, self.reason)
                kept.save(update_fields=["is_leader"])

    def dehydrate_leader(self, team: SupervisoryTeam) -> str:
        return join_list(s.name for s in team.supervisors.all() if s.is_leader)

    def dehydrate_members(self, team: SupervisoryTeam) -> str:
        return join_list(sorted(s.name for s in team.supervisors.all() if not s.is_leader))

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.prefetch_related(None)
            .prefetch_related(
                Prefetch("supervisors", queryset=Supervisor.objects.order_by("name")),
                Prefetch("units", queryset=OrgUnit.objects.only("pk", "code")),
            )
            .order_by("-level", "name")
        )


RESOURCES: dict[str, type[OrgResource[Any]]] = {
    UNITS: UnitResource,
    MEMBERS: MemberResource,
    TEAMS: LeadershipTeamResource,
    SUPERVISORY_TEAMS: SupervisoryTeamResource,
}


def format_description() -> list[dict[str, Any]]:
    """What the import page tells users about the format, in the current language."""
    description = []
    for kind in KINDS:
        resource_fields = RESOURCES[kind]().fields
        columns = []
        for column in COLUMNS[kind]:
            widget = resource_fields[column.key].widget
            values = (
                join_list(widget.label(v) for v in widget.choices.values) if isinstance(widget, ChoiceWidget) else ""
            )
            other = column.en if chinese() else column.zh
            columns.append({"header": column.header(), "other": other, "required": column.required, "values": values})
        description.append({"kind": KIND_LABELS[kind], "sheet": f"{SHEET_NAMES[kind][0]} / {kind}", "columns": columns})
    return description


# --- Export -------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_WIDTHS = {"name": 30, "in_charge_of": 30, "members": 40, "units": 40, "position": 20}


def export_xlsx(kind: str, queryset: QuerySet) -> bytes:
    """One sheet of one kind, in the format the import reads."""
    return export_workbook([(kind, queryset)])


def export_campaign(campaign: Campaign) -> bytes:
    """The campaign's whole organisation, a sheet per kind: what ``import_org`` reads back."""
    models_by_kind: dict[str, type[models.Model]] = {
        UNITS: OrgUnit,
        MEMBERS: Member,
        TEAMS: LeadershipTeam,
        SUPERVISORY_TEAMS: SupervisoryTeam,
    }
    return export_workbook((kind, models_by_kind[kind]._default_manager.filter(campaign=campaign)) for kind in KINDS)


def export_workbook(parts: Iterable[tuple[str, QuerySet]]) -> bytes:
    """A workbook with a sheet per kind, written row by row (write-only) so that a
    province's members do not have to fit in memory as cells."""
    workbook = Workbook(write_only=True)
    for kind, queryset in parts:
        resource = RESOURCES[kind]()
        widths = [_WIDTHS.get(column.key, 16) for column in COLUMNS[kind]]
        sheet = import_sheet(workbook, sheet_title(kind), resource.get_export_headers(), widths)
        for obj in resource.iter_queryset(resource.for_export(queryset)):
            sheet.append([text_cell(sheet, value) for value in resource.export_resource(obj)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(kind: str, queryset: QuerySet, *, filename: str) -> HttpResponse:
    """A list page's download: its rows in the import format (so that it round-trips)."""
    return content_response(export_xlsx(kind, queryset), filename)


# --- Reading files ------------------------------------------------------------


class OrgReader(SpreadsheetReader):
    """Reads the organisation's workbooks and CSV files (see ``core.importing``)."""

    format = FORMAT


def error_column(resource: OrgResource, key: str, table: Table) -> str:
    """The header, as written in the file, of the column an error belongs to."""
    column_key = resource.column_for(key) if key != NON_FIELD_ERRORS else ""
    return table.header_of(column_key) if column_key else ""
