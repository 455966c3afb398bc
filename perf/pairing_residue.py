"""The pairing residue: what the k=16 pairing control leaves to a learner that sees two bags.

    python perf/pairing_residue.py [--episodes N] [--seed S] [--families a,b]
                                   [--control deranged|decoupled|both] [--k4]

The pairing control (``generators.shuffled_demos``: the 16 demo outputs deranged among the demos)
is exactly uninformative where a variant claims the pairing constraint (docs/validity.md, "The
pairing control, exactly where the constraint holds").  In the exchangeable-outputs variants
(``Family.matched(variant)`` False: affine, sequence, base_arith, assoc_recall, word_order,
grid_1d, list_fn ood, string_edit) the outputs' *law* does not depend on the gold, but the
outputs are still the gold's images of the inputs shown, so a learner that takes the demo inputs
and outputs as two unordered bags can search the rule space for a rule that maps one bag onto
the other.  This script measures that residue and a prototype fix, per family, renamed and ood
variant (the control is required there only; the id variants' is not exact by design).

Controls (k = 16):
- ``deranged``: the published control, ``shuffled_demos``.
- ``decoupled`` (prototype, exchangeable variants only): the 16 demo inputs as shown in the task,
  each output the gold applied to a FRESH input drawn like the pool's (``Family.sample_input``,
  distinct), from an RNG seeded by the episode's identity.  Every candidate of these variants
  pushes the input distribution forward to one output law, so the outputs shown have the same
  law whichever candidate is gold: no learner can beat chance.  The fresh inputs may include the
  query inputs: they are never shown, and excluding them would leave a residue of its own (a
  bijective gold would never show its answer to a query while a distractor's appears with
  probability about 16/|inputs|; measured: majority_output 0.3215, z -13, on sequence ood over
  1,000 episodes, against 0.3303, z -2.2, drawn from the whole space).  The published control
  has that residue too (its queries lie outside the pool): the ~1/m^2 effect of docs/validity.md.

Learners (scores per choice; accuracy of the argmax, ties shared):
- ``bag_consistency`` (affine, sequence): rules of the variant's space whose outputs on the bag
  of inputs are the bag of outputs.
- ``bag_repairing`` (base_arith, assoc_recall, word_order, grid_1d, cipher, list_fn ood): a
  bijection of symbols that maps the bag of (suitably read) inputs onto the bag of outputs
  re-pairs them; the family's ideal runs on each re-pairing.  (string_edit has none here: its
  shifted letters are no symbol bijection; its docstring names its own residue, content
  re-pairing then slot-by-slot voting.)
- every learner of ``learners.PAIRING_FREE``, and the family's ``ideal`` on the pairs as shown.
- ``--k4``, the real task at k = 4 (first 4 demos, pairing hidden): ``bag_ideal`` (the ideal
  summed over every re-pairing of the 4 outputs) in every selected family, and ``count_profile``
  (cipher).  The pairing constraint covers the 16 paired inputs together, not 4 of them.

One line per (control, family, variant, learner): mean accuracy +- its standard error over
episodes (an episode's queries share a rule), chance, z = (mean - chance) / se, and the seconds
it took; ``!`` marks |z| > 3.  Stdlib and ood_icl.generators only, single-threaded; a by-hand
check, not a test.  The default seed is 77 (never the published 2026).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from ood_icl.generators import (PAIRED_K, Episode, Family, UnknownNameError, get_family, item_rng,
                                shuffled_demos)
from ood_icl.generators.check import mean_se
from ood_icl.generators.episodes import distinct_episodes
from ood_icl.generators.families._affine_gf import allowed_pairs
from ood_icl.generators.families._list_fn_ood import _images
from ood_icl.generators.families._list_fn_space import classes
from ood_icl.generators.learners import PAIRING_FREE, expected_accuracy

VARIANTS = ("renamed", "ood")
CONTROLS = ("deranged", "decoupled")
FAMILIES = ("affine", "sequence", "base_arith", "assoc_recall", "word_order", "grid_1d", "list_fn",
            "string_edit", "cipher", "label_map", "feature_class", "regular_lang")
K_SMALL = 4
N_QUERIES = 5
SOLUTIONS_CAP = 20  # bijections kept per reading: more only re-weight re-pairings that all fit
Z_FLAG = 3.0


@dataclass(frozen=True)
class Shown:
    """What a prompt displays: the demo inputs (raw and rendered) and the outputs, in display order."""
    raw: tuple
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    family: Family
    variant: str
    cfg: Any


Learner = Callable[[Task, Shown, Episode], list[list[float]]]  # scores per query


# ---- what each control shows --------------------------------------------------------------------

def deranged(task: Task, ep: Episode) -> Shown:
    """The published control: the first 16 demos, outputs deranged among them."""
    demos, raw = shuffled_demos(ep)
    return Shown(tuple(raw), tuple(d.input for d in demos), tuple(d.output for d in demos))


def decoupled(task: Task, ep: Episode) -> Shown:
    """The prototype: the shown inputs, and the gold's outputs on 16 fresh distinct inputs drawn
    from the whole input distribution (queries included: module docstring).  The RNG depends on the
    episode's identity only, never on which candidate is gold, so the outputs' law is the gold's
    push-forward of the input law, the same for every candidate."""
    rng = item_rng(*ep.identity(), "pairing_residue", "decoupled")
    taken: set = set()
    fresh: list = []
    while len(fresh) < PAIRED_K:
        x = task.family.sample_input(rng, task.variant, task.cfg)
        if x not in taken:
            taken.add(x)
            fresh.append(x)
    outputs = tuple(task.family.apply(ep.rule, x, task.cfg) for x in fresh)
    return Shown(tuple(ep.raw_demo_inputs[:PAIRED_K]), tuple(d.input for d in ep.demos[:PAIRED_K]), outputs)


def real_k4(task: Task, ep: Episode) -> Shown:
    """The real task's first K_SMALL demos (a bag learner must ignore their pairing)."""
    demos = ep.demos[:K_SMALL]
    return Shown(tuple(ep.raw_demo_inputs[:K_SMALL]), tuple(d.input for d in demos), tuple(d.output for d in demos))


