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
is written at once with its history rows (``core.bulk_write.insert_with_history``); at the first
bad row writing stops but checking goes on to the end, so that the report names every
bad row; then the transaction is rolled back and nothing stays written. A dry run
checks only. After a good import the units of both people of every card written are
announced once (``campaign.events.announce_change``, source "talks").
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, Member
from campaign.scoping import scope_for
from campaign.services import upload_stash
from core.bulk_write import insert_with_history
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
from core.jobs import claim_job, job_heartbeat
from core.jobs import import_job_confirm as confirm_import_job
from talks import services
from talks.models import CardState, Talk, TalkImportJob, pair_key
from talks.resources import FORMAT, KIND_WIDGET, RELATION_WIDGET, TALKS, Reader

logger = logging.getLogger(__name__)

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

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "created": self.created}

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
    sheet: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the talk cards of a file into ``campaign``, all or nothing (see the module).

    ``user`` (None for a command run without one) must be allowed to import; each row
    must be a card he or she may record, and he or she is recorded as its recorder (the
    file's 记录人 column, when given, names the recorder instead) and in the history of
    every card, with the reason "import <filename>". ``max_rows``: refuse a file with more rows.
    ``sheet``: the name of the workbook's sheet to read. ``progress(done, total)`` is
    called after each chunk (``total``: the rows the file says it holds, or 0)."""
    if user is not None and not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)

    def read(tables: list[Table]) -> Callable[[], None]:
        run = _Run(campaign=campaign, user=user, report=report, dry_run=dry_run, filename=filename)
        run.progress = progress
        run.tables(tables, max_rows=max_rows)
        return lambda: announce_change(campaign_id=campaign.pk, unit_ids=run.units, source=services.SOURCE)

    # One kind: a CSV file, or a workbook's only sheet, holds cards whatever its headers.
    import_all_or_nothing(
        Reader(source, filename, TALKS, max_unpacked=max_unpacked, sheet=sheet),
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
        self.progress: Callable[[int, int], None] | None = None

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
                if self.progress is not None:
                    total = sum(t.declared_rows or 0 for t in tables)
                    self.progress(self.rows_read, max(total, self.rows_read))
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
        typed = {line: row.get("date", "") for line, row in chunk}
        cards = []
        for line, problems, data, recorder, key in parsed:
            unreadable = set(problems)
            # The services write the day as 2025-03-05; the file's own words name it here.
            as_typed = _as_typed(data["talked_on"], typed[line])
            try:
                cleaned = services.check_card(user=self.user, campaign=self.campaign, data=data, lookups=lookups)
            except services.DuplicateTalk as duplicate:
                cleaned = None
                if key not in self.seen:
                    problems.setdefault("", []).extend(map(as_typed, duplicate.messages))
            except ValidationError as invalid:
                cleaned = None
                for field, messages in invalid.message_dict.items():
                    column = "" if field == NON_FIELD_ERRORS else FIELD_COLUMNS.get(field, "")
                    # A cell that could not be read explains itself; the services'
                    # complaint about the resulting blank would only repeat it.
                    if not column or column not in unreadable:
                        problems.setdefault(column, []).extend(map(as_typed, messages))
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
        insert_with_history(Talk, cards, user=self.account, reason=self.reason, when=self.now)
        for talk in cards:
            self.units.add(talk.member.unit_id)
            if talk.other_member is not None:
                self.units.add(talk.other_member.unit_id)


def _as_typed(day: datetime.date | None, typed: str) -> Callable[[str], str]:
    """A message with the row's day in ISO form (the services' wording) given as the
    file's cell has it (2025年3月5日, 2025/3/5, …)."""
    if day is None or not typed or typed == day.isoformat():
        return lambda message: message
    iso = day.isoformat()
    return lambda message: message.replace(iso, typed)


def unknown_member(campaign: Campaign, number: str) -> str:
    """The message for a number no member has, with the numbers it equals once lost
    leading zeros are restored (a suggestion, never a guess)."""
    message = _("No member has the number %(number)s in this campaign.") % {"number": number}
    return suggest(message, padded_codes([number], Member.objects.filter(campaign=campaign), "number").get(number, []))


# --- Large browser imports: a job, checked and then imported by a task ---------------
# (The pattern of the opinions' ``ImportJob``: a small file is checked and imported in
# the request, ``campaign.import_pages.ImportFlow``.)


def import_job_create(*, campaign: Campaign, user: Any, upload: File, extension: str, sheet: str = "") -> TalkImportJob:
    """Keep the upload under a random name in MEDIA_ROOT/imports and open a job to
    check it. The caller enqueues ``import_job_run`` (``talks.tasks.run_import_job``)."""
    if not can_import(user, campaign):
        raise PermissionDenied
    token = upload_stash(upload=upload, extension=extension)
    return TalkImportJob.objects.create(
        campaign=campaign,
        user=user,
        filename=upload.name[:255],
        path=f"imports/{token}.{extension}",
        status=TalkImportJob.Status.CHECKING,
        sheet=sheet[:100],
    )


# A workbook that records no size is taken to hold a row per this many bytes.
WORKBOOK_BYTES_PER_ROW = 40


def estimate_rows(source: IO[bytes], filename: str, sheet: str | None = None) -> int:
    """Rows the file says it holds (a CSV file's lines, a workbook's recorded size,
    else its size in bytes): enough to decide whether it is imported in the request or
    as a job. A file that cannot be read counts as none (its check says why, quickly)."""
    try:
        with Reader(source, filename, TALKS, sheet=sheet) as reader:
            tables = reader.tables()
            if any(table.declared_rows is None for table in tables):
                source.seek(0, 2)
                return source.tell() // WORKBOOK_BYTES_PER_ROW
            return sum(table.declared_rows or 0 for table in tables)
    except (FileError, OSError):
        return 0
    finally:
        source.seek(0)


