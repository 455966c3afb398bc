"""leaderboard/README.md, from ``templates/README.md``: how to make and send a submission, and the table.

Markdown has no autoescape: every text from a record passes through ``md`` here, once.
"""

from __future__ import annotations

import re

from ..generators import VARIANTS
from ..suite import PUBLISHED_SEED
from .columns import COLUMNS, FT_BUDGETS_TEXT, FT_TITLES, Entry, ft_cells, has_ft, notes, seed_label
from .page import environment
from .stats import EXCHANGE_SHOTS
from .rederive import lacks

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: str) -> str:
    """Record text made inert in Markdown (and in the HTML GitHub lets through): Markdown's specials
    escaped, and ``.``, ``:``, ``@`` and ``#`` written as character references so that no name
    becomes a link (GitHub autolinks ``www.x.y``, ``http://``, ``a@b.c`` and ``#1`` in plain text)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")
    text = text.replace("#", "&#35;")  # first: the references below hold a '#'
    return text.replace(".", "&#46;").replace(":", "&#58;").replace("@", "&#64;")


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


def _partial_row(e: Entry) -> list[str]:
    return [md(e.record.name), md(seed_label(e.record)), md("; ".join(lacks(e.record)))]


def _ft_rows(entries: list[Entry]) -> list[list[str]]:
    """Per variant, the fine-tuning figures of every ranked entry that has a fine-tuning half (a partial
    run's figures are not comparable: it stays in its own table)."""
    return [[md(e.record.name), v, *ft_cells(e.stats, v)] for e in entries if has_ft(e.stats) for v in VARIANTS]


def render_readme(entries: list[Entry], refused: list[str], partial: list[Entry] = ()) -> str:
    return environment().get_template("README.md").render(
        columns=[c.title for c in COLUMNS], aligns=["---:" if c.numeric else "---" for c in COLUMNS],
        rows=[_row(e) for e in entries], refused=[md(r) for r in refused], published_seed=PUBLISHED_SEED,
        partial=[_partial_row(e) for e in partial], ft_titles=FT_TITLES, ft_rows=_ft_rows(list(entries)),
        exchange_shots=EXCHANGE_SHOTS, ft_budgets=FT_BUDGETS_TEXT)
