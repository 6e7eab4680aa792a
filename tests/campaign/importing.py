"""Helpers for the import and export tests: spreadsheets built in memory."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook, load_workbook

from campaign.services import org_import
from core.importing import ImportReport

UNIT_HEADERS = ["Code", "Name", "Kind", "Parent code"]
MEMBER_HEADERS = ["Number", "Name", "Unit code", "Branch code", "Rank", "Position", "Units in charge"]
TEAM_HEADERS = ["Code", "Name", "Kind", "Unit code", "Head number", "Member numbers"]
SUPERVISORY_HEADERS = ["Name", "Level", "Leader", "Members", "Supervised unit codes"]


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def sheets_of(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Each sheet's rows as tuples as wide as its header row (blank cells are None)."""
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        sheets = {}
        for sheet in workbook.worksheets:
            rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            width = len(rows[0]) if rows else 0
            sheets[sheet.title] = [row + (None,) * (width - len(row)) for row in rows]
        return sheets
    finally:
        workbook.close()


def run(campaign, data: bytes, filename: str = "org.xlsx", *, user=None, kind=None, dry_run=False) -> ImportReport:
    return org_import(
        campaign=campaign, user=user, source=io.BytesIO(data), filename=filename, kind=kind, dry_run=dry_run
    )


def messages(report: ImportReport) -> list[str]:
    return [str(error) for error in report.errors]
