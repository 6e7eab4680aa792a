"""The proof suite's figures: each test hands its figures to ``figures(...)``; they are
printed by the test (seen with ``-s``) and again in the terminal summary."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_FIGURES: list[str] = []


@pytest.fixture
def figures(request) -> Callable[..., None]:
    def record(**numbers: object) -> None:
        line = f"{request.node.nodeid}: " + ", ".join(f"{name}={value}" for name, value in numbers.items())
        print(line)
        _FIGURES.append(line)

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _FIGURES:
        terminalreporter.section("proof figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
