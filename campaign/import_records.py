"""The files imported into a campaign, to recognise a file (or its rows) that comes again.

Every spreadsheet import (organisation, opinions, talk cards, meeting records, paper
tallies) passes a ``FileRecord`` to ``core.importing.import_all_or_nothing``, which
hashes the file and takes a digest of each row as it is read. Before anything is
kept, the record is compared with the campaign's earlier imports of the same kind:

- the same file (the same SHA-256): "this file was already imported on …";
- else rows of this file found in earlier files (the same cells, whatever the file's
  format or the order of its rows): "N of this file's M rows were already imported …".

A dry run reports it (``ImportReport.repeats``); the import itself is then refused
unless it was confirmed (``again``): in the browser a box to tick, on the command line
``--again`` or an answer to the question. A good import keeps its record in its own
transaction, so a file rolled back is not remembered.
"""

from __future__ import annotations

from array import array
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.translation import ngettext

from campaign.models import Campaign, ImportedFile
from core.importing import ImportRecord, ImportReport, join_list

# Earlier files named in a message, at most.
NAMED = 3


class FileRecord(ImportRecord):
    def __init__(self, *, campaign: Campaign, kind: str, user: Any = None, again: bool = False) -> None:
        super().__init__(again=again)
        self.campaign = campaign
        self.kind = kind
        self.user = user if getattr(user, "is_authenticated", False) else None

    def earlier(self) -> Any:
        return ImportedFile.objects.filter(campaign=self.campaign, kind=self.kind)

    def compare(self, report: ImportReport) -> None:
        same = self.earlier().filter(sha256=self.sha256).defer("row_digests").order_by("-imported_at", "-pk").first()
        if same is not None:
            report.repeats.append(
                ngettext(
                    "This file was already imported into this campaign on %(day)s (%(file)s, %(rows)s row).",
                    "This file was already imported into this campaign on %(day)s (%(file)s, %(rows)s rows).",
                    same.rows,
                )
                % {"day": _day(same), "file": same.filename, "rows": intcomma(same.rows)}
            )
        elif self.row_digests:
            found, files = self._rows_found()
            if found:
                report.repeats.append(
                    ngettext(
                        "%(found)s of this file's %(total)s rows was already imported into this campaign (%(files)s).",
                        "%(found)s of this file's %(total)s rows were already imported into this campaign (%(files)s).",
                        found,
                    )
                    % {
                        "found": intcomma(found),
                        "total": intcomma(len(self.row_digests)),
                        "files": join_list(f"{f.filename}, {_day(f)}" for f in files[:NAMED])
                        + ("…" if len(files) > NAMED else ""),
                    }
                )
        self.refuse_unless_confirmed(report)

    def _rows_found(self) -> tuple[int, list[ImportedFile]]:
        """How many of this file's rows appear in earlier files, and those files. One
        earlier file's digests in memory at a time; a flag per row of this file."""
        seen = bytearray(len(self.row_digests))
        files = []
        for earlier in self.earlier().order_by("imported_at", "pk").iterator(chunk_size=20):
            digests = array("q")
            digests.frombytes(bytes(earlier.row_digests))
            known = set(digests)
            hit = False
            for i, digest in enumerate(self.row_digests):
                if digest in known:
                    seen[i] = 1
                    hit = True
            if hit:
                files.append(earlier)
        return sum(seen), files

    def keep(self, report: ImportReport) -> None:
        ImportedFile.objects.create(
            campaign=self.campaign,
            kind=self.kind,
            filename=report.filename[:255],
            sha256=self.sha256,
            rows=len(self.row_digests),
            row_digests=self.row_digests.tobytes(),
            imported_by=self.user,
        )


def _day(imported: ImportedFile) -> str:
    return timezone.localtime(imported.imported_at).date().isoformat()
