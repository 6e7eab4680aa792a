"""Importing opinions and solicitation events from a spreadsheet, in bulk.

``opinions_import`` reads an .xlsx workbook (a sheet of events and/or a sheet of
opinions) or a .csv file (one kind) in the format of ``opinions.resources``, streaming
it in chunks of ``CHUNK_ROWS`` rows, so that memory stays bounded whatever the file's
size.

All or nothing, without holding the file in memory: the whole import runs in ONE
transaction. Each chunk is validated in Python — targets, units and events looked up
with one query per kind for the whole chunk, never one per row — and, while every row
so far has been good, written at once together with its history rows
(``write_opinions``: COPY on PostgreSQL, ``bulk_create_with_history`` elsewhere). At
the first bad row writing stops, but reading and validating go on to the end, so the
report names every bad row of the file; the transaction is then rolled back and
nothing stays written. A dry run validates only. After a good import the
affected ledger units are announced once (``campaign.events.announce_change``), and the
roll-up recomputes them after the commit.

Category and ledger unit are never read from the file: ``opinions.services.derive``
decides them from the target. A browser import is an ``ImportJob`` that a Celery task
(``opinions.tasks.run_import_job``) checks, then, once confirmed, imports, reporting
its progress on the job row.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from campaign.events import announce_change
from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, LeadershipTeam, Member, OrgUnit
from campaign.scoping import Scope, scope_for
from campaign.services import upload_stash
from core.importing import (
    ChoiceWidget,
    FileError,
    ImportReport,
    RowError,
    Table,
    chunks,
    import_all_or_nothing,
    normalise_name,
    padded_codes,
    parse_date,
    split_list,
    suggest,
)
from core.importing import not_a_date as _not_a_date
from core.jobs import claim_job, job_heartbeat
from core.jobs import import_job_confirm as confirm_import_job
from opinions import services
from opinions.models import EventLevel, ImportJob, Opinion, SolicitationEvent, SourceGroup, allocate_event_codes
from opinions.resources import (
    ASPECT_WIDGET,
    CHANNEL_WIDGET,
    EVENT_NUMBER,
    EVENT_TITLE_AND_DAY,
    EVENTS,
    FORMAT,
    KIND_WIDGET,
    KINDS,
    LEVEL_WIDGET,
    SOURCE_GROUP_WIDGET,
    TARGET_TYPE_WIDGET,
    Reader,
    TargetType,
)
from opinions.services import _check_fields as check_fields
from opinions.services import _check_solicitation as check_solicitation

logger = logging.getLogger(__name__)

# Rows validated (and written) at a time: bounded memory whatever the file's size.
CHUNK_ROWS = 5000
MAX_TARGET_TEXT = Opinion._meta.get_field("target_text").max_length


@dataclass
class SheetCount:
    kind: str
    sheet: str
    created: int = 0
    unchanged: int = 0  # events already recorded exactly so

    @property
    def rows(self) -> int:
        return self.created + self.unchanged

    @property
    def label(self) -> str:
        return str(FORMAT.labels[self.kind])

    def __str__(self) -> str:
        return _("%(kind)s (%(sheet)s): %(created)s new, %(unchanged)s already recorded") % {
            "kind": self.label,
            "sheet": self.sheet,
            "created": intcomma(self.created),
            "unchanged": intcomma(self.unchanged),
        }

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sheet": self.sheet, "created": self.created, "unchanged": self.unchanged}


Progress = Callable[[int, int], None]


def can_import(user: Any, campaign: Campaign) -> bool:
    """Whoever the scoping rules let import opinions, into a campaign in their scope."""
    scope = scope_for(user)
    return scope.can("opinions.import") and scope.can_see(campaign)


def opinions_import(
    *,
    campaign: Campaign,
    user: Any,
    source: IO[bytes],
    filename: str,
    dry_run: bool = True,
    again: bool = False,
    max_rows: int | None = None,
    max_unpacked: int | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import events and opinions into ``campaign``, all or nothing (see the module).

    ``user`` (None for a command run without one) must be allowed to import; each row's
    targets, units and events must lie in his or her scope, and he or she is recorded
    in the history of every row written, with the reason "import <filename>".
    ``max_rows``: refuse a file with more rows. ``progress(done, total)`` is called
    after every chunk."""
    if user is not None and not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)

    def read(tables: list[Table]) -> Callable[[], None]:
        run = _Run(
            campaign=campaign,
            user=user,
            report=report,
            dry_run=dry_run,
            reason=f"import {filename}"[:100],
            max_rows=max_rows,
            progress=progress,
            total=sum(t.declared_rows or 0 for t in tables),
        )
        run.tables(sorted(tables, key=lambda t: KINDS.index(t.kind or "")))
        return run.announce

    import_all_or_nothing(
        Reader(source, filename, max_unpacked=max_unpacked, sheet=sheet),
        report,
        read,
        FileRecord(campaign=campaign, kind=ImportKind.OPINIONS, user=user, again=again),
    )
    return report


