"""The numbers on the leaderboard, each with a 95% interval from a bootstrap over episodes.

Queries of one episode share a rule and demonstrations, so they are not independent: the
bootstrap resamples whole episodes.  One set of resampled episode indices per family x
variant serves every k and every method of a record, so differences (ICL - fine-tuning,
the OOD gap) are paired.

- normalised gain, per variant: mean over families of
  sum_k (acc - chance) / sum_k (ideal - chance), k over the in-context shots (1, 4, 16); a family's
  gain needs all three shots, a variant's gain every family of the suite (``record.board_families``)
- OOD gap = gain(id) - gain(ood) = surface gap (id - renamed) + rule gap (renamed - ood)
- pairing, per variant: mean over families of acc(k16) - acc(k16 control); outputs alone:
  acc(k16 control) - chance, where a family's control is its exact one (``suite.exact_control``:
  ``..._k16_decoupled`` in the renamed and ood cells without the pairing constraint, else
  ``..._k16_shuffled``)
- floor: acc(k = 0) - chance, mean over every family x variant (no demonstrations: no method beats
  chance in expectation, so an interval above zero says the run or the generator is not what it claims)
- ICL - FT, per variant: mean over families and over the k >= 1 both methods share
- the exchange rate "FT examples = ICL@k", per variant and in-context shot k: the fine-tuning
  budget whose accuracy (mean over the variant's families) equals in-context accuracy at k,
  interpolated linearly in log(budget) between measured budgets, censored "<first" / ">last"
  outside them (``equivalent_budget``); each bootstrap draw interpolates its own curve, so the
  interval is paired too.  The same per family x variant (``family_exchange``).
  A variant's figures need every family of the record at the same budgets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..generators import VARIANTS
from ..io import sha256
from ..suite import CONTROL_K, GENERATIVE, K0, SHOTS, exact_control
from .record import Record, board_families

BOOTSTRAP = 2000
EXCHANGE_SHOTS = SHOTS[1:]  # the board's "FT examples = ICL@k": every in-context shot past the first (4, 16)
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
    pairing: dict = field(default_factory=dict)  # variant -> acc(k16) - acc(k16 exact control)
    outputs_alone: dict = field(default_factory=dict)  # variant -> acc(k16 exact control) - chance
    icl_ft: dict = field(default_factory=dict)  # variant -> ICL - FT
    exchange: dict = field(default_factory=dict)  # (variant, k) -> FT budget = ICL@k ("<1", ">64" in .note)
    budgets: dict = field(default_factory=dict)  # variant -> the FT budgets (>= 1) every family has
    family_icl_ft: dict = field(default_factory=dict)  # (family, variant) -> ICL - FT
    family_exchange: dict = field(default_factory=dict)  # (family, variant, k) -> FT budget = ICL@k
    family_budgets: dict = field(default_factory=dict)  # (family, variant) -> the family's FT budgets (>= 1)
    floor: Estimate = NA  # acc(k0) - chance, mean over every family x variant: no demonstrations, so ~0
    gen: Estimate = NA  # mean exact match over the generation tasks
    chat: Estimate = NA  # mean exact match over the chat tasks (a chat run: the model's chat template)
    families: tuple = ()
    overview: dict = field(default_factory=dict)  # (variant, method, k) -> Estimate of the family mean

    # The single ood figures of earlier boards, still read by perf/equivalence_study.py.
    @property
    def icl_minus_ft(self) -> Estimate:
        return self.icl_ft.get("ood", NA)

    @property
    def equivalence_k(self) -> int | None:
        """The largest in-context shot with an ood exchange rate."""
        return max((k for v, k in self.exchange if v == "ood"), default=None)

    @property
    def equivalence(self) -> Estimate:
        return self.exchange.get(("ood", self.equivalence_k), NA)

    @property
    def ft_budgets(self) -> tuple:
        return self.budgets.get("ood", ())


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
    _floor(st, point)
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
    """The pairing control: what the pairing adds (k16 - control), what the outputs alone give
    (control - chance), each family on its exact control (suite.exact_control: decoupled where the
    cell has it, else deranged); the family mean of those controls is overview (v, "control", 16)."""
    for v in VARIANTS:
        keys = [((f, v, "icl", CONTROL_K), (f, v, exact_control(f, v), CONTROL_K), st.chance[f])
                for f in st.families]
        if not st.families or not all(b in point for _, b, _ in keys):
            continue
        st.overview[(v, "control", CONTROL_K)] = _estimate(np.mean([point[b][0] for _, b, _ in keys]),
                                                           np.mean([point[b][1] for _, b, _ in keys], axis=0))
        if not all(a in point for a, _, _ in keys):
            continue
        st.pairing[v] = _estimate(np.mean([point[a][0] - point[b][0] for a, b, _ in keys]),
                                  np.mean([point[a][1] - point[b][1] for a, b, _ in keys], axis=0))
        st.outputs_alone[v] = _estimate(np.mean([point[b][0] - c for _, b, c in keys]),
                                        np.mean([point[b][1] - c for _, b, c in keys], axis=0))


def _floor(st: Stats, point: dict) -> None:
    """The validity floor, acc(k0) - chance over every family x variant, on the record's own episodes."""
    keys = [((f, v, "icl", K0), st.chance[f]) for f in st.families for v in VARIANTS]
    if keys and all(key in point for key, _ in keys):
        st.floor = _estimate(np.mean([point[key][0] - c for key, c in keys]),
                             np.mean([point[key][1] - c for key, c in keys], axis=0))


