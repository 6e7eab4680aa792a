"""System checks of the toolbox."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register


@register()
def openpyxl_uses_defusedxml(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """openpyxl parses a workbook through defusedxml only when defusedxml is installed
    (and OPENPYXL_DEFUSEDXML is not "False"); without it, entities in an uploaded .xlsx
    are expanded. Start-up stops rather than run without it."""
    import openpyxl

    if openpyxl.DEFUSEDXML:
        return []
    return [
        Error(
            "openpyxl does not parse through defusedxml, so entities in an uploaded workbook would be expanded.",
            hint="Install the pinned defusedxml (requirements.txt) and leave OPENPYXL_DEFUSEDXML unset.",
            id="core.E001",
        )
    ]
