"""A naive recount of the documents' ledger figures — Python loops over the source rows,
sharing no code with the roll-up's SQL or the reconciliation's ORM recount — and the
ledger's stored document figures, to compare."""

from __future__ import annotations

from collections import Counter

from campaign.models import Member
from reports.models import LedgerRow
from reviews.models import AnalysisDocument, Review

Figures = dict[tuple[str, int | None, str, str], int]


def naive_documents(campaign) -> Figures:
    figures: Counter = Counter()
    unit_of = dict(Member.objects.filter(campaign=campaign).values_list("pk", "unit_id"))

    def add(unit_id: int, key: str, n: int = 1) -> None:
        figures[(f"unit:{unit_id}", unit_id, "documents", key)] += n
        figures[("county", None, "documents", key)] += n

    for unit_id in unit_of.values():
        add(unit_id, "members")
    returned_documents = set()
    for review in Review.objects.filter(document__campaign=campaign).select_related("document"):
        unit_id = unit_of[review.document.member_id]
        add(unit_id, "reviews")
        add(unit_id, "review_seconds", review.waited_seconds)
        if review.decision == "return":
            returned_documents.add(review.document_id)
    for document in AnalysisDocument.objects.filter(campaign=campaign):
        unit_id = unit_of[document.member_id]
        add(unit_id, "written", int(document.word_count > 0))
        add(unit_id, "submitted", int(document.state != "draft"))
        add(unit_id, "awaiting", int(document.state in ("submitted", "resubmitted")))
        add(unit_id, "returned", int(document.state == "returned"))
        add(unit_id, "approved", int(document.state == "approved"))
        add(unit_id, "returned_at_least_once", int(document.pk in returned_documents))
    return {key: value for key, value in figures.items() if value}


def stored_documents(campaign) -> Figures:
    rows = LedgerRow.objects.filter(campaign=campaign, dimension="documents").values_list(
        "scope", "unit_id", "dimension", "key", "value"
    )
    return {(scope, unit_id, dimension, key): value for scope, unit_id, dimension, key, value in rows}


def assert_documents_match(campaign) -> None:
    expected, stored = naive_documents(campaign), stored_documents(campaign)
    wrong = {
        key: (stored.get(key, 0), expected.get(key, 0))
        for key in set(expected) | set(stored)
        if stored.get(key, 0) != expected.get(key, 0)
    }
    assert not wrong, f"(stored, recounted) differ: {sorted(wrong.items(), key=str)[:20]}"
