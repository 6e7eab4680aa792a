"""Readable change histories from django-simple-history rows, shared by the apps.

``history_entries`` turns a record's history rows into "who changed what and when",
newest first: each field shown as people read it (choices by label, related records
by name, dates in ISO form), in a fixed number of queries — one per kind of related
record the rows name.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

EMPTY = "—"


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    action: str  # "+" created, "~" changed, "-" deleted
    changes: list[Change] = field(default_factory=list)

    @property
    def action_label(self) -> _StrOrPromise:
        return {"+": _("Recorded"), "~": _("Changed"), "-": _("Deleted")}.get(self.action, self.action)


def _column(model: type[models.Model], name: str) -> models.Field:
    field_ = model._meta.get_field(name)
    # A history row copies the model's own columns: reverse relations have none.
    assert isinstance(field_, models.Field), f"{model.__name__}.{name} is not a column"
    return field_


def _related_model(model_field: models.Field) -> type[models.Model]:
    related = model_field.related_model
    # Resolved once the models are loaded: never None ("self" included) on a relation.
    assert isinstance(related, type), f"{model_field} is not a relation"
    return related


def _related_labels(
    records: list[Any], fields: Mapping[str, models.Field], own_model: type[models.Model]
) -> dict[tuple[type[models.Model], int], str]:
    """How each related record the rows name is shown: by its name (one query per
    model), or "#id" for a record of the model itself (a merge target)."""
    related_ids: dict[type[models.Model], set[int]] = {}
    for record in records:
        for model_field in fields.values():
            if model_field.is_relation:
                value = getattr(record, model_field.attname)
                if value is not None:
                    related_ids.setdefault(_related_model(model_field), set()).add(value)
    labels: dict[tuple[type[models.Model], int], str] = {}
    for model, ids in related_ids.items():
        if model is own_model:
            labels.update({(model, pk): f"#{pk}" for pk in ids})
        else:
            labels.update({(model, obj.pk): str(obj) for obj in model._default_manager.filter(pk__in=ids)})
    return labels


def history_entries(
    history: models.QuerySet, model: type[models.Model], field_names: Iterable[str], *, nobody: str = EMPTY
) -> list[HistoryEntry]:
    """The changes of ``field_names`` recorded in ``history`` (a record's ``.history``),
    newest first. ``nobody``: who is named when no user made a change."""
    records = list(history.select_related("history_user").order_by("history_date", "history_id"))
    fields = {name: _column(model, name) for name in field_names}
    labels = _related_labels(records, fields, model)

    def shown(name: str, record: Any) -> str:
        model_field = fields[name]
        value = getattr(record, model_field.attname)
        if value in (None, ""):
            return EMPTY
        if model_field.is_relation:
            return labels.get((_related_model(model_field), value), f"#{value}")
        if model_field.flatchoices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)

    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        user = record.history_user
        who = (user.get_full_name() or user.get_username()) if user is not None else str(nobody)
        entry = HistoryEntry(when=record.history_date, who=who, action=record.history_type)
        if record.history_type != "-":
            for name, model_field in fields.items():
                new = shown(name, record)
                old = shown(name, previous) if previous is not None else EMPTY
                if previous is None and new == EMPTY:
                    continue
                if old != new:
                    entry.changes.append(Change(label=capfirst(str(model_field.verbose_name)), old=old, new=new))
        entries.append(entry)
        previous = record
    return list(reversed(entries))
