"""Excel exports of what the opinion and event lists show, laid out like the office's
paper: a title row, the headers, one row per record, the total at the foot
(``core.excel.workbook``, which stores every text that a spreadsheet would read as a
formula as plain text).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _

from campaign.models import TargetCategory
from core.excel import CHUNK, content_response, workbook
from core.excel import ListColumn as Column
from core.excel import choice_label as _label
from opinions.models import Aspect, Channel, Opinion, OpinionKind, OpinionStatus, SolicitationEvent, SourceGroup


def _target(opinion: Opinion) -> str:
    target = opinion.target
    return target.name if target is not None else opinion.target_text


def opinion_columns(*, with_submitter: bool) -> list[Column]:
    columns = [
        Column(_("No."), lambda o: None, 6),
        Column(_("Content"), lambda o: o.text, 60),
        Column(_("Kind"), lambda o: _label(OpinionKind, o.kind), 8),
        Column(_("Target"), _target, 20),
        Column(_("Category"), lambda o: _label(TargetCategory, o.category), 18),
        Column(_("Unit"), lambda o: o.ledger_unit.name if o.ledger_unit_id else "", 20),
        Column(_("Channel"), lambda o: _label(Channel, o.channel), 14),
        Column(_("Event"), lambda o: o.event.title if o.event_id else "", 20),
        Column(_("Source group"), lambda o: _label(SourceGroup, o.source_group) if o.source_group else "", 14),
        Column(_("Date"), lambda o: o.received_on, 12),
        Column(_("Aspect"), lambda o: _label(Aspect, o.aspect) if o.aspect else "", 14),
        Column(_("Status"), lambda o: _label(OpinionStatus, o.status), 10),
        Column(_("Recorded by"), lambda o: o.recording_unit.name if o.recording_unit_id else "", 18),
        Column(_("Merged into"), lambda o: f"#{o.merged_into_id}" if o.merged_into_id else "", 10),
        Column(_("Merged here"), lambda o: getattr(o, "merged_count", 0) or None, 10),
        Column(_("Reference"), lambda o: f"#{o.pk}", 10),
    ]
    if with_submitter:
        # Each row says whether its submitter is shown to this user (never on an opinion
        # about the user himself: ``opinions.selectors.submitter_shown``); a row loaded
        # without that says nothing.
        hidden = _("hidden")

        def shown(field: str) -> Callable[[Opinion], str]:
            return lambda o: getattr(o, field) if getattr(o, "submitter_shown", False) else hidden

        columns += [
            Column(_("Submitter's name"), shown("submitter_name"), 14),
            Column(_("Submitter's contact"), shown("submitter_contact"), 18),
        ]
    return columns


def opinions_response(opinions: QuerySet[Opinion], *, with_submitter: bool, title: str) -> HttpResponse:
    """``opinions`` as ``opinions.selectors.opinions_for`` loads them (with ``submitter_shown``)."""
    content = workbook(
        title,
        opinion_columns(with_submitter=with_submitter),
        opinions.iterator(chunk_size=CHUNK),
        sheet_name=_("Opinions"),
    )
    return content_response(content, _("opinions"))


def event_columns() -> list[Column]:
    return [
        Column(_("No."), lambda e: None, 6),
        Column(_("Title"), lambda e: e.title, 30),
        Column(_("Kind"), lambda e: _label(Channel, e.channel), 14),
        Column(_("Host unit"), lambda e: e.unit.name, 20),
        Column(_("Level"), lambda e: e.get_level_display(), 10),
        Column(_("Date"), lambda e: e.held_on, 12),
        Column(_("Until"), lambda e: e.ends_on, 12),
        Column(_("Place"), lambda e: e.place, 16),
        Column(
            _("Attendee groups"),
            lambda e: "、".join(_label(SourceGroup, group) for group in e.attendee_groups or []),
            24,
        ),
        Column(_("Attendance"), lambda e: e.attendance, 10),
        Column(_("Forms issued"), lambda e: e.forms_issued, 10),
        Column(_("Forms returned"), lambda e: e.forms_returned, 10),
        Column(_("Suggestion boxes set"), lambda e: e.boxes_set, 10),
        Column(_("Opinions recorded"), lambda e: getattr(e, "opinion_count", None), 10),
    ]


def events_response(events: QuerySet[SolicitationEvent], *, title: str) -> HttpResponse:
    content = workbook(title, event_columns(), events.iterator(chunk_size=CHUNK), sheet_name=_("Events"))
    return content_response(content, _("solicitation events"))
