"""The organisation import's fast path: a chunk of new rows, checked and written in bulk.

``org_import`` reads a file chunk by chunk. A chunk whose every row creates a record
(its key is in neither the campaign nor the file so far), names only organisations
and members that exist, and passes the model's checks is written here: its codes and
numbers looked up once for the chunk, its records bulk-created with their history
rows, the tree's paths set level by level, and each change announced as the model
signals would have (``campaign.org_events``): members added, a team's head and seats.
Relations to many (charges, seats) are added record by record through the related
managers, so that their history and announcements are the same as a row saved one by
one.

Anything else — a row that updates a record, an unknown code, a cell the checks
refuse, a Standing Committee team, a supervisory team with two leaders or a name
listed twice — leaves the chunk to the row by
row path (``campaign.resources``), which reports every problem at its cell: the fast
path never reports an error of its own, so the messages are the same either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Rank, Supervisor, SupervisoryTeam, TeamKind
from campaign.org_events import OrgChange, OrgChangeKind, org_changed
from campaign.resources import (
    MEMBERS,
    SUPERVISORY_TEAMS,
    TEAMS,
    UNITS,
    Directory,
    OrgResource,
    PendingLeader,
    split_list,
)
from core.bulk_write import insert_with_history
from core.excel import cell_text

Chunk = list[tuple[int, dict[str, str]]]


class _Slow(Exception):
    """The chunk needs the row by row path."""


class FastPath:
    """One import's fast path, sharing the directory and the resources' "seen" keys with
    the row by row path, so that either may take the next chunk."""

    def __init__(self, *, campaign: Campaign, user: Any, reason: str, directory: Directory) -> None:
        self.campaign = campaign
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.reason = reason[:100]
        self.now = timezone.now()
        self.directory = directory
        self.writers: dict[str, Callable[[OrgResource[Any], Chunk], int]] = {
            UNITS: self.units,
            MEMBERS: self.members,
            TEAMS: self.teams,
            SUPERVISORY_TEAMS: self.supervision,
        }

    def import_chunk(self, kind: str, resource: OrgResource[Any], chunk: Chunk) -> int | None:
        """Write the chunk and return how many records it created, or None (nothing
        written) when it needs the row by row path."""
        writer = self.writers.get(kind)
        if writer is None:
            return None
        seen = dict(resource.seen)
        try:
            return writer(resource, chunk)
        except _Slow:
            resource.seen = seen
            return None

    # --- Shared checks --------------------------------------------------------------

    def new_keys(self, resource: OrgResource[Any], chunk: Chunk, model: type[models.Model], key: str) -> None:
        """Every row's key given, new to the file and to the campaign."""
        keys = [cell_text(row.get(key)) for _line, row in chunk]
        if not all(keys) or len(set(keys)) != len(keys) or any(k in resource.seen for k in keys):
            raise _Slow
        if model._default_manager.filter(campaign=self.campaign, **{f"{key}__in": keys}).exists():
            raise _Slow
        for (line, _row), value in zip(chunk, keys, strict=True):
            resource.seen[value] = line

    def required(self, resource: OrgResource[Any], chunk: Chunk) -> None:
        from campaign.resources import COLUMNS

        for column in COLUMNS[resource.format_kind]:
            if column.required and any(not cell_text(row.get(column.key)) for _line, row in chunk):
                raise _Slow

    def units_of(self, codes: set[str]) -> dict[str, OrgUnit]:
        found, missing = self.directory.units(sorted(code for code in codes if code))
        if missing:
            raise _Slow
        return {unit.code: unit for unit in found}

    def members_of(self, numbers: set[str]) -> dict[str, Member]:
        found, missing = self.directory.members(sorted(n for n in numbers if n))
        if missing:
            raise _Slow
        return {member.number: member for member in found}

    @staticmethod
    def choice(resource: OrgResource[Any], name: str, text: str, default: str = "") -> str:
        if not text:
            return default
        try:
            return resource.fields[name].widget.clean(text)
        except ValueError:
            raise _Slow from None

    @staticmethod
    def valid(instance: models.Model, exclude: tuple[str, ...]) -> None:
        try:
            instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
        except ValidationError:
            raise _Slow from None

    def create(
        self, model: type[models.Model], records: list[Any], prepare: Callable[[list[Any]], None] | None = None
    ) -> list[Any]:
        return insert_with_history(model, records, user=self.user, reason=self.reason, when=self.now, prepare=prepare)

    @staticmethod
    def link(model: type[models.Model], name: str, links: list[tuple[Any, Any]]) -> None:
        """Relations to many of records just created: the link rows in bulk, and in the
        history the links of each record's creation (simple-history's m2m history rows,
        as ``add()`` right after the creation would have written them)."""
        through = getattr(model, name).through
        source = next(f for f in through._meta.fields if f.is_relation and f.related_model is model)
        target = next(f for f in through._meta.fields if f.is_relation and f is not source)
        rows = through.objects.bulk_create(
            [through(**{source.attname: record.pk, target.attname: other.pk}) for record, other in links],
            batch_size=500,
        )
        created = model.history.filter(id__in={record.pk for record, _other in links}, history_type="+")  # type: ignore[attr-defined]
        history = {entry.id: entry for entry in created.order_by("history_id")}
        historical = apps.get_model(model._meta.app_label, f"Historical{model.__name__}_{name}")
        historical.objects.bulk_create(
            [
                historical(
                    **{
                        "id": row.pk,
                        source.attname: getattr(row, source.attname),
                        target.attname: getattr(row, target.attname),
                    },
                    history=history[getattr(row, source.attname)],
                )
                for row in rows
            ],
            batch_size=500,
        )

    # --- Organisations ---------------------------------------------------------------

    def units(self, resource: OrgResource[Any], chunk: Chunk) -> int:
        self.required(resource, chunk)
        self.new_keys(resource, chunk, OrgUnit, "code")
        codes = {row["code"] for _line, row in chunk}
        known = self.units_of({row.get("parent", "") for _line, row in chunk} - codes)
        rows = {row["code"]: (line, row) for line, row in chunk}
        if any(row.get("parent", "") in codes and rows[row["parent"]][0] > line for line, row in chunk):
            raise _Slow  # a parent must come earlier in the file: the row by row path says so
        # Level by level: a row whose parent is another row of the chunk waits for it.
        levels: list[list[str]] = []
        placed: set[str] = set()
        while len(placed) < len(rows):
            level = [
                code
                for code, (_line, row) in rows.items()
                if code not in placed
                and (not row.get("parent") or row["parent"] not in codes or row["parent"] in placed)
            ]
            if not level:
                raise _Slow  # a cycle: the row by row path names it
            levels.append(level)
            placed.update(level)
        created = 0
        for level in levels:
            records = []
            for code in level:
                line, row = rows[code]
                parent_code = row.get("parent", "")
                unit = OrgUnit(
                    campaign=self.campaign,
                    code=code,
                    name=cell_text(row.get("name")),
                    kind=self.choice(resource, "kind", cell_text(row.get("kind"))),
                    parent=known[parent_code] if parent_code else None,
                )
                self.valid(unit, ("campaign", "parent", "responsible_leader"))
                records.append((unit, line, row))
            units = self.create(OrgUnit, [unit for unit, _line, _row in records], prepare=self.place)
            for unit, line, row in records:
                known[unit.code] = unit
                self.directory.remember_unit(unit)
                self.directory.touched.update(pk for pk in (unit.pk, unit.parent_id) if pk)
                if "responsible_leader" in row:
                    self.directory.leaders.append(
                        PendingLeader(
                            unit=unit, number=cell_text(row["responsible_leader"]), line=line, unchanged=False
                        )
                    )
            created += len(units)
        return created

    @staticmethod
    def place(units: list[OrgUnit]) -> None:
        """The tree's path and depth of new units, from their ids (drawn before they are written)."""
        for unit in units:
            parent_path = unit.parent.path if unit.parent is not None else "/"
            unit.path = f"{parent_path}{unit.pk:08d}/"
            unit.depth = unit.path.count("/") - 2

    # --- Members ---------------------------------------------------------------------

    def members(self, resource: OrgResource[Any], chunk: Chunk) -> int:
        self.required(resource, chunk)
        self.new_keys(resource, chunk, Member, "number")
        codes = {row.get(key, "") for _line, row in chunk for key in ("unit", "branch")}
        charges = {line: split_list(cell_text(row.get("in_charge_of"))) for line, row in chunk}
        units = self.units_of(codes | {code for codes in charges.values() for code in codes})
        records = []
        for line, row in chunk:
            member = Member(
                campaign=self.campaign,
                number=row["number"],
                name=cell_text(row.get("name")),
                unit=units[row["unit"]],
                branch=units[row["branch"]] if row.get("branch") else None,
                rank=self.choice(resource, "rank", cell_text(row.get("rank")), Rank.ORDINARY),
                position=cell_text(row.get("position")),
            )
            self.valid(member, ("campaign", "unit", "branch", "user"))
            records.append((member, line))
        members = self.create(Member, [member for member, _line in records])
        # What post_save would have announced: one change per unit (the followers file a
        # new member under his or her unit; branch and rank are given when they agree).
        added: dict[int, list[Member]] = defaultdict(list)
        for member in members:
            added[member.unit_id].append(member)
            self.directory.remember_member(member)
            self.directory.touched.update(pk for pk in (member.unit_id, member.branch_id) if pk)
        for unit_id, group in sorted(added.items()):
            branches = {member.branch_id for member in group}
            ranks = {str(member.rank) for member in group}
            org_changed.send(
                sender=Member,
                change=OrgChange(
                    campaign_id=self.campaign.pk,
                    kind=OrgChangeKind.MEMBER_ADDED,
                    member_ids=frozenset(member.pk for member in group),
                    new_unit_id=unit_id,
                    new_branch_id=branches.pop() if len(branches) == 1 else None,
                    new_rank=ranks.pop() if len(ranks) == 1 else "",
                ),
            )
        links = [(member, units[code]) for member, line in records for code in charges[line]]
        if links:
            self.link(Member, "in_charge_of", links)
            org_changed.send(
                sender=Member,
                change=OrgChange(
                    campaign_id=self.campaign.pk,
                    kind=OrgChangeKind.CHARGE_ADDED,
                    member_ids=frozenset(member.pk for member, _unit in links),
                    unit_ids=frozenset(unit.pk for _member, unit in links),
                ),
            )
        return len(members)

    # --- Leadership teams --------------------------------------------------------------

    def teams(self, resource: OrgResource[Any], chunk: Chunk) -> int:
        self.required(resource, chunk)
        self.new_keys(resource, chunk, LeadershipTeam, "code")
        units = self.units_of({row.get("unit", "") for _line, row in chunk})
        seats = {line: split_list(cell_text(row.get("members"))) for line, row in chunk}
        members = self.members_of(
            {row.get("head", "") for _line, row in chunk} | {n for numbers in seats.values() for n in numbers}
        )
        records = []
        for line, row in chunk:
            kind = self.choice(resource, "kind", cell_text(row.get("kind")))
            head = members[row["head"]] if row.get("head") else None
            if kind == TeamKind.STANDING_COMMITTEE or (head is not None and head.number not in seats[line]):
                raise _Slow  # the rules of one row at a time name these
            team = LeadershipTeam(
                campaign=self.campaign,
                code=row["code"],
                name=cell_text(row.get("name")),
                kind=kind,
                unit=units[row["unit"]],
                head=head,
            )
            self.valid(team, ("campaign", "unit", "head"))
            records.append((team, line))
        teams = self.create(LeadershipTeam, [team for team, _line in records])
        self.directory.touched.update(team.unit_id for team in teams)
        headed = [team for team in teams if team.head_id is not None]
        if headed:
            # Teams created with a head: each head's seat is new (as post_save says, here
            # for the chunk's teams at once).
            org_changed.send(
                sender=LeadershipTeam,
                change=OrgChange(
                    campaign_id=self.campaign.pk,
                    kind=OrgChangeKind.TEAM_HEAD_CHANGED,
                    fields=frozenset({"head"}),
                    team_ids=frozenset(team.pk for team in headed),
                    member_ids=frozenset(team.head_id for team in headed),
                    new_leader_id=headed[0].head_id if len(headed) == 1 else None,
                ),
            )
        links = [(team, members[number]) for team, line in records for number in seats[line]]
        if links:
            self.link(LeadershipTeam, "members", links)
            org_changed.send(
                sender=LeadershipTeam,
                change=OrgChange(
                    campaign_id=self.campaign.pk,
                    kind=OrgChangeKind.TEAM_SEATS_ADDED,
                    team_ids=frozenset(team.pk for team, _member in links),
                    member_ids=frozenset(member.pk for _team, member in links),
                ),
            )
        return len(teams)

    # --- Supervisory teams ---------------------------------------------------------------

    def supervision(self, resource: OrgResource[Any], chunk: Chunk) -> int:
        """New supervisory teams, their supervisors (the leader, the members) and the
        units in their care; the changes announced once for the chunk."""
        self.required(resource, chunk)
        self.new_keys(resource, chunk, SupervisoryTeam, "name")
        cares = {line: split_list(cell_text(row.get("units"))) for line, row in chunk}
        units = self.units_of({code for codes in cares.values() for code in codes})
        limit = Supervisor._meta.get_field("name").max_length or 0
        records = []
        for line, row in chunk:
            leaders = split_list(cell_text(row.get("leader")))
            others = split_list(cell_text(row.get("members")))
            if len(leaders) > 1 or set(leaders) & set(others) or any(len(n) > limit for n in [*leaders, *others]):
                raise _Slow  # the rules of one row at a time name these
            team = SupervisoryTeam(
                campaign=self.campaign,
                name=cell_text(row.get("name")),
                level=self.choice(resource, "level", cell_text(row.get("level"))),
            )
            self.valid(team, ("campaign",))
            records.append((team, line, leaders, others))
        teams = self.create(SupervisoryTeam, [team for team, *_rest in records])
        supervisors = [
            Supervisor(team=team, name=name, is_leader=name in leaders)
            for team, _line, leaders, others in records
            for name in [*others, *leaders]
        ]
        for supervisor in supervisors:
            self.valid(supervisor, ("team", "user"))
        if supervisors:
            self.create(Supervisor, supervisors)
            org_changed.send(
                sender=Supervisor,
                change=OrgChange(
                    campaign_id=self.campaign.pk,
                    kind=OrgChangeKind.SUPERVISOR_ADDED,
                    team_ids=frozenset(s.team_id for s in supervisors),
                    supervisor_ids=frozenset(s.pk for s in supervisors),
                ),
            )
        links = [(team, units[code]) for team, line, _leaders, _others in records for code in cares[line]]
        if links:
            self.link(SupervisoryTeam, "units", links)
            org_changed.send(
                sender=SupervisoryTeam,
                change=OrgChange(
                    campaign_id=self.campaign.pk,
                    kind=OrgChangeKind.SUPERVISED_UNITS_ADDED,
                    team_ids=frozenset(team.pk for team, _unit in links),
                    unit_ids=frozenset(unit.pk for _team, unit in links),
                ),
            )
        return len(teams)