class Directory:
    """The campaign's units, members, teams and events by code, number or title,
    looked up for a chunk of rows at once (one query per kind) and kept for the rest
    of the import. Only the rows the importer's scope reaches count as found in scope."""

    def __init__(self, campaign: Campaign, scope: Scope | None) -> None:
        self.campaign = campaign
        self.scope = scope
        self.units: dict[str, OrgUnit | None] = {}
        self.members: dict[str, Member | None] = {}
        self.teams: dict[str, LeadershipTeam | None] = {}
        # Codes not found, by model, with the codes they equal once lost leading zeros are restored.
        self.padded: dict[type[Model], dict[str, list[str]]] = {OrgUnit: {}, Member: {}, LeadershipTeam: {}}
        self.visible: dict[type[Model], set[int]] = {OrgUnit: set(), Member: set(), LeadershipTeam: set()}
        self._events: dict[int, SolicitationEvent] | None = None
        self.events_by_title: dict[tuple[int | None, str], list[SolicitationEvent]] = {}
        # The events recorded before this import, by code and by unit, title and day.
        self.recorded: dict[str, SolicitationEvent] = {}
        self.recorded_by_key: dict[tuple[int, str, datetime.date], list[SolicitationEvent]] = {}
        # The events sheet's rows by their number, for the opinions of the same file.
        self.numbered: dict[str, SolicitationEvent] = {}
        self.visible_events: set[int] = set()

    def load(self, *, units: Collection[str] = (), members: Collection[str] = (), teams: Collection[str] = ()) -> None:
        self._load(OrgUnit.objects.all(), "code", units, self.units)
        self._load(Member.objects.select_related("unit"), "number", members, self.members)
        self._load(LeadershipTeam.objects.select_related("unit"), "code", teams, self.teams)

    def _load(self, queryset: QuerySet, key: str, wanted: Collection[str], cache: dict[str, Any]) -> None:
        missing = [code for code in wanted if code not in cache]
        if not missing:
            return
        found = {getattr(obj, key): obj for obj in queryset.filter(campaign=self.campaign, **{f"{key}__in": missing})}
        for code in missing:
            cache[code] = found.get(code)
        unfound = [code for code in missing if code not in found]
        if unfound:
            self.padded[queryset.model].update(
                padded_codes(unfound, queryset.model._default_manager.filter(campaign=self.campaign), key)
            )
        if found:
            ids = [obj.pk for obj in found.values()]
            model = queryset.model
            if self.scope is None:
                self.visible[model].update(ids)
            else:
                queryset = model._default_manager.filter(pk__in=ids)
                self.visible[model].update(self.scope.filter(queryset).values_list("pk", flat=True))

    def in_scope(self, obj: Model) -> bool:
        return obj.pk in self.visible[type(obj)]

    # Events: a campaign holds hundreds, not millions; all are read once.

    def events(self) -> dict[int, SolicitationEvent]:
        if self._events is None:
            self._events = {}
            for event in SolicitationEvent.objects.filter(campaign=self.campaign).select_related("unit"):
                self.add_event(event)
                self.recorded[event.code] = event
                self.recorded_by_key.setdefault((event.unit_id, event.title, event.held_on), []).append(event)
            if self.scope is None:
                self.visible_events = set(self._events)
            else:
                visible = self.scope.filter(SolicitationEvent.objects.filter(campaign=self.campaign))
                self.visible_events = set(visible.values_list("pk", flat=True))
        return self._events

    def add_event(self, event: SolicitationEvent, *, visible: bool = False) -> None:
        """Make an event findable: one read from the database, or one of the file's."""
        if self._events is None:
            self.events()
        assert self._events is not None
        if event.pk is not None:
            self._events[event.pk] = event
            if visible:
                self.visible_events.add(event.pk)
        self.events_by_title.setdefault((event.unit_id, event.title), []).append(event)
        self.events_by_title.setdefault((None, event.title), []).append(event)

    def event_in_scope(self, event: SolicitationEvent) -> bool:
        return event.pk is None or event.pk in self.visible_events


