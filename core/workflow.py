"""A workflow as one table: (state, action) → the state the action leads to.

A stage's records move only through their table (``Workflow.move``): a move that is not
in it is refused with the stage's own translated message (``refusal(record, action)``,
a text or a dict of field → text, as ``ValidationError`` takes it). Where the action is
simply the status to move to (an opinion sorted, a list released), ``Workflow.between``
builds the table from each status's possible successors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError

Refusal = Callable[[Any, str], str | dict[str, Any]]


class Workflow:
    def __init__(self, moves: Mapping[tuple[str, str], str], *, refusal: Refusal, field: str = "state") -> None:
        self.moves = dict(moves)
        self.refusal = refusal
        self.field = field

    @classmethod
    def between(cls, successors: Mapping[str, Iterable[str]], *, refusal: Refusal, field: str = "status") -> Workflow:
        """A workflow whose actions are the states to move to."""
        return cls(
            {(state, new): new for state, news in successors.items() for new in news}, refusal=refusal, field=field
        )

    def __getitem__(self, move: tuple[str, str]) -> str:
        return self.moves[move]

    def __contains__(self, move: object) -> bool:
        return move in self.moves

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.moves)

    def allows(self, state: str, action: str) -> bool:
        return (state, action) in self.moves

    def successors(self, state: str) -> frozenset[str]:
        """The states a record in ``state`` may move to."""
        return frozenset(new for (current, _action), new in self.moves.items() if current == state)

    def states(self) -> list[str]:
        """Every state a move starts from, in the table's order."""
        return list(dict.fromkeys(current for current, _action in self.moves))

    def check(self, record: Any, action: str) -> str:
        """The state ``action`` would lead ``record`` to; ``ValidationError`` if none."""
        try:
            return self.moves[(getattr(record, self.field), action)]
        except KeyError:
            raise ValidationError(self.refusal(record, action)) from None

    def move(self, record: Any, action: str) -> str:
        """Put ``record`` in the state ``action`` leads to (unsaved) and return it, or
        refuse with ``ValidationError``, the record unchanged."""
        new_state = self.check(record, action)
        setattr(record, self.field, new_state)
        return new_state
