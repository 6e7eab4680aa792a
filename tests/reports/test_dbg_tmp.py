from opinions.services import Target, opinion_merge
from reports import services
from tests.reports.helpers import add_opinion, assert_ledger_matches_source, stored_ledger


def test_dbg(ledgers):
    c = ledgers.campaign
    a = add_opinion(c, Target(member=ledgers.member))
    b = add_opinion(c, Target(member=ledgers.member))
    opinion_merge(actor=None, keep=a, duplicates=[b])
    services.ledger_drain_outbox()
    print(stored_ledger(c))
    assert_ledger_matches_source(c)