class _Run:
    """One import: the tables in dependency order, chunk by chunk."""

    def __init__(
        self,
        *,
        campaign: Campaign,
        user: Any,
        report: ImportReport,
        dry_run: bool,
        reason: str,
        max_rows: int | None,
        progress: Progress | None,
        total: int,
    ) -> None:
        self.campaign = campaign
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.scope = scope_for(user) if user is not None else None
        self.report = report
        self.writing = not dry_run
        self.reason = reason
        self.max_rows = max_rows
        self.progress = progress
        self.total = total
        self.now = timezone.now()
        self.directory = Directory(campaign, self.scope)
        self.rows_read = 0
        self.opinion_units: set[int | None] = set()
        self.event_units: set[int | None] = set()
        self._choices: dict[tuple[int, str], str | None] = {}
        self._derived: dict[tuple[type, int], tuple[str, int | None]] = {}

    def tables(self, tables: list[Table]) -> None:
        for table in tables:
            count = SheetCount(kind=table.kind or "", sheet=table.sheet)
            rows = _EventRows(self, table, count) if table.kind == EVENTS else _OpinionRows(self, table, count)
            for chunk in chunks(table.rows, CHUNK_ROWS):
                self.rows_read += len(chunk)
                if self.max_rows is not None and self.rows_read > self.max_rows:
                    raise FileError(
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": intcomma(self.max_rows)}
                    )
                good = rows.check(chunk)
                if self.writing and good is not None:
                    rows.write(good)
                if self.progress is not None:
                    self.total = max(self.total, self.rows_read)
                    self.progress(self.rows_read, self.total)
            self.report.counts.append(count)
        if self.rows_read == 0:
            self.report.add_error(
                RowError(sheet=self.report.filename, row=0, column="", message=_("The file holds no rows to import."))
            )

    def error(self, table: Table, line: int, key: str, message: str) -> None:
        self.writing = False
        column = table.header_of(key) or (FORMAT.column_header(table.kind, key) if table.kind else "")
        self.report.add_error(RowError(sheet=table.sheet, row=line, column=column, message=message))

    def choice(self, widget: ChoiceWidget, text: str) -> str | None:
        """The stored value of a choice cell, None if unknown; "" for a blank cell."""
        key = (id(widget), text)
        if key not in self._choices:
            self._choices[key] = widget.lookup().get(normalise_name(text), None) if text else ""
        return self._choices[key]

    def derived(self, obj: LeadershipTeam | Member | OrgUnit) -> tuple[str, int | None]:
        """Category and ledger unit of a target, decided once per target by ``derive``."""
        key = (type(obj), obj.pk)
        if key not in self._derived:
            target = services.Target(
                team=obj if isinstance(obj, LeadershipTeam) else None,
                member=obj if isinstance(obj, Member) else None,
                unit=obj if isinstance(obj, OrgUnit) else None,
            )
            category, unit = services.derive(target)
            self._derived[key] = (category, unit.pk if unit is not None else None)
        return self._derived[key]

    def announce(self) -> None:
        # One announcement per kind of record, naming every unit whose ledger changed;
        # as in the services, None stands for opinions with no target yet (the general
        # ledger's "not yet assigned" bucket).
        for source, units in ((services.EVENT_SOURCE, self.event_units), (services.SOURCE, self.opinion_units)):
            announce_change(campaign_id=self.campaign.pk, unit_ids=units, source=source)


def _required() -> str:
    return _("This cell is required.")


class _Rows:
    def __init__(self, run: _Run, table: Table, count: SheetCount) -> None:
        self.run = run
        self.table = table
        self.count = count

    def fail(self, line: int, errors: list[tuple[str, str]]) -> None:
        for key, message in errors:
            self.run.error(self.table, line, key, message)

    def check(self, chunk: list[tuple[int, dict[str, str]]]) -> list[Any] | None:
        """The chunk's records, ready to write; None if any row is bad."""
        raise NotImplementedError

    def write(self, records: list[Any]) -> None:
        raise NotImplementedError


