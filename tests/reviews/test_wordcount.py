"""The word count follows the Chinese convention, in Python and in the editor's script."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reviews.wordcount import count_words

# Hand-counted: (text, words, why).
SAMPLES = [
    ("", 0, "nothing"),
    ("   \n\t", 0, "spaces only"),
    ("，。！？、；：“”‘’（）《》……——", 0, "Chinese punctuation only"),
    (",.!?;:'\"()[]-–—…", 0, "Latin punctuation only"),
    ("我们", 2, "two characters"),
    ("我们要认真学习。", 7, "seven characters and a full stop"),
    ("COVID-19", 2, "COVID and 19"),
    ("3.5", 2, "3 and 5"),
    ("2026年", 2, "2026 and 年"),
    ("Hello, world!", 2, "two English words"),
    ("学习XI思想", 5, "four characters and one Latin run"),
    ("在2005年1月26日召开了动员大会", 14, "在, 2005, 年, 1, 月, 26, 日 and 召开了动员大会: 3 runs + 11 characters"),
    ("全县共征求意见建议11047条，其中班子142条。", 17, "15 characters + 11047 + 142"),
    ("党员 Party member 先进性", 7, "党员 + Party + member + 先进性"),
    ("ＡＢＣ１２３、全角", 3, "full-width Latin run (1), 全角 (2)"),
    ("café résumé", 2, "accented Latin letters stay in their word"),
    ("𠀀𪜀丽", 3, "extension B, C and a compatibility ideograph"),
    ("一、理想信念方面\n二、宗旨意识方面", 14, "two headings with numbering"),
]


@pytest.mark.parametrize(("text", "expected", "why"), SAMPLES, ids=[s[2] for s in SAMPLES])
def test_word_count_matches_hand_count(text: str, expected: int, why: str) -> None:
    assert count_words(text) == expected, why


SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "document_editor.js"


def test_editor_script_counts_the_same_as_the_server() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    texts = [text for text, _expected, _why in SAMPLES]
    program = (
        f"const {{countWords}} = require({json.dumps(str(SCRIPT))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map(countWords)));"
    )
    result = subprocess.run(
        [node, "-e", program], input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(result.stdout) == [count_words(text) for text in texts]
