"""Import meeting records from a spreadsheet: ``manage.py import_meeting_records FILE --user NAME``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from campaign.import_command import ANY_SIZE, ImportCommand
from meetings.imports import meeting_records_import


class Command(ImportCommand):
    help = (
        "Import meeting records (attendance, self-criticisms, criticisms) from an .xlsx workbook or a .csv file, "
        "each row checked as a record entered on the meeting's page. All or nothing: every bad row is printed as "
        "'sheet row N, column X: reason', nothing is written and the exit status is 1. The format is described in "
        "docs/import_format.md."
    )
    user_help = "Username of the person recording (required): the meetings must be ones he or she may record."
    importer = meeting_records_import

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        if not options["user"]:
            raise CommandError("Name the user who records the meetings with --user USERNAME.")
        return ANY_SIZE