class _EventRows(_Rows):
    # The model's field names, in the file's columns.
    COLUMN_OF = {"held_on": "date", "ends_on": "until"}

    def __init__(self, run: _Run, table: Table, count: SheetCount) -> None:
        super().__init__(run, table, count)
        self.first_line: dict[str, int] = {}  # code → the row it was first seen in

    def check(self, chunk: list[tuple[int, dict[str, str]]]) -> list[SolicitationEvent] | None:
        directory = self.run.directory
        directory.events()
        directory.load(units={row.get("unit", "") for _line, row in chunk} - {""})
        good: list[SolicitationEvent] = []
        bad = False
        for line, row in chunk:
            event, errors = self.event(line, row)
            if errors:
                self.fail(line, errors)
                bad = True
            elif event is not None and event.pk is None:
                good.append(event)
                self.count.created += 1
            else:
                self.count.unchanged += 1
        if not self.run.writing:
            # Not written (a dry run, or a file already found bad): the file's opinions
            # may still name these events, and are checked against them.
            for event in good:
                directory.add_event(event)
        return None if bad else good

    def event(self, line: int, row: dict[str, str]) -> tuple[SolicitationEvent | None, list[tuple[str, str]]]:
        run = self.run
        directory = run.directory
        errors = [(key, _required()) for key in ("unit", "channel", "title", "date") if not row.get(key)]
        number = None
        if row.get("number"):
            # The event's code; "#" before it (as opinion rows name it) is left out.
            match = EVENT_NUMBER.match(row["number"]) or EVENT_NUMBER.match("#" + row["number"])
            if match is None:
                errors.append(
                    (
                        "number",
                        _("“%(value)s” is not an event code; write at most 40 letters or digits, no spaces.")
                        % {"value": row["number"]},
                    )
                )
            else:
                number = match.group(1)
                if number in self.first_line:
                    errors.append(
                        (
                            "number",
                            _("This number already appears in row %(row)d of this sheet.")
                            % {"row": self.first_line[number]},
                        )
                    )
                else:
                    self.first_line[number] = line
        unit = None
        if row.get("unit"):
            unit = directory.units.get(row["unit"])
            if unit is None:
                padded = self.run.directory.padded[OrgUnit].get(row["unit"], [])
                errors.append(("unit", suggest(_unknown_unit(row["unit"]), padded)))
        values: dict[str, Any] = {}
        for key, widget in (("channel", CHANNEL_WIDGET), ("level", LEVEL_WIDGET)):
            value = run.choice(widget, row.get(key, ""))
            if value is None:
                errors.append((key, widget.unknown(row[key])))
            values[key] = value
        for key in ("date", "until"):
            text = row.get(key, "")
            values[key] = parse_date(text) if text else None
            if text and values[key] is None:
                errors.append((key, _not_a_date(text)))
        groups = []
        for text in split_list(row.get("attendee_groups", "")):
            group = run.choice(SOURCE_GROUP_WIDGET, text)
            if group is None:
                errors.append(("attendee_groups", SOURCE_GROUP_WIDGET.unknown(text)))
                break
            groups.append(group)
        for key in ("attendance", "forms_issued", "forms_returned", "boxes_set"):
            text = row.get(key, "")
            if not text:
                values[key] = 0
            elif text.isdigit():
                values[key] = int(text)
            else:
                errors.append((key, _("“%(value)s” is not a whole number of zero or more.") % {"value": text}))
        if errors:
            return None, errors
        event = SolicitationEvent(
            campaign=run.campaign,
            unit=unit,
            channel=values["channel"],
            title=row["title"],
            level=values["level"] or EventLevel.UNIT,
            held_on=values["date"],
            ends_on=values["until"],
            place=row.get("place", ""),
            attendee_groups=[group for group in SourceGroup.values if group in set(groups)],
            attendance=values["attendance"],
            forms_issued=values["forms_issued"],
            forms_returned=values["forms_returned"],
            boxes_set=values["boxes_set"],
        )
        found: dict[str, list[str]] = {}
        for check in (
            lambda: check_solicitation(actor=run.user if run.scope else None, event=event),
            # Field by field (lengths, numbers); the foreign keys were looked up above.
            lambda: event.full_clean(exclude=["campaign", "unit"], validate_unique=False, validate_constraints=False),
        ):
            try:
                check()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    found.setdefault(name, []).extend(m for m in messages if m not in found.get(name, []))
        if found:
            return None, [(self.COLUMN_OF.get(name, name), messages[0]) for name, messages in found.items()]
        # A row exactly like an event already recorded (the one of its number, or, without
        # a number, one of its unit, title and day) is that event: importing a workbook
        # again does not record its events twice. Anything else is a new event.
        if number is not None:
            candidates = [directory.recorded[number]] if number in directory.recorded else []
        else:
            candidates = directory.recorded_by_key.get((unit.pk, event.title, event.held_on), [])
        same = _event_values(event)
        found_event = next((e for e in candidates if _event_values(e) == same), None)
        if found_event is None and candidates and number is not None:
            # A code names one event for good: another event cannot take it over.
            taken = candidates[0]
            return None, [
                (
                    "number",
                    _("The code %(code)s already names another event of this campaign: %(title)s, %(day)s.")
                    % {"code": number, "title": taken.title, "day": taken.held_on.isoformat()},
                )
            ]
        event = found_event or event
        if event.pk is None:
            event.code = number or ""
        if number is not None:
            directory.numbered[number] = event
        return event, []

    def write(self, records: list[SolicitationEvent]) -> None:
        if records:
            uncoded = [event for event in records if not event.code]
            codes = allocate_event_codes(self.run.campaign.pk, len(uncoded), taken=self.first_line)
            for event, code in zip(uncoded, codes, strict=True):
                event.code = code
            bulk_create_with_history(
                records,
                SolicitationEvent,
                batch_size=CHUNK_ROWS,
                default_user=self.run.user,
                default_change_reason=self.run.reason,
                default_date=self.run.now,
            )
            for event in records:
                self.run.directory.add_event(event, visible=True)
                # A later row of the file that gives this code names this event.
                self.run.directory.recorded.setdefault(event.code, event)
        self.run.event_units.update(event.unit_id for event in records)


def _event_values(event: SolicitationEvent) -> tuple[Any, ...]:
    names = (
        "unit_id",
        "channel",
        "title",
        "level",
        "held_on",
        "ends_on",
        "place",
        "attendance",
        "forms_issued",
        "forms_returned",
        "boxes_set",
    )
    return (*(getattr(event, name) for name in names), sorted(event.attendee_groups or []))


def _same_name(given: str, name: str) -> bool:
    """Names as offices type them: 张 三 (a space to line up two characters with three), a
    full-width space, another case of a Latin name, all agree."""
    return "".join(normalise_name(given).split()) == "".join(normalise_name(name).split())


def _unknown_unit(code: str) -> str:
    return _("No organisation has the code %(code)s in this campaign.") % {"code": code}


# A resolved target: team, member and unit id (one set), category, ledger unit; or what is wrong.
_Resolved = tuple[int | None, int | None, int | None, str, int | None, str]


