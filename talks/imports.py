"""Importing talk cards from a spreadsheet, in bulk, all or nothing.

``talks_import`` reads an .xlsx workbook (a sheet of talk cards) or a .csv file in the
format of ``talks.resources``, in chunks of ``CHUNK_ROWS`` rows. Every row gets the
checks of a card entered by hand — ``talks.services.check_card``: not a talk with
oneself, a date inside the analysis-and-evaluation stage, the kind consistent with the
people, the people within the importer's reach (a secretary imports only the cards of
the members in his or her subtree), the same talk not already on record — and the
import adds what only a file has: unknown member numbers, a name that does not match
its number, cells too long, the same talk twice within the file.

The whole import runs in ONE transaction. While every row so far is good, each chunk
is written at once with its history rows (``bulk_create_with_history``); at the first
bad row writing stops but checking goes on to the end, so that the report names every
bad row; then the transaction is rolled back and nothing stays written. A dry run
checks only. After a good import the units of both people of every card written are
announced once (``campaign.events.announce_change``, source "talks").
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from campaign.events import announce_change
from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, Member
from campaign.scoping import scope_for
from core.excel import cell_text
from core.importing import (
    FileError,
    ImportReport,
    RowError,
    Table,
    chunks,
    import_all_or_nothing,
    normalise_name,
    not_a_date,
    padded_codes,
    parse_date,
    suggest,
)
from talks import services
from talks.models import CardState, Talk, pair_key
from talks.resources import FORMAT, KIND_WIDGET, RELATION_WIDGET, TALKS, Reader

# Rows checked (and written) at a time: bounded memory whatever the file's size.
CHUNK_ROWS = 2000

# The column of the file that each field of ``talks.services.check_card`` comes from.
FIELD_COLUMNS: Mapping[str, str] = {
    "member": "member",
    "other_member": "other_member",
    "outsider_name": "other_name",
    "outsider_role": "outsider_role",
    "outsider_relation": "outsider_relation",
    "kind": "kind",
    "talked_on": "date",
    "place": "place",
    "topics": "topics",
    "member_problems": "member_problems",
    "other_problems": "other_problems",
    "agreed": "agreed",
}
# Cells written to a field of limited length: column → the field's length.
MAX_LENGTHS: Mapping[str, int] = {
    "other_name": Talk._meta.get_field("outsider_name").max_length,
    "outsider_role": Talk._meta.get_field("outsider_role").max_length,
    "place": Talk._meta.get_field("place").max_length,
    "recorder": Talk._meta.get_field("recorder_name").max_length,
}


@dataclass
class TalkCount:
    sheet: str
    created: int = 0

    @property
    def rows(self) -> int:
        return self.created

    @property
    def label(self) -> str:
        return str(FORMAT.labels[TALKS])

    def __str__(self) -> str:
        return _("%(kind)s (%(sheet)s): %(created)s new") % {
            "kind": self.label,
            "sheet": self.sheet,
            "created": intcomma(self.created),
        }


def can_import(user: Any, campaign: Campaign) -> bool:
    """Whoever the scoping rules let import talk cards, into a campaign in their scope."""
    scope = scope_for(user)
    return scope.can("talks.import") and scope.can_see(campaign)


def talks_import(
    *,
    campaign: Campaign,
    user: Any,
    source: IO[bytes],
    filename: str,
    dry_run: bool = True,
    again: bool = False,
    max_rows: int | None = None,
    max_unpacked: int | None = None,
) -> ImportReport:
    """Import the talk cards of a file into ``campaign``, all or nothing (see the module).

    ``user`` (None for a command run without one) must be allowed to import; each row
    must be a card he or she may record, and he or she is recorded as its recorder (the
    file's 记录人 column, when given, names the recorder instead) and in the history of
    every card, with the reason "import <filename>". ``max_rows``: refuse a file with more rows."""
    if user is not None and not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)

    def read(tables: list[Table]) -> Callable[[], None]:
        run = _Run(campaign=campaign, user=user, report=report, dry_run=dry_run, filename=filename)
        run.tables(tables, max_rows=max_rows)
        return lambda: announce_change(campaign_id=campaign.pk, unit_ids=run.units, source=services.SOURCE)

    # One kind: a CSV file, or a workbook's only sheet, holds cards whatever its headers.
    import_all_or_nothing(
        Reader(source, filename, TALKS, max_unpacked=max_unpacked),
        report,
        read,
        FileRecord(campaign=campaign, kind=ImportKind.TALKS, user=user, again=again),
    )
    return report


class _Run:
    """One import: its tables chunk by chunk, and what it has seen so far."""

    def __init__(self, *, campaign: Campaign, user: Any, report: ImportReport, dry_run: bool, filename: str) -> None:
        self.campaign = campaign
        self.user = user
        self.account = user if getattr(user, "is_authenticated", False) else None
        self.recorder = (user.get_full_name() or user.get_username()) if self.account is not None else ""
        self.report = report
        self.writing = not dry_run
        self.reason = f"import {filename}"[:100]
        self.now = timezone.now()
        self.members: dict[str, Member | None] = {}
        # The first row of the file that holds each talk: (pair, day) → row number.
        self.seen: dict[tuple[str, datetime.date], int] = {}
        self.units: set[int] = set()
        self.rows_read = 0

    def tables(self, tables: list[Table], *, max_rows: int | None) -> None:
        for table in tables:
            count = TalkCount(sheet=table.sheet)
            for chunk in chunks(table.rows, CHUNK_ROWS):
                self.rows_read += len(chunk)
                if max_rows is not None and self.rows_read > max_rows:
                    raise FileError(
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": intcomma(max_rows)}
                    )
                cards = self.check(table, chunk)
                count.created += len(cards)
                if self.writing:
                    self.write(cards)
            self.report.counts.append(count)
        if self.rows_read == 0:
            self.report.add_error(
                RowError(sheet=self.report.filename, row=0, column="", message=_("The file holds no rows to import."))
            )

    def error(self, table: Table, line: int, key: str, message: str) -> None:
        self.writing = False
        column = (table.header_of(key) or FORMAT.column_header(TALKS, key)) if key else ""
        self.report.add_error(RowError(sheet=table.sheet, row=line, column=column, message=message))

    @staticmethod
    def position(table: Table, key: str) -> int:
        return table.keys.index(key) if key in table.keys else len(table.keys) + (0 if key else 1)

    def load_members(self, numbers: set[str]) -> None:
        """Look up the chunk's member numbers not seen before: one query."""
        missing = [number for number in numbers if number and number not in self.members]
        if not missing:
            return
        found = {
            member.number: member
            for member in Member.objects.filter(campaign=self.campaign, number__in=missing).select_related("unit")
        }
        for number in missing:
            self.members[number] = found.get(number)

    def check(self, table: Table, chunk: list[tuple[int, dict[str, str]]]) -> list[Talk]:
        """The chunk's good rows as cards ready to write; every problem reported."""
        self.load_members({row.get(key, "") for _line, row in chunk for key in ("member", "other_member")})
        parsed = []
        for line, row in chunk:
            problems: dict[str, list[str]] = {}
            data, recorder = self.parse(row, problems)
            parsed.append((line, problems, data, recorder, self.talk_key(data)))
        lookups = self.lookups(parsed)
        cards = []
        for line, problems, data, recorder, key in parsed:
            unreadable = set(problems)
            try:
                cleaned = services.check_card(user=self.user, campaign=self.campaign, data=data, lookups=lookups)
            except services.DuplicateTalk as duplicate:
                cleaned = None
                if key not in self.seen:
                    problems.setdefault("", []).extend(duplicate.messages)
            except ValidationError as invalid:
                cleaned = None
                for field, messages in invalid.message_dict.items():
                    column = "" if field == NON_FIELD_ERRORS else FIELD_COLUMNS.get(field, "")
                    # A cell that could not be read explains itself; the services'
                    # complaint about the resulting blank would only repeat it.
                    if not column or column not in unreadable:
                        problems.setdefault(column, []).extend(messages)
            if key is not None:
                if key in self.seen:
                    problems.setdefault("", []).append(
                        _("The same talk (the same two people on the same day) is already in row %(row)d.")
                        % {"row": self.seen[key]}
                    )
                else:
                    self.seen[key] = line
            # As the row reads: its columns from left to right, the row as a whole last.
            for column in sorted(problems, key=lambda key: self.position(table, key)):
                for message in problems[column]:
                    self.error(table, line, column, message)
            if cleaned is not None and not problems:
                cards.append(self.card(cleaned, recorder))
        return cards

    def lookups(self, parsed: list[Any]) -> services.CardLookups | None:
        """What the card checks read, for the whole chunk at once (one query each)."""
        members = {
            person.pk: person
            for _line, _problems, data, _recorder, _key in parsed
            for person in (data["member"], data["other_member"])
            if person is not None
        }
        return services.CardLookups(self.campaign, members.values(), [key for *_rest, key in parsed if key is not None])

    def parse(self, row: dict[str, str], problems: dict[str, list[str]]) -> tuple[dict[str, Any], str]:
        """The row's cells as the services' fields; what cannot be read goes to ``problems``."""

        def problem(column: str, message: str) -> None:
            problems.setdefault(column, []).append(message)

        def member(number_column: str, name_column: str) -> Member | None:
            number = row.get(number_column, "")
            if not number:
                return None
            found = self.members.get(number)
            if found is None:
                problem(number_column, unknown_member(self.campaign, number))
                return None
            name = row.get(name_column, "")
            if name and normalise_name(name) != normalise_name(found.name):
                problem(
                    name_column,
                    _("The member numbered %(number)s is %(name)s, not %(given)s.")
                    % {"number": number, "name": found.name, "given": name},
                )
            return found

        def choice(column: str, widget: Any) -> str:
            text = row.get(column, "")
            value = widget.lookup().get(normalise_name(text)) if text else ""
            if value is None:
                problem(column, widget.unknown(text))
                return ""
            return value

        for column in ("member", "kind", "date", "topics"):
            if not row.get(column):
                problem(column, _("This cell is required."))
        for column, limit in MAX_LENGTHS.items():
            text = row.get(column, "")
            if len(text) > limit and not (column == "other_name" and row.get("other_member")):
                problem(
                    column,
                    _("At most %(max)s characters; this cell has %(length)s.")
                    % {"max": intcomma(limit), "length": intcomma(len(text))},
                )
        first = member("member", "member_name")
        other = member("other_member", "other_name")
        talked_on = None
        if row.get("date"):
            talked_on = parse_date(row["date"])
            if talked_on is None:
                problem("date", not_a_date(row["date"]))
        data = {
            "member": first,
            "other_member": other,
            # With the other member's number, the name cell only names him or her.
            "outsider_name": "" if row.get("other_member") else row.get("other_name", ""),
            "outsider_role": row.get("outsider_role", ""),
            "outsider_relation": choice("outsider_relation", RELATION_WIDGET),
            "kind": choice("kind", KIND_WIDGET),
            "talked_on": talked_on,
            "place": row.get("place", ""),
            "topics": row.get("topics", ""),
            "member_problems": row.get("member_problems", ""),
            "other_problems": row.get("other_problems", ""),
            "agreed": row.get("agreed", ""),
        }
        return data, cell_text(row.get("recorder", ""))

    @staticmethod
    def talk_key(data: Mapping[str, Any]) -> tuple[str, datetime.date] | None:
        """What makes a talk the same talk: the two people and the day (None until known)."""
        first, other = data["member"], data["other_member"]
        if first is None or data["talked_on"] is None or (other is None and not data["outsider_name"]):
            return None
        return pair_key(first.pk, other.pk if other else None, data["outsider_name"]), data["talked_on"]

    def card(self, cleaned: Mapping[str, Any], recorder: str) -> Talk:
        talk = Talk(
            campaign=self.campaign,
            **cleaned,
            recorded_by=self.account,
            recorder_name=" ".join(recorder.split()) or self.recorder,
            state=CardState.RECORDED,
        )
        # bulk_create does not call save(), which keys the pair.
        talk.pair = pair_key(talk.member_id, talk.other_member_id, talk.outsider_name)
        return talk

    def write(self, cards: list[Talk]) -> None:
        if not cards:
            return
        bulk_create_with_history(
            cards,
            Talk,
            batch_size=500,
            default_user=self.account,
            default_change_reason=self.reason,
            default_date=self.now,
        )
        for talk in cards:
            self.units.add(talk.member.unit_id)
            if talk.other_member is not None:
                self.units.add(talk.other_member.unit_id)


def unknown_member(campaign: Campaign, number: str) -> str:
    """The message for a number no member has, with the numbers it equals once lost
    leading zeros are restored (a suggestion, never a guess)."""
    message = _("No member has the number %(number)s in this campaign.") % {"number": number}
    return suggest(message, padded_codes([number], Member.objects.filter(campaign=campaign), "number").get(number, []))
