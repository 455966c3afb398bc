"""leaderboard/README.md, from ``templates/README.md``: how to make and send a submission, and the table.

Markdown has no autoescape: every text from a record passes through ``md`` here, once.
"""

from __future__ import annotations

import re

from ..suite import PUBLISHED_SEED
from .columns import COLUMNS, Entry, notes
from .page import environment

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: str) -> str:
    """Record text made inert in Markdown (and in the HTML GitHub lets through)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _row(e: Entry) -> list[str]:
    cells = []
    for c in COLUMNS:
        text = c.cell(e)[1]
        if c.key == "name":
            text = ("*" + md(text) + "*") if e.record.kind == "reference" else md(text)
            note = notes(e)
            if note:
                text += " <sub>" + md("; ".join(note)) + "</sub>"
        cells.append(text)
    return cells


def render_readme(entries: list[Entry], refused: list[str]) -> str:
    return environment().get_template("README.md").render(
        columns=[c.title for c in COLUMNS], aligns=["---:" if c.numeric else "---" for c in COLUMNS],
        rows=[_row(e) for e in entries], refused=[md(r) for r in refused], published_seed=PUBLISHED_SEED)