class _OpinionRows(_Rows):
    def __init__(self, run: _Run, table: Table, count: SheetCount) -> None:
        super().__init__(run, table, count)
        # Per distinct cell, not per row: a county's 100,000 opinions name a few
        # thousand targets, a hundred recording units and a few hundred events.
        self.targets: dict[tuple[str, str], _Resolved] = {}
        self.target_names: dict[tuple[str, str], str] = {}
        self.recording_units: dict[str, tuple[OrgUnit | None, str]] = {}
        self.events: dict[tuple[str, int | None], tuple[SolicitationEvent | None, str]] = {}

    def check(self, chunk: list[tuple[int, dict[str, str]]]) -> list[tuple[Any, ...]] | None:
        run = self.run
        directory = run.directory
        directory.events()
        units: set[str] = set()
        members: set[str] = set()
        teams: set[str] = set()
        by_type = {TargetType.UNIT: units, TargetType.MEMBER: members, TargetType.TEAM: teams}
        for _line, row in chunk:
            code = row.get("target_code")
            if code:
                target_type = run.choice(TARGET_TYPE_WIDGET, row.get("target_type", ""))
                if target_type:
                    by_type[target_type].add(code)
                elif target_type == "":
                    units.add(code)
                    members.add(code)
                    teams.add(code)
            if row.get("recording_unit"):
                units.add(row["recording_unit"])
        directory.load(units=units, members=members, teams=teams)
        good: list[tuple[Any, ...]] = []
        bad = False
        for line, row in chunk:
            opinion, errors = self.opinion(row)
            if errors:
                self.fail(line, errors)
                bad = True
            elif not bad:
                good.append(opinion)
        if bad:
            return None
        self.count.created += len(good)
        return good

    def opinion(self, row: dict[str, str]) -> tuple[tuple[Any, ...] | None, list[tuple[str, str]]]:
        run = self.run
        campaign = run.campaign
        get = row.get
        errors: list[tuple[str, str]] = []

        text = get("text", "")
        kind = run.choice(KIND_WIDGET, get("kind", ""))
        if not kind:
            errors.append(("kind", KIND_WIDGET.unknown(row["kind"]) if kind is None else _required()))
        aspect = run.choice(ASPECT_WIDGET, get("aspect", ""))
        if aspect is None:
            errors.append(("aspect", ASPECT_WIDGET.unknown(row["aspect"])))
        source_group = run.choice(SOURCE_GROUP_WIDGET, get("source_group", ""))
        if source_group is None:
            errors.append(("source_group", SOURCE_GROUP_WIDGET.unknown(row["source_group"])))
        channel = run.choice(CHANNEL_WIDGET, get("channel", ""))
        if channel is None:
            errors.append(("channel", CHANNEL_WIDGET.unknown(row["channel"])))

        recording_unit = None
        code = get("recording_unit")
        if code:
            if code not in self.recording_units:
                self.recording_units[code] = self.recording_unit(code)
            recording_unit, message = self.recording_units[code]
            if message:
                errors.append(("recording_unit", message))

        event = None
        reference = get("event")
        if reference:
            key = (reference, recording_unit.pk if recording_unit is not None else None)
            if key not in self.events:
                self.events[key] = self.event(reference, recording_unit)
            event, message = self.events[key]
            if message:
                errors.append(("event", message))
        if event is not None:
            if channel == "":
                channel = event.channel
            elif channel and channel != event.channel:
                errors.append(
                    (
                        "channel",
                        _("The event %(event)s was a %(channel)s; the channel must match it.")
                        % {"event": event, "channel": event.get_channel_display()},
                    )
                )
        elif channel == "":
            errors.append(("channel", _("Choose the event, or the channel the opinions came through.")))

        received_on = None
        day = get("date")
        if day:
            received_on = parse_date(day)
            if received_on is None:
                errors.append(("date", _not_a_date(day)))
        elif event is not None:
            received_on = event.held_on
        else:
            errors.append(("date", _required()))
        try:
            # The rules of one opinion's content and date, as every entry page applies them;
            # without a readable date, the content alone (the campaign's first day always passes).
            check_fields(campaign=campaign, text=text, received_on=received_on or campaign.starts_on)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.append(("date" if name == "received_on" else name, messages[0]))

        target_text = ""
        code = get("target_code", "")
        type_text = get("target_type", "")
        if code:
            key = (type_text, code)
            if key not in self.targets:
                self.targets[key] = self.target(type_text, code)
            team_id, member_id, unit_id, category, ledger_unit_id, message = self.targets[key]
            named = get("target", "")
            actual = self.target_names.get(key)
            if not message and named and actual is not None and not _same_name(named, actual):
                # Both given: they must agree, or the row is refused naming both (a code
                # typed in the wrong row must not credit another person silently).
                message = _("The code %(code)s is %(name)s, not %(given)s.") % {
                    "code": code,
                    "name": actual,
                    "given": named,
                }
        else:
            team_id = member_id = unit_id = ledger_unit_id = None
            category = ""
            target_text, message = self.description(type_text, get("target", ""))
        if message:
            errors.append(("target_code" if code or type_text else "target", message))
        if errors:
            return None, errors

        run.opinion_units.add(ledger_unit_id)
        # In the order of OPINION_COLUMNS.
        return (
            campaign.pk,
            kind,
            text,
            channel,
            event.pk if event is not None else None,
            source_group,
            aspect,
            team_id,
            member_id,
            unit_id,
            target_text,
            category,
            ledger_unit_id,
            received_on,
            recording_unit.pk if recording_unit is not None else None,
        ), []

    def recording_unit(self, code: str) -> tuple[OrgUnit | None, str]:
        unit = self.run.directory.units.get(code)
        if unit is None:
            return None, suggest(_unknown_unit(code), self.run.directory.padded[OrgUnit].get(code, []))
        if self.run.scope is not None and not self.run.scope.can_edit_unit(unit):
            return None, _("You may not record opinions for %(unit)s.") % {"unit": unit}
        return unit, ""

    def description(self, type_text: str, description: str) -> tuple[str, str]:
        """A row without a target code: the target as described, for the office to
        assign; and what is wrong."""
        target_type = self.run.choice(TARGET_TYPE_WIDGET, type_text)
        if target_type is None:
            return "", TARGET_TYPE_WIDGET.unknown(type_text)
        if target_type:
            return "", _("Give the code of the %(type)s.") % {"type": TargetType(target_type).label}
        if not description:
            return "", _("Give the target's type and code, or describe the target.")
        if len(description) > MAX_TARGET_TEXT:
            return "", _("The description is %(length)s characters long; at most %(max)s are allowed.") % {
                "length": intcomma(len(description)),
                "max": intcomma(MAX_TARGET_TEXT),
            }
        return description, ""

    def target(self, type_text: str, code: str) -> _Resolved:
        """The target a type and code name, with its category and ledger unit as
        ``derive`` decides them; or what is wrong."""
        run = self.run
        directory = run.directory
        target_type = run.choice(TARGET_TYPE_WIDGET, type_text)
        if target_type is None:
            return None, None, None, "", None, TARGET_TYPE_WIDGET.unknown(type_text)
        found: list[LeadershipTeam | Member | OrgUnit] = []
        for kind, cache in (
            (TargetType.TEAM, directory.teams),
            (TargetType.MEMBER, directory.members),
            (TargetType.UNIT, directory.units),
        ):
            if target_type in ("", kind) and cache.get(code) is not None:
                found.append(cache[code])
        if not found:
            models = {TargetType.TEAM: [LeadershipTeam], TargetType.MEMBER: [Member], TargetType.UNIT: [OrgUnit]}
            padded = [
                c
                for model in models.get(target_type, [LeadershipTeam, Member, OrgUnit])
                for c in directory.padded[model].get(code, [])
            ]
            return None, None, None, "", None, suggest(_unknown_target(code, target_type), padded)
        if len(found) > 1:
            message = _("%(code)s is the code of more than one target (%(targets)s); give the target type.") % {
                "code": code,
                "targets": ", ".join(str(obj) for obj in found),
            }
            return None, None, None, "", None, message
        target = found[0]
        self.target_names[(type_text, code)] = target.name
        if not directory.in_scope(target):
            message = _("%(target)s is outside the organisations you may record for.") % {"target": target}
            return None, None, None, "", None, message
        category, ledger_unit_id = run.derived(target)
        return (
            target.pk if isinstance(target, LeadershipTeam) else None,
            target.pk if isinstance(target, Member) else None,
            target.pk if isinstance(target, OrgUnit) else None,
            category,
            ledger_unit_id,
            "",
        )

    def event(self, text: str, recording_unit: OrgUnit | None) -> tuple[SolicitationEvent | None, str]:
        """The event a cell names: "#number", or a title (with " @ day held" when the
        title alone is not enough) among the recording unit's events when it held one
        of that title, else among all the campaign's (``resources.EventNames``)."""
        directory = self.run.directory
        number = EVENT_NUMBER.match(text)
        if number:
            event = directory.numbered.get(number.group(1)) or directory.recorded.get(number.group(1))
            if event is None:
                return None, _("No event has the number %(number)s in this campaign.") % {"number": text}
        else:
            title, day = text, None
            with_day = EVENT_TITLE_AND_DAY.match(text)
            if with_day and not directory.events_by_title.get((None, text)):
                title, day = with_day.group(1), parse_date(with_day.group(2))
            unit_id = recording_unit.pk if recording_unit is not None else None
            if not directory.events_by_title.get((unit_id, title)):
                unit_id = None
            candidates = [
                e for e in directory.events_by_title.get((unit_id, title), []) if day is None or e.held_on == day
            ]
            if not candidates:
                where = recording_unit if recording_unit is not None else self.run.campaign
                return None, _("%(where)s recorded no event called “%(title)s”.") % {"where": where, "title": text}
            if len(candidates) > 1:
                return None, _(
                    "More than one event is called “%(title)s”; add the day it was held, as “%(title)s @ %(day)s”, "
                    "or write its number, as #123."
                ) % {"title": title, "day": candidates[0].held_on.isoformat()}
            event = candidates[0]
        if not directory.event_in_scope(event):
            return None, _("The event %(event)s is outside your organisations.") % {"event": event}
        return event, ""

    def write(self, records: list[tuple[Any, ...]]) -> None:
        write_opinions(records, user=self.run.user, reason=self.run.reason, when=self.run.now)


