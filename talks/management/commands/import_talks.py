"""Import talk cards from a spreadsheet: ``manage.py import_talks FILE``."""

from __future__ import annotations

from typing import Any

from campaign.import_command import ANY_SIZE, ImportCommand
from talks.imports import talks_import


class Command(ImportCommand):
    help = (
        "Import talk cards from an .xlsx workbook (a sheet of cards) or a .csv file, each row checked as a card "
        "entered by hand. All or nothing: every bad row is printed as 'sheet row N, column X: reason', nothing "
        "is written and the exit status is 1. The format is described in docs/import_format.md."
    )
    user_help = (
        "Username recorded as the cards' recorder and in the history; the cards must then be ones he or she may record."
    )
    importer = talks_import

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return ANY_SIZE
