"""The base of every form of the project: what a person types is cleaned of invisible
characters (``core.text.clean_text``) before any check or service sees it.

Every form and model form (the admin's too) derives from ``Form`` or ``ModelForm`` here,
or mixes ``CleanTextMixin`` in; tests/core/test_text.py checks that none was forgotten.
"""

from __future__ import annotations

from typing import Any

from django import forms

from core.text import clean_text

# Marks a field whose input is already cleaned (fields are copied per form, so the mark
# is per form instance).
_CLEANED = "_clean_text_input"


def clean_input_of(field: forms.CharField) -> None:
    """Make ``field`` clean its text as it reads it: after its own ``to_python`` (which
    strips the spaces round it) and before ``required``, the length limits, the
    validators and the form's ``clean_<field>``, so that a text of nothing but invisible
    characters is an empty text, and a length counts what is stored. A text area keeps
    its line breaks; a one-line field does not."""
    if getattr(field, _CLEANED, False):
        return
    multiline = isinstance(field.widget, forms.Textarea)
    to_python = field.to_python

    def cleaned(value: Any) -> Any:
        value = to_python(value)
        if isinstance(value, str) and value:
            value = clean_text(value, multiline=multiline)
            if field.strip:
                value = value.strip()
            if not value:
                value = field.empty_value
        return value

    field.to_python = cleaned  # type: ignore[method-assign]
    setattr(field, _CLEANED, True)


class CleanTextMixin:
    """Cleans the input of every text field (``forms.CharField`` and its kinds: a model's
    CharField and TextField, e-mail, slug), including fields a form adds in its
    ``__init__``: the fields are taken as they are when the form is cleaned."""

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                clean_input_of(field)
        super().full_clean()  # type: ignore[misc]


class Form(CleanTextMixin, forms.Form):
    pass


class ModelForm(CleanTextMixin, forms.ModelForm):
    pass