VIEWS = {"deranged": deranged, "decoupled": decoupled, "real-k4": real_k4}


# ---- learners that see the outputs as a bag -------------------------------------------------------

_LINEAR = {  # the part of the first output number a linear part (p, q) gives, per family
    "affine": lambda p, q, x: p * x[0] + q * x[1],    # (p*a + q*b + c) mod m
    "sequence": lambda p, q, x: p * x[1] + q * x[0],  # x2 = alpha*x1 + beta*x0 + gamma
}


def bag_consistency(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    """Votes of the rules (p, q, c) whose outputs on the bag of inputs are the bag of outputs.

    The offset c needs no search: the sum of the first output numbers is the same in any order,
    and equals sum(p, q part) + k c mod m, so each linear part has one candidate offset.  k = 16
    uniform residues almost never agree as multisets by accident, so the gold survives alone."""
    fam, m = task.family, task.cfg.modulus
    parts = allowed_pairs(m) if task.variant == "ood" else [(p % m, q % m) for p, q in fam.id_ops.values()]
    target = Counter(shown.outputs)
    total = sum(int(y.split()[0]) for y in shown.outputs)
    inv_k = pow(len(shown.raw), -1, m)
    votes: Counter = Counter()
    for p, q in parts:
        c = (total - sum(_LINEAR[fam.name](p, q, x) for x in shown.raw)) * inv_k % m
        rule = (p, q, c)
        if Counter(fam.apply(rule, x, task.cfg) for x in shown.raw) == target:
            for x in ep.raw_query_inputs:
                votes[(x, fam.apply(rule, x, task.cfg))] += 1
    return [[float(votes[(x, c)]) for c in q.choices] for x, q in zip(ep.raw_query_inputs, ep.queries)]


_OUTPUT_SYMBOLS = {  # how each output spells its symbols
    "grid_1d": lambda y: tuple(int(c) for c in y if c != "0"),  # the non-empty colours
    "word_order": lambda y: tuple(y.split()),
    "assoc_recall": lambda y: tuple(y.split()),
    "cipher": lambda y: tuple(y.replace(" ", "")),
    "base_arith": tuple,
    "list_fn": lambda y: tuple(int(c) for c in y),
}


def _repairable(task: Task) -> bool:
    return task.family.name in _OUTPUT_SYMBOLS and (task.family.name != "list_fn" or task.variant == "ood")


def _readings(task: Task, raw: tuple) -> list[tuple[list[tuple], str]]:
    """Ways to read each input as the symbols its output spells through an unknown bijection of
    symbols: (one sequence per input, mode); mode "seq" compares sequences, "set" symbol sets (the
    rule also reorders them)."""
    fam, v, cfg = task.family, task.variant, task.cfg
    if fam.name == "grid_1d":  # the non-empty colours, recoloured and moved
        return [([tuple(c for c in x if c) for x in raw], "set")]
    if fam.name == "word_order":  # the words, translated and reordered
        return [([tuple(x) for x in raw], "set")]
    if fam.name in ("assoc_recall", "cipher"):  # keys -> values, letters -> letters, in place
        return [([tuple(x) for x in raw], "seq")]
    if fam.name == "base_arith":  # the result's plain digits, one reading per op
        base = cfg.ood_base if v == "ood" else 10
        plain = "0123456789abcdef"[:base]
        return [([tuple(fam.apply((op, base, plain), x)) for x in raw], "seq") for op in ("add", "sub", "rsub")]
    # list_fn ood: one reading per behaviour class, its plain output (the cipher is the bijection)
    images = [_images(v, cfg, tuple(x)) for x in raw]
    return [([im[i] for im in images], "seq") for i in range(len(classes(cfg.length, cfg.min_depth, cfg.max_depth)))]


def _spots(seqs: list[tuple], mode: str) -> dict:
    """symbol -> [(sequence index, position)]; every position is 0 in "set" mode."""
    out: dict = defaultdict(list)
    for d, s in enumerate(seqs):
        for i, t in enumerate(s):
            out[t].append((d, i if mode == "seq" else 0))
    return out


def _cooccurrence(spots: dict, a, b) -> list:
    at_a: dict = defaultdict(list)
    for d, i in spots[a]:
        at_a[d].append(i)
    return sorted(Counter((i, j) for d, j in spots[b] for i in at_a.get(d, ())).items())


def bijections(ins: list[tuple], outs: list[tuple], mode: str, cap: int = SOLUTIONS_CAP) -> list[dict]:
    """Up to ``cap`` symbol bijections R with bag{R(x)} == bag{y} (as sequences or as sets).

    Backtracking, symbols with the fewest matches first; a symbol may only map to one with the same
    profile (count at each position), and every pair of mapped symbols must co-occur as their
    images do: both are necessary, since R carries the bag of inputs onto the bag of outputs."""
    key = tuple if mode == "seq" else frozenset
    s_in, s_out = _spots(ins, mode), _spots(outs, mode)
    p_in = {t: sorted(Counter(i for _, i in v).items()) for t, v in s_in.items()}
    p_out = {t: sorted(Counter(i for _, i in v).items()) for t, v in s_out.items()}
    if sorted(p_in.values()) != sorted(p_out.values()):
        return []
    target = Counter(key(y) for y in outs)
    order = sorted(p_in, key=lambda t: (sum(p_out[u] == p_in[t] for u in p_out), str(t)))
    found: list[dict] = []
    R: dict = {}

    def extend(k: int) -> None:
        if len(found) >= cap:
            return
        if k == len(order):
            if Counter(key(tuple(R[t] for t in x)) for x in ins) == target:
                found.append(dict(R))
            return
        s = order[k]
        for t in p_out:
            if t in R.values() or p_out[t] != p_in[s]:
                continue
            if any(_cooccurrence(s_in, a, s) != _cooccurrence(s_out, R[a], t) for a in order[:k]):
                continue
            R[s] = t
            extend(k + 1)
            del R[s]

    extend(0)
    return found


def _repair(raw: tuple, ins: list[tuple], outputs: tuple, outs: list[tuple], R: dict, mode: str) -> list:
    """Each input paired with an output whose symbols are its image under R."""
    key = tuple if mode == "seq" else frozenset
    pool: dict = defaultdict(list)
    for y, s in zip(outputs, outs):
        pool[key(s)].append(y)
    return [(x, pool[key(tuple(R[t] for t in s))].pop()) for x, s in zip(raw, ins)]


def bag_repairing(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    """The family's ideal, summed over every re-pairing that a symbol bijection of some reading
    explains.  The outputs are taken sorted: only their bag is used, never the display order."""
    fam, n = task.family, len(ep.queries)
    outputs = tuple(sorted(shown.outputs))
    outs = [_OUTPUT_SYMBOLS[fam.name](y) for y in outputs]
    totals = [[0.0] * len(q.choices) for q in ep.queries]
    for ins, mode in _readings(task, shown.raw):
        for R in bijections(ins, outs, mode):
            pairs = _repair(shown.raw, ins, outputs, outs, R, mode)
            for j in range(n):
                scores = fam.ideal(task.variant, task.cfg, pairs, ep.raw_query_inputs[j], ep.queries[j].choices)
                totals[j] = [a + b for a, b in zip(totals[j], scores)]
    return totals


def bag_ideal(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    """The family's ideal summed over every distinct re-pairing of the outputs with the inputs (at
    k = 4: 24 at most).  Equal outputs make some orders coincide; each distinct pairing then stands
    for the same number of orders, so dropping duplicates only rescales the sum."""
    fam = task.family
    pairings = [list(zip(shown.raw, p)) for p in sorted(set(itertools.permutations(shown.outputs)))]
    totals = []
    for x, q in zip(ep.raw_query_inputs, ep.queries):
        t = [0.0] * len(q.choices)
        for pairs in pairings:
            t = [a + b for a, b in zip(t, fam.ideal(task.variant, task.cfg, pairs, x, q.choices))]
        totals.append(t)
    return totals


def count_profile(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    """cipher: a letter and its image occur equally often in the bags, so a choice scores the
    positions t where its letter occurs in the outputs as often as the query's letter t in the inputs."""
    n_in = Counter("".join(shown.inputs).replace(" ", ""))
    n_out = Counter("".join(shown.outputs).replace(" ", ""))
    return [[float(sum(n_in[a] == n_out[b] for a, b in zip(q.input.replace(" ", ""), c.replace(" ", ""))))
             for c in q.choices] for q in ep.queries]


def ideal(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    """The family's ideal on the pairs as shown (it uses the pairing the control breaks)."""
    pairs = list(zip(shown.raw, shown.outputs))
    return [task.family.ideal(task.variant, task.cfg, pairs, x, q.choices)
            for x, q in zip(ep.raw_query_inputs, ep.queries)]


def _pairing_free(fn) -> Learner:
    def run(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
        pairs = list(zip(shown.inputs, shown.outputs))
        return [fn(pairs, q.input, q.choices) for q in ep.queries]
    return run


def learners_for(task: Task, control: str) -> dict[str, Learner]:
    out: dict[str, Learner] = {}
    if control == "real-k4":
        out["bag_ideal"] = bag_ideal
        if task.family.name == "cipher":
            out["count_profile"] = count_profile
        return out
    if task.family.name in _LINEAR:
        out["bag_consistency"] = bag_consistency
    elif _repairable(task):
        out["bag_repairing"] = bag_repairing
    out.update({name: _pairing_free(fn) for name, fn in PAIRING_FREE.items()})
    out["ideal"] = ideal
    return out


# ---- running ----------------------------------------------------------------------------------

def measure(task: Task, eps: list, control: str, learner: Learner) -> list[float]:
    """Per-episode accuracy (mean over its queries) of the learner on what the control shows."""
    view = VIEWS[control]
    per = []
    for ep in eps:
        scores = learner(task, view(task, ep), ep)
        per.append(sum(expected_accuracy(s, q.label) for s, q in zip(scores, ep.queries)) / len(ep.queries))
    return per


def z_score(m: float, se: float, chance: float) -> float:
    if se > 1e-12:
        return (m - chance) / se
    return 0.0 if abs(m - chance) < 1e-9 else math.copysign(math.inf, m - chance)


def run(families: list[str], controls: list[str], *, episodes: int, seed: int) -> list[tuple]:
    rows = []
    for name in families:
        fam = get_family(name)
        cfg = fam.config(2)
        for variant in VARIANTS:
            task = Task(fam, variant, cfg)
            eps = list(distinct_episodes(fam, variant, cfg, seed=seed, n_episodes=episodes,
                                         n_queries=N_QUERIES, pool_size=PAIRED_K))
            chance = 1 / fam.n_choices
            for control in controls:
                if control == "decoupled" and fam.matched(variant):
                    continue  # the pairing constraint holds: the deranged control is exact already
                for lname, learner in learners_for(task, control).items():
                    t0 = time.perf_counter()
                    m, se = mean_se(measure(task, eps, control, learner))
                    z = z_score(m, se, chance)
                    row = (control, name, variant, lname, m, se, chance, z, len(eps), time.perf_counter() - t0)
                    rows.append(row)
                    print("{:9s} {:13s} {:7s} {:19s} {:.3f} ± {:.3f}  chance {:.3f}  z {:+7.1f}  n={}  {:6.1f}s{}"
                          .format(*row, "  !" if abs(z) > Z_FLAG else ""), flush=True)
    return rows


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _families(text: str) -> list[str]:
    names = [t for t in text.split(",") if t]
    if not names:
        raise argparse.ArgumentTypeError("no family named")
    for n in names:
        try:
            get_family(n)
        except UnknownNameError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return names


def _episodes(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if n < 2:
        raise argparse.ArgumentTypeError(f"episodes={n}: need >= 2 for a standard error")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = _Parser(prog="pairing_residue.py", description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=_episodes, default=200)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--families", type=_families, default=list(FAMILIES))
    ap.add_argument("--control", choices=("deranged", "decoupled", "both"), default="both")
    ap.add_argument("--k4", action="store_true", help="also the real task at k=4: bag_ideal, count_profile")
    args = ap.parse_args(argv)
    controls = list(CONTROLS) if args.control == "both" else [args.control]
    if args.k4:
        controls.append("real-k4")
    t0 = time.perf_counter()
    print(f"# seed {args.seed}, {args.episodes} episodes x {N_QUERIES} queries, difficulty 2, "
          f"controls {','.join(controls)}", flush=True)
    rows = run(args.families, controls, episodes=args.episodes, seed=args.seed)
    off = [r for r in rows if r[0] == "decoupled" and abs(r[7]) > Z_FLAG]
    n_dec = sum(r[0] == "decoupled" for r in rows)
    if n_dec:
        print(f"# decoupled: {n_dec - len(off)} of {n_dec} lines within {Z_FLAG:.0f} se of chance"
              + "".join(f"; OFF: {r[1]} {r[2]} {r[3]} {r[4]:.3f} (z {r[7]:+.1f})" for r in off))
    print(f"# total wall time {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
