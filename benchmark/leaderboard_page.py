"""The static page: one self-contained HTML file, inline CSS, a few lines of inline JS, inline SVG.

No network, no libraries: the sortable table sorts on ``data-v`` attributes, ``#sort=key:asc``
in the URL picks the initial order, and every plot is SVG written here.  All text that comes
from a record is escaped (``html.escape``); ids are built from checked family names only.
"""

from __future__ import annotations

import math
from html import escape

from .leaderboard_columns import COLUMNS, Entry, fmt, notes
from .leaderboard_stats import Estimate

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#bcbd22", "#7f7f7f")
_W, _H = 460, 260
_L, _R, _T, _B = 42, 14, 22, 36

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#222}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
#board th[data-key]{cursor:pointer;user-select:none;background:#f4f4f4}
#board th[aria-sort=descending]::after{content:" ▼"}#board th[aria-sort=ascending]::after{content:" ▲"}
tr.reference td{color:#555;font-style:italic}
.note{color:#a15c00;font-size:12px;white-space:normal;max-width:320px}.muted{color:#666;font-size:12px}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plot-box{border:1px solid #eee;padding:4px;width:460px}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:18px;height:0;border-top:2px solid;vertical-align:middle;margin-right:4px}
details{border:1px solid #ddd;border-radius:4px;padding:4px 10px;margin:8px 0}summary{cursor:pointer;font-weight:600}
code{background:#f4f4f4;padding:0 3px}.scroll{overflow-x:auto}
"""

_JS = """
(function(){
  var table=document.getElementById('board');
  function sortBy(key,dir){
    var th=table.querySelector('th[data-key="'+key+'"]'); if(!th) return;
    var idx=Array.prototype.indexOf.call(th.parentNode.children,th), numeric=th.dataset.numeric==='1';
    var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=a.cells[idx].dataset.v, y=b.cells[idx].dataset.v;
      if(numeric){var p=parseFloat(x),q=parseFloat(y),pn=isNaN(p),qn=isNaN(q);
        if(pn||qn) return pn-qn; return dir==='asc'?p-q:q-p;}
      var c=x<y?-1:(x>y?1:0); return dir==='asc'?c:-c;
    });
    rows.forEach(function(r){body.appendChild(r);});
    table.querySelectorAll('th[data-key]').forEach(function(h){h.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort',dir==='asc'?'ascending':'descending');
    table.dataset.sortedBy=key+':'+dir;
  }
  table.querySelectorAll('th[data-key]').forEach(function(th){
    th.addEventListener('click',function(){sortBy(th.dataset.key,th.getAttribute('aria-sort')==='descending'?'asc':'desc');});
  });
  // #sort=key:dir clicks the header (at most twice) until the table is in that order
  var m=/sort=([a-z_]+)(?::(asc|desc))?/.exec(location.hash||''), th=m&&table.querySelector('th[data-key="'+m[1]+'"]');
  for(var i=0;th&&i<2&&table.dataset.sortedBy!==m[1]+':'+(m[2]||'desc');i++) th.click();
  var ok=0; document.querySelectorAll('svg.plot').forEach(function(s){var b=s.getBBox(); if(b.width>0&&b.height>0) ok++;});
  document.body.dataset.plotsRendered=String(ok); document.body.dataset.ready='1';
})();
"""


def _x(k: int, kmax: int) -> float:
    return _L + (_W - _L - _R) * math.log2(k + 1) / math.log2(kmax + 1)


def _y(acc: float) -> float:
    return _T + (_H - _T - _B) * (1.0 - min(max(acc, 0.0), 1.0))


def _style(entry_index: int, record: dict, method: str) -> tuple[str, str, str]:
    """(label suffix, colour, dash) of one curve."""
    if record["kind"] == "reference":
        return ("", "#000", "") if record["slug"] == "reference-ideal" else ("", "#888", "2,3")
    colour = PALETTE[entry_index % len(PALETTE)]
    return {"icl": (" in-context", colour, ""), "ft": (" fine-tuned", colour, "6,3"),
            "gen": (" generation", colour, "1,3")}[method]


def svg_plot(title: str, curves: list[tuple[str, str, str, list[tuple[int, Estimate]]]]) -> str:
    """Accuracy vs k (log scale); each curve: (label, colour, dash, [(k, estimate)])."""
    ks = sorted({k for *_, pts in curves for k, _ in pts}) or [0, 16]
    kmax = max(max(ks), 1)
    out = [(f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
            f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}">'),
           f'<text x="{_W / 2:.0f}" y="14" text-anchor="middle" font-size="13">{escape(title)}</text>']
    for acc in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _y(acc)
        out.append(f'<line x1="{_L}" x2="{_W - _R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
                   f'<text x="{_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{acc:.2f}</text>')
    for k in ks:
        x = _x(k, kmax)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_T}" y2="{_H - _B}" stroke="#f0f0f0"/>'
                   f'<text x="{x:.1f}" y="{_H - _B + 14}" text-anchor="middle" font-size="10">{k}</text>')
    out.append(f'<text x="{(_L + _W - _R) / 2:.0f}" y="{_H - 6}" text-anchor="middle" font-size="11">'
               'k (demonstrations / fine-tuning examples)</text>'
               f'<text x="12" y="{(_T + _H - _B) / 2:.0f}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 12 {(_T + _H - _B) / 2:.0f})">accuracy</text>')
    for label, colour, dash, pts in curves:
        pts = [(k, e) for k, e in sorted(pts) if e.ok]
        if not pts:
            continue
        band = [(_x(k, kmax), _y(e.hi)) for k, e in pts] + [(_x(k, kmax), _y(e.lo)) for k, e in reversed(pts)]
        out.append(f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in band)}" fill="{colour}" '
                   'fill-opacity="0.12" stroke="none"/>')
        line = " ".join(f"{_x(k, kmax):.1f},{_y(e.value):.1f}" for k, e in pts)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        for k, e in pts:
            out.append(f'<circle cx="{_x(k, kmax):.1f}" cy="{_y(e.value):.1f}" r="3" fill="{colour}">'
                       f'<title>{escape(label)}, k={k}: {fmt(e)}</title></circle>')
    out.append("</svg>")
    return "".join(out)


def _legend(curves) -> str:
    items = []
    for label, colour, dash, pts in curves:
        if any(e.ok for _, e in pts):
            style = f"border-color:{colour}" + (";border-top-style:dashed" if dash else "")
            items.append(f'<span><i style="{style}"></i>{escape(label)}</span>')
    return f'<div class="legend">{"".join(items)}</div>'


def _curves(entries: list[Entry], pick) -> list:
    curves = []
    for i, entry in enumerate(entries):
        methods = ("icl",) if entry.record["kind"] == "reference" else ("icl", "ft")
        for method in methods:
            pts = pick(entry, method)
            if pts:
                suffix, colour, dash = _style(i, entry.record, method)
                curves.append((entry.record["name"] + suffix, colour, dash, pts))
    return curves


def _plot_box(title: str, curves: list) -> str:
    return f'<div class="plot-box">{svg_plot(title, curves)}{_legend(curves)}</div>'


def _describe(record: dict) -> str:
    """Tooltip of an entry's name: the model lm-eval ran and the fine-tuning method."""
    parts = [str(record["model"].get("model_name") or "")]
    ft = record.get("finetune")
    if ft:
        parts.append(f"fine-tuning: {ft['method'].get('method', '?')}")
    return "; ".join(p for p in parts if p)


def _board(entries: list[Entry]) -> str:
    sorted_attr = ' aria-sort="descending"'
    head = "".join(f'<th data-key="{c.key}" data-numeric="{int(c.numeric)}" title="{escape(c.help)}"'
                   f'{sorted_attr if c.key == "gain_ood" else ""}>{escape(c.title)}</th>'
                   for c in COLUMNS)
    rows = []
    for entry in entries:
        cells = []
        for c in COLUMNS:
            value, text = c.cell(entry)
            v = value if isinstance(value, str) else ("" if not math.isfinite(value) else f"{value:.6g}")
            extra = ""
            if c.key == "name":
                extra = f' title="{escape(_describe(entry.record))}"'
                note = notes(entry)
                text = escape(text) + (f'<div class="note">{escape("; ".join(note))}</div>' if note else "")
            elif " [" in text:  # value, then its interval on a second, smaller line
                main, interval = text.split(" [", 1)
                text = f'{escape(main)}<br><small class="muted">[{escape(interval)}</small>'
            else:
                text = escape(text)
            cells.append(f'<td data-v="{escape(v)}"{extra}>{text}</td>')
        cls = ' class="reference"' if entry.record["kind"] == "reference" else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table id="board" data-sorted-by="gain_ood:desc"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _family_gain_table(entries: list[Entry], families: list[str]) -> str:
    head = "".join(f"<th>{escape(f)}<br>ood / id</th>" for f in families)
    rows = []
    for e in entries:
        cells = []
        for f in families:
            parts = []
            for v in ("ood", "id"):
                est = e.stats.family_gain.get((f, v))
                parts.append(f"{est.value:.2f}" if est is not None and est.ok else "—")
            cells.append(f"<td>{' / '.join(parts)}</td>")
        rows.append(f"<tr><td>{escape(e.record['name'])}</td>{''.join(cells)}</tr>")
    return f'<table class="gains"><thead><tr><th>Entry</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _family_section(entries: list[Entry], family: str) -> str:
    chance = next((e.stats.chance[family] for e in entries if family in e.stats.chance), None)
    plots, tables = [], []
    for variant in ("ood", "id"):
        curves = _curves(entries, lambda e, m, variant=variant: [
            (k, est) for (f, v, mm, k), est in e.stats.cells.items() if f == family and v == variant and mm == m])
        plots.append(_plot_box(f"{family} · {variant}", curves))
        ks = sorted({k for e in entries for (f, v, m, k) in e.stats.cells if f == family and v == variant})
        head = "".join(f"<th>k={k}</th>" for k in ks)
        rows = []
        for e in entries:
            for m in ("icl", "ft", "gen"):
                cells = [e.stats.cells.get((family, variant, m, k)) for k in ks]
                if any(c is not None for c in cells):
                    label = {"icl": "in-context", "ft": "fine-tuned", "gen": "generation (EM)"}[m]
                    tds = "".join(f"<td>{fmt(c) if c is not None else '—'}</td>" for c in cells)
                    rows.append(f"<tr><td>{escape(e.record['name'])} · {label}</td>{tds}</tr>")
        tables.append(f"<h3>{variant}</h3><table><thead><tr><th></th>{head}</tr></thead>"
                      f"<tbody>{''.join(rows)}</tbody></table>")
    title = f"{escape(family)}" + (f" <span class='muted'>chance {chance:.3f}</span>" if chance else "")
    return (f'<details id="family-{escape(family)}"><summary>{title}</summary>'
            f'<div class="plots">{"".join(plots)}</div><div class="scroll">{"".join(tables)}</div></details>')


def render_html(entries: list[Entry], refused: list[str]) -> str:
    families = sorted({f for e in entries for f in e.stats.families})
    overview = []
    for variant in ("ood", "id"):
        curves = _curves(entries, lambda e, m, variant=variant: [
            (k, est) for (v, mm, k), est in e.stats.overview.items() if v == variant and mm == m])
        overview.append(_plot_box(f"all families · {variant} (mean)", curves))
    refused_html = ""
    if refused:
        refused_html = ("<h2>Records not shown</h2><ul>" + "".join(f"<li>{escape(r)}</li>" for r in refused)
                        + "</ul>")
    nav = " · ".join(f'<a href="#family-{escape(f)}">{escape(f)}</a>' for f in families)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>ood-icl leaderboard</title><style>{_CSS}</style></head>
<body>
<h1>ood-icl leaderboard</h1>
<p>Does in-context learning work on tasks that cannot be in any pretraining corpus? Each entry is
scored on procedurally generated tasks (<b>ood</b>) and their familiar twins (<b>id</b>), beside the
ideal learner (what the demonstrations allow at best), chance, and fine-tuning on the very same
examples. Intervals are 95% bootstrap intervals over episodes. Click a column to sort.</p>
{_board(entries)}
<p class="muted">Gain = (accuracy − chance) / (ideal − chance), summed over k = 1, 4, 16 per family,
then averaged over families. OOD gap = gain(id) − gain(ood). ICL − FT: in-context minus fine-tuned
accuracy at the same k (ood). FT examples ≡ ICL@16: the fine-tuning budget that reaches in-context
accuracy at k = 16, interpolated in log(budget). Every row is rebuilt from leaderboard/submissions/.</p>
<h2>Accuracy vs k</h2><div class="plots">{"".join(overview)}</div>
<h2>Gain by family</h2>{_family_gain_table(entries, families)}
<h2>Families</h2><p>{nav}</p>
{"".join(_family_section(entries, f) for f in families)}
{refused_html}
<script>{_JS}</script>
</body></html>
"""
