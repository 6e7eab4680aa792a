"""The ledger source "documents": the self-analysis document figures of each unit.

``write`` inserts the unit rows with SQL — three ``INSERT … SELECT … GROUP BY``
passes joined with UNION ALL, one over the members, one over the documents, one over
the reviews, each turned into one row per key (alike on SQLite and PostgreSQL);
``recount`` counts the same figures with the ORM, for the reconciliation.

Filing (``reports.ledger.registry``): every figure is a unit row filed under the unit of the
document's author, ``Member.unit`` (his or her current one); the county row is the sum
of the unit rows. The keys and their meanings are below (``DOC_*``). No
zero is written.

Only ids (cast to int) and constants of this module are spelt into the SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Member
from reports.ledger.figures import Figures
from reports.ledger.registry import FigureKey, LedgerSource
from reports.ledger.sql import NULL_ID, ids, insert_head, lit, scope_sql, table
from reports.models import COUNTY_SCOPE, LedgerLevel, unit_scope
from reviews.models import AWAITING_STATES, AnalysisDocument, Decision, DocumentState, Review


class Dimension(models.TextChoices):
    """The one dimension this source writes."""

    DOCUMENTS = "documents", _("Self-analysis documents")


# Keys of the documents dimension, unit rows filed under the author's unit.
DOC_MEMBERS = "members"  # members of the unit (each writes one document)
DOC_WRITTEN = "written"  # some text saved
DOC_SUBMITTED = "submitted"  # submitted at least once (any state but draft)
DOC_AWAITING = "awaiting"  # submitted or resubmitted, awaiting a decision
DOC_RETURNED = "returned"  # returned now, awaiting the author's revision
DOC_RETURNED_ONCE = "returned_at_least_once"
DOC_APPROVED = "approved"
DOC_REVIEWS = "reviews"  # decisions taken
DOC_REVIEW_SECONDS = "review_seconds"  # their waiting times summed (average = this / reviews)
DOCUMENT_KEYS: tuple[str, ...] = (
    DOC_MEMBERS,
    DOC_WRITTEN,
    DOC_SUBMITTED,
    DOC_AWAITING,
    DOC_RETURNED,
    DOC_RETURNED_ONCE,
    DOC_APPROVED,
    DOC_REVIEWS,
    DOC_REVIEW_SECONDS,
)


def _in(states: Iterable[str]) -> str:
    return ", ".join(lit(state) for state in sorted(states))


# The documents' figures: the condition a document meets to be counted under each key.
DOCUMENT_FIGURES: dict[str, str] = {
    DOC_WRITTEN: "d.word_count > 0",
    DOC_SUBMITTED: f"d.state <> {lit(DocumentState.DRAFT)}",
    DOC_AWAITING: f"d.state IN ({_in(AWAITING_STATES)})",
    DOC_RETURNED: f"d.state = {lit(DocumentState.RETURNED)}",
    DOC_APPROVED: f"d.state = {lit(DocumentState.APPROVED)}",
}
# The reviews' figures: an expression over the reviews of a unit's documents.
REVIEW_FIGURES: dict[str, str] = {
    DOC_REVIEWS: "COUNT(*)",
    DOC_REVIEW_SECONDS: "SUM(r.waited_seconds)",
    DOC_RETURNED_ONCE: f"COUNT(DISTINCT CASE WHEN r.decision = {lit(Decision.RETURN)} THEN r.document_id END)",
}


def _unpivot(aggregate: str, figures: Sequence[str]) -> str:
    """One unit row per key and unit from ``aggregate`` (a query with ``unit_id`` and a
    column named after each key), leaving out the zeros."""
    keys = " UNION ALL ".join(f"SELECT {lit(key)} AS name" for key in figures)
    value = "CASE k.name " + " ".join(f"WHEN {lit(key)} THEN a.{key}" for key in figures) + " END"
    return (
        f"SELECT a.campaign_id, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'a.unit_id')}, a.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {lit(Dimension.DOCUMENTS)}, k.name, {value} "
        f"FROM ({aggregate}) a CROSS JOIN ({keys}) k WHERE {value} > 0"
    )


def statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    campaign = int(campaign_id)
    members, documents, reviews = table(Member), table(AnalysisDocument), table(Review)
    where_unit = f" AND m.unit_id IN ({ids(unit_ids)})" if unit_ids is not None else ""
    head = f"SELECT {campaign} AS campaign_id, m.unit_id AS unit_id"
    member_pass = (
        f"{head}, COUNT(*) AS {DOC_MEMBERS} FROM {members} m WHERE m.campaign_id = {campaign}{where_unit} "
        "GROUP BY m.unit_id"
    )
    counts = ", ".join(
        f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {key}" for key, condition in DOCUMENT_FIGURES.items()
    )
    document_pass = (
        f"{head}, {counts} FROM {documents} d JOIN {members} m ON m.id = d.member_id "
        f"WHERE d.campaign_id = {campaign}{where_unit} GROUP BY m.unit_id"
    )
    sums = ", ".join(f"{expression} AS {key}" for key, expression in REVIEW_FIGURES.items())
    review_pass = (
        f"{head}, {sums} FROM {reviews} r JOIN {documents} d ON d.id = r.document_id "
        f"JOIN {members} m ON m.id = d.member_id WHERE d.campaign_id = {campaign}{where_unit} GROUP BY m.unit_id"
    )
    selects = [
        _unpivot(member_pass, [DOC_MEMBERS]),
        _unpivot(document_pass, list(DOCUMENT_FIGURES)),
        _unpivot(review_pass, list(REVIEW_FIGURES)),
    ]
    return insert_head() + " UNION ALL ".join(selects)


def write(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    """Insert the document rows of ``unit_ids`` (None: of every unit)."""
    if unit_ids is not None and not unit_ids:
        return  # only the opinions with no target were rolled up: no document is there
    with connection.cursor() as cursor:
        cursor.execute(statement(campaign_id, unit_ids))


def recount(campaign_id: int) -> dict[FigureKey, int]:
    """Every document figure counted afresh with the ORM (not the SQL of ``write``)."""
    figures: Counter[FigureKey] = Counter()

    def add(unit_id: int, key: str, value: int | None) -> None:
        figures[(unit_scope(unit_id), unit_id, Dimension.DOCUMENTS, key)] += value or 0
        figures[(COUNTY_SCOPE, None, Dimension.DOCUMENTS, key)] += value or 0

    for row in Member.objects.filter(campaign_id=campaign_id).order_by().values("unit_id").annotate(n=Count("pk")):
        add(row["unit_id"], DOC_MEMBERS, row["n"])

    returned = Review.objects.filter(document=OuterRef("pk"), decision=Decision.RETURN)
    documents = (
        AnalysisDocument.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values("member__unit_id")
        .annotate(
            **{
                DOC_WRITTEN: Count("pk", filter=Q(word_count__gt=0)),
                DOC_SUBMITTED: Count("pk", filter=~Q(state=DocumentState.DRAFT)),
                DOC_AWAITING: Count("pk", filter=Q(state__in=AWAITING_STATES)),
                DOC_RETURNED: Count("pk", filter=Q(state=DocumentState.RETURNED)),
                DOC_APPROVED: Count("pk", filter=Q(state=DocumentState.APPROVED)),
                DOC_RETURNED_ONCE: Count("pk", filter=Q(Exists(returned))),
            }
        )
    )
    for row in documents:
        for key in (DOC_WRITTEN, DOC_SUBMITTED, DOC_AWAITING, DOC_RETURNED, DOC_APPROVED, DOC_RETURNED_ONCE):
            add(row["member__unit_id"], key, row[key])

    reviews = (
        Review.objects.filter(document__campaign_id=campaign_id)
        .order_by()
        .values("document__member__unit_id")
        .annotate(n=Count("pk"), seconds=Sum("waited_seconds"))
    )
    for row in reviews:
        add(row["document__member__unit_id"], DOC_REVIEWS, row["n"])
        add(row["document__member__unit_id"], DOC_REVIEW_SECONDS, row["seconds"])
    # The ledger stores no zero: a figure that is not there reads as zero.
    return {key: value for key, value in figures.items() if value}


def documents_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Members (each writes one document), documents submitted, approved and returned
    at least once, from the county's ledger rows; the two minimum lengths in force."""
    return {
        "members_total": figures.get(Dimension.DOCUMENTS, DOC_MEMBERS),
        "submitted": figures.get(Dimension.DOCUMENTS, DOC_SUBMITTED),
        "approved": figures.get(Dimension.DOCUMENTS, DOC_APPROVED),
        "returned_at_least_once": figures.get(Dimension.DOCUMENTS, DOC_RETURNED_ONCE),
        "leaders_min_words": campaign.doc_min_words_leader,
        "members_min_words": campaign.doc_min_words_member,
    }


SOURCE = LedgerSource(
    name="documents",
    dimensions=Dimension,
    write=write,
    recount=recount,
    sections={"documents": documents_section},
)
