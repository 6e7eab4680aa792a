"""The documents' ledger figures: every step of the workflow (and every change to the
members) reaches the ledger through the outbox → roll-up path, the figures equal a
naive recount after each step, the reconciliation finds no drift, and the roll-up's
SQL and the reconciliation's ORM recount agree on random worlds."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from campaign.models import ChangeOutbox, Member, OrgUnitKind, Rank
from reports.documents import source as document_sources
from reports.ledger.reconcile import ledger_compare
from reports.ledger.rollup import ledger_drain_outbox, ledger_rollup_full, ledger_rollup_units
from reports.ledger.summary import stage_summary
from reports.models import LedgerRow
from reviews import services
from reviews.models import SECTION_FIELDS, AnalysisDocument, Decision, DocumentState, DocumentVersion, Review
from reviews.selectors import documents_summary
from tests import factories as f
from tests.reviews.ledger import assert_documents_match, naive_documents, stored_documents

CHECKS = {"problems_accurate": True, "causes_accurate": True, "direction_accurate": True}


def settled(campaign) -> None:
    """The ledger took in every change (nothing waits), equals the naive recount, and
    the reconciliation finds no drift in any figure."""
    assert not ChangeOutbox.objects.filter(campaign=campaign).exists(), "a change is still waiting"
    assert_documents_match(campaign)
    assert ledger_compare(campaign_id=campaign.pk) == []


@pytest.mark.django_db(transaction=True)
def test_every_step_reaches_the_ledger_through_the_outbox(world, write, reviewer) -> None:
    """Real commits: each change announces its units, the roll-up (Celery, eager here)
    runs on commit, and after every step the figures are right."""
    campaign, author = world.campaign, world.member
    steps: list[tuple[str, Callable[[], Any]]] = []
    document = services.document_get_or_create(member=author)
    steps.append(("an empty draft", lambda: None))
    steps.append(("the draft written", lambda: write(author, 3000)))
    steps.append(("submitted", lambda: services.document_submit(document=document, user=author.user)))
    steps.append(
        (
            "returned",
            lambda: services.document_decide(
                document=document,
                user=reviewer.user,
                version_number=1,
                decision=Decision.RETURN,
                overall_comment="请加深",
            ),
        )
    )
    steps.append(("revised", lambda: write(author, 3100)))
    steps.append(("resubmitted", lambda: services.document_submit(document=document, user=author.user)))
    steps.append(
        (
            "approved",
            lambda: services.document_decide(
                document=document, user=reviewer.user, version_number=2, decision=Decision.APPROVE, **CHECKS
            ),
        )
    )
    steps.append(("reopened", lambda: services.document_reopen(document=document, reason="补充会上意见")))

    def move() -> None:
        with transaction.atomic():
            member = Member.objects.get(pk=author.pk)
            member.unit, member.branch = world.other_unit, None
            member.save()

    steps.append(("the author moved to another unit", move))
    newcomer: list[Member] = []
    steps.append(("a member joined", lambda: newcomer.append(f.MemberFactory(campaign=campaign, unit=world.unit))))

    def leaver_with_a_document() -> None:
        leaver = f.MemberFactory(campaign=campaign, unit=world.unit, user=f.UserFactory())
        services.document_submit(document=write(leaver, 3000), user=leaver.user)
        with transaction.atomic():
            Member.objects.get(pk=leaver.pk).delete()

    steps.append(("a member with a submitted document left", leaver_with_a_document))
    steps.append(("a review deleted in the admin", lambda: Review.objects.filter(document=document).first().delete()))
    steps.append(("the document deleted in the admin", lambda: AnalysisDocument.objects.get(pk=document.pk).delete()))

    settled(campaign)
    for label, step in steps:
        step()
        try:
            settled(campaign)
        except AssertionError as error:
            raise AssertionError(f"after “{label}”: {error}") from None
    figures = stored_documents(campaign)
    assert (
        figures[("unit:" + str(world.unit.pk), world.unit.pk, "documents", "members")]
        == Member.objects.filter(unit=world.unit).count()
    )


def test_a_draft_announces_only_when_it_starts_or_stops_counting_as_written(world, write) -> None:
    document = services.document_get_or_create(member=world.member)
    ChangeOutbox.objects.all().delete()
    write(world.member, 10)
    assert ChangeOutbox.objects.filter(source="documents", unit=world.unit).count() == 1
    write(world.member, 20)  # the autosave, again and again: no figure moves
    assert ChangeOutbox.objects.count() == 1
    services.document_save(document=document, user=world.member.user, sections=dict.fromkeys(SECTION_FIELDS, ""))
    assert ChangeOutbox.objects.count() == 2


def test_the_stage_summary_reads_the_county_rows(world, write, reviewer) -> None:
    author = world.member
    document = write(author, 3000)
    services.document_submit(document=document, user=author.user)
    services.document_decide(
        document=document, user=reviewer.user, version_number=1, decision=Decision.RETURN, overall_comment="再改"
    )
    services.document_submit(document=write(author, 3001), user=author.user)
    services.document_decide(
        document=document, user=reviewer.user, version_number=2, decision=Decision.APPROVE, **CHECKS
    )
    other = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, user=f.UserFactory())
    services.document_submit(document=write(other, 3000), user=other.user)
    ledger_drain_outbox()
    # The members built by the fixtures were never announced (no commit in this test).
    ledger_rollup_full(campaign_id=world.campaign.pk)
    section = stage_summary(world.campaign)["documents"]
    assert section == documents_summary(world.campaign)
    assert section == {
        "members_total": Member.objects.filter(campaign=world.campaign).count(),
        "submitted": 2,
        "approved": 1,
        "returned_at_least_once": 1,
        "leaders_min_words": 5000,
        "members_min_words": 3000,
    }


# --- The roll-up's SQL against the recounts, on random worlds ----------------------------


def _random_world(world: Any, rng: random.Random) -> list[int]:
    """Units under both party committees, members of every rank, documents in every
    state with versions and reviews, written straight to the tables."""
    campaign = world.campaign
    units = [world.unit, world.other_unit]
    for n in range(4):
        parent = rng.choice([world.committee, world.other_committee])
        units.append(f.OrgUnitFactory(campaign=campaign, parent=parent, name=f"随机单位{n}", kind=OrgUnitKind.UNIT))
    members = [
        f.MemberFactory(campaign=campaign, unit=rng.choice(units), rank=rng.choice(Rank.values)) for _ in range(40)
    ]
    now = timezone.now()
    for member in members:
        if rng.random() < 0.2:
            continue  # not started
        state = rng.choice(DocumentState.values)
        words = 0 if state == DocumentState.DRAFT and rng.random() < 0.5 else rng.randint(1, 6000)
        document = AnalysisDocument.objects.create(campaign=campaign, member=member, state=state, word_count=words)
        if state == DocumentState.DRAFT:
            continue
        rounds = rng.randint(1, 3)
        for number in range(1, rounds + 1):
            version = DocumentVersion.objects.create(
                document=document, number=number, sections={}, word_count=words, submitted_at=now
            )
            last = number == rounds
            if last and state in (DocumentState.SUBMITTED, DocumentState.RESUBMITTED):
                break
            decision = Decision.APPROVE if last and state == DocumentState.APPROVED else Decision.RETURN
            Review.objects.create(
                document=document,
                version=version,
                decision=decision,
                overall_comment="改",
                problems_accurate=decision == Decision.APPROVE,
                causes_accurate=decision == Decision.APPROVE,
                direction_accurate=decision == Decision.APPROVE,
                reviewer_name="审阅人",
                decided_at=now,
                waited_seconds=rng.randint(0, 200_000),
            )
    return [unit.pk for unit in units]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_and_the_recount_agree_on_random_worlds(world, seed) -> None:
    rng = random.Random(seed)
    units = _random_world(world, rng)
    campaign = world.campaign
    ledger_rollup_full(campaign_id=campaign.pk)
    expected = naive_documents(campaign)
    assert stored_documents(campaign) == expected
    assert document_sources.recount(campaign.pk) == expected
    assert not LedgerRow.objects.filter(campaign=campaign, dimension="documents", value=0).exists()

    # Change the documents of two units behind the ledger's back, then roll up only those.
    changed = rng.sample(units, 2)
    AnalysisDocument.objects.filter(member__unit_id__in=changed).update(state=DocumentState.APPROVED)
    Review.objects.filter(document__member__unit_id=changed[0]).delete()
    untouched = {key: value for key, value in stored_documents(campaign).items() if key[1] not in (*changed, None)}
    ledger_rollup_units(campaign_id=campaign.pk, unit_ids=changed)
    assert_documents_match(campaign)
    after = {key: value for key, value in stored_documents(campaign).items() if key[1] not in (*changed, None)}
    assert after == untouched
    assert ledger_compare(campaign_id=campaign.pk) == []


def test_a_rollup_of_no_unit_writes_no_document_row(world) -> None:
    LedgerRow.objects.filter(campaign=world.campaign).delete()
    document_sources.write(world.campaign.pk, [])
    assert not LedgerRow.objects.filter(dimension="documents").exists()
