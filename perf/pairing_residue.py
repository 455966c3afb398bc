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
the other.  This script measures that residue and its fix, per family, renamed and ood
variant (the control is required there only; the id variants' is not exact by design).

Controls (k = 16):
- ``deranged``: the published control, ``generators.shuffled_demos``.
- ``decoupled`` (the ``..._k16_decoupled`` tasks, exchangeable variants only): ``generators.decoupled_demos``, the 16
  demo inputs as shown, each output the gold's on a fresh input from the family's input
  distribution.  Every candidate of these variants pushes that distribution forward to one output
  law, so no learner can beat chance.  The fresh inputs may include the query inputs: excluding
  them would leave a tell of its own (a bijective gold would never show its answer to a query, a
  distractor's would appear with probability about 16/|inputs|; measured while prototyping:
  majority_output 0.3215, z -13, on sequence ood over 1,000 episodes, against 0.3303, z -2.2,
  drawn from the whole space).  The published control has that tell too (its queries lie outside
  the pool): the ~1/m^2 effect of docs/validity.md.

Learners (scores per choice; accuracy of the argmax, ties shared): the family's rule-space search
from ``generators.bag_learners`` (``bag_consistency`` or ``bag_repairing``; none for string_edit),
every learner of ``learners.PAIRING_FREE``, and the family's ``ideal`` on the pairs as shown.
With ``--k4``, the real task at k = 4 (first 4 demos, pairing ignored): ``bag_ideal`` in every
selected family and ``count_profile`` in cipher; the pairing constraint covers the 16 paired
inputs together, not 4 of them.

One line per (control, family, variant, learner): mean accuracy +- its standard error over
episodes (an episode's queries share a rule), chance, z = (mean - chance) / se, and the seconds
it took; ``!`` marks |z| > 3.  Stdlib and ood_icl.generators only, single-threaded; a by-hand
check, not a test.  The default seed is 77 (never the published 2026).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from ood_icl._args import OneLineParser, checked_names, nonneg_int
from ood_icl.generators import (FAMILIES, PAIRED_K, Episode, Family, decoupled_demos,
                                get_family, shuffled_demos)
from ood_icl.generators.bag_learners import bag_ideal, bag_learner, count_profile
from ood_icl.generators.check import mean_se
from ood_icl.generators.episodes import distinct_episodes
from ood_icl.generators.learners import PAIRING_FREE, expected_accuracy

VARIANTS = ("renamed", "ood")
CONTROLS = ("deranged", "decoupled")
K_SMALL = 4
N_QUERIES = 5
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

def _shown(demos, raw) -> Shown:
    return Shown(tuple(raw), tuple(d.input for d in demos), tuple(d.output for d in demos))


VIEWS = {
    "deranged": lambda task, ep: _shown(*shuffled_demos(ep)),  # the published control
    "decoupled": lambda task, ep: _shown(*decoupled_demos(task.family, task.cfg, ep)),  # the _k16_decoupled tasks
    "real-k4": lambda task, ep: _shown(ep.demos[:K_SMALL], ep.raw_demo_inputs[:K_SMALL]),  # pairing ignored
}


# ---- learners -----------------------------------------------------------------------------------

def _bag(fn) -> Learner:
    def run(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
        return fn(task.family, task.variant, task.cfg, shown.raw, shown.outputs, ep.raw_query_inputs,
                  [q.choices for q in ep.queries])
    return run


def _pairing_free(fn) -> Learner:
    def run(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
        pairs = list(zip(shown.inputs, shown.outputs))
        return [fn(pairs, q.input, q.choices) for q in ep.queries]
    return run


def _count_profile(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    return [count_profile(shown.inputs, shown.outputs, q.input, q.choices) for q in ep.queries]


def ideal(task: Task, shown: Shown, ep: Episode) -> list[list[float]]:
    """The family's ideal on the pairs as shown (it uses the pairing the control breaks)."""
    pairs = list(zip(shown.raw, shown.outputs))
    return [task.family.ideal(task.variant, task.cfg, pairs, x, q.choices)
            for x, q in zip(ep.raw_query_inputs, ep.queries)]


def learners_for(task: Task, control: str) -> dict[str, Learner]:
    if control == "real-k4":
        out = {"bag_ideal": _bag(bag_ideal)}
        if task.family.name == "cipher":
            out["count_profile"] = _count_profile
        return out
    search = bag_learner(task.family, task.variant)
    out = {search.__name__: _bag(search)} if search else {}
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


def _episodes(text: str) -> int:
    n = nonneg_int(text)
    if n < 2:
        raise argparse.ArgumentTypeError(f"episodes={n}: need >= 2 for a standard error")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = OneLineParser(prog="pairing_residue.py", description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=_episodes, default=200)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--families", type=checked_names(get_family), default=sorted(FAMILIES))
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
