"""Writes of the stage summary report: the office's title and narrative, with history."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaign.models import Campaign, Stage
from reports.models import StageReport


@transaction.atomic
def stage_report_save(
    *,
    campaign: Campaign,
    stage: Stage,
    title: str,
    narratives: Mapping[str, Mapping[str, str]],
    sections: set[str],
    user: object | None,
) -> StageReport:
    """Save the report's words (one row per campaign and stage, its history kept by
    simple_history). ``sections``: the names a narrative may be written for."""
    if stage.campaign_id != campaign.pk:
        raise ValidationError(_("This stage belongs to another campaign."))
    if len(title) > 200:
        raise ValidationError({"title": _("At most 200 characters.")})
    cleaned: dict[str, dict[str, str]] = {}
    for name, texts in narratives.items():
        if name not in sections:
            raise ValidationError(_("The report has no section %(name)s.") % {"name": name})
        for where, text in texts.items():
            if len(text) > StageReport.MAX_NARRATIVE:
                raise ValidationError(
                    _("A paragraph may hold at most %(max)s characters.") % {"max": intcomma(StageReport.MAX_NARRATIVE)}
                )
            if text.strip():
                cleaned.setdefault(name, {})[where] = text.strip()
    # One row per campaign and stage (unique): its first save creates it with the words,
    # so that each save is one entry of the history.
    report = StageReport.objects.select_for_update().filter(campaign=campaign, stage=stage).first()
    if report is None:
        report = StageReport(campaign=campaign, stage=stage)
    report.title = title.strip()
    report.narratives = cleaned
    report.updated_by = user if getattr(user, "is_authenticated", False) else None  # type: ignore[assignment]
    report.full_clean()
    report.save()
    return report
