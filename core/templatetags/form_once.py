"""``{% form_once %}``: the hidden one-time token of a form that creates (``core.once``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from core import once

register = template.Library()


@register.simple_tag
def form_once() -> SafeString:
    """A new token each time the form is shown: one that was not stored is never needed
    again, and a form shown again after an error gets a fresh one."""
    # The widget's own rendering: its value is escaped, and only this input is marked safe.
    return mark_safe(once.hidden_input())  # noqa: S308
