"""Forms of the author's editor, the reviewer's decision, the office's reopening and the upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import Form, ModelForm
from reviews.models import (
    COMMENT_MAX_CHARS,
    REASON_MAX_CHARS,
    SECTION_COMMENT_MAX_CHARS,
    SECTION_FIELDS,
    AnalysisDocument,
    Decision,
    Section,
)
from reviews.services import COMPARISONS


class DocumentForm(ModelForm):
    class Meta:
        model = AnalysisDocument
        fields = [*SECTION_FIELDS, *COMPARISONS]
        widgets = {name: forms.Textarea(attrs={"rows": 10, "data-section": name}) for name in SECTION_FIELDS}

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in SECTION_FIELDS}

    def comparisons(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in COMPARISONS}

    def section_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SECTION_FIELDS]

    def comparison_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in COMPARISONS]


class DecisionForm(Form):
    HTML_ID = "decision-form"

    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    problems_accurate = forms.BooleanField(label=_("Problems accurate"), required=False)
    causes_accurate = forms.BooleanField(label=_("Causes accurate"), required=False)
    direction_accurate = forms.BooleanField(label=_("Direction accurate"), required=False)
    overall_comment = forms.CharField(
        label=_("Overall comment"),
        required=False,
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECTION_FIELDS:
            self.fields[f"comment_{name}"] = forms.CharField(
                label=_("Comment on “%(section)s”") % {"section": Section(name).label},
                required=False,
                max_length=SECTION_COMMENT_MAX_CHARS,
                # Drawn beside its section, outside the <form> element: the attribute
                # ties it to the decision's form (templates/reviews/document_detail.html).
                widget=forms.Textarea(attrs={"rows": 5, "form": self.HTML_ID}),
            )

    def section_comments(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"comment_{name}", "") for name in SECTION_FIELDS}

    def comment_fields(self) -> list[forms.BoundField]:
        return [self[f"comment_{name}"] for name in SECTION_FIELDS]

    def check_fields(self) -> list[forms.BoundField]:
        return [self["problems_accurate"], self["causes_accurate"], self["direction_accurate"]]


class ReopenForm(Form):
    reason = forms.CharField(
        label=_("Reason for reopening"), max_length=REASON_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class UploadForm(Form):
    file = forms.FileField(label=_("Word document (.docx)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".docx"):
            raise ValidationError(_("Choose a .docx file (Word 2007 or later)."))
        return upload


def error_text(form: forms.Form) -> str:
    """The form's errors in one line, each after its field's label (for a message or JSON)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        parts.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return " ".join(parts)


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors next to the fields they name, the rest above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