def _icl_vs_ft(st: Stats, point: dict, boots: int) -> None:
    """ICL - FT and the exchange rate per variant (the record's families' mean) and per family x variant."""
    for v in VARIANTS:
        st.budgets[v], diff, rates = _vs_ft(point, st.families, v, boots) if st.families else ((), None, {})
        if diff is not None:
            st.icl_ft[v] = diff
        st.exchange.update({(v, k): e for k, e in rates.items()})
        for f in st.families:
            st.family_budgets[(f, v)], diff, rates = _vs_ft(point, (f,), v, boots)
            if diff is not None:
                st.family_icl_ft[(f, v)] = diff
            st.family_exchange.update({(f, v, k): e for k, e in rates.items()})
    st.budgets = {v: b for v, b in st.budgets.items() if b}
    st.family_budgets = {key: b for key, b in st.family_budgets.items() if b}


def _vs_ft(point: dict, fams: tuple, v: str, boots: int) -> tuple[tuple, Estimate | None, dict]:
    """(budgets every family of ``fams`` has, ICL - FT, {k: exchange at ICL@k}) for variant v, means over fams."""
    budgets = sorted({k for (f, vv, m, k) in point if m == "ft" and vv == v and k >= 1 and f in fams})  # log(budget)
    budgets = [b for b in budgets if all((f, v, "ft", b) in point for f in fams)]
    if not budgets:
        return (), None, {}

    def mean(method: str, k: int) -> tuple[float, np.ndarray]:
        return (float(np.mean([point[(f, v, method, k)][0] for f in fams])),
                np.mean([point[(f, v, method, k)][1] for f in fams], axis=0))

    def has_icl(k: int) -> bool:
        return all((f, v, "icl", k) in point for f in fams)

    matched = [k for k in budgets if has_icl(k)]
    diff = None
    if matched:  # the mean over k of the family means: the same as the mean over (family, k)
        pairs = [(mean("icl", k), mean("ft", k)) for k in matched]
        diff = _estimate(np.mean([a[0] - b[0] for a, b in pairs]), np.mean([a[1] - b[1] for a, b in pairs], axis=0))
    curve = [mean("ft", b) for b in budgets]
    rates = {k: _exchange(mean("icl", k), curve, budgets) for k in SHOTS if has_icl(k)}
    return tuple(budgets), diff, rates


def _exchange(icl: tuple, curve: list, budgets: list[int]) -> Estimate:
    """The budget where the fine-tuning curve reaches ``icl``'s accuracy, its interval from the same draws."""
    value, note = equivalent_budget(icl[0], [c[0] for c in curve], budgets)
    draws = np.array([c[1] for c in curve])  # (budgets, bootstrap draws)
    logs = np.log([equivalent_budget(float(y), draws[:, i].tolist(), budgets)[0] for i, y in enumerate(icl[1])])
    est = _estimate(math.log(value), logs, note)  # the interval in log(budget), where it is interpolated
    return Estimate(math.exp(est.value), math.exp(est.lo), math.exp(est.hi), note) if est.ok else NA


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
