"""The toolbox's own pieces: the formula guard, a workflow table, and work collected
per transaction and run once on commit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import Workbook

from core.excel import csv_text, csv_untext, is_formula, text_cell
from core.transactions import collect
from core.workflow import Workflow


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tX", "\rX", "|calc", "%x", "＝1", "＋1", "－1", "＠A1"])
def test_the_guard_neutralises_every_formula_character(text):
    assert is_formula(text)
    cell = text_cell(Workbook(write_only=True).create_sheet(), text)
    assert (cell.data_type, cell.quotePrefix, cell.value) == ("s", True, text)
    assert csv_text(text) == "'" + text
    assert csv_untext(csv_text(text)) == text
    assert csv_untext(csv_text("'" + text)) == "'" + text


def test_plain_text_is_left_alone():
    assert not is_formula("意见") and csv_text("a-b") == "a-b"
    assert not is_formula(-2)


class Card:
    def __init__(self, state: str) -> None:
        self.state = state


FLOW = Workflow(
    {("new", "send"): "sent", ("sent", "return"): "new"}, refusal=lambda card, action: f"{card.state}/{action}"
)


def test_a_workflow_moves_by_its_table_and_refuses_the_rest():
    card = Card("new")
    assert FLOW.move(card, "send") == "sent" and card.state == "sent"
    with pytest.raises(ValidationError) as refused:
        FLOW.move(card, "send")
    assert refused.value.messages == ["sent/send"] and card.state == "sent"
    assert FLOW[("sent", "return")] == "new" and ("new", "return") not in FLOW
    assert FLOW.successors("new") == {"sent"} and FLOW.states() == ["new", "sent"]


def test_a_workflow_between_statuses():
    flow = Workflow.between({"a": {"b", "c"}, "b": {"a"}}, refusal=lambda record, to: {"status": to})
    assert flow.allows("a", "c") and not flow.allows("b", "c") and flow.successors("a") == {"b", "c"}


class Gathered:
    runs: list[set[int]] = []

    def __init__(self) -> None:
        self.ids: set[int] = set()

    def __call__(self) -> None:
        Gathered.runs.append(self.ids)


@pytest.mark.django_db(transaction=True)
def test_collected_per_transaction_and_run_once_on_commit():
    Gathered.runs = []
    with transaction.atomic():
        collect(Gathered, lambda c: c.ids.add(1))
        collect(Gathered, lambda c: c.ids.add(2))
        try:
            with transaction.atomic():
                collect(Gathered, lambda c: c.ids.add(3))
                raise RuntimeError
        except RuntimeError:
            pass
        assert Gathered.runs == []
    assert Gathered.runs == [{1, 2}]
    collect(Gathered, lambda c: c.ids.add(4))
    assert Gathered.runs == [{1, 2}, {4}]
