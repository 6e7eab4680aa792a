"""The reconciliation's recount of the opinions' figures: plain ORM queries.

The roll-up writes these figures with the SQL of ``reports.sources``; the nightly
reconciliation compares them with this independent count.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q, Sum

from opinions.models import Channel, FeedbackList, Opinion, SolicitationEvent
from reports.models import (
    COUNTY_SCOPE,
    EVENTS,
    FORMS_ISSUED,
    FORMS_RETURNED,
    FORUMS,
    LISTS_RELEASED,
    LISTS_SIGNED,
    LISTS_TOTAL,
    OPINION_DIMENSIONS,
    SUGGESTION_BOXES,
    TOTAL_KEY,
    Dimension,
    cell_scope,
    member_scope,
    team_scope,
    unit_scope,
)
from reports.registry import FigureKey


def recount_opinions(campaign_id: int) -> dict[FigureKey, int]:
    """Every figure of the opinions, feedback lists and solicitation events counted
    afresh with the ORM (on purpose not the SQL of ``reports.sources``), and the
    opinions' cells (scopes ``cell:…``)."""
    figures: Counter[FigureKey] = Counter()
    opinions = Opinion.objects.filter(campaign_id=campaign_id, merged_into__isnull=True).order_by()
    levels = (
        (opinions, "ledger_unit_id", "ledger_unit_id", unit_scope),
        (opinions.filter(target_member__isnull=False), "target_member_id", "target_member__unit_id", member_scope),
        (opinions.filter(target_team__isnull=False), "target_team_id", "target_team__unit_id", team_scope),
    )
    for queryset, subject, filed_under, scope in levels:
        for dimension in (Dimension.TOTAL, *OPINION_DIMENSIONS):
            fields = [subject, filed_under] + ([dimension] if dimension != Dimension.TOTAL else [])
            for row in queryset.values(*fields).annotate(n=Count("pk")):
                key = row[dimension] if dimension != Dimension.TOTAL else TOTAL_KEY
                figures[(scope(row[subject]), row[filed_under], dimension, key)] += row["n"]
    # The cells (``LedgerCell``): per ledger unit and target, filed under the ledger unit.
    subject = ("ledger_unit_id", "target_member_id", "target_team_id")
    for dimension in (Dimension.TOTAL, *OPINION_DIMENSIONS):
        fields = [*subject] + ([dimension] if dimension != Dimension.TOTAL else [])
        for row in opinions.values(*fields).annotate(n=Count("pk")):
            key = row[dimension] if dimension != Dimension.TOTAL else TOTAL_KEY
            where = cell_scope(*(row[name] for name in subject)), row["ledger_unit_id"]
            figures[(*where, dimension, key)] += row["n"]
    for dimension in (Dimension.TOTAL, *OPINION_DIMENSIONS):
        if dimension == Dimension.TOTAL:
            figures[(COUNTY_SCOPE, None, dimension, TOTAL_KEY)] += opinions.count()
            continue
        for row in opinions.values(dimension).annotate(n=Count("pk")):
            figures[(COUNTY_SCOPE, None, dimension, row[dimension])] += row["n"]

    lists = FeedbackList.objects.filter(campaign_id=campaign_id).order_by()
    released = {FeedbackList.Status.RELEASED, FeedbackList.Status.SIGNED}
    list_levels = (
        (lists, "ledger_unit_id", "ledger_unit_id", unit_scope),
        (lists.filter(target_member__isnull=False), "target_member_id", "target_member__unit_id", member_scope),
        (lists.filter(target_team__isnull=False), "target_team_id", "target_team__unit_id", team_scope),
    )
    for queryset, subject, filed_under, scope in list_levels:
        for row in queryset.values(subject, filed_under, "status").annotate(n=Count("pk")):
            where = (scope(row[subject]), row[filed_under])
            keys = [LISTS_TOTAL]
            if row["status"] in released:
                keys.append(LISTS_RELEASED)
            if row["status"] == FeedbackList.Status.SIGNED:
                keys.append(LISTS_SIGNED)
            for key in keys:
                figures[(*where, Dimension.FEEDBACK, key)] += row["n"]
                if scope is unit_scope:
                    figures[(COUNTY_SCOPE, None, Dimension.FEEDBACK, key)] += row["n"]

    events = (
        SolicitationEvent.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values("unit_id")
        .annotate(
            **{
                EVENTS: Count("pk"),
                FORUMS: Count("pk", filter=Q(channel=Channel.FORUM)),
                FORMS_ISSUED: Sum("forms_issued"),
                FORMS_RETURNED: Sum("forms_returned"),
                SUGGESTION_BOXES: Sum("boxes_set"),
            }
        )
    )
    for row in events:
        for key in (EVENTS, FORUMS, FORMS_ISSUED, FORMS_RETURNED, SUGGESTION_BOXES):
            figures[(unit_scope(row["unit_id"]), row["unit_id"], Dimension.SOLICITATION, key)] += row[key] or 0
            figures[(COUNTY_SCOPE, None, Dimension.SOLICITATION, key)] += row[key] or 0
    # The ledger stores no zero: a figure that is not there reads as zero.
    return {key: value for key, value in figures.items() if value}
