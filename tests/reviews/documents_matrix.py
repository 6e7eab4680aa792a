"""Permission-matrix rows for the self-analysis document pages (reviews/views.py), their
progress pages among the ledgers (reports/documents/views.py) and the routing rules'
admin.

``tests/matrix.py`` merges ``rows()`` into its ``MATRIX`` and ``SPECIMENS`` into its
specimens. Inside: the world member's own document, submitted twice (two versions, the
first returned), in the unit his secretary and supervisory team reach. Outside: the
document of the member of the other party committee. Elsewhere: one in another campaign.
The progress pages read the ledger: their specimens roll it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils import timezone

from campaign.models import Member, Rank
from reports.ledger.rollup import ledger_rollup_full
from reviews.models import (
    SECTION_FIELDS,
    AnalysisDocument,
    Decision,
    DocumentState,
    DocumentVersion,
    Review,
    RoutingRule,
)

if TYPE_CHECKING:
    from tests.matrix import MatrixWorld, Row, Specimens


def _document_for(member: Member, marker: str) -> AnalysisDocument:
    # Built directly, not through the services: the rows need a document in a given
    # state whoever may review it; the services' rules have their own tests.
    sections = {name: f"{name}正文{marker}" for name in SECTION_FIELDS}
    document = AnalysisDocument.objects.create(
        campaign=member.campaign,
        member=member,
        state=DocumentState.RESUBMITTED,
        word_count=50,
        submitted_at=timezone.now(),
        **sections,
    )
    now = timezone.now()
    first = DocumentVersion.objects.create(
        document=document, number=1, sections={**sections, "causes": "初稿"}, word_count=40, submitted_at=now
    )
    DocumentVersion.objects.create(document=document, number=2, sections=sections, word_count=50, submitted_at=now)
    reviewer = get_user_model().objects.create(username=f"reviewer-{marker.lower()}")
    Review.objects.create(
        document=document,
        version=first,
        decision=Decision.RETURN,
        overall_comment=f"退回意见{marker}",
        reviewer=reviewer,
        reviewer_name="审阅人",
        decided_at=now,
    )
    return document


def _documents(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    return Specimens(
        inside=_document_for(mw.world.member, "INSIDE"),
        outside=_document_for(mw.world.other_member, "OUTSIDE"),
        elsewhere=_document_for(mw.elsewhere.member, "ELSEWHERE"),
    )


def _reviews(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    documents = mw.specimens("reviews.analysisdocument")
    return Specimens(
        inside=documents.inside.reviews.get(),
        outside=documents.outside.reviews.get(),
        elsewhere=documents.elsewhere.reviews.get(),
    )


def _progress(mw: MatrixWorld) -> Specimens:
    """The organisations of the documents, their figures rolled up in both campaigns."""
    from tests.matrix import Specimens

    mw.specimens("reviews.analysisdocument")
    for campaign in (mw.world.campaign, mw.elsewhere.campaign):
        ledger_rollup_full(campaign_id=campaign.pk)
    return Specimens(inside=mw.world.unit, outside=mw.world.other_unit, elsewhere=mw.elsewhere.unit)


def _routing_rules(mw: MatrixWorld) -> Specimens:
    from tests.matrix import Specimens

    # Every campaign has its rules from the start (made with it).
    return Specimens(
        inside=RoutingRule.objects.get(campaign=mw.world.campaign, rank=Rank.ORDINARY),
        elsewhere=RoutingRule.objects.get(campaign=mw.elsewhere.campaign, rank=Rank.ORDINARY),
    )


SPECIMENS = {
    "reviews.analysisdocument": _documents,
    "reviews.review": _reviews,
    "reviews.progress": _progress,
    "reviews.routingrule": _routing_rules,
}


def rows() -> dict[str, Row]:
    from tests.matrix import (
        _ADMIN_ONLY,
        DENIED,
        LOGGED_IN,
        MEMBER,
        OFFICE_AND_ADMIN,
        ORG_STAFF,
        STAFF,
        SUPERVISOR,
        Expect,
        Row,
    )

    document = {"model": "reviews.analysisdocument"}
    back_to_document = Expect(302, "reviews:document_detail", with_target=True)
    to_progress = Expect(302, "reports:documents_progress")
    # The progress pages ("documents.progress"): every kind of staff, each within reach.
    page = {"model": "reviews.progress", "target": lambda obj: {}, "scoped": False}
    unit = {"model": "reviews.progress"}
    members_only = frozenset({MEMBER})
    reviewers = frozenset({SUPERVISOR, MEMBER})
    return {
        # The author's own editor and its helpers: members only.
        "reviews:my_document": Row(allowed=members_only),
        # The editor's script must get JSON, never the login page: 403 with a message.
        "reviews:autosave": Row(
            allowed=members_only, method="post", data={"causes": "自动保存"}, anonymous=Expect(403)
        ),
        # Without a file the upload is refused with a message, back on the editor.
        "reviews:upload": Row(allowed=members_only, method="post", ok=Expect(302, "reviews:my_document")),
        # The reviewer's queue: supervisors, and members (a unit's responsible leader).
        "reviews:queue": Row(allowed=reviewers),
        # Moved to the ledger pages: the old address sends everyone on (the new page checks).
        "reviews:progress": Row(ok=to_progress, anonymous=to_progress),
        # A document, its .docx and its diff: everyone who reaches it.
        "reviews:document_detail": Row(allowed=LOGGED_IN, shows="退回意见INSIDE", **document),
        "reviews:document_docx": Row(allowed=LOGGED_IN, docx=True, shows="正文INSIDE", **document),
        "reviews:document_diff": Row(allowed=LOGGED_IN, shows="正文INSIDE", **document),
        # Deciding: refused by the service unless routed to the user, back on the page.
        "reviews:decide": Row(
            allowed=reviewers,
            method="post",
            data={"version": "2", "decision": "approve"},
            ok=back_to_document,
            **document,
        ),
        "reviews:reopen": Row(
            allowed=OFFICE_AND_ADMIN, method="post", data={"reason": "补充"}, ok=back_to_document, **document
        ),
        "reports:documents_progress": Row(allowed=ORG_STAFF, shows="城关镇政府INSIDE", **page),
        "reports:documents_progress_export": Row(allowed=ORG_STAFF, shows="城关镇政府INSIDE", xlsx=True, **page),
        "reports:documents_unit": Row(allowed=ORG_STAFF, shows="张三INSIDE", **unit),
        "reports:documents_unit_export": Row(allowed=ORG_STAFF, shows="张三INSIDE", xlsx=True, **unit),
        # Every campaign keeps a rule for every rank: changed, never deleted.
        "admin:reviews_routingrule_delete": Row(
            model="reviews.routingrule",
            target=lambda obj: {"object_id": obj.pk},
            scoped=False,
            allowed=STAFF,
            ok=DENIED,
            **_ADMIN_ONLY,
        ),
    }
