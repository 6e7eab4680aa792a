"""Strip from what is already stored the characters every input now strips:
``manage.py clean_stored_text [--apply]``.

Since ``core.text`` cleans every text input, no new row holds a control character or a
bidi override; rows stored before it (or written around the forms, by a script) may.
Exports already strip them as they write (``core.excel.printable``); an HTML page shows
what is stored, so a stored right-to-left override still reorders the text around it.
This command finds such rows in every text column of every model (history tables
included, which keep copies of the texts) and, with ``--apply``, rewrites those columns
without the characters, in one transaction. Without ``--apply`` it only counts.

It is an upgrade step (docs/architecture.md, "Upgrading"), safe to run again: a second
run finds nothing. The rows are updated in place (``QuerySet.update``): a cleaning is no
edit, so it adds no history version and announces nothing to the ledgers, whose figures
count rows and never read texts.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.utils.translation import gettext as _

from core.text import UNSAFE_CHARACTERS, strip_unsafe

# The characters a database can hold at all: PostgreSQL stores no NUL and no lone
# surrogate in a text, so a stored row cannot contain them and the pattern leaves them out
# (PostgreSQL would refuse the pattern itself).
_STORABLE_UNSAFE = "[" + "".join(c for c in UNSAFE_CHARACTERS if c not in "\x00") + "]"


def _text_columns() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.attname)
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField)) and not field.choices
    ]


def clean_stored_text(*, apply: bool) -> dict[str, int]:
    """Rows holding an unsafe character, by ``app_label.model.column``; with ``apply``,
    those columns rewritten without them (all or nothing)."""
    found: dict[str, int] = {}
    with transaction.atomic():
        for model, column in _text_columns():
            rows = model._base_manager.filter(**{f"{column}__regex": _STORABLE_UNSAFE})
            values = list(rows.values_list("pk", column))
            if not values:
                continue
            found[f"{model._meta.label_lower}.{column}"] = len(values)
            if apply:
                for pk, value in values:
                    model._base_manager.filter(pk=pk).update(**{column: strip_unsafe(value)})
    return found


class Command(BaseCommand):
    help = (
        "Count (or, with --apply, strip) the control characters and bidi overrides stored before every input "
        "stripped them, in every text column of every model. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="Rewrite the columns found (one transaction).")

    def handle(self, *args: Any, **options: Any) -> None:
        found = clean_stored_text(apply=options["apply"])
        for column, count in sorted(found.items()):
            self.stdout.write(f"{column}: {count}")
        total = sum(found.values())
        if options["apply"]:
            self.stdout.write(_("%(count)d stored text(s) cleaned.") % {"count": total})
        else:
            self.stdout.write(
                _("%(count)d stored text(s) hold characters to strip; run again with --apply to strip them.")
                % {"count": total}
            )