# What an opinion row becomes; every other column takes the field's default.
OPINION_COLUMNS = (
    "campaign_id",
    "kind",
    "text",
    "channel",
    "event_id",
    "source_group",
    "aspect",
    "target_team_id",
    "target_member_id",
    "target_unit_id",
    "target_text",
    "category",
    "ledger_unit_id",
    "received_on",
    "recording_unit_id",
)


def write_opinions(rows: list[tuple[Any, ...]], *, user: Any, reason: str, when: datetime.datetime) -> None:
    """Insert validated opinion rows (in the order of ``OPINION_COLUMNS``) and one
    history row each ("+", by ``user``, for ``reason``), in the caller's transaction.

    On PostgreSQL the opinions go through COPY, with ids drawn from the table's
    sequence, and their history rows are copied from them by the database (INSERT …
    SELECT of the ids just written): four to five times faster than
    ``bulk_create_with_history`` (bench/README.md), which compiles every value of every
    row into an INSERT statement and builds a model instance per history row.
    Elsewhere (SQLite) ``bulk_create_with_history``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        opinions = [Opinion(**dict(zip(OPINION_COLUMNS, row, strict=True))) for row in rows]
        bulk_create_with_history(
            opinions, Opinion, batch_size=CHUNK_ROWS, default_user=user, default_change_reason=reason, default_date=when
        )
        return
    # Columns: id, OPINION_COLUMNS, then the other fields at their defaults.
    history = Opinion.history.model
    tracked = {f.attname for f in history.tracked_fields}
    others = [f for f in Opinion._meta.concrete_fields if not f.primary_key and f.attname not in OPINION_COLUMNS]
    defaults = "".join("\t" + _copy_value(f.get_default()) for f in others)
    columns = ["id", *OPINION_COLUMNS, *(f.attname for f in others)]
    # The history keeps every column but receipt_hash.
    kept = ", ".join(connection.ops.quote_name(column) for column in columns if column == "id" or column in tracked)
    table = Opinion._meta.db_table
    with connection.cursor() as cursor:
        # The sequence looked up once, not once a row.
        cursor.execute(
            "SELECT nextval(s.sequence) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS sequence) s, "
            "generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        _copy(cursor, table, columns, [_opinion_line(pk, row) + defaults for pk, row in zip(ids, rows, strict=True)])
        # The history rows from the opinions just written: the database copies the values
        # itself instead of receiving and parsing every line a second time.
        ranges = _id_ranges(ids)
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(history._meta.db_table)} "  # model names and fields only
            f"({kept}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {kept}, %s, %s, '+', %s FROM {connection.ops.quote_name(table)} "
            f"WHERE {' OR '.join(['id BETWEEN %s AND %s'] * len(ranges))}",
            [when, reason, user.pk if user is not None else None, *(end for pair in ranges for end in pair)],
        )


def _id_ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive ids (one, unless another import drew from the sequence meanwhile)."""
    ranges: list[tuple[int, int]] = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], pk)
        else:
            ranges.append((pk, pk))
    return ranges


