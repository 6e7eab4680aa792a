"""Issue 17: the stage summary report on a small county — the office's words kept with
their history, sections in the order of the stage's steps (a later stage's section in
its step's place), the closing section last, figures equal to a recount, and bad input
refused whole. The demo county's report is tested in tests/demo/test_stage_report.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaign.models import Stage, StageKind, Step, StepKind
from opinions.services import Target
from reports.ledger.rollup import ledger_drain_outbox
from reports.models import StageReport
from reports.summary_report import report as stage_report
from reports.summary_report import sections, services
from tests.reports.helpers import add_opinion

pytestmark = pytest.mark.django_db


def _analysis(world) -> Stage:
    return Stage.objects.get(campaign=world.campaign, kind=StageKind.ANALYSIS)


def test_the_office_saves_its_words_twice_and_both_are_in_the_history(world, client):
    client.force_login(world.users["office"])
    edit = reverse("reports:stage_report_edit", args=["analysis"])
    for title in ("第一稿", "第二稿"):
        response = client.post(edit, {"title": title, "opinions__before": f"{title}的开头。"})
        assert response.status_code == 302
    saved = StageReport.objects.get(campaign=world.campaign, stage=_analysis(world))
    assert saved.title == "第二稿" and saved.updated_by == world.users["office"]
    assert list(saved.history.order_by("history_date").values_list("title", flat=True)) == ["第一稿", "第二稿"]
    page = client.get(reverse("reports:stage_report")).content.decode()
    assert "第二稿的开头。" in page


def test_a_narrative_for_no_section_or_too_long_is_refused_whole(world):
    stage = _analysis(world)
    with pytest.raises(ValidationError):
        services.stage_report_save(
            campaign=world.campaign,
            stage=stage,
            title="t",
            narratives={"nowhere": {"before": "x"}},
            sections={"opinions"},
            user=None,
        )
    with pytest.raises(ValidationError):
        services.stage_report_save(
            campaign=world.campaign,
            stage=stage,
            title="t",
            narratives={"opinions": {"before": "长" * (StageReport.MAX_NARRATIVE + 1)}},
            sections={"opinions"},
            user=None,
        )
    assert not StageReport.objects.exists()


def test_sections_follow_the_steps_and_a_later_stage_adds_its_own(world):
    stage = _analysis(world)
    # The documents before the talks, the talks last of all.
    Step.objects.filter(stage=stage, kind=StepKind.TALKS).update(order=99)
    lookback = sections.ReportSection(
        "lookback_test",
        StepKind.LOOKBACK,
        60,
        lambda: "The look-back",
        lambda ctx: [["Trained: ", sections.Fig(name="x", setting=7)]],
    )
    sections.register_section(lookback)
    try:
        built = stage_report.build(world.campaign, stage)
    finally:
        sections._SECTIONS.pop("lookback_test")
    names = [section.name for section in built.sections]
    assert names.index("documents") < names.index("talks")
    assert names.index("appraisal") < names.index("lookback_test") < names.index("talks")  # look-back is step 7
    assert names[-1] == "shortcomings"
    assert built.sections[names.index("lookback_test")].text == "Trained: 7"
    assert built.sections[0].heading.startswith("1. ")


def test_every_figure_agrees_with_a_recount_and_links_to_its_records(world):
    for _ in range(4):
        add_opinion(world.campaign, Target(member=world.member))
    ledger_drain_outbox()
    built = stage_report.build(world.campaign, _analysis(world), verify=True)
    assert built.differences == []
    shown = {fig.fig.name: fig for fig, _sentence in built.figures()}
    assert shown["opinions.total"].value == 4 and shown["opinions.total"].recounted == 4
    assert shown["opinions.by_category.other_members"].fig.href.endswith("?category=other_members")
    assert shown["shortcomings.documents_not_approved"].value == shown["documents.members_total"].value
