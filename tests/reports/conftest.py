import pytest

from tests.reports.helpers import Ledgers, build_ledgers


@pytest.fixture
def ledgers(world) -> Ledgers:
    return build_ledgers(world)
