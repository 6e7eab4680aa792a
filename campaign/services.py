"""Writes to the organisation that do more than save one form: the spreadsheet import.

``org_import`` reads a workbook or CSV file (see ``campaign.resources`` for the format),
imports every sheet in dependency order inside ONE transaction and returns a report of
every bad row. Nothing is written unless every row is good and it is not a dry run.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

import tablib
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from campaign.events import announce_change
from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, OrgUnit, RoleAssignment, RoleKind
from campaign.org_bulk import FastPath
from campaign.org_events import OrgChange, OrgChangeKind, org_changed
from campaign.resources import (
    KIND_LABELS,
    KINDS,
    LINE,
    RESOURCES,
    UNITS,
    Directory,
    OrgReader,
    OrgResource,
    error_column,
    unknown_members,
)
from campaign.scoping import AnyUser, forget_scope, scope_for
from core.importing import FileError, ImportReport, RowError, Table, import_all_or_nothing

# Rows handed to import-export at a time: bounded memory whatever the file's size.
CHUNK_ROWS = 500


@dataclass
class KindCount:
    kind: str
    sheet: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return _("%(kind)s (%(sheet)s): %(created)s new, %(updated)s updated, %(unchanged)s unchanged") % {
            "kind": self.label,
            "sheet": self.sheet,
            "created": intcomma(self.created),
            "updated": intcomma(self.updated),
            "unchanged": intcomma(self.unchanged),
        }


def can_import(user: AnyUser, campaign: Campaign) -> bool:
    """Office staff and administrators, into a campaign their scope covers."""
    scope = scope_for(user)
    return scope.can("org.import") and scope.can_see(campaign)


def org_import(
    *,
    campaign: Campaign,
    user: AnyUser | None,
    source: IO[bytes],
    filename: str,
    kind: str | None = None,
    dry_run: bool = True,
    again: bool = False,
    sheet: str | None = None,
) -> ImportReport:
    """Import the organisation from a spreadsheet into ``campaign``, all or nothing.

    Every row is validated and written in order inside one transaction, so later rows
    (and later sheets) see the earlier ones; if any row is bad, or on a dry run, the
    transaction is rolled back at the end. ``user`` (None for a command run without
    one) is recorded in the history of every row written, with the reason
    "import <filename>". ``sheet``: the one sheet of a workbook to read.
    """
    if kind is not None and kind not in KINDS:
        raise ValidationError({"kind": _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}})
    if user is not None and not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)
    reason = f"import {filename}"

    def read(tables: list[Table]) -> Callable[[], None]:
        touched = _import_tables(tables, report, campaign=campaign, user=user, reason=reason)
        # Ranks and places in the tree decide ledger categories: recount those units.
        return lambda: announce_change(campaign_id=campaign.pk, unit_ids=touched, source="org_import")

    import_all_or_nothing(
        OrgReader(source, filename, kind, sheet=sheet),
        report,
        read,
        FileRecord(campaign=campaign, kind=ImportKind.ORG, user=user, again=again),
    )
    return report


def _import_tables(
    tables: list[Table], report: ImportReport, *, campaign: Campaign, user: AnyUser | None, reason: str
) -> set[int]:
    """Import each table in dependency order; the ids of the units the written rows affect."""
    directory = Directory(campaign)
    max_rows = settings.IMPORT_MAX_ROWS
    rows_read = 0
    units: tuple[Table, KindCount] | None = None
    fast = FastPath(campaign=campaign, user=user, reason=reason, directory=directory)
    for table in sorted(tables, key=lambda t: KINDS.index(t.kind or "")):
        kind = table.kind
        assert kind is not None  # a sheet of no kind fails check_tables(), and then no table is read
        resource = RESOURCES[kind](campaign=campaign, user=user, reason=reason, directory=directory)
        count = KindCount(kind=kind, sheet=table.sheet)
        keys = [key for key in table.keys if key]
        for chunk in _chunks(table.rows, CHUNK_ROWS):
            rows_read += len(chunk)
            if rows_read > max_rows:
                raise FileError(
                    _("The file has more than %(max)s rows; split it into smaller files.") % {"max": intcomma(max_rows)}
                )
            # New records in bulk; anything else row by row (campaign.org_bulk).
            created = fast.import_chunk(kind, resource, chunk)
            if created is not None:
                count.created += created
                continue
            dataset = tablib.Dataset(headers=[*keys, LINE])
            for line, row in chunk:
                dataset.append([*(row.get(key, "") for key in keys), line])
            result = resource.import_data(dataset, dry_run=False, use_transactions=True, raise_errors=False)
            _collect(result, [line for line, _row in chunk], resource, table, report, count)
        # The next sheet starts from the database as this one left it.
        directory.forget_units()
        report.counts.append(count)
        if kind == UNITS:
            units = (table, count)
    if units is not None and report.ok:
        _assign_leaders(directory, report, *units, user=user, reason=reason)
    if rows_read == 0:
        report.add_error(
            RowError(sheet=report.filename, row=0, column="", message=_("The file holds no rows to import."))
        )
    return directory.touched


def _assign_leaders(
    directory: Directory, report: ImportReport, table: Table, count: KindCount, *, user: AnyUser | None, reason: str
) -> None:
    """Set the units' responsible leaders their rows name, now that the members sheet
    (which names the units) is in. A unit that changes only its leader counts as updated."""
    pending = directory.leaders
    found, _missing = directory.members(sorted({p.number for p in pending if p.number}))
    by_number = {member.number: member for member in found}
    column = table.header_of("responsible_leader")
    fresh = OrgUnit.objects.in_bulk([p.unit.pk for p in pending])  # as the import left them
    changed: list[tuple[OrgUnit, int | None]] = []
    for item in pending:
        leader = by_number.get(item.number) if item.number else None
        if item.number and leader is None:
            report.add_error(
                RowError(sheet=table.sheet, row=item.line, column=column, message=unknown_members([item.number]))
            )
            continue
        unit = fresh[item.unit.pk]
        if unit.responsible_leader_id == (leader.pk if leader else None):
            continue
        changed.append((unit, unit.responsible_leader_id))
        unit.responsible_leader = leader
        directory.touched.add(unit.pk)
        if item.unchanged:
            count.unchanged -= 1
            count.updated += 1
    if not changed or not report.ok:
        return
    # One statement and its history rows, then what each save would have announced.
    account = user if user is not None and user.is_authenticated else None
    units = [unit for unit, _old in changed]
    bulk_update_with_history(
        units, OrgUnit, ["responsible_leader"], batch_size=500, default_user=account, default_change_reason=reason[:100]
    )
    # One announcement for all of them (what each save would have announced, at once):
    # the units changed, and their old and new leaders.
    org_changed.send(
        sender=OrgUnit,
        change=OrgChange(
            campaign_id=units[0].campaign_id,
            kind=OrgChangeKind.UNIT_CHANGED,
            fields=frozenset({"responsible_leader"}),
            unit_ids=frozenset(unit.pk for unit in units),
            member_ids=frozenset(
                pk for unit, old in changed for pk in (old, unit.responsible_leader_id) if pk is not None
            ),
        ),
    )


def _chunks(rows: Iterator[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    chunk: list[tuple[int, dict[str, str]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _collect(
    result: Any, lines: list[int], resource: OrgResource[Any], table: Table, report: ImportReport, count: KindCount
) -> None:
    for base in result.base_errors:
        report.add_error(RowError(sheet=table.sheet, row=0, column="", message=str(base.error)))
    for invalid in result.invalid_rows:
        line = lines[invalid.number - 1]
        for key, messages in invalid.error_dict.items():
            column = error_column(resource, key, table) if key != NON_FIELD_ERRORS else ""
            for message in messages:
                report.add_error(RowError(sheet=table.sheet, row=line, column=column, message=str(message)))
    for error_row in result.error_rows:
        for error in error_row.errors:
            report.add_error(
                RowError(
                    sheet=table.sheet,
                    row=lines[error_row.number - 1],
                    column="",
                    message=_("This row could not be saved: %(error)s") % {"error": error.error},
                )
            )
    count.created += result.totals["new"]
    count.updated += result.totals["update"]
    count.unchanged += result.totals["skip"]


# --- The uploaded file between the dry run and the confirmation ----------------

UPLOAD_DIR = "imports"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
UPLOAD_EXTENSIONS = ("xlsx", "csv")


def upload_extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def upload_stash(*, upload: File, extension: str) -> str:
    """Keep an uploaded file under a random token (the session holds the token; the
    client never names a path) and clear out uploads left waiting too long."""
    if extension not in UPLOAD_EXTENSIONS:
        raise ValidationError({"file": _("Choose an .xlsx or .csv file.")})
    _upload_purge()
    token = secrets.token_urlsafe(32)
    name = _upload_name(token, extension)
    upload.seek(0)
    saved = default_storage.save(name, upload)
    if saved != name:  # a storage that renames on save would lose the file for the confirmation
        default_storage.delete(saved)
        raise RuntimeError(f"The storage saved {name} as {saved}.")
    return token


@contextlib.contextmanager
def upload_open(token: str, extension: str) -> Iterator[IO[bytes]]:
    with default_storage.open(_upload_name(token, extension), "rb") as handle:
        yield handle


def upload_discard(token: str, extension: str) -> None:
    with contextlib.suppress(ValidationError):
        default_storage.delete(_upload_name(token, extension))


def _upload_name(token: str, extension: str) -> str:
    if not _TOKEN.match(token or "") or extension not in UPLOAD_EXTENSIONS:
        raise ValidationError(_("That upload is not known."))
    return f"{UPLOAD_DIR}/{token}.{extension}"


def _upload_purge() -> None:
    """Delete uploads older than a session can live: their confirmation cannot come."""
    try:
        _dirs, files = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for name in files:
        path = f"{UPLOAD_DIR}/{name}"
        with contextlib.suppress(FileNotFoundError):
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)


# --- Campaigns ---------------------------------------------------------------------


def campaign_set_public(*, campaign: Campaign, is_public: bool) -> Campaign:
    """Open the campaign to the public box, or close it. Opening is always on purpose:
    a campaign starts closed, so that none reaches the public before the office is ready."""
    if campaign.is_public != is_public:
        campaign.is_public = is_public
        campaign.save(update_fields=["is_public"])
    return campaign


@transaction.atomic
def campaign_created(*, campaign: Campaign, creator: AnyUser) -> None:
    """Office staff who create a campaign become its office staff, in the same
    transaction: otherwise scoping hides the new campaign from its own creator, who
    could then neither manage it nor open or close it to the public. An administrator
    sees every campaign and needs no role."""
    if not getattr(creator, "is_authenticated", False) or creator.is_superuser:
        return
    RoleAssignment.objects.get_or_create(user=creator, campaign=campaign, kind=RoleKind.OFFICE, unit=None)
    forget_scope(creator)  # the rest of this request sees the campaign too
