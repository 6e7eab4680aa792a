"""Issue 15 in Chromium: a file an import cannot read is named as precisely on the
upload page as on the command line (here an old .xls and a UTF-16 text file), in the
office's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.importing import utf16_refused, xls_refused
from tests.browser.helpers import log_in, shoot, tr

pytestmark = pytest.mark.browser

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def message(language: str, make) -> str:
    from django.utils import translation

    with translation.override(language):
        return make()


def test_the_upload_page_names_an_old_workbook_and_a_utf16_file(live_world, open_page):
    page = open_page(language="zh-hans", width=1366, height=768)
    log_in(page, "office")
    page.goto("/opinions/import/")
    for name, data, make, shot in (
        ("意见.xls", OLE + b"\x00" * 600, xls_refused, "import-xls"),
        ("意见.csv", "意见建议内容\t类型\r\n".encode("utf-16"), utf16_refused, "import-utf16"),
    ):
        page.locator("input[type=file]").set_input_files(
            {"name": name, "mimeType": "application/octet-stream", "buffer": data}
        )
        with page.expect_navigation():
            page.get_by_role("button", name=tr("zh-hans", "Check the file")).click()
        expect(page.locator("main")).to_contain_text(message("zh-hans", make))
        shoot(page, shot)
