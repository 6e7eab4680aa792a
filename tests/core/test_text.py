"""Invisible characters: stripped from every text input (``core.text.clean_text`` through
``core.forms`` and the imports), stripped from every export (``core.excel.printable``).
The input paths themselves are tested in their apps (the box, batch entry, talk cards,
documents, imports); every export of stored text in tests/core/test_export_payloads.py."""

from __future__ import annotations

import importlib
import io
import pkgutil
import zipfile
from xml.etree import ElementTree as ET

import pytest
from django import forms
from django.contrib import admin

from core.excel import csv_text, printable, text_cell
from core.forms import CleanTextMixin, Form
from core.text import clean_text, strip_unsafe
from reviews.docx import read_docx, write_docx
from reviews.models import SECTION_FIELDS

RLO = "\u202e"  # right-to-left override
CHINESE = "对照党章查找差距，１２３、《》“”—……　全角空格"


# --- clean_text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "multiline", "stored"),
    [
        ("意见\x01内容", True, "意见内容"),
        ("意见\x01内容", False, "意见内容"),
        ("\x00\x07\x08\x0b\x0c\x1b\x7f\x85\x9f", True, ""),
        (f"{RLO}exe.txt", False, "exe.txt"),
        ("a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i", False, "abcdefghi"),
        ("前\ufeff后", True, "前后"),
        ("a\ufffeb\uffffc", True, "abc"),
        # Kept: the direction marks, the joiners (scripts and emoji need them).
        ("ئۇيغۇر\u200f 123 \u200e\u061c", False, "ئۇيغۇر\u200f 123 \u200e\u061c"),
        ("क्\u200dष \u200c👨\u200d👩\u200d👧", False, "क्\u200dष \u200c👨\u200d👩\u200d👧"),
        # Line breaks: kept, one kind, in a text area; a space each run in a one-line field.
        ("第一行\r\n第二行\r第三行\n第四行", True, "第一行\n第二行\n第三行\n第四行"),
        ("缩进\t内容", True, "缩进\t内容"),
        ("张三\r\n李四\t王五", False, "张三 李四 王五"),
        ("a\n\n\tb", False, "a b"),
        (CHINESE, True, CHINESE),
        (CHINESE, False, CHINESE),
        ("", True, ""),
    ],
)
def test_clean_text_strips_invisible_characters_and_nothing_else(typed, multiline, stored):
    assert clean_text(typed, multiline=multiline) == stored


def test_a_lone_surrogate_cannot_reach_the_database():
    assert clean_text("a\ud800b", multiline=True) == "ab"


def test_strip_unsafe_leaves_line_breaks_and_tabs_as_they_are():
    assert strip_unsafe(f"\x01a\r\n\tb{RLO}") == "a\r\n\tb"


# --- Forms -------------------------------------------------------------------------------


class Sample(Form):
    line = forms.CharField(max_length=4)
    area = forms.CharField(widget=forms.Textarea, required=False)
    required = forms.CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A field added after the form's own __init__ is cleaned too.
        self.fields["late"] = forms.CharField(required=False)

    def clean_line(self):
        assert "\x01" not in self.cleaned_data["line"]  # the form's checks see clean text
        return self.cleaned_data["line"]


def test_a_form_cleans_every_text_field_before_its_checks():
    form = Sample(
        {
            "line": "\x01张\u202e三李\x02",
            "area": "甲\r\n\x01乙",
            "required": "\x01\u202e ",
            "late": f"{RLO}x",
        }
    )
    assert not form.is_valid()
    # Nothing but invisible characters is nothing; a length counts what is stored.
    assert list(form.errors) == ["required"]
    assert form.cleaned_data == {"line": "张三李", "area": "甲\n乙", "late": "x"}


def _project_modules():
    for app in ("campaign", "core", "opinions", "talks", "reviews", "reports", "meetings", "lookback", "rectification"):
        package = importlib.import_module(app)
        yield app
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)
            yield info.name


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_project_cleans_its_text():
    modules = set(_project_modules())
    forgotten = [
        f"{form.__module__}.{form.__qualname__}"
        for form in set(_subclasses(forms.BaseForm))
        if form.__module__ in modules and not issubclass(form, CleanTextMixin)
    ]
    assert not forgotten, f"derive these from core.forms.Form or ModelForm: {forgotten}"


def test_every_admin_form_of_the_project_cleans_its_text():
    forgotten = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in {"auth", "axes", "reports"} or model.__module__.startswith("django."):
            continue
        holders = (model_admin, *(inline(model, admin.site) for inline in model_admin.inlines))
        forgotten.extend(type(h).__qualname__ for h in holders if not issubclass(h.form, CleanTextMixin))
    assert not forgotten, f"give these a form from core.forms: {forgotten}"


# --- Exports -----------------------------------------------------------------------------


def test_printable_strips_what_no_workbook_may_hold_then_guards_the_formula():
    assert printable(f"\x01{RLO}意见") == "意见"
    assert printable(7) == 7
    assert csv_text("\x01=1+1") == "'=1+1"
    cell = text_cell(None, "\x01=SUM(A1)")
    assert (cell.value, cell.quotePrefix) == ("=SUM(A1)", True)


def test_a_document_with_control_characters_is_written_as_xml_word_opens():
    sections = dict.fromkeys(SECTION_FIELDS, f"\x01第一段{RLO}\x0b\n\x02第二段")
    data = write_docx(title="张三\x01的对照检查", sections=sections)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        ET.fromstring(archive.read("word/document.xml"))  # well-formed
    assert read_docx(data) == dict.fromkeys(SECTION_FIELDS, "第一段\n第二段")