# COPY's text format: a tab between columns, \N for NULL, these characters escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
NULL = "\\N"


def _copy_value(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _escaped(text: str) -> str:
    # Most texts hold none of the characters to escape: four scans cost less than a translate.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _opinion_line(pk: int, row: tuple[Any, ...]) -> str:
    """One row of OPINION_COLUMNS, after its id, in COPY's text format. Choice values
    and ids need no escaping; free text does."""
    (
        campaign_id,
        kind,
        text,
        channel,
        event_id,
        source_group,
        aspect,
        team_id,
        member_id,
        unit_id,
        target_text,
        category,
        ledger_unit_id,
        received_on,
        recording_unit_id,
    ) = row
    return (
        f"{pk}\t{campaign_id}\t{kind}\t{_escaped(text)}\t{channel}"
        f"\t{NULL if event_id is None else event_id}\t{source_group}\t{aspect}"
        f"\t{NULL if team_id is None else team_id}\t{NULL if member_id is None else member_id}"
        f"\t{NULL if unit_id is None else unit_id}\t{_escaped(target_text)}\t{category}"
        f"\t{NULL if ledger_unit_id is None else ledger_unit_id}\t{received_on.isoformat()}"
        f"\t{NULL if recording_unit_id is None else recording_unit_id}"
    )


def _copy(cursor: Any, table: str, columns: list[str], lines: list[str]) -> None:
    """COPY lines (without their line ends) into a table."""
    data = io.StringIO("\n".join(lines) + "\n")
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    statement = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
    if hasattr(cursor, "copy_expert"):  # psycopg2
        # The buffer size passed by position: with DEBUG on, Django's CursorDebugWrapper
        # takes copy_expert's extra arguments by position only.
        cursor.copy_expert(statement, data, 1 << 20)
    else:  # psycopg 3
        with cursor.copy(statement) as copy:
            copy.write(data.getvalue())


def _unknown_target(code: str, target_type: str) -> str:
    if target_type == TargetType.TEAM:
        return _("No leadership team has the code %(code)s in this campaign.") % {"code": code}
    if target_type == TargetType.MEMBER:
        return _("No member has the number %(code)s in this campaign.") % {"code": code}
    if target_type == TargetType.UNIT:
        return _unknown_unit(code)
    return _("No leadership team, member or organisation has the code %(code)s in this campaign.") % {"code": code}


# --- Browser imports: a job, checked and then imported by a task ----------------------


def import_job_create(*, campaign: Campaign, user: Any, upload: File, extension: str) -> ImportJob:
    """Keep the upload under a random name in MEDIA_ROOT/imports and open a job to
    check it. The caller runs (or enqueues) ``import_job_run``."""
    if not can_import(user, campaign):
        raise PermissionDenied
    token = upload_stash(upload=upload, extension=extension)
    return ImportJob.objects.create(
        campaign=campaign,
        user=user,
        filename=upload.name[:255],
        path=f"imports/{token}.{extension}",
        status=ImportJob.Status.CHECKING,
    )


# A workbook that records no size is taken to hold a row per this many bytes.
WORKBOOK_BYTES_PER_ROW = 40


def import_job_estimate(job: ImportJob) -> int:
    """Rows the job's file says it holds (a CSV file's lines, a workbook's recorded
    size, else its size in bytes): enough to decide whether it runs in the request or
    as a task."""
    try:
        with default_storage.open(job.path, "rb") as source, Reader(source, job.filename) as reader:
            tables = reader.tables()
            if any(table.declared_rows is None for table in tables):
                return default_storage.size(job.path) // WORKBOOK_BYTES_PER_ROW
            return sum(table.declared_rows or 0 for table in tables)
    except (FileError, OSError):
        return 0  # the check itself reports what is wrong, quickly


def import_job_confirm(*, job: ImportJob, user: Any, again: bool = False) -> ImportJob:
    """The user read the dry run and asks for the import (``core.jobs.import_job_confirm``)."""
    return confirm_import_job(job=job, user=user, again=again)


def import_job_run(*, job_id: int) -> None:
    """Check (status "checking") or import (status "importing") a job's file.

    Safe to run twice: the final status is written in the same transaction as the
    import's rows, so a task delivered again after a worker died either finds the job
    finished or finds nothing written and starts over; a lock keeps two workers from
    running one job at once. An unexpected error is logged and leaves the job failed
    (with nothing imported), so that its page stops waiting."""
    try:
        with job_heartbeat(ImportJob, job_id):
            _run(job_id)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is not None and job.running:
            _finish(job, ImportJob.Status.FAILED, [_("The import failed; nothing was imported. Try again later.")])
            import_job_discard_file(job)


def _run(job_id: int) -> None:
    with transaction.atomic():
        if not claim_job(_LOCK_NAMESPACE, job_id):
            return
        job = ImportJob.objects.select_related("campaign", "user").filter(pk=job_id).first()
        if job is None or not job.running:
            return
        dry_run = job.status == ImportJob.Status.CHECKING
        report = None
        try:
            with default_storage.open(job.path, "rb") as source, _ProgressWriter(job) as progress:
                report = opinions_import(
                    campaign=job.campaign,
                    user=job.user,
                    source=source,
                    filename=job.filename,
                    dry_run=dry_run,
                    again=job.again,
                    max_rows=settings.IMPORT_MAX_ROWS,
                    progress=progress,
                )
        except PermissionDenied:
            _finish(job, ImportJob.Status.FAILED, [_("You may no longer import into this campaign.")])
        except FileNotFoundError:
            _finish(job, ImportJob.Status.FAILED, [_("The uploaded file is no longer kept; upload it again.")])
        if report is None:
            return
        if not report.ok:
            status = ImportJob.Status.INVALID
        else:
            status = ImportJob.Status.CHECKED if dry_run else ImportJob.Status.DONE
        job.rows_total = max(report.rows, job.rows_total) if report.ok else job.rows_total
        job.rows_done = report.rows if report.ok else 0
        job.counts = [count.as_dict() for count in report.counts]
        job.error_count = report.error_count
        job.errors = [error.as_dict() for error in report.errors[:JOB_ERRORS]]
        # Kept when they would be written again: the confirmation then asks.
        job.repeats = report.repeats if report.again_needed else []
        job.status = status
        job.finished_at = timezone.now()
        job.rows_total = max(job.rows_total, job.rows_done)
        job.save()
    if job.status != ImportJob.Status.CHECKED:
        import_job_discard_file(job)


# What a job keeps of a long list of problems; the first are the ones to fix first.
JOB_ERRORS = 1000


_LOCK_NAMESPACE = 0x1A9  # "import" in the advisory lock space of this database


def _finish(job: ImportJob, status: str, messages: list[str]) -> None:
    job.status = status
    job.error_count = len(messages)
    job.errors = [RowError(sheet=job.filename, row=0, column="", message=m).as_dict() for m in messages]
    job.finished_at = timezone.now()
    job.save()


def import_job_discard_file(job: ImportJob) -> None:
    if job.path and default_storage.exists(job.path):
        default_storage.delete(job.path)


class _ProgressWriter:
    """Writes a job's progress where other requests can read it while the import's own
    transaction is still open: on PostgreSQL through a second connection of its own, at
    most once a second. SQLite lets one connection write at a time, which the import's
    transaction holds: there only the final figures are written, with the job (its page
    says it is running meanwhile)."""

    INTERVAL = 1.0

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.connection: Any = None
        self.last = 0.0

    def __enter__(self) -> Progress | None:
        if connection.vendor != "postgresql":
            return None
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.connection is not None:
            self.connection.close()

    def __call__(self, done: int, total: int) -> None:
        now = timezone.now().timestamp()
        if now - self.last < self.INTERVAL:
            return
        self.last = now
        table = self.connection.ops.quote_name(ImportJob._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET rows_done = %s, rows_total = %s WHERE id = %s",  # a model's table name, not input
                [done, max(done, total), self.job.pk],
            )


def import_job_for_user(user: Any, pk: int) -> ImportJob:
    """A job, for the user who started it; anyone else is told it does not exist."""
    job = ImportJob.objects.select_related("campaign").filter(pk=pk, user_id=getattr(user, "pk", None)).first()
    if job is None:
        raise Http404
    return job


def import_jobs_for_user(user: Any, limit: int = 10) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")[:limit]
