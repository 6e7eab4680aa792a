"""A unit's talk register (谈心谈话登记表) in the office's layout (DESIGN §7).

A title row, the headers (Chinese under zh-hans, English under en), one row per card,
totals at the foot, A4 landscape: ``core.excel.Sheet``, which neutralises every
text cell that a spreadsheet would run as a formula.

Which cards a unit's register holds: every card on which EITHER person belongs to the
unit or an organisation below it (a talk between members of two units counts for both,
as the scoping rules and the quotas have it), in date order. The cards in the import
format (to correct and import again) are ``talks.resources``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet
from openpyxl import Workbook

from campaign.models import OrgUnit
from core.excel import Column, Sheet, Text, chinese
from core.importing import ChoiceWidget
from talks.models import CardState, Talk, TalkKind
from talks.resources import KIND_WIDGET, RELATION_WIDGET, STATE_WIDGET

CHUNK = 2000
NO = Text("序号", "No.")
TOTAL = Text("合计", "Total")
COLUMNS = [
    Column(NO, 6),
    Column(Text("谈话人", "Initiator"), 12, wrap=True),
    Column(Text("谈话对象", "Counterpart"), 20, wrap=True),
    Column(Text("谈话类型", "Kind"), 14, wrap=True),
    Column(Text("时间", "Date"), 11, date=True),
    Column(Text("地点", "Place"), 14, wrap=True),
    Column(Text("主要内容", "Content"), 56, wrap=True),
    Column(Text("记录人", "Recorder"), 10, wrap=True),
    Column(Text("督导组审核", "Review"), 13, wrap=True),
]
MEMBER_RAISED = Text("谈话人提出：", "The initiator raised: ")
OTHER_RAISED = Text("谈话对象提出：", "The counterpart raised: ")
AGREED = Text("达成共识：", "Agreed: ")


def register_cards(cards: QuerySet[Talk], unit: OrgUnit) -> QuerySet[Talk]:
    """The cards (already scoped) of a unit's register, with what a row shows."""
    return (
        cards.filter(Q(member__unit__path__startswith=unit.path) | Q(other_member__unit__path__startswith=unit.path))
        .select_related("member", "other_member")
        .order_by("talked_on", "pk")
    )


def register_counts(cards: QuerySet[Talk]) -> Counter[int]:
    """Unit id → the cards (already scoped) of its register, for every unit at once: one
    query grouping the cards by the two people's units, each group counted once for
    every organisation above either unit."""
    counts: Counter[int] = Counter()
    groups = cards.order_by().values_list("member__unit__path", "other_member__unit__path").annotate(n=Count("pk"))
    for first, second, n in groups:
        for unit_id in _ids(first) | _ids(second):
            counts[unit_id] += n
    return counts


def _ids(path: str | None) -> set[int]:
    return {int(part) for part in (path or "").strip("/").split("/") if part}


class _Labels:
    """Choice labels of the current language, looked up once per value: a register of
    thousands of cards asks for the same few labels over and over."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, str], str] = {}

    def __call__(self, widget: ChoiceWidget, value: str) -> str:
        key = (id(widget), value)
        if key not in self.cache:
            self.cache[key] = widget.label(value) if value else ""
        return self.cache[key]


def _counterpart(talk: Talk, labels: _Labels) -> str:
    if talk.other_member_id:
        return talk.other_member.name
    details = [part for part in (talk.outsider_role, labels(RELATION_WIDGET, talk.outsider_relation)) if part]
    if not details:
        return talk.outsider_name
    if chinese():
        return f"{talk.outsider_name}（{'，'.join(details)}）"
    return f"{talk.outsider_name} ({', '.join(details)})"


def _content(talk: Talk) -> str:
    parts = [talk.topics]
    for heading, text in (
        (MEMBER_RAISED, talk.member_problems),
        (OTHER_RAISED, talk.other_problems),
        (AGREED, talk.agreed),
    ):
        if text:
            parts.append(f"{heading}{text}")
    return "\n".join(parts)


def _review(talk: Talk, labels: _Labels) -> str:
    state = labels(STATE_WIDGET, talk.state)
    if talk.times_returned:
        returned = Text(f"（退回{talk.times_returned}次）", f" (returned {talk.times_returned}×)")
        return f"{state}{returned}"
    return state


def register_workbook(unit: OrgUnit, cards: QuerySet[Talk]) -> Workbook:
    """The register of ``unit``: ``cards`` are the cards the user may see (scoped)."""
    book = Workbook(write_only=True)
    title = Text(f"{unit.name}谈心谈话登记表", f"{unit.name}: register of heart-to-heart talks")
    sheet = Sheet(book, Text("谈心谈话登记表", "Talk register"), str(title), COLUMNS)
    labels = _Labels()
    kinds: Counter[str] = Counter()
    adequate = 0
    number = 0
    for number, talk in enumerate(register_cards(cards, unit).iterator(chunk_size=CHUNK), start=1):
        sheet.row(_row(number, talk, labels))
        kinds[talk.kind] += 1
        adequate += talk.state == CardState.ADEQUATE
    separator = "；" if chinese() else "; "
    by_kind = separator.join(
        str(Text(f"{labels(KIND_WIDGET, kind)}{kinds[kind]}次", f"{labels(KIND_WIDGET, kind)}: {kinds[kind]}"))
        for kind in TalkKind.values
    )
    sheet.foot(
        [
            str(TOTAL),
            str(Text(f"共{number}次", f"{number} talks")),
            "",
            "",
            "",
            "",
            by_kind,
            "",
            str(Text(f"{labels(STATE_WIDGET, CardState.ADEQUATE)}{adequate}次", f"{adequate} adequate")),
        ]
    )
    return book


def _row(number: int, talk: Talk, labels: _Labels) -> list[Any]:
    return [
        number,
        talk.member.name,
        _counterpart(talk, labels),
        labels(KIND_WIDGET, talk.kind),
        talk.talked_on,
        talk.place,
        _content(talk),
        talk.recorder_name,
        _review(talk, labels),
    ]
