"""The suite's answer for one record, as text: ``ood-icl table RUN`` prints it under the per-task table.

Per variant (id, renamed, ood): mean accuracy over families at every k and on the pairing control,
the normalised gain, the copy baseline's gain, and the gaps, each with its 95% bootstrap interval
over episodes (the board's own statistics, ``stats.compute``).
"""

from __future__ import annotations

from ..generators import VARIANTS
from ..suite import CONTROL_K, SHOTS
from .columns import fmt
from .record import Record
from .stats import NA, compute


_CONTROL_COLUMNS = ("shuffled", "control")
"""The deranged control over every family, and each family's exact control (decoupled where the cell
has it): the pairing and outputs-alone figures use the second (a family mean over the decoupled
cells alone would not compare with k=16)."""


def summary_table(record: Record, copy: Record | None = None) -> str:
    st = compute(record)
    copy_st = compute(copy) if copy is not None else None
    cols = [f"k={k}" for k in SHOTS] + [f"k={CONTROL_K} {c}" for c in _CONTROL_COLUMNS] + [
        "gain", "copy gain", "pairing", "outputs alone"]
    lines = ["| variant | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for v in VARIANTS:
        cells = [fmt(st.overview.get((v, "icl", k), NA)) for k in SHOTS]
        cells += [fmt(st.overview.get((v, c, CONTROL_K), NA)) for c in _CONTROL_COLUMNS]
        cells += [fmt(st.gain.get(v, NA)), fmt(copy_st.gain.get(v, NA)) if copy_st else "—",
                  fmt(st.pairing.get(v, NA), signed=True), fmt(st.outputs_alone.get(v, NA), signed=True)]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    lines += ["", f"OOD gap (gain id - ood): {fmt(st.gap, signed=True)}",
              f"  surface gap (id - renamed): {fmt(st.surface_gap, signed=True)}",
              f"  rule gap (renamed - ood): {fmt(st.rule_gap, signed=True)}"]
    if copy_st is not None:
        for v in VARIANTS:
            g, c = st.gain.get(v, NA), copy_st.gain.get(v, NA)
            if g.ok and c.ok:
                lines.append(f"gain above copying ({v}): {g.value - c.value:+.2f}")
    above = [v for v, g in st.gain.items() if g.ok and g.value > 1]
    if above:
        lines.append(f"FLAG: gain above the ideal learner on {', '.join(above)}")
    return "\n".join(lines)