def import_job_confirm(*, job: TalkImportJob, user: Any, again: bool = False) -> TalkImportJob:
    """The user read the dry run and asks for the import (``core.jobs.import_job_confirm``)."""
    return confirm_import_job(job=job, user=user, again=again)


def import_job_run(*, job_id: int) -> None:
    """Check (status "checking") or import (status "importing") a job's file. Safe to
    run twice: the final status is written in the import's own transaction, and a lock
    keeps two workers from one job. An unexpected error is logged and fails the job,
    with nothing imported, so that its page stops waiting."""
    try:
        with job_heartbeat(TalkImportJob, job_id):
            _run_job(job_id)
    except Exception:
        logger.exception("Talk card import job %s failed", job_id)
        job = TalkImportJob.objects.filter(pk=job_id).first()
        if job is not None and job.running:
            TalkImportJob.objects.filter(pk=job.pk).update(
                **job.failure(_("The import failed; nothing was imported. Try again later."))
            )
            import_job_discard_file(job)


# "talks" in the advisory lock space of this database: one per kind of job.
_LOCK_NAMESPACE = 0x7A1C


def _run_job(job_id: int) -> None:
    with transaction.atomic():
        if not claim_job(_LOCK_NAMESPACE, job_id):
            return
        job = TalkImportJob.objects.select_related("campaign", "user").filter(pk=job_id).first()
        if job is None or not job.running:
            return
        dry_run = job.status == TalkImportJob.Status.CHECKING
        report = None
        try:
            with default_storage.open(job.path, "rb") as source, _ProgressWriter(job) as progress:
                report = talks_import(
                    campaign=job.campaign,
                    user=job.user,
                    source=source,
                    filename=job.filename,
                    dry_run=dry_run,
                    again=job.again,
                    max_rows=settings.IMPORT_MAX_ROWS,
                    sheet=job.sheet or None,
                    progress=progress,
                )
        except PermissionDenied:
            _fail(job, _("You may no longer import into this campaign."))
        except FileNotFoundError:
            _fail(job, _("The uploaded file is no longer kept; upload it again."))
        if report is None:
            return
        if not report.ok:
            job.status = TalkImportJob.Status.INVALID
        else:
            job.status = TalkImportJob.Status.CHECKED if dry_run else TalkImportJob.Status.DONE
        job.rows_done = report.rows if report.ok else 0
        job.rows_total = max(job.rows_total, report.rows if report.ok else 0, job.rows_done)
        job.counts = [count.as_dict() for count in report.counts if isinstance(count, TalkCount)]
        job.error_count = report.error_count
        job.errors = [error.as_dict() for error in report.errors[:JOB_ERRORS]]
        job.repeats = report.repeats if report.again_needed else []
        job.finished_at = timezone.now()
        job.save()
    if job.status != TalkImportJob.Status.CHECKED:
        import_job_discard_file(job)


# What a job keeps of a long list of problems; the first are the ones to fix first.
JOB_ERRORS = 1000


def _fail(job: TalkImportJob, message: str) -> None:
    for name, value in job.failure(message).items():
        setattr(job, name, value)
    job.save()


def import_job_discard_file(job: TalkImportJob) -> None:
    if job.path and default_storage.exists(job.path):
        default_storage.delete(job.path)


class _ProgressWriter:
    """Writes a job's progress where the page's requests can read it while the import's
    own transaction is still open, at most once a second: on PostgreSQL through a second
    connection; on SQLite (one writer at a time, whose lock the import holds) in the
    cache, which ``with_progress`` reads (the embedded default runs the job in a thread
    of the server, sharing its cache)."""

    INTERVAL = 1.0

    def __init__(self, job: TalkImportJob) -> None:
        self.job = job
        self.connection: Any = None
        self.last = 0.0

    def __enter__(self) -> Callable[[int, int], None] | None:
        if connection.vendor == "postgresql":
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
        if self.connection is None:
            # SQLite: the import holds the one write lock; the page reads the cache.
            cache.set(_progress_key(self.job.pk), (done, max(done, total)), 3600)
            return
        table = self.connection.ops.quote_name(TalkImportJob._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET rows_done = %s, rows_total = %s WHERE id = %s",  # a model's table name, not input
                [done, max(done, total), self.job.pk],
            )


def _progress_key(pk: int) -> str:
    return f"talks:import-job-progress:{pk}"


def with_progress(job: TalkImportJob) -> TalkImportJob:
    """The job with the progress its task left in the cache, where the database could
    not take it yet (SQLite)."""
    if job.running:
        found = cache.get(_progress_key(job.pk))
        if found is not None and found[0] > job.rows_done:
            job.rows_done, job.rows_total = found[0], max(found[1], job.rows_total)
    return job


def import_job_for_user(user: Any, pk: int) -> TalkImportJob:
    """A job, for the user who started it; anyone else is told it does not exist."""
    job = TalkImportJob.objects.select_related("campaign").filter(pk=pk, user_id=getattr(user, "pk", None)).first()
    if job is None:
        raise Http404
    return job


def import_jobs_for_user(user: Any, limit: int = 5) -> QuerySet[TalkImportJob]:
    return TalkImportJob.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")[:limit]
