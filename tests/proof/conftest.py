"""The proof suite's figures: each test hands its figures to ``figures(...)``; they are
printed by the test (seen with ``-s``) and again in the terminal summary, also under
pytest-xdist (``make proof``), where they travel from the worker with the test's report."""

from __future__ import annotations

from collections.abc import Callable

import pytest

KEY = "proof figures"


@pytest.fixture
def figures(request) -> Callable[..., None]:
    def record(**numbers: object) -> None:
        line = f"{request.node.nodeid}: " + ", ".join(f"{name}={value}" for name, value in numbers.items())
        print(line)
        request.node.user_properties.append((KEY, line))

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == KEY
    ]
    if lines:
        terminalreporter.section(KEY)
        for line in lines:
            terminalreporter.write_line(line)
