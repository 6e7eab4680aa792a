"""The form of the office's words around the report's figures: a title and, per section,
a paragraph before and after the figures (and the opening paragraphs)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from reports.models import StageReport
from reports.summary_report.report import OPENING, Report

WHERE = ("before", "after")


class NarrativeForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        self.initial.setdefault("title", report.title)
        self.fields[f"{OPENING}__text"] = forms.CharField(
            label=_("Opening paragraphs"),
            required=False,
            max_length=StageReport.MAX_NARRATIVE,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        self.initial.setdefault(f"{OPENING}__text", report.opening)
        for section in report.sections:
            for where, label in zip(WHERE, (_("Before the figures"), _("After the figures")), strict=True):
                name = f"{section.name}__{where}"
                self.fields[name] = forms.CharField(
                    label=f"{section.heading} · {label}",
                    required=False,
                    max_length=StageReport.MAX_NARRATIVE,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
                self.initial.setdefault(name, getattr(section, where))

    def narratives(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for name, value in self.cleaned_data.items():
            if "__" in name:
                section, where = name.split("__", 1)
                found.setdefault(section, {})[where] = value or ""
        return found
