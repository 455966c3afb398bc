"""The numbers on the leaderboard, each with a 95% interval from a bootstrap over episodes.

Queries of one episode share a rule and demonstrations, so they are not independent: the
bootstrap resamples whole episodes.  One set of resampled episode indices per family x
variant serves every k and every method of a record, so differences (ICL - fine-tuning,
the OOD gap) are paired.

- normalised gain, per variant: mean over families of
  sum_k (acc - chance) / sum_k (ideal - chance), k over the in-context shots (1, 4, 16); a family's
  gain needs all three shots, a variant's gain every family of the suite (``record.board_families``)
- OOD gap = gain(id) - gain(ood) = surface gap (id - renamed) + rule gap (renamed - ood)
- pairing, per variant: mean over families of acc(k16) - acc(k16 shuffled); outputs alone:
  acc(k16 shuffled) - chance (the pairing control, ``..._k16_shuffled``)
- ICL - FT: mean over families and over the k >= 1 both methods share, ood variant
- example equivalence: the fine-tuning budget whose accuracy (mean over ood families) equals
  in-context accuracy at the largest shot, interpolated linearly in log(budget)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..generators import VARIANTS
from ..io import sha256
from ..suite import CONTROL_K, GENERATIVE, SHOTS
from .record import Record, board_families

BOOTSTRAP = 2000
_Z = (2.5, 97.5)


@dataclass(frozen=True)
class Estimate:
    value: float  # nan when it cannot be computed
    lo: float
    hi: float
    note: str = ""  # "<1", ">256": censored at the ends of the fine-tuning budgets

    @property
    def ok(self) -> bool:
        return math.isfinite(self.value)


NA = Estimate(math.nan, math.nan, math.nan)


@dataclass
class Stats:
    """Everything the page shows for one record."""

    cells: dict = field(default_factory=dict)  # (family, variant, method, k) -> Estimate
    ideal: dict = field(default_factory=dict)  # (family, variant, k) -> Estimate
    chance: dict = field(default_factory=dict)  # family -> float
    gain: dict = field(default_factory=dict)  # variant -> Estimate
    family_gain: dict = field(default_factory=dict)  # (family, variant) -> Estimate
    gap: Estimate = NA
    surface_gap: Estimate = NA  # gain(id) - gain(renamed)
    rule_gap: Estimate = NA  # gain(renamed) - gain(ood)
    pairing: dict = field(default_factory=dict)  # variant -> acc(k16) - acc(k16 shuffled)
    outputs_alone: dict = field(default_factory=dict)  # variant -> acc(k16 shuffled) - chance
    icl_minus_ft: Estimate = NA
    equivalence: Estimate = NA
    equivalence_k: int | None = None
    gen: Estimate = NA  # mean exact match over the generation tasks
    chat: Estimate = NA  # mean exact match over the chat tasks (a chat run: the model's chat template)
    families: tuple = ()
    ft_budgets: tuple = ()  # the fine-tuning budgets every ood family has
    overview: dict = field(default_factory=dict)  # (variant, method, k) -> Estimate of the family mean


def _rng(family: str, variant: str) -> np.random.Generator:
    return np.random.default_rng(int(sha256(f"ood-icl-bootstrap:{family}:{variant}")[:16], 16))


def _estimate(point: float, draws: np.ndarray, note: str = "") -> Estimate:
    draws = draws[np.isfinite(draws)]
    if not math.isfinite(point) or draws.size == 0:
        return NA
    lo, hi = np.percentile(draws, _Z)
    return Estimate(float(point), float(lo), float(hi), note)


def compute(record: Record, boots: int = BOOTSTRAP) -> Stats:
    """All estimates for one checked record."""
    st = Stats(chance=dict(record.chance))
    series = record.per_episode()
    episodes = record.sizes["episodes"]
    pairs = sorted({(s.family, s.variant) for s in series})
    idx = {p: _rng(*p).integers(0, episodes, size=(boots, episodes)) for p in pairs}
    point: dict = {}  # key -> (mean, draws)
    for s in series:
        arr = np.asarray(s.per_episode)
        point[(s.family, s.variant, s.method, s.k)] = (arr.mean(), arr[idx[(s.family, s.variant)]].mean(axis=1))
    ideal: dict = {}
    for f, by_v in record.ideal.items():
        for v, by_k in by_v.items():
            if (f, v) not in idx:
                continue
            for k, values in by_k.items():
                if values is not None:
                    arr = np.asarray(values)
                    ideal[(f, v, int(k))] = (arr.mean(), arr[idx[(f, v)]].mean(axis=1))
    st.cells = {key: _estimate(m, d) for key, (m, d) in point.items()}
    st.ideal = {key: _estimate(m, d) for key, (m, d) in ideal.items()}
    st.families = tuple(sorted({f for f, _ in pairs}))
    for v, m, k in sorted({(v, m, k) for (_, v, m, k) in point}):
        keys = [(f, v, m, k) for f in st.families]
        if all(key in point for key in keys):
            st.overview[(v, m, k)] = _estimate(np.mean([point[key][0] for key in keys]),
                                               np.mean([point[key][1] for key in keys], axis=0))
    _gains(st, point, ideal)
    _control(st, point)
    _icl_vs_ft(st, point, boots)
    for method in GENERATIVE:
        cells = [key for key in point if key[2] == method]
        if cells:
            setattr(st, method, _estimate(np.mean([point[c][0] for c in cells]),
                                          np.mean([point[c][1] for c in cells], axis=0)))
    return st


def _gains(st: Stats, point: dict, ideal: dict) -> None:
    by_variant: dict = {}
    for f in st.families:
        for v in VARIANTS:
            ks = list(SHOTS)  # a gain needs every shot: a run cannot keep only its best k
            if not all((f, v, "icl", k) in point and (f, v, k) in ideal for k in ks):
                continue
            c = st.chance[f]
            num = sum(point[(f, v, "icl", k)][0] - c for k in ks)
            den = sum(ideal[(f, v, k)][0] - c for k in ks)
            num_d = sum(point[(f, v, "icl", k)][1] - c for k in ks)
            den_d = sum(ideal[(f, v, k)][1] - c for k in ks)
            g = num / den if den > 1e-12 else math.nan
            with np.errstate(divide="ignore", invalid="ignore"):
                g_d = np.where(den_d > 1e-12, num_d / np.where(den_d > 1e-12, den_d, 1.0), np.nan)
            st.family_gain[(f, v)] = _estimate(g, g_d)
            by_variant.setdefault(v, []).append((g, g_d))
    draws = {}
    for v, items in by_variant.items():
        complete = set(st.families) >= set(board_families()) and len(items) == len(st.families)
        if complete and all(math.isfinite(g) for g, _ in items):  # a gain needs every family
            value = float(np.mean([g for g, _ in items]))
            draws[v] = np.mean([d for _, d in items], axis=0)
            st.gain[v] = _estimate(value, draws[v])
    for attr, a, b in (("gap", "id", "ood"), ("surface_gap", "id", "renamed"), ("rule_gap", "renamed", "ood")):
        if a in draws and b in draws:
            setattr(st, attr, _estimate(st.gain[a].value - st.gain[b].value, draws[a] - draws[b]))


def _control(st: Stats, point: dict) -> None:
    """The pairing control: what the pairing adds (k16 - shuffled), what the outputs alone give."""
    for v in VARIANTS:
        keys = [((f, v, "icl", CONTROL_K), (f, v, "shuffled", CONTROL_K), st.chance[f]) for f in st.families]
        if not st.families or not all(a in point and b in point for a, b, _ in keys):
            continue
        st.pairing[v] = _estimate(np.mean([point[a][0] - point[b][0] for a, b, _ in keys]),
                                  np.mean([point[a][1] - point[b][1] for a, b, _ in keys], axis=0))
        st.outputs_alone[v] = _estimate(np.mean([point[b][0] - c for _, b, c in keys]),
                                        np.mean([point[b][1] - c for _, b, c in keys], axis=0))


def _icl_vs_ft(st: Stats, point: dict, boots: int) -> None:
    fams = st.families
    ft_ks = sorted({k for (f, v, m, k) in point if m == "ft" and v == "ood" and k >= 1})  # log(budget)
    ft_ks = [b for b in ft_ks if all((f, "ood", "ft", b) in point for f in fams)]
    if not ft_ks:
        return
    st.ft_budgets = tuple(ft_ks)
    matched = [k for k in ft_ks if all((f, "ood", "icl", k) in point for f in fams)]
    if matched:
        diffs = [(point[(f, "ood", "icl", k)][0] - point[(f, "ood", "ft", k)][0],
                  point[(f, "ood", "icl", k)][1] - point[(f, "ood", "ft", k)][1]) for f in fams for k in matched]
        st.icl_minus_ft = _estimate(np.mean([d for d, _ in diffs]), np.mean([d for _, d in diffs], axis=0))
    icl_ks = [k for k in SHOTS if all((f, "ood", "icl", k) in point for f in fams)]
    if not icl_ks:
        return
    k = max(icl_ks)
    st.equivalence_k = k
    y = np.mean([point[(f, "ood", "icl", k)][0] for f in fams])
    y_d = np.mean([point[(f, "ood", "icl", k)][1] for f in fams], axis=0)
    curve = np.array([np.mean([point[(f, "ood", "ft", b)][0] for f in fams]) for b in ft_ks])
    curve_d = np.array([np.mean([point[(f, "ood", "ft", b)][1] for f in fams], axis=0) for b in ft_ks])
    value, note = equivalent_budget(float(y), curve.tolist(), ft_ks)
    draws = np.array([equivalent_budget(float(y_d[i]), curve_d[:, i].tolist(), ft_ks)[0] for i in range(boots)])
    with np.errstate(divide="ignore"):
        logs = np.log(draws)
    est = _estimate(math.log(value) if value > 0 else math.nan, logs, note)
    if est.ok:
        st.equivalence = Estimate(math.exp(est.value), math.exp(est.lo), math.exp(est.hi), note)


def equivalent_budget(y: float, curve: list[float], budgets: list[int]) -> tuple[float, str]:
    """The budget b with fine-tuning accuracy y, linear in log(b) between measured budgets.

    Below the first budget's accuracy: (budgets[0] / 2, "<b0"); above every budget: (2 * last, ">last").
    The first crossing counts when the curve is not monotone.
    """
    if y <= curve[0]:
        return (budgets[0] if y == curve[0] else budgets[0] / 2, "" if y == curve[0] else f"<{budgets[0]}")
    for (b0, y0), (b1, y1) in zip(zip(budgets, curve), zip(budgets[1:], curve[1:])):
        if (y0 - y) * (y1 - y) <= 0 and y1 != y0:
            t = (y - y0) / (y1 - y0)
            return math.exp(math.log(b0) + t * (math.log(b1) - math.log(b0))), ""
    return budgets[-1] * 2, f">{budgets[-1]}"
