"""Import opinions and solicitation events from a spreadsheet: ``manage.py import_opinions FILE``."""

from __future__ import annotations

from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _

from campaign.import_command import ANY_SIZE, ImportCommand
from opinions.imports import opinions_import


class Command(ImportCommand):
    help = (
        "Import solicitation events and opinions from an .xlsx workbook (a sheet of each, or one) or a .csv "
        "file (one kind), streamed in chunks so that a file of a million rows fits in memory. All or nothing: "
        "every bad row is printed as 'sheet row N, column X: reason', nothing is written and the exit status "
        "is 1. The format is described in docs/import_format.md."
    )
    user_help = "Username recorded in the history as the importer; the rows must then lie within his or her scope."
    importer = opinions_import

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            self.stderr.write(
                _("%(done)s of about %(total)s rows") % {"done": intcomma(done), "total": intcomma(total)}
            )

        return {**ANY_SIZE, "progress": progress if options["verbosity"] >= 2 else None}
