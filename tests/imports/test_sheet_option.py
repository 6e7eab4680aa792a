"""Every import command takes ``--sheet NAME``: only that sheet of the workbook is read,
and a name no sheet has is refused naming the sheets there are."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.campaign.importing import xlsx

pytestmark = pytest.mark.django_db

COMMANDS = ["import_org", "import_opinions", "import_talks", "import_meeting_records", "import_paper_tallies"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sheet_the_workbook_lacks_is_named_with_the_sheets_it_has(world, tmp_path, command):
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx({"一月": [["名称"], ["甲"]], "二月": [["名称"], ["乙"]]}))
    err = io.StringIO()
    # The meeting imports record who entered them: a user of the office.
    user = (
        ["--user", world.users["office"].username]
        if command.startswith("import_meeting") or "tallies" in command
        else []
    )
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command(
            command,
            str(path),
            "--campaign",
            world.campaign.slug,
            "--sheet",
            "三月",
            "--dry-run",
            *user,
            stderr=err,
            stdout=io.StringIO(),
        )
    assert raised.value.returncode == 1
    said = err.getvalue() + str(raised.value)
    assert "The workbook has no sheet named 三月; its sheets are 一月, 二月." in said, said
