"""The static page: one self-contained HTML file (inline CSS, JS and SVG) from ``templates/index.html``.

No network, no libraries: the sortable table sorts on ``data-v`` attributes, ``#sort=key:asc``
in the URL picks the initial order, and every plot is SVG drawn by the template from the
coordinates computed here.  The template is rendered with autoescape: all text that comes from
a record is escaped there, never by hand; ids are built from checked family names only.
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2

from ..generators import VARIANTS
from .columns import COLUMNS, FT_BUDGETS_TEXT, FT_TITLES, Entry, fmt, ft_cells, has_ft, notes, seed_label
from .rederive import lacks
from .record import Record
from .stats import EXCHANGE_SHOTS, Estimate

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#bcbd22", "#7f7f7f")
_W, _H = 460, 260
_L, _R, _T, _B = 42, 14, 22, 36
_GEOMETRY = {"w": _W, "h": _H, "l": _L, "t": _T, "right": _W - _R, "bottom": _H - _B, "tick_x": _L - 4,
             "tick_y": _H - _B + 14, "title_x": f"{_W / 2:.0f}", "mid_x": f"{(_L + _W - _R) / 2:.0f}",
             "label_y": _H - 6, "mid_y": f"{(_T + _H - _B) / 2:.0f}"}
_VARIANTS = VARIANTS
_METHOD_LABELS = {"icl": "in-context", "shuffled": "in-context, outputs deranged (control)",
                  "decoupled": "in-context, outputs decoupled (control)", "ft": "fine-tuned",
                  "gen": "generation (EM)", "chat": "chat (EM)"}


def environment() -> jinja2.Environment:
    """The templates of the page and the README, with autoescape on for HTML."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                              autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def _x(k: int, kmax: int) -> float:
    return _L + (_W - _L - _R) * math.log2(k + 1) / math.log2(kmax + 1)


def _y(acc: float) -> float:
    return _T + (_H - _T - _B) * (1.0 - min(max(acc, 0.0), 1.0))


def _style(entry_index: int, record: Record, method: str) -> tuple[str, str, str]:
    """(label suffix, colour, dash) of one curve."""
    if record.kind == "reference":
        return ("", "#000", "") if record.slug == "reference-ideal" else ("", "#888", "2,3")
    colour = PALETTE[entry_index % len(PALETTE)]
    return {"icl": (" in-context", colour, ""), "ft": (" fine-tuned", colour, "6,3"),
            "gen": (" generation", colour, "1,3"), "chat": (" chat", colour, "4,2,1,2")}[method]


def plot(title: str, curves: list[tuple[str, str, str, list[tuple[int, Estimate]]]]) -> dict:
    """One plot of accuracy vs k (log scale) as the template draws it; each curve: (label, colour, dash, [(k, estimate)])."""
    ks = sorted({k for *_, pts in curves for k, _ in pts}) or [0, 16]
    kmax = max(max(ks), 1)
    drawn, legend = [], []
    for label, colour, dash, pts in curves:
        pts = [(k, e) for k, e in sorted(pts) if e.ok]
        if not pts:
            continue
        band = [(_x(k, kmax), _y(e.hi)) for k, e in pts] + [(_x(k, kmax), _y(e.lo)) for k, e in reversed(pts)]
        drawn.append({"label": label, "colour": colour, "dash": dash,
                      "band": " ".join(f"{x:.1f},{y:.1f}" for x, y in band),
                      "line": " ".join(f"{_x(k, kmax):.1f},{_y(e.value):.1f}" for k, e in pts),
                      "points": [{"x": f"{_x(k, kmax):.1f}", "y": f"{_y(e.value):.1f}", "k": k, "text": fmt(e)}
                                 for k, e in pts]})
        legend.append({"label": label, "style": f"border-color:{colour}" + (";border-top-style:dashed" if dash else "")})
    return {"title": title, "curves": drawn, "legend": legend,
            "rows": [{"y": f"{_y(a):.1f}", "text_y": f"{_y(a) + 4:.1f}", "text": f"{a:.2f}"}
                     for a in (0.0, 0.25, 0.5, 0.75, 1.0)],
            "columns": [(f"{_x(k, kmax):.1f}", k) for k in ks]}


def _curves(entries: list[Entry], pick) -> list:
    curves = []
    for i, entry in enumerate(entries):
        methods = ("icl",) if entry.record.kind == "reference" else ("icl", "ft", "chat")
        for method in methods:
            pts = pick(entry, method)
            if pts:
                suffix, colour, dash = _style(i, entry.record, method)
                curves.append((entry.record.name + suffix, colour, dash, pts))
    return curves


def _describe(record: Record) -> str:
    """Tooltip of an entry's name: the model lm-eval ran and the fine-tuning method."""
    parts = [str(record.model.get("model_name") or "")]
    ft = record.finetune
    if ft:
        parts.append(f"fine-tuning: {ft['method'].get('method', '?')}")
    return "; ".join(p for p in parts if p)


