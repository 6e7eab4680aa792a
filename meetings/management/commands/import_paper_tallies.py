"""Import the tellers' paper tallies from a spreadsheet: ``manage.py import_paper_tallies FILE --user NAME``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from campaign.import_command import ANY_SIZE, ImportCommand
from meetings.appraisal.imports import paper_tallies_import


class Command(ImportCommand):
    help = (
        "Import the paper-ballot tallies of branches' appraisal windows from an .xlsx workbook or a .csv file, "
        "entered as by the first teller (--user); a second teller confirms each in the app. All or nothing: every "
        "bad row is printed as 'sheet row N, column X: reason', nothing is written and the exit status is 1. The "
        "format is described in docs/import_format.md."
    )
    user_help = "Username of the first teller (required); a different teller confirms each tally in the app."
    importer = paper_tallies_import

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        if not options["user"]:
            raise CommandError("Name the first teller with --user USERNAME.")
        return ANY_SIZE
