"""Import the organisation from a spreadsheet: ``manage.py import_org FILE``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from campaign.import_command import ImportCommand
from campaign.resources import KINDS
from campaign.services import org_import


class Command(ImportCommand):
    help = (
        "Import organisations, members, leadership teams and supervisory teams from an .xlsx workbook "
        "(a sheet per kind) or a .csv file (one kind). All or nothing: any bad row is printed as "
        "'sheet row N, column X: reason', nothing is written and the exit status is 1."
    )
    importer = org_import

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=KINDS, help="What a CSV file (or single sheet) holds, if not detected.")

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"kind": options["kind"]}