def _cell(column, entry: Entry) -> dict:
    value, text = column.cell(entry)
    cell = {"v": value if isinstance(value, str) else ("" if not math.isfinite(value) else f"{value:.6g}"),
            "title": None, "text": text, "interval": None, "note": ""}
    if column.key == "name":
        cell.update(title=_describe(entry.record), note="; ".join(notes(entry)))
    elif " [" in text:  # value, then its interval on a second, smaller line
        cell["text"], cell["interval"] = text.split(" [", 1)
    return cell


def _board(entries: list[Entry]) -> dict:
    return {"columns": [{"key": c.key, "numeric": int(c.numeric), "help": c.help, "title": c.title,
                         "sorted": c.key == "gain_ood"} for c in COLUMNS],
            "rows": [{"reference": e.record.kind == "reference", "cells": [_cell(c, e) for c in COLUMNS]}
                     for e in entries]}


def _gain_table(entries: list[Entry], families: list[str]) -> dict:
    def cell(e: Entry, f: str) -> str:
        ests = [e.stats.family_gain.get((f, v)) for v in _VARIANTS]
        return " / ".join(f"{est.value:.2f}" if est is not None and est.ok else "—" for est in ests)

    return {"families": families, "variants": _VARIANTS,
            "rows": [{"name": e.record.name, "cells": [cell(e, f) for f in families]} for e in entries]}


def _ft_table(entries: list[Entry], family: str | None = None) -> dict:
    """Fine-tuning against in-context learning per variant (FT_TITLES), for the family mean or one family."""
    rows = [{"name": e.record.name + (" (partial)" if lacks(e.record) else ""), "variant": v,
             "cells": ft_cells(e.stats, v, family)}
            for e in entries if has_ft(e.stats) and (family is None or any(
                (family, v) in e.stats.family_budgets for v in _VARIANTS)) for v in _VARIANTS]
    return {"titles": FT_TITLES, "rows": rows}


def _baselines(entries: list[Entry], family: str, variant: str, chance: float | None, ks: list[int]) -> list:
    """The ideal learner and chance in the family's plot when no reference entry draws them."""
    def drawn(slug: str) -> bool:
        return any(e.record.slug == slug and any(f == family and v == variant for f, v, _, _ in e.stats.cells)
                   for e in entries)

    out = []
    ideal = next((pts for e in entries if (pts := [(k, est) for (f, v, k), est in e.stats.ideal.items()
                                                   if f == family and v == variant])), None)
    if ideal and not drawn("reference-ideal"):
        out.append(("Ideal learner", "#000", "", ideal))
    if chance is not None and ks and not drawn("reference-chance"):
        out.append(("Chance", "#888", "2,3", [(k, Estimate(chance, chance, chance)) for k in ks]))
    return out


def _family_section(entries: list[Entry], family: str) -> dict:
    """Per variant: ICL, fine-tuning, the ideal learner and chance against k in one plot, and the figures."""
    chance = next((e.stats.chance[family] for e in entries if family in e.stats.chance), None)
    plots, tables = [], []
    for variant in _VARIANTS:
        curves = _curves(entries, lambda e, m, variant=variant: [
            (k, est) for (f, v, mm, k), est in e.stats.cells.items() if f == family and v == variant and mm == m])
        ks = sorted({k for *_, pts in curves for k, _ in pts})
        plots.append(plot(f"{family} · {variant}", curves + _baselines(entries, family, variant, chance, ks)))
        ks = sorted({k for e in entries for (f, v, m, k) in e.stats.cells if f == family and v == variant})
        rows = []
        for e in entries:
            for m, label in _METHOD_LABELS.items():
                cells = [e.stats.cells.get((family, variant, m, k)) for k in ks]
                if any(c is not None for c in cells):
                    rows.append({"label": f"{e.record.name} · {label}",
                                 "cells": [fmt(c) if c is not None else "—" for c in cells]})
        tables.append({"variant": variant, "ks": ks, "rows": rows})
    return {"family": family, "chance": f"{chance:.3f}" if chance else "", "plots": plots, "tables": tables,
            "ft": _ft_table(entries, family)}


def _partial(entries: list[Entry]) -> list[dict]:
    return [{"name": e.record.name, "provenance": seed_label(e.record), "lacks": "; ".join(lacks(e.record))}
            for e in entries]


def render_html(entries: list[Entry], refused: list[str], partial: list[Entry] = ()) -> str:
    """The page: ranked entries in the sortable table, partial runs apart; plots and family tables show both."""
    ranked, entries = list(entries), list(entries) + list(partial)
    families = sorted({f for e in entries for f in e.stats.families})
    overview = [plot(f"all families · {variant} (mean)", _curves(entries, lambda e, m, variant=variant: [
        (k, est) for (v, mm, k), est in e.stats.overview.items() if v == variant and mm == m]))
        for variant in _VARIANTS]
    return environment().get_template("index.html").render(
        g=_GEOMETRY, board_table=_board(ranked), partial=_partial(partial), overview=overview,
        ft_summary=_ft_table(ranked), exchange_shots=EXCHANGE_SHOTS,
        ft_budgets=FT_BUDGETS_TEXT,
        gain_table=_gain_table(entries, families), families=families, sections=[_family_section(entries, f) for f in families], refused=refused)
